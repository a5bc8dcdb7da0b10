import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { RecurringLambdaSchedule } from './RecurringLambdaSchedule.ts';

export interface SweepScheduleProps {
  /** The sweeper Lambda (lambdas/handlers/sweeper.ts). */
  readonly handler: lambda.IFunction;
  /**
   * How often leftovers of ended runs and images beyond the newest N are removed (the platform
   * config's `platform.sweeper.everyMinutes`).
   * @default Duration.minutes(60)
   */
  readonly every?: Duration;
  /** @default vouch-sweeper */
  readonly scheduleGroupName?: string;
}

/** The sweeper's recurring EventBridge Scheduler schedule (issue 18: "a scheduled Lambda on AWS"). */
export class SweepSchedule extends RecurringLambdaSchedule {
  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id, {
      handler: props.handler,
      every: props.every ?? Duration.minutes(60),
      scheduleGroupName: props.scheduleGroupName ?? 'vouch-sweeper',
      scheduleName: 'sweep',
      description: 'Vouch: removes what ended runs left and images beyond the newest N per service',
      roleDescription: 'Assumed by EventBridge Scheduler to invoke the Vouch sweeper',
    });
  }
}
