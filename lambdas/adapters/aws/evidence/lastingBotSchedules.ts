/**
 * The bots of a lasting environment on AWS: the service stack creates its schedules disabled
 * (lib/service/BotSchedules.ts), and a deploy there switches them on. Before the first release nothing
 * runs there, so bots would only fail and leave the error-rate alarm in ALARM when the first window
 * opens; the local platform likewise starts an environment's bots at its first deploy. Which schedules
 * are the environment's is `plannedBots` (core), the plan the stack created them from.
 */
import {
  FlexibleTimeWindowMode,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  ResourceNotFoundException,
  type SchedulerClient,
  ScheduleState,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import {
  lastingBotScheduleGroup,
  lastingBotScheduleName,
  plannedBots,
} from '../../../core/evidence/botSchedulePlan.ts';
import type { LastingBotsPort } from '../../../core/pipeline/tasks.ts';
import { AwsEnvironmentError } from '../errors.ts';

export function lastingBotSchedules(client: SchedulerClient): LastingBotsPort {
  return {
    async enable(environment, scenarios) {
      const group = lastingBotScheduleGroup(environment.service);
      const bots = plannedBots(
        { service: environment.service, environment: environment.name, baseUrl: environment.proxyUrl },
        scenarios,
      );
      const enabled: string[] = [];
      for (const { scenario } of bots) {
        const name = lastingBotScheduleName(environment.name, scenario.name);
        let schedule: GetScheduleCommandOutput;
        try {
          schedule = await client.send(new GetScheduleCommand({ Name: name, GroupName: group }));
        } catch (error) {
          // A scenario the service stack has not been deployed with yet: it has no schedule to switch on.
          if (error instanceof ResourceNotFoundException) continue;
          throw error;
        }
        if (schedule.State === ScheduleState.ENABLED) continue;
        if (schedule.ScheduleExpression === undefined || schedule.Target === undefined) {
          throw new AwsEnvironmentError(`bot schedule ${group}/${name} has no expression or target`);
        }
        // UpdateSchedule replaces the whole schedule (Scheduler API reference): all it had, now ENABLED.
        await client.send(
          new UpdateScheduleCommand({
            Name: name,
            GroupName: group,
            ScheduleExpression: schedule.ScheduleExpression,
            ScheduleExpressionTimezone: schedule.ScheduleExpressionTimezone,
            StartDate: schedule.StartDate,
            EndDate: schedule.EndDate,
            Description: schedule.Description,
            KmsKeyArn: schedule.KmsKeyArn,
            ActionAfterCompletion: schedule.ActionAfterCompletion,
            FlexibleTimeWindow: schedule.FlexibleTimeWindow ?? { Mode: FlexibleTimeWindowMode.OFF },
            Target: schedule.Target,
            State: ScheduleState.ENABLED,
          }),
        );
        enabled.push(scenario.name);
      }
      return enabled;
    },
  };
}
