/** The window's end on AWS: a one-time EventBridge Scheduler schedule that invokes the windowEnd Lambda. */
import {
  ActionAfterCompletion,
  CreateScheduleCommand,
  FlexibleTimeWindowMode,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { WindowEndScheduler } from '../../../core/evidence/window.ts';

export interface WindowEndScheduleConfig {
  /** ARN of the windowEnd Lambda. */
  readonly targetArn: string;
  /** Role EventBridge Scheduler assumes to invoke it. */
  readonly roleArn: string;
  /** @default 'default' */
  readonly groupName?: string;
}

export function windowEndSchedules(
  client: SchedulerClient,
  config: WindowEndScheduleConfig,
): WindowEndScheduler {
  return {
    async scheduleWindowEnd(window) {
      // One-time schedules take `at(yyyy-mm-ddThh:mm:ss)` in UTC by default (EventBridge Scheduler schedule types).
      const at = new Date(window.endsAt).toISOString().slice(0, 19);
      await client.send(
        new CreateScheduleCommand({
          Name: scheduleName(window.service, window.environment, window.execution),
          GroupName: config.groupName ?? 'default',
          ScheduleExpression: `at(${at})`,
          FlexibleTimeWindow: { Mode: FlexibleTimeWindowMode.OFF },
          // The schedule deletes itself after it ran: no clean-up job.
          ActionAfterCompletion: ActionAfterCompletion.DELETE,
          Target: {
            Arn: config.targetArn,
            RoleArn: config.roleArn,
            Input: JSON.stringify({
              service: window.service,
              environment: window.environment,
              token: window.token,
            }),
          },
        }),
      );
    },
  };
}

/** Schedule names: 1-64 of [0-9a-zA-Z-_.]. */
export function scheduleName(service: string, environment: string, execution: string): string {
  return `vw-${service}-${environment}-${execution}`.replace(/[^0-9A-Za-z_.-]/g, '-').slice(0, 64);
}
