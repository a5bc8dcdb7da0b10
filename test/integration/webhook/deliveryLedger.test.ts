// One contract, two ledgers: the DynamoDB one (on dynalite, as the Lambdas and the local platform use
// it) and the in-memory one the unit tests use must answer alike, expiry included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryLedger } from '../../../lambdas/adapters/dynamo/deliveryLedger.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import {
  createMemoryDeliveryLedger,
  type DeliveryLedger,
  LEDGER_TTL_SECONDS,
  type PushClaim,
} from '../../../lambdas/core/webhook/deliveryLedger.ts';

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable();
});
afterAll(async () => {
  await table.close();
});

const T0 = 1_800_000_000_000;
const TTL_MS = LEDGER_TTL_SECONDS * 1000;
let pushes = 0;
/** A push no other test used, so the two ledgers start empty for it. */
const freshPush = () => ({
  host: 'github' as const,
  repo: 'Acme/Shop',
  ref: 'refs/heads/main',
  after: String(++pushes).padStart(40, '0'),
});
const claim = (token: string, at = T0): PushClaim => ({
  execution: `gh-${token}`,
  delivery: token,
  token,
  claimedAt: at,
});

describe.each([
  [
    'DynamoDB (dynalite)',
    () => new DynamoDeliveryLedger({ client: table.client, tableName: table.tableName }),
  ],
  ['memory', () => createMemoryDeliveryLedger()],
] as const)('delivery ledger: %s', (_name, make: () => DeliveryLedger) => {
  it('records a delivery id once: the same body again is a redelivery, another body a conflict', async () => {
    const ledger = make();
    const id = `d-${++pushes}`;

    const answers = [
      await ledger.recordDelivery('github', id, 'digest-a', T0),
      await ledger.recordDelivery('github', id, 'digest-a', T0 + 1),
      await ledger.recordDelivery('github', id, 'digest-b', T0 + 2),
      await ledger.recordDelivery('gitlab', id, 'digest-b', T0 + 3),
      await ledger.recordDelivery('github', id, 'digest-b', T0 + TTL_MS + 1_000),
    ];

    expect(answers).toEqual(['recorded', 'redelivery', 'conflict', 'recorded', 'recorded']);
  });

  it('gives a push one owner among concurrent claims, matching repository names case-insensitively', async () => {
    const ledger = make();
    const push = freshPush();

    const owners = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ledger.claimPush(i % 2 === 0 ? push : { ...push, repo: 'acme/shop' }, claim(`t${i}`), T0),
      ),
    );

    expect(new Set(owners.map((o) => o.token)).size).toBe(1);
  });

  it('marks the owner started; takes over only an unstarted claim by its token; releases only by token', async () => {
    const ledger = make();
    const startedPush = freshPush();
    const stalePush = freshPush();
    await ledger.claimPush(startedPush, claim('a'), T0);
    await ledger.claimPush(stalePush, claim('b'), T0);

    await ledger.markStarted(startedPush, 'not-a', 'arn:other');
    await ledger.markStarted(startedPush, 'a', 'arn:a');
    const takeStarted = await ledger.takeOver(startedPush, 'a', claim('c'), T0 + 1);
    const takeWrongToken = await ledger.takeOver(stalePush, 'x', claim('c'), T0 + 1);
    const takeStale = await ledger.takeOver(stalePush, 'b', claim('c'), T0 + 1);
    await ledger.release(stalePush, 'b');
    const afterWrongRelease = await ledger.claimPush(stalePush, claim('d'), T0 + 2);
    await ledger.release(stalePush, 'c');
    const afterRelease = await ledger.claimPush(stalePush, claim('e'), T0 + 3);
    const started = await ledger.claimPush(startedPush, claim('g'), T0 + 4);
    const expired = await ledger.claimPush(startedPush, claim('f'), T0 + TTL_MS + 1_000);

    expect([takeStarted, takeWrongToken, takeStale]).toEqual([false, false, true]);
    expect(started).toEqual({ ...claim('a'), executionArn: 'arn:a' });
    expect(afterWrongRelease.token).toBe('c');
    expect(afterRelease.token).toBe('e');
    expect(expired.token).toBe('f');
  });
});
