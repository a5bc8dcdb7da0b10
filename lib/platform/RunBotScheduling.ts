import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

export interface RunBotSchedulingProps {
  /** The bot Lambda the per-run schedules invoke. */
  readonly botFunction: lambda.IFunction;
  /** @default vouch-run-bots */
  readonly scheduleGroupName?: string;
}

/**
 * What the deploy task needs to give a run's ephemeral (test) environment its bots: a schedule group for
 * the per-run schedules it creates (destroy deletes them; Scheduler tags groups, not schedules, so the
 * group carries the cost tags) and the role EventBridge Scheduler assumes to invoke the bot Lambda.
 */
export class RunBotScheduling extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  readonly scheduleGroupName: string;

  constructor(scope: Construct, id: string, props: RunBotSchedulingProps) {
    super(scope, id);
    this.scheduleGroupName = props.scheduleGroupName ?? 'vouch-run-bots';
    this.group = new scheduler.ScheduleGroup(this, 'Group', { scheduleGroupName: this.scheduleGroupName });
    this.role = new iam.Role(this, 'Role', {
      description: "Assumed by EventBridge Scheduler to run the bots of a run's test environment",
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        // Confused-deputy guard: only schedules of this account may use the role.
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.botFunction.functionArn],
      }),
    );
  }
}
