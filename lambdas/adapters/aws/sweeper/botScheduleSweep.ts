/**
 * Per-run bot schedules whose test environment is gone, for the sweeper (lambdas/core/sweeper/sweep.ts).
 * A run's bot schedules (runBotSchedules.ts) are deleted before its environment, by the destroy task
 * and by the sweeper's own removal of an environment or test alias; a schedule can still outlive its
 * environment (a destroy that failed after the bots' schedules were listed, an environment removed by
 * hand), and then it fires at a target that is gone, every minute, forever.
 *
 * They are all in the platform's run-bots group, named `vb-<hash of the environment id>-<scenario>`.
 * Scheduler schedules carry no tags (only groups do), so the owner is read from the schedule's input,
 * the bot event (`service`, `environment` = the evidence key `<name>-<runKey>`, naming.ts), and
 * proved by the name: the environment id it gives must hash to the name's prefix. A schedule that
 * does not prove an ephemeral environment of a registered service is not the sweeper's. The lasting
 * environments' schedules are in each service stack's own group and are never listed here.
 */
import {
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  paginateListSchedules,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { z } from 'zod';
import { SweepError } from '../../../core/sweeper/errors.ts';
import type { SweepableResource } from '../../../core/sweeper/sweep.ts';
import { environmentId } from '../../../core/target/naming.ts';
import { RUN_BOT_SCHEDULE_NAME_PREFIX, runBotSchedulePrefix } from '../evidence/runBotSchedules.ts';
import type { ReconcileRegistry } from '../reconcile/registry.ts';

export interface BotScheduleSweepDeps {
  readonly scheduler: SchedulerClient;
  /** The per-run bot schedules' group (VOUCH_RUN_BOT_SCHEDULE_GROUP). */
  readonly groupName: string;
  readonly services: ReconcileRegistry;
}

/** What the sweeper needs of a bot event (BotRunEventSchema): whose it is. */
const BotOwnerSchema = z.looseObject({ service: z.string(), environment: z.string() });

/** The ephemeral environment a schedule's input names, if its name proves it; else undefined. */
function ownerOf(
  services: ReconcileRegistry,
  name: string,
  input: string | undefined,
): { service: string; environment: string; runKey: string } | undefined {
  let event: z.output<typeof BotOwnerSchema>;
  try {
    const parsed = BotOwnerSchema.safeParse(JSON.parse(input ?? ''));
    if (!parsed.success) return undefined;
    event = parsed.data;
  } catch {
    return undefined; // not JSON: not a bot event
  }
  const service = services.find((s) => s.service === event.service);
  for (const e of service?.environments.filter((env) => env.ephemeral) ?? []) {
    if (!event.environment.startsWith(`${e.name}-`)) continue;
    const runKey = event.environment.slice(e.name.length + 1);
    // Environment names may hold '-': only the split whose id hashes to the name's prefix is it.
    if (name.startsWith(runBotSchedulePrefix(environmentId(event.service, e.name, runKey))))
      return { service: event.service, environment: e.name, runKey };
  }
  return undefined;
}

/** Inventory and remover of bot schedules whose ephemeral environment is not there any more. */
export function orphanedBotSchedules(deps: BotScheduleSweepDeps): {
  /** `present`: ids of the environments (and test aliases' environments) the inventory found. */
  inventory(present: ReadonlySet<string>): Promise<SweepableResource[]>;
  remove(resource: SweepableResource): Promise<void>;
} {
  return {
    async inventory(present) {
      // A present environment's schedules go with it (its removal stops its bots first) or stay with it.
      const presentPrefixes = [...present].map(runBotSchedulePrefix);
      const found: SweepableResource[] = [];
      for await (const page of paginateListSchedules(
        { client: deps.scheduler },
        { GroupName: deps.groupName, NamePrefix: RUN_BOT_SCHEDULE_NAME_PREFIX },
      )) {
        for (const summary of page.Schedules ?? []) {
          const name = summary.Name;
          if (name === undefined || presentPrefixes.some((p) => name.startsWith(p))) continue;
          // ListSchedules gives no input: GetSchedule does (Scheduler API reference).
          let schedule: GetScheduleCommandOutput;
          try {
            schedule = await deps.scheduler.send(
              new GetScheduleCommand({ Name: name, GroupName: deps.groupName }),
            );
          } catch (error) {
            if (error instanceof ResourceNotFoundException) continue; // its run deleted it since
            throw error;
          }
          const owner = ownerOf(deps.services, name, schedule.Target?.Input);
          if (owner === undefined) continue;
          const created = summary.CreationDate ?? schedule.CreationDate;
          if (created === undefined)
            throw new SweepError(`bot schedule ${deps.groupName}/${name} has no CreationDate`);
          found.push({
            kind: 'schedule',
            id: name,
            service: owner.service,
            environment: owner.environment,
            runKey: owner.runKey,
            createdAt: created.toISOString(),
          });
        }
      }
      return found;
    },
    async remove(resource) {
      try {
        await deps.scheduler.send(
          new DeleteScheduleCommand({ Name: resource.id, GroupName: deps.groupName }),
        );
      } catch (error) {
        // Gone already is done.
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    },
  };
}
