/**
 * Lambda services on the twin: the functions the service stacks publish versions and aliases of
 * (AWS::Lambda::Version / AWS::Lambda::Alias on a function the templates do not create), held by the
 * Lambda control-plane fake (fakes/lambdaService.ts), and their data plane. A request to an alias's
 * function URL, or to a lasting environment's base URL (the platform config's, as the Lambda target's
 * task functions carry it), runs the service's handler (`lambda.mjs`, payload format 2.0) of the
 * version the alias routes it to (AdditionalVersionWeights), loaded from the code that version was
 * published from. Each invocation publishes the function's own AWS/Lambda metrics per executed
 * version (Invocations, Errors, Duration, dimensions FunctionName, Resource `<function>:<alias>`,
 * ExecutedVersion), which the judge reads with GetMetricData (lambdaCanarySamples.ts).
 *
 * An AWS_IAM URL is called by a twin Lambda (the bots): the request must carry a SigV4 Authorization
 * header, and the calling function's role must allow lambda:InvokeFunctionUrl on the alias; otherwise
 * Lambda's 403 and the handler never runs.
 */
import { cpSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { AccessDeniedError, TwinTemplateError } from './errors.ts';
import type { TwinCloudWatch } from './fakes/cloudWatch.ts';
import { functionArn, type TwinLambdaService } from './fakes/lambdaService.ts';
import { authorize } from './iam.ts';
import { currentInvocation } from './lambdaRunner.ts';
import type { ServiceFake } from './sdk.ts';
import type { TwinTempDirs } from './tempDirs.ts';
import type { DeployedTemplates } from './template.ts';

/** The directory a published package's code runs from, by its S3 location. */
export type PackageResolver = (bucket: string, key: string) => Promise<string>;

const PACKAGE = /^([^/]+)\/([^/]+)\.zip$/;

/**
 * The code of a package `<service>/<commit>.zip` (the Lambda build's upload) as the story names each
 * commit's source: directories laid over each other, copied once per commit into a directory of
 * `dirs` (which removes them).
 */
export function commitPackageResolver(
  sources: ReadonlyMap<string, readonly string[]>,
  dirs: TwinTempDirs,
): PackageResolver {
  const copies = new Map<string, string>();
  return async (bucket, key) => {
    const commit = PACKAGE.exec(key)?.[2];
    const layers = commit === undefined ? undefined : sources.get(commit);
    if (commit === undefined || layers === undefined || layers.length === 0) {
      throw new TwinTemplateError(`the twin was given no source for the package s3://${bucket}/${key}`);
    }
    let dir = copies.get(commit);
    if (dir === undefined) {
      dir = dirs.make(`vouch-twin-fn-${commit.slice(0, 7)}-`);
      for (const layer of layers) cpSync(layer, dir, { recursive: true });
      copies.set(commit, dir);
    }
    return dir;
  };
}

export interface ServiceFunctionsOptions {
  /** Where the code of each published version comes from. */
  readonly resolvePackage: PackageResolver;
  /** The code of version 1 (what the function ran before Vouch), by function name. */
  readonly initialCode: Readonly<Record<string, string>>;
  /** The handler file in a package. @default lambda.mjs */
  readonly handlerFile?: string;
}

type Handler = (
  event: unknown,
) => Promise<{ statusCode?: number; headers?: Record<string, string>; body?: string }>;

const reply = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** One invocation as the twin served it (tests read them). */
export interface ServedInvocation {
  readonly function: string;
  readonly alias: string;
  readonly version: string;
  readonly status: number;
}

export class TwinServiceFunctions {
  readonly served: ServedInvocation[] = [];
  /** Directory of each published version's code, by `<function>:<version>`. */
  private readonly code = new Map<string, string>();
  private readonly handlers = new Map<string, Promise<Handler>>();
  /** Host of each lasting environment's base URL -> function and alias. */
  private readonly baseHosts = new Map<string, { functionName: string; alias: string }>();
  private originalFetch: typeof fetch | undefined;

  constructor(
    templates: DeployedTemplates,
    private readonly service: TwinLambdaService,
    private readonly cloudWatch: TwinCloudWatch,
    private readonly options: ServiceFunctionsOptions,
  ) {
    const aliases = new Map<string, string[]>();
    for (const { stackName, resource } of templates.resourcesOfType('AWS::Lambda::Alias')) {
      const p = resource.Properties ?? {};
      const name = String(templates.resolve(stackName, p.FunctionName));
      aliases.set(name, [...(aliases.get(name) ?? []), String(templates.resolve(stackName, p.Name))]);
    }
    for (const { stackName, resource } of templates.resourcesOfType('AWS::Lambda::Version')) {
      const name = templates.resolve(stackName, resource.Properties?.FunctionName);
      // A version of a function the templates create is the twin runner's, not a service's.
      if (typeof name !== 'string' || name.startsWith('arn:')) continue;
      const initial = options.initialCode[name];
      if (initial === undefined)
        throw new TwinTemplateError(`the templates publish ${name}, but the twin has no code for it`);
      service.createFunction(name, aliases.get(name) ?? []);
      this.code.set(`${name}:1`, initial);
    }
    // The lasting environments' base URLs, as the Lambda target's task functions are told them.
    for (const { stackName, resource } of templates.resourcesOfType('AWS::Lambda::Function')) {
      const variables = (
        templates.resolve(stackName, resource.Properties?.Environment) as
          | { Variables?: Record<string, string> }
          | undefined
      )?.Variables;
      const functions = variables?.VOUCH_LAMBDA_FUNCTIONS;
      if (functions === undefined) continue;
      const config = JSON.parse(functions) as {
        services: Record<string, { functionName: string; baseUrls?: Record<string, string> }>;
      };
      for (const entry of Object.values(config.services)) {
        for (const [alias, url] of Object.entries(entry.baseUrls ?? {})) {
          this.baseHosts.set(new URL(url).hostname, { functionName: entry.functionName, alias });
        }
      }
    }
  }

  /** The control-plane fake, remembering which package each published version came from. */
  fake(): ServiceFake {
    const inner = this.service.fake();
    return {
      authorization: inner.authorization,
      handle: async (command, input, raw) => {
        const result = await inner.handle(command, input, raw);
        if (command === 'UpdateFunctionCode' && input.Publish === true) {
          const { FunctionName, Version } = result as { FunctionName: string; Version: string };
          const key = `${FunctionName}:${Version}`;
          if (!this.code.has(key)) {
            this.code.set(
              key,
              await this.options.resolvePackage(String(input.S3Bucket), String(input.S3Key)),
            );
          }
        }
        return result;
      },
    };
  }

  /** Which function and alias a URL reaches, if it is one of the services'. */
  private targetOf(url: URL): { functionName: string; alias: string; iam: boolean } | undefined {
    const lasting = this.baseHosts.get(url.hostname);
    if (lasting) return { ...lasting, iam: false };
    for (const fn of this.service.functions.values()) {
      for (const [alias, u] of fn.urls) {
        if (new URL(u.url).hostname === url.hostname)
          return { functionName: fn.name, alias, iam: u.authType === 'AWS_IAM' };
      }
    }
    return undefined;
  }

  private handlerOf(functionName: string, version: string): Promise<Handler> {
    const key = `${functionName}:${version}`;
    let loaded = this.handlers.get(key);
    if (loaded === undefined) {
      const dir = this.code.get(key);
      if (dir === undefined) throw new TwinTemplateError(`no code for ${key}`);
      // Lambda sets AWS_LAMBDA_FUNCTION_VERSION in each version's sandbox; the handler reads it at
      // load time, and the query makes each version its own module instance.
      const url = `${pathToFileURL(`${dir}/${this.options.handlerFile ?? 'lambda.mjs'}`).href}?twin=${encodeURIComponent(key)}`;
      loaded = (async () => {
        const before = process.env.AWS_LAMBDA_FUNCTION_VERSION;
        process.env.AWS_LAMBDA_FUNCTION_VERSION = version;
        try {
          return ((await import(url)) as { handler: Handler }).handler;
        } finally {
          if (before === undefined) delete process.env.AWS_LAMBDA_FUNCTION_VERSION;
          else process.env.AWS_LAMBDA_FUNCTION_VERSION = before;
        }
      })();
      this.handlers.set(key, loaded);
    }
    return loaded;
  }

  /** Serves one request to an alias: the routed version's handler, and its metrics. */
  async invoke(functionName: string, alias: string, request: Request): Promise<Response> {
    const version = this.service.route(functionName, alias);
    const handler = await this.handlerOf(functionName, version);
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const event = {
      version: '2.0',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      requestContext: { http: { method: request.method, path: url.pathname } },
      body: request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text(),
      isBase64Encoded: false,
    };
    const started = performance.now();
    let failed = false;
    let response: Response;
    try {
      const result = await handler(event);
      response = new Response(result.body ?? '', {
        status: result.statusCode ?? 200,
        headers: { ...(result.headers ?? {}), 'x-vouch-version': version },
      });
    } catch {
      // A function error: the URL front end answers 502, Lambda counts an Error.
      failed = true;
      response = reply(502, { Message: 'Internal Server Error' });
    }
    const durationMs = performance.now() - started;
    const dimensions = [
      { Name: 'FunctionName', Value: functionName },
      { Name: 'Resource', Value: `${functionName}:${alias}` },
      { Name: 'ExecutedVersion', Value: version },
    ];
    this.cloudWatch.record('AWS/Lambda', 'Invocations', dimensions, 1);
    this.cloudWatch.record('AWS/Lambda', 'Errors', dimensions, failed ? 1 : 0);
    this.cloudWatch.record('AWS/Lambda', 'Duration', dimensions, durationMs);
    this.served.push({ function: functionName, alias, version, status: response.status });
    return response;
  }

  /** Checks an AWS_IAM URL's caller: a signed request from a function whose role may invoke it. */
  private async refusal(
    request: Request,
    functionName: string,
    alias: string,
  ): Promise<Response | undefined> {
    if (!/^AWS4-HMAC-SHA256 Credential=/.test(request.headers.get('authorization') ?? '')) {
      return reply(403, { Message: 'Forbidden' });
    }
    const invocation = currentInvocation();
    if (invocation === undefined) return reply(403, { Message: 'Forbidden' });
    try {
      await authorize(invocation.fn.identity, invocation.fn.name, [
        {
          action: 'lambda:InvokeFunctionUrl',
          resource: `${functionArn(functionName)}:${alias}`,
          context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' },
        },
      ]);
    } catch (error) {
      if (error instanceof AccessDeniedError) return reply(403, { Message: 'Forbidden' });
      throw error;
    }
    return undefined;
  }

  /** Global fetch to a service's URL reaches its function; any other request goes where it went before. */
  install(): void {
    if (this.originalFetch !== undefined) return;
    const original = globalThis.fetch;
    this.originalFetch = original;
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input, init);
      const target = this.targetOf(new URL(request.url));
      if (target === undefined) return original(input, init);
      if (target.iam) {
        const refused = await this.refusal(request, target.functionName, target.alias);
        if (refused) return refused;
      }
      return this.invoke(target.functionName, target.alias, request);
    };
  }

  uninstall(): void {
    if (this.originalFetch !== undefined) globalThis.fetch = this.originalFetch;
    this.originalFetch = undefined;
  }
}
