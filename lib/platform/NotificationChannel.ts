import { Duration, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface NotificationChannelProps {
  /** How long an undelivered notification waits in the dead-letter queue. @default Duration.days(14) */
  readonly deadLetterRetention?: Duration;
}

/**
 * The notification path: an encrypted SNS topic (TLS only) that the notify task publishes to, and the
 * dead-letter queue that keeps what the Slack notifier could not deliver. `subscribe` attaches the notifier.
 */
export class NotificationChannel extends Construct {
  readonly topic: sns.Topic;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: NotificationChannelProps = {}) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Vouch notifications',
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      retentionPeriod: props.deadLetterRetention ?? Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the Slack notifier (Lambda async failures and SNS redrive); a dead-letter queue of a dead-letter queue would only move the same messages.',
    });
  }

  /** Delivers every notification to `notifier`; what fails after retries lands in the dead-letter queue. */
  subscribe(notifier: lambda.IFunction): void {
    this.topic.addSubscription(
      new subscriptions.LambdaSubscription(notifier, { deadLetterQueue: this.deadLetterQueue }),
    );
  }
}
