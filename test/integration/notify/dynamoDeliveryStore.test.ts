// The AWS delivery store on the real build-table schema (dynalite): the claim's conditional write
// lets one of two workers deliver, a completed delivery cannot be claimed again, an expired lease can.
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../../lambdas/adapters/aws/notify/dynamoDeliveryStore.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';

let table: LocalTable;
let now = 1_000_000;
let store: DynamoDeliveryStore;

beforeAll(async () => {
  table = await startLocalTable();
  const doc = DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoDeliveryStore(doc, table.tableName, () => now);
});

afterAll(async () => {
  await table.close();
});

describe('DynamoDeliveryStore on dynalite', () => {
  it('lets one worker claim, resumes progress, refuses a completed delivery', async () => {
    // Act / Assess: two workers, one claim
    expect(await store.claim('n1', 'worker-a', 60_000)).toBe(true);
    expect(await store.claim('n1', 'worker-b', 60_000)).toBe(false);
    // progress survives and is read back
    await store.put({
      id: 'n1',
      channel: 'C1',
      ts: '1.000001',
      completed: false,
      at: '2026-11-21T12:00:00Z',
    });
    expect(await store.get('n1')).toMatchObject({ ts: '1.000001', completed: false });
    // the lease expires: another worker resumes
    now += 61_000;
    expect(await store.claim('n1', 'worker-b', 60_000)).toBe(true);
    await store.put({ id: 'n1', channel: 'C1', ts: '1.000001', completed: true, at: '2026-11-21T12:01:00Z' });
    await store.release('n1', 'worker-b');
    // complete: nobody claims it again
    expect(await store.claim('n1', 'worker-c', 60_000)).toBe(false);
    expect(await store.get('missing')).toBeUndefined();
  });

  it('releases only its own lease', async () => {
    expect(await store.claim('n2', 'worker-a', 60_000)).toBe(true);
    await store.release('n2', 'worker-b');
    expect(await store.claim('n2', 'worker-c', 60_000)).toBe(false);
    await store.release('n2', 'worker-a');
    expect(await store.claim('n2', 'worker-c', 60_000)).toBe(true);
  });
});
