/**
 * Lambda Function URLs on the twin: each AWS::Lambda::Url of the templates answers HTTP requests as
 * Lambda's URL front end does. With AuthType AWS_IAM the request must be SigV4-signed; the twin takes
 * the caller from the access key in the Authorization header (principals are registered with `caller`:
 * the twin has no STS) and checks the caller's own policies for lambda:InvokeFunctionUrl on the
 * function with the same policy simulator as every other call. A refused caller gets Lambda's 403
 * `{"Message":"Forbidden"}` and the function never runs; an allowed one reaches it with the verified
 * caller in `requestContext.authorizer.iam`, as Lambda passes it.
 */
import { randomUUID } from 'node:crypto';
import { AccessDeniedError, TwinTemplateError } from './errors.ts';
import { authorize, type RoleIdentity } from './iam.ts';
import type { TwinLambdas } from './lambdaRunner.ts';
import { type DeployedTemplates, TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from './template.ts';

export interface TwinFunctionUrl {
  readonly url: string;
  readonly functionArn: string;
  readonly authType: 'AWS_IAM' | 'NONE';
}

/** A person or role that calls URLs: its role's identity policies, and the session it signs as. */
export interface TwinCaller {
  readonly identity: RoleIdentity;
  readonly sessionName: string;
}

const reply = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export class TwinFunctionUrls {
  readonly urls: TwinFunctionUrl[] = [];
  private readonly callers = new Map<string, TwinCaller>();

  constructor(
    templates: DeployedTemplates,
    private readonly lambdas: TwinLambdas,
  ) {
    for (const { stackName, logicalId, resource } of templates.resourcesOfType('AWS::Lambda::Url')) {
      const p = templates.resolve(stackName, resource.Properties) as {
        TargetFunctionArn: string;
        AuthType: string;
      };
      // Lambda names the URL by a random id; the logical id stands for it.
      const id = logicalId
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 32);
      this.urls.push({
        url: `https://${id}.lambda-url.${TWIN_REGION}.on.aws/`,
        functionArn: p.TargetFunctionArn,
        authType: p.AuthType === 'AWS_IAM' ? 'AWS_IAM' : 'NONE',
      });
    }
  }

  /** The URL of the function whose handler is `entry`. */
  urlOf(entry: string): TwinFunctionUrl {
    const fn = this.lambdas.byEntry(entry);
    const found = this.urls.find((u) => u.functionArn === fn.arn);
    if (!found) throw new TwinTemplateError(`${entry} has no Function URL in the templates`);
    return found;
  }

  /** Lets requests signed with `accessKeyId` act as `caller` (what STS would resolve the key to). */
  caller(accessKeyId: string, caller: TwinCaller): void {
    this.callers.set(accessKeyId, caller);
  }

  /** A `fetch` for the URLs: what a client (the vouch CLI, the dashboard) calls instead of the network. */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const href = String(input instanceof Request ? input.url : input);
    const target = this.urls.find((u) => href.startsWith(u.url));
    if (!target) throw new TypeError(`fetch failed: ${href} is not a Function URL of the twin`);
    const headers = new Headers(init?.headers);
    let userArn: string | undefined;
    if (target.authType === 'AWS_IAM') {
      const key = /Credential=([^/]+)\//.exec(headers.get('authorization') ?? '')?.[1];
      const caller = key === undefined ? undefined : this.callers.get(key);
      if (!caller) return reply(403, { Message: 'The security token included in the request is invalid.' });
      try {
        await authorize(caller.identity, caller.sessionName, [
          {
            action: 'lambda:InvokeFunctionUrl',
            resource: target.functionArn,
            context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' },
          },
        ]);
      } catch (error) {
        if (error instanceof AccessDeniedError) return reply(403, { Message: 'Forbidden' });
        throw error;
      }
      userArn = `arn:${TWIN_PARTITION}:sts::${TWIN_ACCOUNT}:assumed-role/${caller.identity.roleName}/${caller.sessionName}`;
    }
    const body = typeof init?.body === 'string' ? init.body : '';
    const flatHeaders: Record<string, string> = {};
    headers.forEach((value, name) => {
      flatHeaders[name] = value;
    });
    const event = {
      version: '2.0',
      rawPath: new URL(href).pathname,
      headers: flatHeaders,
      requestContext: {
        accountId: TWIN_ACCOUNT,
        requestId: randomUUID(),
        http: { method: init?.method ?? 'GET', path: new URL(href).pathname },
        ...(userArn ? { authorizer: { iam: { userArn, accountId: TWIN_ACCOUNT } } } : {}),
      },
      body,
      isBase64Encoded: false,
    };
    let result: { statusCode?: number; headers?: Record<string, string>; body?: string };
    try {
      result = (await this.lambdas.invoke(target.functionArn, event)) as typeof result;
    } catch {
      // A function error: Lambda's URL front end answers 502.
      return reply(502, { Message: 'Internal Server Error' });
    }
    return new Response(result.body ?? '', {
      status: result.statusCode ?? 200,
      headers: result.headers ?? { 'content-type': 'application/json' },
    });
  };
}
