/**
 * The deployed platform from a person's machine (`--aws [--stack Vouch]`), with the user's AWS
 * credentials from the usual chain: the build table read directly (each read one Query or GetItem),
 * promote / abort / rollback through the control Lambda's AWS_IAM Function URL, signed with SigV4.
 * The stack's outputs come from `npx cdk deploy --outputs-file cdk-outputs.json` (or VOUCH_BUILD_TABLE
 * and VOUCH_CONTROL_URL).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../aws/sigv4.ts';
import { BuildRepository } from '../dynamo/buildRepository.ts';
import { DynamoWindowStore } from '../dynamo/windowStore.ts';
import { AwsStackNotFoundError, ControlRefusedError, ControlUnavailableError } from './errors.ts';
import type { ControlPath, DashboardSource } from './source.ts';
import { tableReads } from './source.ts';

export interface AwsStack {
  readonly stack: string;
  readonly tableName: string;
  readonly controlUrl: string;
  readonly region: string;
}

/** `https://<id>.lambda-url.<region>.on.aws/` names its region. */
export function regionOfFunctionUrl(url: string): string | undefined {
  return /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(new URL(url).host)?.[1];
}

export function resolveAwsStack(options: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stack?: string | undefined;
  outputs?: string | undefined;
}): AwsStack {
  const stack = options.stack ?? 'Vouch';
  const file = join(options.cwd, options.outputs ?? 'cdk-outputs.json');
  let outputs: Record<string, string> = {};
  if (existsSync(file)) {
    const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
    outputs = all[stack] ?? {};
  }
  const tableName = options.env.VOUCH_BUILD_TABLE ?? outputs.BuildTableName;
  const controlUrl = options.env.VOUCH_CONTROL_URL ?? outputs.ControlUrl;
  if (!tableName || !controlUrl) {
    throw new AwsStackNotFoundError(
      `no outputs of stack ${stack}: deploy with \`npx cdk deploy --outputs-file cdk-outputs.json\` and run ` +
        `this where that file is (or --outputs FILE), or set VOUCH_BUILD_TABLE and VOUCH_CONTROL_URL`,
    );
  }
  const region = options.env.AWS_REGION ?? regionOfFunctionUrl(controlUrl) ?? options.env.AWS_DEFAULT_REGION;
  if (!region) throw new AwsStackNotFoundError(`cannot tell the region of ${controlUrl}: set AWS_REGION`);
  return { stack, tableName, controlUrl, region };
}

export interface AwsControlOptions {
  readonly controlUrl: string;
  readonly region: string;
  readonly credentials: () => Promise<AwsCredentialIdentity>;
  readonly fetch?: typeof fetch;
}

/** The control Lambda through its Function URL, each request signed with the caller's credentials. */
export function awsControl(options: AwsControlOptions): ControlPath {
  const fetchImpl = options.fetch ?? fetch;
  const signer = new SignatureV4({
    service: 'lambda',
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
  });
  const url = new URL(options.controlUrl);
  const post = async (body: Record<string, string>) => {
    const text = JSON.stringify(body);
    let signed: { headers: Record<string, string> };
    try {
      signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        path: url.pathname,
        query: {},
        headers: { host: url.host, 'content-type': 'application/json' },
        body: text,
      });
    } catch (error) {
      throw new ControlUnavailableError(`no AWS credentials to sign with: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let response: Response;
    try {
      response = await fetchImpl(url, { method: 'POST', headers: signed.headers, body: text });
    } catch (error) {
      throw new ControlUnavailableError(`the control endpoint ${url.host} does not answer`, { cause: error });
    }
    const answer = (await response.json().catch(() => ({}))) as { error?: string; Message?: string };
    if (response.status === 403) {
      throw new ControlRefusedError(
        'AWS refused: your credentials may not call the Vouch control endpoint (it needs ' +
          'lambda:InvokeFunctionUrl on the control function: attach the policy in the stack output ' +
          `ControlOperatorPolicyArn)${answer.Message ? `: ${answer.Message}` : ''}`,
      );
    }
    if (response.status >= 400) {
      throw new ControlRefusedError(answer.error ?? answer.Message ?? `refused (${response.status})`);
    }
    return answer;
  };
  return {
    kind: 'aws',
    promote: (service, environment) =>
      post({ action: 'promote', service, ...(environment ? { environment } : {}) }),
    abort: (service) => post({ action: 'abort', service }),
    rollback: (service, environment) => post({ action: 'rollback', service, environment }),
  };
}

/** The dashboard over the deployed platform: the table read directly, control through the Lambda. */
export function awsSource(
  stack: AwsStack,
  client = new DynamoDBClient({ region: stack.region }),
): DashboardSource {
  const builds = new BuildRepository({ client, tableName: stack.tableName });
  const windows = new DynamoWindowStore({ client, tableName: stack.tableName });
  return {
    label: `AWS stack ${stack.stack} (${stack.region}, table ${stack.tableName})`,
    ...tableReads(builds, windows),
    // CloudWatch holds the live series on AWS; the page shows the judged periods after each step.
    slotSeries: async () => undefined,
    cost: async () => ({
      label: 'COST EXPLORER',
      points: [],
      byTeam: {},
      byService: {},
      note: 'on AWS the daily collector publishes cost to the per-team CloudWatch dashboards (Vouch/Cost)',
    }),
    clockNow: async () => Date.now(),
    // Re-read every 5 seconds: nothing on AWS pushes changes to a person's machine.
    stamp: async () => String(Math.floor(Date.now() / 5000)),
    control: awsControl({
      controlUrl: stack.controlUrl,
      region: stack.region,
      credentials: () => client.config.credentials(),
    }),
  };
}
