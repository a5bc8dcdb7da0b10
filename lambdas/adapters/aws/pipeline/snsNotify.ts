/** The notify port on AWS: one SNS message per notification; the notifier Lambda (SNS -> Slack) consumes the topic. */
import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { parseNotification } from '../../../core/notify/notification.ts';
import type { NotifyPort } from '../../../core/pipeline/tasks.ts';
import { NotificationTooLargeError } from './errors.ts';

/** SNS Publish: "Messages can be up to 256 KB (262,144 bytes)", message attributes included. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** SNS Subject: ASCII, no line breaks, fewer than 100 characters. */
const SUBJECT_MAX = 99;

export interface SnsNotifyOptions {
  readonly topicArn: string;
}

function attribute(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

function bytesOf(message: string, attributes: Record<string, MessageAttributeValue>): number {
  let bytes = Buffer.byteLength(message);
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes += Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

export function snsNotify(sns: SNSClient, options: SnsNotifyOptions): NotifyPort {
  return {
    async send(input) {
      // Validated here, so a bad notification fails the task that made it, not the notifier later.
      const notification = parseNotification(input);
      const message = JSON.stringify(notification);
      // Attributes let a subscription filter by team or event (SNS subscription filter policies).
      const attributes = {
        service: attribute(notification.service),
        team: attribute(notification.team),
        event: attribute(notification.event),
        environment: attribute(notification.environment),
      };
      const bytes = bytesOf(message, attributes);
      if (bytes > SNS_MAX_MESSAGE_BYTES)
        throw new NotificationTooLargeError(notification.id, bytes, SNS_MAX_MESSAGE_BYTES);
      const subject =
        `${notification.event} ${notification.service} v${notification.version} ${notification.environment}`
          .replace(/[^\x20-\x7e]/g, '?')
          .slice(0, SUBJECT_MAX);
      await sns.send(
        new PublishCommand({
          TopicArn: options.topicArn,
          Message: message,
          Subject: subject,
          MessageAttributes: attributes,
        }),
      );
    },
  };
}
