import {
  type CostExplorerClient,
  ListCostAllocationTagsCommand,
  UpdateCostAllocationTagsStatusCommand,
} from '@aws-sdk/client-cost-explorer';
import type { CostAllocationTagAdmin, CostAllocationTagStatus } from '../../../core/cost/activation.ts';

/**
 * Cost Explorer's cost allocation tag API. Only the management (payer) account of an organisation, or
 * a standalone account, may activate tags; a member account gets AccessDenied.
 */
export function costAllocationTagAdmin(ce: CostExplorerClient): CostAllocationTagAdmin {
  return {
    async statusOf(keys) {
      const status: Record<string, CostAllocationTagStatus> = Object.fromEntries(
        keys.map((k) => [k, 'unseen' as const]),
      );
      let nextToken: string | undefined;
      do {
        const page = await ce.send(
          new ListCostAllocationTagsCommand({
            TagKeys: [...keys],
            Type: 'UserDefined',
            NextToken: nextToken,
          }),
        );
        for (const tag of page.CostAllocationTags ?? []) {
          if (tag.TagKey !== undefined && tag.TagKey in status) {
            status[tag.TagKey] = tag.Status === 'Active' ? 'active' : 'inactive';
          }
        }
        nextToken = page.NextToken;
      } while (nextToken);
      return status;
    },
    async activate(keys) {
      const result = await ce.send(
        new UpdateCostAllocationTagsStatusCommand({
          CostAllocationTagsStatus: keys.map((TagKey) => ({ TagKey, Status: 'Active' })),
        }),
      );
      // Per-key refusals come back in the body, not as an exception.
      return (result.Errors ?? []).map((e) => ({
        key: e.TagKey ?? '?',
        reason: `${e.Code ?? 'Error'}: ${e.Message ?? 'no message'}`,
      }));
    },
  };
}
