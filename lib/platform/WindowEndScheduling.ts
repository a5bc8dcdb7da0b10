import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

export interface WindowEndSchedulingProps {
  /** The windowEnd Lambda the one-time schedules invoke. */
  readonly handler: lambda.IFunction;
  /** @default vouch-windows */
  readonly scheduleGroupName?: string;
}

/**
 * What the verify task needs to close its window on time without a polling loop: a schedule group for
 * the one-time `at(...)` schedules it creates, and the role EventBridge Scheduler assumes to invoke the
 * windowEnd Lambda (verify passes that role when it creates a schedule).
 */
export class WindowEndScheduling extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  readonly scheduleGroupName: string;

  constructor(scope: Construct, id: string, props: WindowEndSchedulingProps) {
    super(scope, id);
    this.scheduleGroupName = props.scheduleGroupName ?? 'vouch-windows';
    this.group = new scheduler.ScheduleGroup(this, 'Group', { scheduleGroupName: this.scheduleGroupName });
    this.role = new iam.Role(this, 'Role', {
      description: 'Assumed by EventBridge Scheduler to invoke the Vouch window-end Lambda',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        // Confused-deputy guard: only schedules of this account may use the role.
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.handler.functionArn] }),
    );
  }
}
