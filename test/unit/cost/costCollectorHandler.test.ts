import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  type GetCostAndUsageCommandInput,
  ListCostAllocationTagsCommand,
} from '@aws-sdk/client-cost-explorer';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const ceMock = mockClient(CostExplorerClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
const cwMock = mockClient(CloudWatchClient);

describe('costCollector handler', () => {
  beforeEach(() => {
    vi.resetModules();
    vi.stubEnv('VOUCH_BUILD_TABLE', 'vouch-builds');
    vi.stubEnv('VOUCH_COST_LOOKBACK_DAYS', '2');
    vi.stubEnv('VOUCH_COST_ACTIVATE_TAGS', 'true');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    ceMock.reset();
    ddbMock.reset();
    cwMock.reset();
  });

  it('collects the days before the scheduled event, and a failed tag activation does not stop it', async () => {
    // Prepare
    ceMock.on(ListCostAllocationTagsCommand).rejects(new Error('AccessDenied: member account'));
    ceMock.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => ({
      ResultsByTime: [
        {
          TimePeriod: { Start: '2025-03-08', End: '2025-03-09' },
          Groups: [
            {
              Keys:
                input.GroupBy?.[0]?.Key === 'team'
                  ? ['team$payments', 'solution$shop']
                  : ['service$checkout', 'environment$prod'],
              Metrics: { UnblendedCost: { Amount: '1.5', Unit: 'USD' } },
            },
          ],
        },
      ],
    }));
    ddbMock.on(PutCommand).resolves({});
    cwMock.on(PutMetricDataCommand).resolves({});
    const { handler } = await import('../../../lambdas/handlers/costCollector.ts');

    // Act
    const result = await handler({ 'detail-type': 'Scheduled Event', time: '2025-03-10T06:00:00Z' });

    // Assess
    expect(result).toEqual({ start: '2025-03-08', end: '2025-03-10', items: 2, datums: 5 });
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'vouch-builds',
      ReturnValues: 'ALL_OLD',
    });
  });

  it('fails at cold start without the table variable', async () => {
    vi.stubEnv('VOUCH_BUILD_TABLE', '');
    await expect(import('../../../lambdas/handlers/costCollector.ts')).rejects.toThrow(
      'Environment variable VOUCH_BUILD_TABLE is required',
    );
  });
});
