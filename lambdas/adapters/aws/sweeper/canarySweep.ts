/**
 * Canaries a stopped run left in a lasting environment (qa, prod), for the sweeper
 * (lambdas/core/sweeper/sweep.ts): a canary is deployed only under the environment's deploy lock and
 * leaves with its run's promote or rollback, so one found there belongs to the lock's holder. When
 * that run is not running (or nobody holds the lock), the canary is rolled back at once, as
 * `vouch rollback` does: on EC2 the canary target group's weight goes to 0 and its instances are
 * retired; on Lambda the alias's `AdditionalVersionWeights` are removed. The baseline keeps serving.
 */

import { NO_LOCK_HOLDER, type SweepableResource } from '../../../core/sweeper/sweep.ts';
import { EnvironmentNotFoundError } from '../../../core/target/errors.ts';
import { environmentId, runKeyOf } from '../../../core/target/naming.ts';
import type { DeployTarget } from '../../../core/target/port.ts';
import type { ReconcileRegistry } from '../reconcile/registry.ts';

export interface CanarySweepDeps {
  readonly services: ReconcileRegistry;
  /** The deploy target a service's environments are on; undefined when it has none (a `ci` flavour). */
  readonly targetOf: (service: string) => Pick<DeployTarget, 'describe' | 'rollback'> | undefined;
  /** The execution holding the environment's deploy lock (the build table's lock item). */
  readonly lockHolder: (service: string, environment: string) => Promise<string | undefined>;
}

/** Inventory and remover of lasting environments' canaries. */
export function lastingCanaries(deps: CanarySweepDeps): {
  inventory(): Promise<SweepableResource[]>;
  remove(resource: SweepableResource): Promise<void>;
} {
  return {
    async inventory() {
      const found: SweepableResource[] = [];
      for (const s of deps.services) {
        const target = deps.targetOf(s.service);
        if (target === undefined) continue;
        for (const e of s.environments.filter((env) => !env.ephemeral)) {
          const id = environmentId(s.service, e.name);
          let description: Awaited<ReturnType<DeployTarget['describe']>>;
          try {
            description = await target.describe({ id });
          } catch (error) {
            // Never deployed there (its routing or target groups are not there yet): no canary.
            if (error instanceof EnvironmentNotFoundError) continue;
            throw error;
          }
          // A canary slot, or traffic still weighted to one whose instances or record are gone.
          if (description.canary === undefined && description.weight === 0) continue;
          const holder = await deps.lockHolder(s.service, e.name);
          found.push({
            kind: 'canary',
            id,
            service: s.service,
            environment: e.name,
            runKey: holder === undefined ? NO_LOCK_HOLDER : runKeyOf(holder),
            createdAt: description.canary?.since ?? description.environment.createdAt,
            images: description.canary ? [description.canary.image] : [],
          });
        }
      }
      return found;
    },
    async remove(resource) {
      const target = deps.targetOf(resource.service);
      if (target === undefined) return;
      await target.rollback({ id: resource.id });
    },
  };
}
