// Versions against dynalite started here: atomic, gapless, idempotent per execution, refusing bad input.
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { keys } from '../../../lambdas/adapters/dynamo/keys.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import {
  ExecutionConflictError,
  InvalidCommitError,
  MissingCommitError,
  UnknownServiceError,
} from '../../../lambdas/core/builds/errors.ts';

const SHA = 'a'.repeat(40);
const OTHER_SHA = 'b'.repeat(40);

let table: LocalTable;
let doc: DynamoDBDocumentClient;
const clock = { now: new Date('2030-01-01T00:00:00Z') };

function repository(): BuildRepository {
  return new BuildRepository({ client: table.client, tableName: table.tableName, now: () => clock.now });
}

async function register(repo: BuildRepository, service: string): Promise<void> {
  await repo.registerService({ service, team: 'core', solution: 'retail', repo: `org/${service}` });
}

async function readItem(key: { pk: string; sk: string }) {
  const out = await doc.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }));
  return out.Item;
}

beforeAll(async () => {
  table = await startLocalTable();
  doc = DynamoDBDocumentClient.from(table.client);
});

afterAll(async () => {
  await table.close();
});

describe('allocateVersion', () => {
  it('gives 1,000 concurrent requests 1,000 distinct, gapless numbers', { timeout: 240_000 }, async () => {
    // Prepare
    const repo = repository();
    await register(repo, 'burst');

    // Act
    const allocated = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        repo.allocateVersion({ service: 'burst', commit: SHA, execution: `burst-${i}` }),
      ),
    );

    // Assess
    const numbers = allocated.map((a) => a.version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect((await repo.getService('burst'))?.lastVersion).toBe(1000);
    let listed = 0;
    let cursor: string | undefined;
    do {
      const page = await repo.listBuilds('burst', { limit: 100, cursor });
      listed += page.items.length;
      cursor = page.cursor;
    } while (cursor);
    expect(listed).toBe(1000);
  });

  it('gives the same execution the same number when it asks twice, in turn or at once', async () => {
    // Prepare
    const repo = repository();
    await register(repo, 'retry');
    const first = await repo.allocateVersion({ service: 'retry', commit: SHA, execution: 'retry-1' });

    // Act
    const again = await repo.allocateVersion({ service: 'retry', commit: SHA, execution: 'retry-1' });
    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        repo.allocateVersion({ service: 'retry', commit: SHA, execution: 'retry-2' }),
      ),
    );
    const next = await repo.allocateVersion({ service: 'retry', commit: SHA, execution: 'retry-3' });

    // Assess
    expect(again).toEqual(first);
    expect(new Set(racing.map((r) => r.version))).toEqual(new Set([2]));
    expect(next.version).toBe(3);
  });

  it('answers a retry after a crash between the counter and the write-out with the same number', async () => {
    // Prepare: the counter was bumped for `crash-1`, then the request died before writing anything else.
    const repo = repository();
    await register(repo, 'crash');
    await doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.service('crash'),
        UpdateExpression: 'SET #last = #last + :one, #versions.#exec = #last + :one',
        ExpressionAttributeNames: {
          '#last': 'lastVersion',
          '#versions': 'allocationVersions',
          '#exec': 'crash-1',
        },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );

    // Act
    const retried = await repo.allocateVersion({ service: 'crash', commit: SHA, execution: 'crash-1' });
    const next = await repo.allocateVersion({ service: 'crash', commit: SHA, execution: 'crash-2' });

    // Assess
    expect(retried.version).toBe(1);
    expect(next.version).toBe(2);
    expect((await repo.getBuild('crash', 1))?.execution).toBe('crash-1');
  });

  it('still answers retries after pruning, and keeps a dead request’s number as an ABANDONED build', async () => {
    // Prepare: 24 allocations, then one whose request dies after the bump (number 25).
    const repo = repository();
    await register(repo, 'prune');
    for (let i = 1; i <= 24; i++)
      await repo.allocateVersion({ service: 'prune', commit: SHA, execution: `prune-${i}` });
    await doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.service('prune'),
        UpdateExpression: 'SET #last = #last + :one, #versions.#exec = #last + :one',
        ExpressionAttributeNames: {
          '#last': 'lastVersion',
          '#versions': 'allocationVersions',
          '#exec': 'dead',
        },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );

    // Act: two prune rounds more than the grace period apart (at versions 50 and 75).
    for (let i = 26; i <= 50; i++)
      await repo.allocateVersion({ service: 'prune', commit: SHA, execution: `prune-${i}` });
    clock.now = new Date(clock.now.getTime() + 20 * 60_000);
    for (let i = 51; i <= 75; i++)
      await repo.allocateVersion({ service: 'prune', commit: SHA, execution: `prune-${i}` });
    const retried = await repo.allocateVersion({ service: 'prune', commit: SHA, execution: 'prune-3' });
    const abandoned = await repo.getBuild('prune', 25);
    const adopted = await repo.allocateVersion({ service: 'prune', commit: OTHER_SHA, execution: 'dead' });

    // Assess
    const service = await readItem(keys.service('prune'));
    const entries = Object.keys((service?.allocationVersions ?? {}) as object);
    expect(entries).not.toContain('prune-3');
    expect(entries.length).toBeLessThan(75);
    expect(retried.version).toBe(3);
    expect(abandoned?.status).toBe('ABANDONED');
    expect(adopted.version).toBe(25);
    expect((await repo.getBuild('prune', 25))?.commit).toBe(OTHER_SHA);
    expect((await repo.getService('prune'))?.lastVersion).toBe(75);
  });

  it('refuses the same execution with another commit', async () => {
    // Prepare
    const repo = repository();
    await register(repo, 'conflict');
    await repo.allocateVersion({ service: 'conflict', commit: SHA, execution: 'conflict-1' });

    // Act
    const act = repo.allocateVersion({ service: 'conflict', commit: OTHER_SHA, execution: 'conflict-1' });

    // Assess
    await expect(act).rejects.toBeInstanceOf(ExecutionConflictError);
  });

  it('refuses a request without a commit SHA and writes nothing', async () => {
    // Prepare
    const repo = repository();
    await register(repo, 'nosha');

    // Act
    const missing = repo.allocateVersion({ service: 'nosha', execution: 'nosha-1' });
    const blank = repo.allocateVersion({ service: 'nosha', commit: '  ', execution: 'nosha-2' });
    const short = repo.allocateVersion({ service: 'nosha', commit: 'abc123', execution: 'nosha-3' });

    // Assess
    await expect(missing).rejects.toBeInstanceOf(MissingCommitError);
    await expect(missing).rejects.toThrow(/commit SHA/);
    await expect(blank).rejects.toBeInstanceOf(MissingCommitError);
    await expect(short).rejects.toBeInstanceOf(InvalidCommitError);
    expect((await repo.getService('nosha'))?.lastVersion).toBe(0);
    expect(await readItem(keys.execution('nosha-1'))).toBeUndefined();
    expect((await repo.listBuilds('nosha')).items).toEqual([]);
  });

  it('refuses an unknown service and writes nothing', async () => {
    // Prepare
    const repo = repository();

    // Act
    const act = repo.allocateVersion({ service: 'ghost', commit: SHA, execution: 'ghost-1' });

    // Assess
    await expect(act).rejects.toBeInstanceOf(UnknownServiceError);
    await expect(act).rejects.toThrow(/ghost is not registered/);
    expect(await readItem(keys.service('ghost'))).toBeUndefined();
    expect(await readItem(keys.execution('ghost-1'))).toBeUndefined();
    expect((await repo.listBuilds('ghost')).items).toEqual([]);
  });
});
