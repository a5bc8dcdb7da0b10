// The adapter's handling of DynamoDB answers it cannot get from dynalite on demand: throttling after
// the SDK's retries, conditional-check failures, unprocessed batch items.
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { DynamoWindowStore } from '../../../lambdas/adapters/dynamo/windowStore.ts';
import {
  BuildDataThrottledError,
  BuildDataUnavailableError,
  InvalidCursorError,
  LockHeldError,
  UnknownServiceError,
} from '../../../lambdas/core/builds/errors.ts';
import type { BuildRecords } from '../../../lambdas/core/pipeline/tasks.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const SHA = 'e'.repeat(40);

function repository(): BuildRepository {
  return new BuildRepository({
    client: new DynamoDBClient({ region: 'local' }),
    tableName: 'builds',
    now: () => new Date('2030-01-01T00:00:00Z'),
    sleep: async () => undefined,
  });
}

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'Rate of requests exceeds the allowed throughput',
    $metadata: {},
  });

afterEach(() => {
  dynamo.reset();
});

describe('BuildRepository with a mocked DynamoDB', () => {
  it('is what the pipeline tasks expect of the build data repository', () => {
    // Prepare, Act
    const records: BuildRecords = repository();

    // Assess
    expect(typeof records.allocateVersion).toBe('function');
  });

  it('surfaces throttling that outlasted the SDK retries as BuildDataThrottledError', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({});
    dynamo.on(UpdateCommand).rejects(throttled());

    // Act
    const act = repository().allocateVersion({ service: 'shop', commit: SHA, execution: 'run-1' });

    // Assess
    await expect(act).rejects.toBeInstanceOf(BuildDataThrottledError);
    await expect(act).rejects.toHaveProperty('cause.name', 'ProvisionedThroughputExceededException');
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteCommand);
  });

  it('turns a failed counter condition on a missing service into UnknownServiceError', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({});
    dynamo.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const act = repository().allocateVersion({ service: 'ghost', commit: SHA, execution: 'run-1' });

    // Assess
    await expect(act).rejects.toBeInstanceOf(UnknownServiceError);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers a lost counter condition with the number the execution already holds', async () => {
    // Prepare
    dynamo
      .on(GetCommand, { Key: { pk: 'EXECUTION#run-1', sk: 'EXECUTION' } })
      .resolves({})
      .on(GetCommand, { Key: { pk: 'SERVICE#shop', sk: 'SERVICE' } })
      .resolves({ Item: { team: 'web', allocationVersions: { 'run-1': 41 } } });
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(PutCommand).resolves({});

    // Act
    const allocated = await repository().allocateVersion({
      service: 'shop',
      commit: SHA,
      execution: 'run-1',
    });

    // Assess
    expect(allocated.version).toBe(41);
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'SERVICE#shop', sk: 'BUILD#0000000041', commit: SHA }),
    });
  });

  it('retries unprocessed batch items until written', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({ Attributes: { lastVersion: 7, team: 'web' } });
    dynamo
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { builds: [{ PutRequest: { Item: { pk: 'x', sk: 'y' } } }] } })
      .resolves({});

    // Act
    const allocated = await repository().allocateVersion({
      service: 'shop',
      commit: SHA,
      execution: 'run-1',
    });

    // Assess
    expect(allocated.version).toBe(7);
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteCommand, 2);
  });

  it('names the holder when a lock condition fails', async () => {
    // Prepare
    dynamo.on(PutCommand).rejects(conditionFailed());
    // As stored: the lease in `leaseUntil`/`heldUntil`, and the table's TTL attribute a day later.
    dynamo.on(GetCommand).resolves({
      Item: {
        owner: 'run-0',
        leaseUntil: Date.parse('2030-01-01T00:10:00.000Z'),
        heldUntil: '2030-01-01T00:10:00.000Z',
        expiresAt: Date.parse('2030-01-01T00:10:00.000Z') / 1000 + 86_400,
      },
    });

    // Act
    const act = repository().acquireLock({
      service: 'shop',
      environment: 'qa',
      owner: 'run-1',
      ttlSeconds: 600,
    });

    // Assess
    await expect(act).rejects.toBeInstanceOf(LockHeldError);
    await expect(act).rejects.toThrow('held by run-0 until 2030-01-01T00:10:00.000Z');
  });

  it('reports a release by a non-owner as false, and other failures as errors', async () => {
    // Prepare
    // A release by a non-owner also gives up its place in the lock's queue (a second conditional delete).
    dynamo
      .on(DeleteCommand)
      .rejectsOnce(conditionFailed())
      .rejectsOnce(conditionFailed())
      .rejects(new Error('socket hang up'));
    const repo = repository();
    const lock = { service: 'shop', environment: 'qa', owner: 'run-1' };

    // Act
    const first = await repo.releaseLock(lock);
    const second = repo.releaseLock(lock);

    // Assess
    expect(first).toBe(false);
    await expect(second).rejects.toBeInstanceOf(BuildDataUnavailableError);
  });

  it('refuses a cursor from another query', async () => {
    // Prepare
    const foreign = Buffer.from(JSON.stringify({ pk: 'SERVICE#other', sk: 'BUILD#1' })).toString('base64url');

    // Act
    const act = repository().listBuilds('shop', { cursor: foreign });

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidCursorError);
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
  });

  it('closes a window only once: a lost condition is false, throttling is an error', async () => {
    // Prepare
    dynamo.on(UpdateCommand).rejectsOnce(conditionFailed()).rejects(throttled());
    const store = new DynamoWindowStore({
      client: new DynamoDBClient({ region: 'local' }),
      tableName: 'builds',
    });

    // Act
    const lost = await store.closeWindow('shop', 'qa', 'token');
    const act = store.closeWindow('shop', 'qa', 'token');

    // Assess
    expect(lost).toBe(false);
    await expect(act).rejects.toBeInstanceOf(BuildDataThrottledError);
  });
});

describe('BuildRepository conditional writes (one helper for all of them)', () => {
  const lock = { service: 'shop', environment: 'prod', owner: 'run-1', ttlSeconds: 60 };

  it('reads a failed condition as "not written": a renewal of a lock another run holds is false', async () => {
    // Prepare
    dynamo.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const renewed = await repository().renewLock(lock);

    // Assess
    expect(renewed).toBe(false);
  });

  it('turns any other failure into the operation’s BuildDataError, with the SDK error as cause', async () => {
    // Prepare
    dynamo.on(UpdateCommand).rejects(throttled());
    dynamo.on(DeleteCommand).rejects(new Error('socket hang up'));

    // Act
    const renew = repository().renewLock(lock);
    const release = repository().releaseLock(lock);

    // Assess
    await expect(renew).rejects.toBeInstanceOf(BuildDataThrottledError);
    await expect(renew).rejects.toHaveProperty('cause.name', 'ProvisionedThroughputExceededException');
    await expect(release).rejects.toBeInstanceOf(BuildDataUnavailableError);
    await expect(release).rejects.toHaveProperty('cause.message', 'socket hang up');
  });
});
