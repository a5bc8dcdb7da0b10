import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

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

/**
 * The sweeper's recurring EventBridge Scheduler schedule (issue 18: "a scheduled Lambda on AWS"), in
 * its own group (Scheduler tags groups, not schedules, so the group carries the cost tags), with a
 * role Scheduler assumes to invoke the sweeper and nothing else. Built as ReconcileSchedule is.
 */
export class SweepSchedule extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: props.scheduleGroupName ?? 'vouch-sweeper',
    });
    this.role = new iam.Role(this, 'Role', {
      description: 'Assumed by EventBridge Scheduler to invoke the Vouch sweeper',
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
      scheduleName: 'sweep',
      description: 'Vouch: removes what ended runs left and images beyond the newest N per service',
      schedule: scheduler.ScheduleExpression.rate(props.every ?? Duration.minutes(60)),
      target: {
        // The unqualified function ARN only, no `<function>:*` grant; a missed sweep waits for the next.
        bind: () => ({
          arn: props.handler.functionArn,
          role: this.role,
          input: scheduler.ScheduleTargetInput.fromObject({}),
          retryPolicy: { maximumRetryAttempts: 0 },
        }),
      },
    });
  }
}
