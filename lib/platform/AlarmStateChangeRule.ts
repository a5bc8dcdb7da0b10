import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface AlarmStateChangeRuleProps {
  /** The alarmEvent Lambda. */
  readonly handler: lambda.IFunction;
  /** Names of the alarms to forward start with this. */
  readonly alarmNamePrefix: string;
  /** Delivery attempts before the event is dropped. @default 3 */
  readonly retryAttempts?: number;
}

/**
 * Fails an open verification window the moment one of Vouch's alarms changes state: the EventBridge
 * rule for "CloudWatch Alarm State Change" of alarms named with Vouch's prefix, to the alarmEvent Lambda.
 */
export class AlarmStateChangeRule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: AlarmStateChangeRuleProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: `Vouch: state changes of alarms named ${props.alarmNamePrefix}*`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: props.alarmNamePrefix }] },
      },
      targets: [new targets.LambdaFunction(props.handler, { retryAttempts: props.retryAttempts ?? 3 })],
    });
  }
}
