import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

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
 * reconciliation runs on a schedule"), in its own group (Scheduler tags groups, not schedules, so the
 * group carries the cost tags), with the role Scheduler assumes to invoke the reconciler only.
 */
export class ReconcileSchedule extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ReconcileScheduleProps) {
    super(scope, id);
    const every = props.every ?? Duration.minutes(5);
    this.group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: props.scheduleGroupName ?? 'vouch-reconciler',
    });
    this.role = new iam.Role(this, 'Role', {
      description: 'Assumed by EventBridge Scheduler to invoke the Vouch reconciler',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        // Confused-deputy guard: only schedules of this account may use the role.
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.handler.functionArn] }),
    );
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleGroup: this.group,
      scheduleName: 'reconcile',
      description:
        'Vouch: ends runs whose execution ended without their cleanup (ABORTED), frees what they held',
      schedule: scheduler.ScheduleExpression.rate(every),
      target: {
        // Bound by hand (as BotSchedules): the unqualified function ARN only, no `<function>:*` grant.
        bind: () => ({
          arn: props.handler.functionArn,
          role: this.role,
          input: scheduler.ScheduleTargetInput.fromObject({}),
          // A missed run is superseded by the next one.
          retryPolicy: { maximumRetryAttempts: 0 },
        }),
      },
    });
  }
}
