import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface WebhookEndpointProps {
  /** The webhook Lambda (payload format 2.0). */
  readonly handler: lambda.IFunction;
  /** Steady-state requests per second the stage accepts; more get 429. @default 10 */
  readonly rateLimit?: number;
  /** Burst above the rate. @default 2 x rateLimit */
  readonly burstLimit?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
}

/** The route Git providers post push events to. */
export const WEBHOOK_ROUTE = '/webhook';

/**
 * Where GitHub sends pushes: an HTTP API with one `POST /webhook` route to the webhook Lambda, stage
 * throttling (a flood of deliveries cannot start a flood of executions) and access logs.
 */
export class WebhookEndpoint extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WebhookEndpointProps) {
    super(scope, id);
    const rateLimit = props.rateLimit ?? 10;
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Vouch: Git push webhooks',
      createDefaultStage: false,
    });
    const route = new apigw.HttpRoute(this, 'PushRoute', {
      httpApi: this.api,
      routeKey: apigw.HttpRouteKey.with(WEBHOOK_ROUTE, apigw.HttpMethod.POST),
      integration: new HttpLambdaIntegration('Push', props.handler),
    });
    Validations.of(route).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'GitHub cannot sign requests with SigV4 or send a JWT; every delivery is authenticated by the webhook Lambda with the HMAC-SHA256 X-Hub-Signature-256 over the body (webhook secret in Secrets Manager) before anything runs.',
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit: props.burstLimit ?? 2 * rateLimit },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(this.accessLogs) },
    });
  }

  /** The URL to configure as the repository's webhook. */
  get url(): string {
    return `${this.stage.url.replace(/\/$/, '')}${WEBHOOK_ROUTE}`;
  }
}
