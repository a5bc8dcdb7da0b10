import { type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

export interface RecurringLambdaScheduleProps {
  /** The Lambda the schedule invokes with `{}`. */
  readonly handler: lambda.IFunction;
  readonly every: Duration;
  readonly scheduleGroupName: string;
  readonly scheduleName: string;
  /** What the schedule does, on the schedule. */
  readonly description: string;
  /** What the role is for, on the role. */
  readonly roleDescription: string;
}

/**
 * A platform Lambda invoked on a rate by EventBridge Scheduler (the reconciler, the sweeper): the
 * schedule in its own group (Scheduler tags groups, not schedules, so the group carries the cost tags),
 * with the role Scheduler assumes to invoke that Lambda only. A missed run is superseded by the next.
 */
export class RecurringLambdaSchedule extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: RecurringLambdaScheduleProps) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', { scheduleGroupName: props.scheduleGroupName });
    this.role = new iam.Role(this, 'Role', {
      description: props.roleDescription,
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
      scheduleName: props.scheduleName,
      description: props.description,
      schedule: scheduler.ScheduleExpression.rate(props.every),
      target: {
        // Bound by hand (as BotSchedules): the unqualified function ARN only, no `<function>:*` grant.
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
