/**
 * The scheduled sweeper's ports on AWS (lambdas/core/sweeper/sweep.ts), one inventory of everything
 * runs leave: EC2 services' test environments, AMIs and bakes' builder instances (ec2Sweep.ts),
 * Lambda services' test aliases and function versions (lambdaSweep.ts), canaries left in lasting
 * environments (canarySweep.ts), and bot schedules and alarms whose test environment is gone
 * (botScheduleSweep.ts, alarmSweep.ts). Which runs are running comes from the build table and Step
 * Functions (ec2Sweep.ts runningRuns); what they baked is kept: their AMIs by version tag, and every
 * function version of their service published since the oldest of them was allocated (versions carry
 * no tags); so are the builders of the commits they release.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { SweepError } from '../../../core/sweeper/errors.ts';
import type { SweepableResource, SweepPorts } from '../../../core/sweeper/sweep.ts';
import { environmentId } from '../../../core/target/naming.ts';
import { type AlarmSweepDeps, orphanedRunAlarms } from './alarmSweep.ts';
import { type BotScheduleSweepDeps, orphanedBotSchedules } from './botScheduleSweep.ts';
import { type CanarySweepDeps, lastingCanaries } from './canarySweep.ts';
import { type Ec2SweepDeps, ec2SweepResources, type RunningRunsDeps, runningRuns } from './ec2Sweep.ts';
import {
  type LambdaSweepService,
  lambdaSweepInventory,
  lambdaSweepRemover,
  versionsPublishedSince,
} from './lambdaSweep.ts';

export interface AwsSweepPortsDeps extends Ec2SweepDeps, RunningRunsDeps {
  /** The Lambda services' functions; none without a Lambda service. */
  readonly lambda?: { readonly client: LambdaClient; readonly services: readonly LambdaSweepService[] };
  readonly canaries: Omit<CanarySweepDeps, 'services'>;
  /** The per-run bot schedules' client and group. */
  readonly botSchedules: Omit<BotScheduleSweepDeps, 'services'>;
  /** The per-run alarms' client. */
  readonly runAlarms: Omit<AlarmSweepDeps, 'services'>;
  /**
   * What the destroy task removes before a run's test environment itself: its bot schedules and
   * alarms (a Lambda test alias's, by its environment id).
   */
  readonly stopRunExtras: (environmentId: string) => Promise<void>;
  readonly record: SweepPorts['record'];
  readonly now?: () => Date;
}

export function awsSweepPorts(deps: AwsSweepPortsDeps): SweepPorts {
  const ec2 = ec2SweepResources(deps);
  const canaries = lastingCanaries({ ...deps.canaries, services: deps.services });
  const schedules = orphanedBotSchedules({ ...deps.botSchedules, services: deps.services });
  const alarms = orphanedRunAlarms({ ...deps.runAlarms, services: deps.services });
  const lambdaInventory = deps.lambda
    ? lambdaSweepInventory(deps.lambda.client, deps.lambda.services)
    : async () => [];
  const removeFromLambda = deps.lambda ? lambdaSweepRemover(deps.lambda.client) : undefined;
  let inventoried: readonly SweepableResource[] = [];
  return {
    async inventory() {
      const environments = [...(await ec2.inventory()), ...(await lambdaInventory())];
      // A test environment's or alias's own bot schedules and alarms go with it or stay with it.
      const present = new Set(
        environments.flatMap((r) =>
          (r.kind === 'environment' || r.kind === 'alias') && r.environment && r.runKey
            ? [environmentId(r.service, r.environment, r.runKey)]
            : [],
        ),
      );
      inventoried = [
        ...environments,
        ...(await canaries.inventory()),
        ...(await schedules.inventory(present)),
        ...(await alarms.inventory(present)),
      ];
      return [...inventoried];
    },
    async running() {
      const { runKeys, versions, commits, since } = await runningRuns(deps);
      return {
        runKeys,
        bakedImages: new Set([...ec2.imagesOf(versions), ...versionsPublishedSince(inventoried, since)]),
        commits,
      };
    },
    async remove(resource) {
      switch (resource.kind) {
        case 'canary':
          return canaries.remove(resource);
        case 'schedule':
          return schedules.remove(resource);
        case 'alarm':
          return alarms.remove(resource);
        case 'alias':
        case 'functionVersion': {
          if (removeFromLambda === undefined)
            throw new SweepError(`no Lambda service is configured to remove ${resource.kind} ${resource.id}`);
          if (resource.kind === 'alias') {
            if (resource.environment === undefined || resource.runKey === undefined)
              throw new SweepError(`test alias ${resource.id} names no environment and run`);
            await deps.stopRunExtras(environmentId(resource.service, resource.environment, resource.runKey));
          }
          return removeFromLambda(resource);
        }
        default:
          return ec2.remove(resource);
      }
    },
    record: deps.record,
    ...(deps.now ? { now: deps.now } : {}),
  };
}
