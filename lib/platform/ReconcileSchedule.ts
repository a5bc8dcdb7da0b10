import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { RecurringLambdaSchedule } from './RecurringLambdaSchedule.ts';

export interface ReconcileScheduleProps {
  /** The reconciler Lambda (lambdas/handlers/reconciler.ts). */
  readonly handler: lambda.IFunction;
  /**
   * How often runs that ended without their cleanup are looked for. A dead run's lock lease expires on
   * its own within minutes; the reconciler also ends its record and destroys its test environment.
   * @default Duration.minutes(5)
   */
  readonly every?: Duration;
  /** @default vouch-reconciler */
  readonly scheduleGroupName?: string;
}

/**
 * The reconciler's recurring EventBridge Scheduler schedule (issue 12: "on AWS the same
 * reconciliation runs on a schedule").
 */
export class ReconcileSchedule extends RecurringLambdaSchedule {
  constructor(scope: Construct, id: string, props: ReconcileScheduleProps) {
    super(scope, id, {
      handler: props.handler,
      every: props.every ?? Duration.minutes(5),
      scheduleGroupName: props.scheduleGroupName ?? 'vouch-reconciler',
      scheduleName: 'reconcile',
      description:
        'Vouch: ends runs whose execution ended without their cleanup (ABORTED), frees what they held',
      roleDescription: 'Assumed by EventBridge Scheduler to invoke the Vouch reconciler',
    });
  }
}
