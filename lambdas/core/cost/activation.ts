import { TAG_KEYS } from '../shared/tags.ts';
import { ENVIRONMENT_TAG } from './costItem.ts';

/**
 * The tag keys activated as cost allocation tags. `service`, `team` and `solution` are what a team's
 * bill is split by; `environment` splits a service's cost into delivery engine, test, qa and prod.
 */
export const COST_ALLOCATION_TAG_KEYS = [...TAG_KEYS, ENVIRONMENT_TAG] as const;

/**
 * Status of a user-defined tag key in Cost Explorer. `unseen`: Billing has not yet seen the key on
 * any resource, and AWS only offers a key for activation after that (up to 24 h after the first
 * tagged resource exists), so an activation attempt before then fails for that key.
 */
export type CostAllocationTagStatus = 'active' | 'inactive' | 'unseen';

/** Cost Explorer's cost allocation tag API (ListCostAllocationTags / UpdateCostAllocationTagsStatus). */
export interface CostAllocationTagAdmin {
  statusOf(keys: readonly string[]): Promise<Record<string, CostAllocationTagStatus>>;
  /** Activates the keys; returns the ones AWS refused, with its reason. */
  activate(keys: readonly string[]): Promise<{ key: string; reason: string }[]>;
}

export interface CostAllocationTagReport {
  readonly alreadyActive: readonly string[];
  readonly activated: readonly string[];
  /** Keys AWS has not seen on a resource yet, or refused: the next daily run tries again. */
  readonly pending: readonly { key: string; reason: string }[];
}

/**
 * Activates every key not active yet. Idempotent, so the daily collector calls it each run: a key
 * that Billing had not seen at deploy time becomes active the first day after it has.
 */
export async function ensureCostAllocationTagsActive(
  admin: CostAllocationTagAdmin,
  keys: readonly string[] = COST_ALLOCATION_TAG_KEYS,
): Promise<CostAllocationTagReport> {
  const status = await admin.statusOf(keys);
  const alreadyActive = keys.filter((k) => status[k] === 'active');
  const unseen = keys.filter((k) => status[k] === undefined || status[k] === 'unseen');
  const inactive = keys.filter((k) => status[k] === 'inactive');
  const refused = inactive.length > 0 ? await admin.activate(inactive) : [];
  const refusedKeys = new Set(refused.map((r) => r.key));
  return {
    alreadyActive,
    activated: inactive.filter((k) => !refusedKeys.has(k)),
    pending: [
      ...unseen.map((key) => ({
        key,
        reason: 'not seen on any resource by AWS Billing yet (keys appear up to 24 h after tagging)',
      })),
      ...refused,
    ],
  };
}
