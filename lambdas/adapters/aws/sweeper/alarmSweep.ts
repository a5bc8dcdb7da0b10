/**
 * Per-run alarms whose test environment is gone, for the sweeper (lambdas/core/sweeper/sweep.ts).
 * A run's alarms (runAlarms.ts) are deleted with its environment, by the destroy task and by the
 * sweeper's own removal of an environment or test alias; they can still outlive it (a destroy that
 * failed after the target went, provision failing between PutMetricAlarm and the target, an
 * environment removed by hand), and then they stay in the account, each billed as an alarm, forever.
 *
 * Their names are `vouch.<service>.<environment>-<runKey>.<signal>`: listed here per ephemeral
 * environment of each registered service by that prefix (the destroy task's own grant, the run
 * alarms' ARNs, covers it), never a lasting environment's (`vouch.<service>.qa.…`, the service
 * stack's). An environment name may hold '-', so the name alone does not say which run an alarm is
 * of; its `vouch:environment-id` tag does (provision tags every one), and the name must agree with it.
 */
import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  ListTagsForResourceCommand,
  type MetricAlarm,
  paginateDescribeAlarms,
  ResourceNotFound,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch';
import { ALARM_NAME_PREFIX } from '../../../core/evidence/alarms.ts';
import { SweepError } from '../../../core/sweeper/errors.ts';
import type { SweepableResource } from '../../../core/sweeper/sweep.ts';
import { runAlarmPrefix } from '../evidence/runAlarms.ts';
import type { ReconcileRegistry } from '../reconcile/registry.ts';
import { TAG } from '../target/tags.ts';

export interface AlarmSweepDeps {
  readonly cloudWatch: CloudWatchClient;
  readonly services: ReconcileRegistry;
}

/** The ephemeral environment an alarm's tag names, if the alarm's name is of it; else undefined. */
function ownerOf(
  services: ReconcileRegistry,
  name: string,
  environmentIdTag: string | undefined,
): { service: string; environment: string; runKey: string } | undefined {
  const [service, environment, runKey, ...rest] = (environmentIdTag ?? '').split('.');
  if (!service || !environment || !runKey || rest.length > 0) return undefined; // untagged, or lasting
  const registered = services.find((s) => s.service === service);
  if (!registered?.environments.some((e) => e.ephemeral && e.name === environment)) return undefined;
  const id = `${service}.${environment}.${runKey}`;
  return name.startsWith(runAlarmPrefix(id)) ? { service, environment, runKey } : undefined;
}

/** Inventory and remover of per-run alarms whose ephemeral environment is not there any more. */
export function orphanedRunAlarms(deps: AlarmSweepDeps): {
  /** `present`: ids of the environments (and test aliases' environments) the inventory found. */
  inventory(present: ReadonlySet<string>): Promise<SweepableResource[]>;
  remove(resource: SweepableResource): Promise<void>;
} {
  return {
    async inventory(present) {
      // A present environment's alarms go with it (its removal deletes them) or stay with it.
      const presentPrefixes = [...present].map(runAlarmPrefix);
      // One environment name may begin another's (`test`, `test-eu`): an alarm is listed once.
      const listed = new Map<string, MetricAlarm>();
      const prefixes = deps.services.flatMap((s) =>
        s.environments.filter((e) => e.ephemeral).map((e) => `${ALARM_NAME_PREFIX}${s.service}.${e.name}-`),
      );
      for (const prefix of prefixes) {
        for await (const page of paginateDescribeAlarms(
          { client: deps.cloudWatch },
          { AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm'] },
        )) {
          for (const alarm of page.MetricAlarms ?? [])
            if (alarm.AlarmName !== undefined) listed.set(alarm.AlarmName, alarm);
        }
      }
      const found: SweepableResource[] = [];
      for (const [name, alarm] of listed) {
        if (presentPrefixes.some((p) => name.startsWith(p))) continue;
        if (alarm.AlarmArn === undefined) throw new SweepError(`alarm ${name} has no AlarmArn`);
        // DescribeAlarms gives no tags: ListTagsForResource does (CloudWatch API reference).
        let tags: { Key?: string; Value?: string }[];
        try {
          tags =
            (await deps.cloudWatch.send(new ListTagsForResourceCommand({ ResourceARN: alarm.AlarmArn })))
              .Tags ?? [];
        } catch (error) {
          if (error instanceof ResourceNotFoundException) continue; // its run deleted it since
          throw error;
        }
        const owner = ownerOf(deps.services, name, tags.find((t) => t.Key === TAG.environmentId)?.Value);
        if (owner === undefined) continue;
        // A run's alarm is put once, at provision: its configuration's last update is its creation.
        const created = alarm.AlarmConfigurationUpdatedTimestamp;
        if (created === undefined)
          throw new SweepError(`alarm ${name} has no AlarmConfigurationUpdatedTimestamp`);
        found.push({
          kind: 'alarm',
          id: name,
          service: owner.service,
          environment: owner.environment,
          runKey: owner.runKey,
          createdAt: created.toISOString(),
        });
      }
      return found;
    },
    async remove(resource) {
      try {
        await deps.cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: [resource.id] }));
      } catch (error) {
        // Gone already is done.
        if (!(error instanceof ResourceNotFound)) throw error;
      }
    },
  };
}
