/**
 * SNS on the twin: the templates' topics, and Publish delivering to each `lambda` subscription of the
 * topic (AWS::SNS::Subscription) as SNS does: an asynchronous Lambda invocation (retried by Lambda)
 * with the SNS event, when the function's resource policy (AWS::Lambda::Permission) lets
 * `sns.amazonaws.com` invoke it from that topic. Publish itself is authorised on the topic's ARN.
 */
import { randomUUID } from 'node:crypto';
import { InvalidParameterException, NotFoundException } from '@aws-sdk/client-sns';
import { TwinTemplateError } from '../errors.ts';
import type { TwinLambdas } from '../lambdaRunner.ts';
import type { ServiceFake } from '../sdk.ts';
import type { DeployedTemplates } from '../template.ts';

export interface TwinTopic {
  readonly arn: string;
  /** Lambda subscriptions: function ARN and subscription ARN. */
  readonly subscriptions: { readonly endpoint: string; readonly arn: string }[];
}

export interface PublishedMessage {
  readonly topicArn: string;
  readonly messageId: string;
  readonly subject?: string;
  readonly message: string;
  /** Subscriptions it went to (function ARNs). */
  readonly deliveredTo: readonly string[];
}

/** "Messages can be up to 256 KB (262,144 bytes)" (SNS Publish API reference). */
const MAX_MESSAGE_BYTES = 262_144;

export class TwinSns {
  readonly topics = new Map<string, TwinTopic>();
  readonly published: PublishedMessage[] = [];

  constructor(
    templates: DeployedTemplates,
    private readonly lambdas: TwinLambdas,
  ) {
    for (const { stackName, logicalId } of templates.resourcesOfType('AWS::SNS::Topic')) {
      const arn = templates.ref(stackName, logicalId);
      this.topics.set(arn, { arn, subscriptions: [] });
    }
    const permissions = templates
      .resourcesOfType('AWS::Lambda::Permission')
      .map(
        ({ stackName, resource }) =>
          templates.resolve(stackName, resource.Properties) as Record<string, string>,
      );
    for (const { stackName, logicalId, resource } of templates.resourcesOfType('AWS::SNS::Subscription')) {
      const p = templates.resolve(stackName, resource.Properties) as {
        Protocol: string;
        TopicArn: string;
        Endpoint: string;
      };
      const topic = this.topics.get(p.TopicArn);
      if (!topic)
        throw new TwinTemplateError(`subscription ${logicalId} names an unknown topic ${p.TopicArn}`);
      if (p.Protocol !== 'lambda') {
        throw new TwinTemplateError(
          `subscription ${logicalId}: the twin delivers to lambda subscriptions only`,
        );
      }
      // SNS may invoke the function only if its resource policy allows sns.amazonaws.com from this topic.
      const allowed = permissions.some(
        (perm) =>
          perm.Action === 'lambda:InvokeFunction' &&
          perm.Principal === 'sns.amazonaws.com' &&
          perm.FunctionName === p.Endpoint &&
          (perm.SourceArn === undefined || perm.SourceArn === p.TopicArn),
      );
      if (!allowed) {
        throw new TwinTemplateError(
          `subscription ${logicalId}: no AWS::Lambda::Permission lets sns.amazonaws.com invoke ${p.Endpoint} from ${p.TopicArn}`,
        );
      }
      topic.subscriptions.push({ endpoint: p.Endpoint, arn: `${p.TopicArn}:${randomUUID()}` });
    }
  }

  /** Publish as SNS runs it: each Lambda subscription gets the SNS event, asynchronously. */
  publish(input: { TopicArn?: string; Message?: string; Subject?: string; MessageAttributes?: object }) {
    const topic = this.topics.get(String(input.TopicArn));
    if (!topic) {
      throw new NotFoundException({ message: 'Topic does not exist', $metadata: { httpStatusCode: 404 } });
    }
    const message = String(input.Message ?? '');
    if (message === '' || Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
      throw new InvalidParameterException({
        message: 'Invalid parameter: Message too long or empty',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const messageId = randomUUID();
    const attributes = Object.fromEntries(
      Object.entries(
        (input.MessageAttributes ?? {}) as Record<string, { DataType: string; StringValue?: string }>,
      ).map(([k, v]) => [k, { Type: v.DataType, Value: v.StringValue }]),
    );
    for (const s of topic.subscriptions) {
      this.lambdas.invokeAsync(s.endpoint, {
        Records: [
          {
            EventSource: 'aws:sns',
            EventVersion: '1.0',
            EventSubscriptionArn: s.arn,
            Sns: {
              Type: 'Notification',
              MessageId: messageId,
              TopicArn: topic.arn,
              Subject: input.Subject ?? null,
              Message: message,
              Timestamp: new Date().toISOString(),
              SignatureVersion: '1',
              MessageAttributes: attributes,
            },
          },
        ],
      });
    }
    this.published.push({
      topicArn: topic.arn,
      messageId,
      message,
      ...(input.Subject ? { subject: input.Subject } : {}),
      deliveredTo: topic.subscriptions.map((s) => s.endpoint),
    });
    return { MessageId: messageId };
  }

  fake(): ServiceFake {
    return {
      authorization: (command, input) => [{ action: `sns:${command}`, resource: String(input.TopicArn) }],
      handle: async (command, input) => {
        if (command !== 'Publish') throw new TwinTemplateError(`the twin SNS fake does not model ${command}`);
        return this.publish(input);
      },
    };
  }
}
