/**
 * The sweeper's ports on one machine (lambdas/core/sweeper/sweep.ts): the local target's live test
 * environments (owned by the run in their id, `<service>.<name>.<runKey>`) and the image folders it
 * stores (kept for rollback like AMIs). The platform runs it periodically with its engine's running
 * executions; the same decisions as the scheduled Lambda on AWS.
 */

import { SweepError } from '../../core/sweeper/errors.ts';
import {
  NO_LOCK_HOLDER,
  type SweepableResource,
  type SweepPorts,
  type SweepReport,
} from '../../core/sweeper/sweep.ts';
import { runKeyOf } from '../../core/target/naming.ts';
import type { LocalDeployTarget } from './target/LocalDeployTarget.ts';

export interface LocalSweepOptions {
  readonly target: LocalDeployTarget;
  /** Executions the engine runs now. */
  readonly runningExecutions: () => Promise<readonly string[]> | readonly string[];
  /** Image ids the running executions baked (kept even when older than the newest N). @default none */
  readonly bakedByRunning?: () => ReadonlySet<string>;
  /**
   * How a test environment is destroyed: the platform stops its bots and alarms first.
   * @default the target's destroy
   */
  readonly destroyEnvironment?: (id: string) => Promise<void>;
  /**
   * The execution holding a lasting environment's deploy lock (the build data's lock), which owns a
   * canary there. @default none: canaries of lasting environments are not swept
   */
  readonly lockHolder?: (service: string, environment: string) => Promise<string | undefined>;
  /** Where the report goes (the build data's events; the platform's log). */
  readonly record: (report: SweepReport) => Promise<void>;
  readonly now?: () => Date;
}

export function localSweepPorts(options: LocalSweepOptions): SweepPorts {
  const { target } = options;
  return {
    async inventory() {
      const found: SweepableResource[] = [];
      const lastingImages = new Set<string>();
      for (const environment of target.list()) {
        const description = await target.describe(environment);
        const images = [description.baseline?.image, description.canary?.image].filter(
          (i): i is string => i !== undefined,
        );
        const runKey = environment.id.split('.')[2];
        if (runKey === undefined) {
          for (const image of images) lastingImages.add(image);
          if (description.canary && options.lockHolder) {
            // A canary is deployed under the lock: a stopped run leaves it with the lock it held.
            const holder = await options.lockHolder(environment.service, environment.name);
            found.push({
              kind: 'canary',
              id: environment.id,
              service: environment.service,
              environment: environment.name,
              runKey: holder === undefined ? NO_LOCK_HOLDER : runKeyOf(holder),
              createdAt: description.canary.since,
              images: [description.canary.image],
            });
          }
          continue;
        }
        found.push({
          kind: 'environment',
          id: environment.id,
          service: environment.service,
          environment: environment.name,
          runKey,
          createdAt: environment.createdAt,
          images,
        });
      }
      for (const image of await target.images()) {
        found.push({
          kind: 'image',
          id: image.id,
          service: image.service,
          createdAt: image.createdAt,
          serving: lastingImages.has(image.id),
        });
      }
      return found;
    },
    async running() {
      const executions = await options.runningExecutions();
      return {
        runKeys: new Set(executions.map(runKeyOf)),
        ...(options.bakedByRunning ? { bakedImages: options.bakedByRunning() } : {}),
      };
    },
    async remove(resource) {
      if (resource.kind === 'environment')
        return options.destroyEnvironment
          ? options.destroyEnvironment(resource.id)
          : target.destroy({ id: resource.id });
      if (resource.kind === 'image') return target.removeImage(resource.id);
      // At once, as `vouch rollback` does: the canary gets no traffic and stops; the baseline serves.
      if (resource.kind === 'canary') {
        await target.rollback({ id: resource.id });
        return;
      }
      throw new SweepError(`the local sweeper does not remove ${resource.kind} ${resource.id}`);
    },
    record: options.record,
    ...(options.now ? { now: options.now } : {}),
  };
}
