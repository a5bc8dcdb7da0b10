import {
  CostExplorerClient,
  ListCostAllocationTagsCommand,
  UpdateCostAllocationTagsStatusCommand,
} from '@aws-sdk/client-cost-explorer';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { costAllocationTagAdmin } from '../../../lambdas/adapters/aws/cost/costAllocationTagAdmin.ts';
import { ensureCostAllocationTagsActive } from '../../../lambdas/core/cost/activation.ts';

const ceMock = mockClient(CostExplorerClient);
afterEach(() => ceMock.reset());

describe('ensureCostAllocationTagsActive', () => {
  it('activates the inactive keys only, and reports keys Billing has not seen yet as pending', async () => {
    // Prepare: service active, team inactive (on page 2), solution refused, environment never seen.
    ceMock
      .on(ListCostAllocationTagsCommand, { NextToken: undefined })
      .resolves({
        CostAllocationTags: [{ TagKey: 'service', Type: 'UserDefined', Status: 'Active' }],
        NextToken: 'n2',
      })
      .on(ListCostAllocationTagsCommand, { NextToken: 'n2' })
      .resolves({
        CostAllocationTags: [
          { TagKey: 'team', Type: 'UserDefined', Status: 'Inactive' },
          { TagKey: 'solution', Type: 'UserDefined', Status: 'Inactive' },
        ],
      });
    ceMock.on(UpdateCostAllocationTagsStatusCommand).resolves({
      Errors: [{ TagKey: 'solution', Code: 'TagKeysNotFoundException', Message: 'not found' }],
    });

    // Act
    const report = await ensureCostAllocationTagsActive(costAllocationTagAdmin(new CostExplorerClient({})));

    // Assess
    expect(ceMock).toHaveReceivedCommandWith(UpdateCostAllocationTagsStatusCommand, {
      CostAllocationTagsStatus: [
        { TagKey: 'team', Status: 'Active' },
        { TagKey: 'solution', Status: 'Active' },
      ],
    });
    expect(report.alreadyActive).toEqual(['service']);
    expect(report.activated).toEqual(['team']);
    expect(report.pending).toEqual([
      { key: 'environment', reason: expect.stringContaining('not seen') },
      { key: 'solution', reason: 'TagKeysNotFoundException: not found' },
    ]);
  });

  it('calls no update when every key is already active', async () => {
    ceMock.on(ListCostAllocationTagsCommand).resolves({
      CostAllocationTags: ['service', 'team', 'solution', 'environment'].map((TagKey) => ({
        TagKey,
        Type: 'UserDefined',
        Status: 'Active',
      })),
    });

    const report = await ensureCostAllocationTagsActive(costAllocationTagAdmin(new CostExplorerClient({})));

    expect(ceMock).not.toHaveReceivedCommand(UpdateCostAllocationTagsStatusCommand);
    expect(report.pending).toEqual([]);
  });
});
