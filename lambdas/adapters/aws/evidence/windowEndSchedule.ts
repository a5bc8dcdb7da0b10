/** The window's end on AWS: a one-time EventBridge Scheduler schedule that invokes the windowEnd Lambda. */
import { createHash } from 'node:crypto';
import {
  ActionAfterCompletion,
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  FlexibleTimeWindowMode,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { WindowEndScheduler } from '../../../core/evidence/window.ts';
import type { OpenWindow } from '../../../core/evidence/windowStore.ts';

export interface WindowEndScheduleConfig {
  /** ARN of the windowEnd Lambda. */
  readonly targetArn: string;
  /** Role EventBridge Scheduler assumes to invoke it. */
  readonly roleArn: string;
  /** @default 'default' */
  readonly groupName?: string;
}

/** Creates the window-end schedules (verify task). */
export function windowEndSchedules(
  client: SchedulerClient,
  config: WindowEndScheduleConfig,
): Required<WindowEndScheduler> {
  const groupName = config.groupName ?? 'default';
  return {
    async scheduleWindowEnd(window) {
      // One-time schedules take `at(yyyy-mm-ddThh:mm:ss)` in UTC by default (EventBridge Scheduler schedule types).
      const at = new Date(window.endsAt).toISOString().slice(0, 19);
      try {
        await client.send(
          new CreateScheduleCommand({
            Name: scheduleName(window),
            GroupName: groupName,
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
      } catch (error) {
        // The name is the token's: a retried verify invocation (same token) finds its own schedule.
        if (!(error instanceof ConflictException)) throw error;
      }
    },
    cancelWindowEnd: windowEndCanceller(client, groupName).cancelWindowEnd,
  };
}

/** Deletes a window's pending end schedule (the window resumers, when an alarm closed it early). */
export function windowEndCanceller(
  client: SchedulerClient,
  groupName: string,
): Required<Pick<WindowEndScheduler, 'cancelWindowEnd'>> {
  return {
    async cancelWindowEnd(window) {
      try {
        await client.send(new DeleteScheduleCommand({ Name: scheduleName(window), GroupName: groupName }));
      } catch (error) {
        // Already ran (and deleted itself) or never created: nothing pending.
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    },
  };
}

/**
 * Schedule names (1-64 of [0-9a-zA-Z-_.]): one per window, so every canary step, extension and pause of a
 * run gets its own. The window is identified by its task token (a new one for each Task state entered),
 * hashed to 16 hex characters; service and environment are kept for whoever reads the schedule list.
 */
export function scheduleName(window: Pick<OpenWindow, 'service' | 'environment' | 'token'>): string {
  const id = createHash('sha256').update(window.token).digest('hex').slice(0, 16);
  const readable = `vw-${window.service}-${window.environment}`.replace(/[^0-9A-Za-z_.-]/g, '-');
  return `${readable.slice(0, 64 - id.length - 1)}-${id}`;
}
