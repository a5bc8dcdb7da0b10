/**
 * The bots of an ephemeral environment on AWS: one EventBridge Scheduler schedule per scenario, created
 * when the run first deploys there and deleted when the run destroys it. Which scenarios run and what
 * each invocation carries is `plannedBots` (core), the same decision as the local scheduler and the
 * service stacks' schedules of lasting environments.
 */
import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  FlexibleTimeWindowMode,
  paginateListSchedules,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { plannedBots } from '../../../core/evidence/botSchedulePlan.ts';
import type { EnvironmentBotsPort } from '../../../core/pipeline/tasks.ts';
import { evidenceKeyOfEnvironment } from '../../../core/target/naming.ts';
import { AwsEnvironmentError } from '../errors.ts';

export interface RunBotScheduleConfig {
  /** The schedule group of per-run bot schedules (the platform stack's, tagged). */
  readonly groupName: string;
  /** The bot Lambda and the role Scheduler assumes to invoke it; both needed to create schedules. */
  readonly botFunctionArn?: string;
  readonly roleArn?: string;
}

/** How every per-run bot schedule's name begins (the sweeper lists them by it). */
export const RUN_BOT_SCHEDULE_NAME_PREFIX = 'vb-';

/** `vb-<16 hex of the environment id>-`: every schedule of one ephemeral environment, and only those. */
export function runBotSchedulePrefix(environmentId: string): string {
  return `${RUN_BOT_SCHEDULE_NAME_PREFIX}${createHash('sha256').update(environmentId).digest('hex').slice(0, 16)}-`;
}

export function runBotSchedules(client: SchedulerClient, config: RunBotScheduleConfig): EnvironmentBotsPort {
  return {
    async start(environment, scenarios) {
      if (!config.botFunctionArn || !config.roleArn)
        throw new AwsEnvironmentError('runBotSchedules.start needs botFunctionArn and roleArn');
      const bots = plannedBots(
        {
          service: environment.service,
          environment: environment.name,
          baseUrl: environment.proxyUrl,
          // The run's own key, where its verification window and alarms look (as the local platform files them).
          evidenceEnvironment: evidenceKeyOfEnvironment(environment),
        },
        scenarios,
      );
      for (const bot of bots) {
        try {
          await client.send(
            new CreateScheduleCommand({
              Name: `${runBotSchedulePrefix(environment.id)}${bot.scenario.name}`.slice(0, 64),
              GroupName: config.groupName,
              Description: `Vouch bot ${bot.scenario.name} against ${environment.id} (deleted by its run's destroy)`,
              ScheduleExpression: `rate(${bot.everyMinutes} minute${bot.everyMinutes === 1 ? '' : 's'})`,
              FlexibleTimeWindow: { Mode: FlexibleTimeWindowMode.OFF },
              Target: {
                Arn: config.botFunctionArn,
                RoleArn: config.roleArn,
                Input: JSON.stringify(bot.input),
                // A missed run is superseded by the next one: no retries piling up.
                RetryPolicy: { MaximumRetryAttempts: 0 },
              },
            }),
          );
        } catch (error) {
          // A retried deploy finds the schedules it created.
          if (!(error instanceof ConflictException)) throw error;
        }
      }
      return bots.map((b) => b.scenario.name);
    },

    async stop(environmentId) {
      const prefix = runBotSchedulePrefix(environmentId);
      const names: string[] = [];
      for await (const page of paginateListSchedules(
        { client },
        { GroupName: config.groupName, NamePrefix: prefix },
      )) {
        for (const s of page.Schedules ?? []) if (s.Name) names.push(s.Name);
      }
      for (const name of names) {
        try {
          await client.send(new DeleteScheduleCommand({ Name: name, GroupName: config.groupName }));
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
        }
      }
      return names;
    },
  };
}
