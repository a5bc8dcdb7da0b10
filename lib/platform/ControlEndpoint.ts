import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { PermissionGrant } from './taskPermissions.ts';

/**
 * What the control Lambda may call, and only that (lambdas/core/control/control.ts):
 * the run's builds and events (Query), the window and the build (GetItem), closing the window
 * (UpdateItem), the CONTROL event (PutItem); a promote reads the window's evidence like the window-end
 * Lambda and deletes the window's pending end schedule; abort and rollback fail the run's task token;
 * an abort between windows stops the run's execution. It never touches traffic: the run rolls back.
 */
export const CONTROL_PERMISSIONS: readonly PermissionGrant[] = [
  {
    actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    scope: 'buildTable',
  },
  { actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], scope: 'vouchAlarms' },
  {
    actions: ['cloudwatch:GetMetricData'],
    scope: 'unscoped',
    why: 'cloudwatch:GetMetricData supports no resource-level permissions',
  },
  // SendTask* have no resource type: IAM evaluates them against `*`, so a grant on the state machines
  // never matched (the twin's policy simulator: AccessDenied on resource *). The token names the task.
  {
    actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
    scope: 'unscoped',
    why: 'SendTask* support no resource-level permissions: the task token names the task',
  },
  // A window closed early has its pending end schedule deleted (windowEndSchedule.ts).
  { actions: ['scheduler:DeleteSchedule'], scope: 'windowSchedules' },
  // An abort between windows: is the run's execution still running, then stop it.
  { actions: ['states:DescribeExecution', 'states:StopExecution'], scope: 'stateMachineExecutions' },
];

export interface ControlEndpointProps {
  /** The control Lambda (lambdas/handlers/control.ts). */
  readonly handler: lambda.IFunction;
  /**
   * Name of the managed policy that lets people use the endpoint (attach it to the operators' roles).
   * @default CloudFormation generates one
   */
  readonly operatorPolicyName?: string;
}

/**
 * People's promote / abort / rollback on the deployed platform: the control Lambda behind a Function
 * URL with AWS_IAM auth, so Lambda verifies each caller's SigV4 signature and permission before the
 * code runs and hands it the caller's ARN (recorded with the action). Who may act is decided in IAM:
 * `operatorPolicy` grants exactly lambda:InvokeFunctionUrl on this function; anyone else gets 403.
 */
export class ControlEndpoint extends Construct {
  readonly url: lambda.FunctionUrl;
  readonly operatorPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ControlEndpointProps) {
    super(scope, id);
    this.url = new lambda.FunctionUrl(this, 'Url', {
      function: props.handler,
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
    });
    this.operatorPolicy = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      ...(props.operatorPolicyName ? { managedPolicyName: props.operatorPolicyName } : {}),
      description:
        'Vouch operators: promote, abort and roll back releases (vouch ... --aws, vouch dashboard --aws)',
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunctionUrl'],
          resources: [props.handler.functionArn],
          conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        }),
      ],
    });
  }
}
