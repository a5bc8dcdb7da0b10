/**
 * Each AWS::Lambda::Function of the templates as Lambda runs it: the handler file its `vouch:entry`
 * metadata names, imported once per function (its container) with the template's Environment, each
 * invocation inside that function's context (which role its SDK calls are checked against, which
 * environment `process.env` shows), cut at the template's Timeout, and asynchronous invocations
 * retried twice as Lambda does.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HostNotFoundError, LambdaTimeoutError, TwinTemplateError } from './errors.ts';
import { type RoleIdentity, roleIdentity } from './iam.ts';
import { type DeployedTemplates, TWIN_REGION } from './template.ts';

/** The template metadata key lib/platform/VouchFunction.ts writes (runtime code imports nothing from lib/). */
const ENTRY_METADATA_KEY = 'vouch:entry';

export interface TwinFunction {
  readonly logicalId: string;
  readonly stackName: string;
  readonly name: string;
  readonly arn: string;
  /** The handler file, relative to the repository root. */
  readonly entry: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly identity: RoleIdentity;
}

/** What the SDK interceptor and `process.env` see while a function runs. */
export interface InvocationContext {
  readonly fn: TwinFunction;
  readonly requestId: string;
  /** Set when the invocation timed out: Lambda freezes the sandbox, so later SDK calls are refused. */
  ended: boolean;
}

const invocations = new AsyncLocalStorage<InvocationContext>();

/** The invocation the current code runs in, if any. */
export function currentInvocation(): InvocationContext | undefined {
  return invocations.getStore();
}

let envInstalled = false;
/**
 * `process.env` answers with the running function's environment: handlers read it at module scope
 * (cold start, inside the import below) and some at call time. Outside a function, the real one.
 */
function installFunctionEnvironment(): void {
  if (envInstalled) return;
  envInstalled = true;
  const real = process.env;
  const current = () => invocations.getStore()?.fn.environment ?? real;
  process.env = new Proxy(real, {
    get: (_t, key) => (typeof key === 'string' ? current()[key] : undefined),
    has: (_t, key) => typeof key === 'string' && key in current(),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor: (_t, key) => {
      const env = current();
      return typeof key === 'string' && key in env
        ? { value: env[key], writable: true, enumerable: true, configurable: true }
        : undefined;
    },
    set: (_t, key, value) => {
      const env = current();
      if (env === real) real[key as string] = String(value);
      else (env as Record<string, string>)[key as string] = String(value);
      return true;
    },
    deleteProperty: (_t, key) => {
      delete (current() as Record<string, string | undefined>)[key as string];
      return true;
    },
  });
}

let outputInstalled = false;
let emfSink: ((doc: Record<string, unknown>) => void) | undefined;
let hostResolver: ((url: URL) => string | undefined) | undefined;
/**
 * What a function prints and fetches. An EMF line (`_aws.CloudWatchMetrics`) goes to CloudWatch, as
 * CloudWatch Logs extracts it; other output passes through. A request to a host other than loopback
 * goes where `resolveHost` says (an environment's host -> its local proxy) or fails as an unknown
 * host does: nothing a twin Lambda does leaves this machine.
 */
function installFunctionOutput(): void {
  if (outputInstalled) return;
  outputInstalled = true;
  const write = process.stdout.write.bind(process.stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (invocations.getStore() !== undefined && emfSink !== undefined) {
      const text = String(chunk);
      if (text.includes('"CloudWatchMetrics"')) {
        for (const line of text.split('\n')) {
          try {
            const doc = JSON.parse(line) as Record<string, unknown>;
            if (typeof doc._aws === 'object') emfSink(doc);
          } catch {
            // not a JSON line: ordinary output
          }
        }
        return true;
      }
    }
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    if (invocations.getStore() === undefined) return realFetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return realFetch(input, init);
    const origin = hostResolver?.(url);
    if (origin === undefined) {
      throw new TypeError('fetch failed', {
        cause: new HostNotFoundError(url.hostname),
      });
    }
    const local = new URL(`${url.pathname}${url.search}`, origin);
    return realFetch(input instanceof Request ? new Request(local, input) : local, init);
  }) as typeof fetch;
}

export interface LambdaRunnerOptions {
  /** The repository root the `vouch:entry` paths are relative to. */
  readonly root: string;
  /**
   * Lambda's application log level (AWS_LAMBDA_LOG_LEVEL, which Powertools honours), as if the
   * function's LoggingConfig set it. @default ERROR (the twin's output stays readable)
   */
  readonly logLevel?: string;
  /** Pauses between Lambda's asynchronous retries, in (scaled) ms. @default [60_000, 120_000] */
  readonly asyncRetryDelaysMs?: readonly number[];
  /** Where EMF metric lines a function prints go (the CloudWatch fake). */
  readonly onEmf?: (doc: Record<string, unknown>) => void;
  /** The local origin (`http://127.0.0.1:port`) serving a host, if the twin has one. */
  readonly resolveHost?: (url: URL) => string | undefined;
  /** Called with every invocation's outcome (the twin's log and the tests read it). */
  readonly onInvocation?: (record: InvocationRecord) => void;
}

export interface InvocationRecord {
  readonly function: string;
  readonly mode: 'sync' | 'async';
  readonly attempt: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly message?: string;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export class TwinLambdas {
  readonly functions = new Map<string, TwinFunction>();
  private readonly handlers = new Map<string, Promise<Handler>>();
  private readonly asyncPending = new Set<Promise<void>>();
  /** Invocations armed to fail (twin.faults), by function ARN. */
  private readonly failing = new Map<string, { times: number; error: () => Error }>();
  /** Asynchronous events that failed every attempt, as an on-failure destination would receive them. */
  readonly asyncFailures: { function: string; event: unknown; error: string; message: string }[] = [];

  constructor(
    templates: DeployedTemplates,
    private readonly options: LambdaRunnerOptions,
  ) {
    installFunctionEnvironment();
    installFunctionOutput();
    emfSink = options.onEmf;
    hostResolver = options.resolveHost;
    for (const { stackName, logicalId, resource } of templates.resourcesOfType('AWS::Lambda::Function')) {
      const entry = resource.Metadata?.[ENTRY_METADATA_KEY];
      if (typeof entry !== 'string') {
        throw new TwinTemplateError(
          `function ${logicalId} has no ${ENTRY_METADATA_KEY} metadata: which handler is it?`,
        );
      }
      const props = resource.Properties ?? {};
      const name = templates.ref(stackName, logicalId);
      const variables = templates.resolve(
        stackName,
        (props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
      );
      const fn: TwinFunction = {
        logicalId,
        stackName,
        name,
        arn: templates.getAtt(stackName, logicalId, 'Arn'),
        entry,
        timeoutSeconds: Number(props.Timeout ?? 3),
        memoryMb: Number(props.MemorySize ?? 128),
        identity: roleIdentity(templates, templates.resolve(stackName, props.Role) as string),
        environment: {
          // What the Lambda runtime sets (Lambda docs, "Defined runtime environment variables").
          AWS_REGION: TWIN_REGION,
          AWS_DEFAULT_REGION: TWIN_REGION,
          AWS_LAMBDA_FUNCTION_NAME: name,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props.MemorySize ?? 128),
          AWS_LAMBDA_LOG_LEVEL: options.logLevel ?? 'ERROR',
          AWS_ACCESS_KEY_ID: 'ASIATWIN',
          AWS_SECRET_ACCESS_KEY: 'twin',
          AWS_SESSION_TOKEN: 'twin',
          TZ: ':UTC',
          PATH: process.env.PATH ?? '',
          ...(variables as Record<string, string>),
        },
      };
      this.functions.set(fn.arn, fn);
    }
  }

  /** A function by name, ARN, or the logical ID of its resource. */
  get(ref: string): TwinFunction {
    const direct = this.functions.get(ref);
    if (direct) return direct;
    for (const fn of this.functions.values()) {
      if (fn.name === ref || fn.logicalId === ref || ref.startsWith(`${fn.arn}:`)) return fn;
    }
    throw new TwinTemplateError(`no Lambda function ${ref} in the templates`);
  }

  /** The function whose handler file is `entry` (relative to the root), e.g. `lambdas/handlers/tasks/bake.ts`. */
  byEntry(entry: string): TwinFunction {
    const found = [...this.functions.values()].find((f) => f.entry === entry);
    if (!found) throw new TwinTemplateError(`no Lambda function runs ${entry}`);
    return found;
  }

  private handlerOf(fn: TwinFunction): Promise<Handler> {
    let loading = this.handlers.get(fn.arn);
    if (loading === undefined) {
      // The cold start: module scope runs with the function's environment.
      const context: InvocationContext = { fn, requestId: 'init', ended: false };
      loading = invocations.run(context, async () => {
        const mod = (await import(pathToFileURL(join(this.options.root, fn.entry)).href)) as {
          handler?: Handler;
        };
        if (typeof mod.handler !== 'function') throw new TwinTemplateError(`${fn.entry} exports no handler`);
        return mod.handler;
      });
      this.handlers.set(fn.arn, loading);
    }
    return loading;
  }

  /** The next `times` invocations of `arn` fail with `error()` before the handler runs (twin.faults). */
  failNextInvocations(arn: string, times: number, error: () => Error): void {
    this.failing.set(arn, { times, error });
  }

  /** RequestResponse: the handler's result (JSON, as Lambda serialises it), or its error. */
  async invoke(ref: string, event: unknown, attempt = 1, mode: 'sync' | 'async' = 'sync'): Promise<unknown> {
    const fn = this.get(ref);
    const payload = JSON.parse(JSON.stringify(event ?? null)) as unknown;
    const context: InvocationContext = { fn, requestId: randomUUID(), ended: false };
    try {
      const armed = this.failing.get(fn.arn);
      if (armed && armed.times > 0) {
        armed.times--;
        throw armed.error();
      }
      const handler = await this.handlerOf(fn);
      const result = await invocations.run(context, () => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            context.ended = true;
            reject(new LambdaTimeoutError(fn.name, fn.timeoutSeconds));
          }, fn.timeoutSeconds * 1000);
        });
        const lambdaContext = {
          functionName: fn.name,
          invokedFunctionArn: fn.arn,
          awsRequestId: context.requestId,
          memoryLimitInMB: String(fn.memoryMb),
          getRemainingTimeInMillis: () => fn.timeoutSeconds * 1000,
        };
        return Promise.race([handler(payload, lambdaContext), timedOut]).finally(() => clearTimeout(timer));
      });
      this.options.onInvocation?.({ function: fn.logicalId, mode, attempt, ok: true });
      return JSON.parse(JSON.stringify(result ?? null)) as unknown;
    } catch (error) {
      context.ended = true;
      const e = error as Error;
      this.options.onInvocation?.({
        function: fn.logicalId,
        mode,
        attempt,
        ok: false,
        error: e.name,
        message: e.message,
      });
      throw error;
    }
  }

  /**
   * Event invocation: accepted at once, run in the background, retried twice on error with Lambda's
   * pauses (about 1 and 2 minutes); an event that fails every attempt goes to `asyncFailures`.
   */
  invokeAsync(ref: string, event: unknown): void {
    const fn = this.get(ref);
    const delays = this.options.asyncRetryDelaysMs ?? [60_000, 120_000];
    const run = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.invoke(fn.arn, event, attempt, 'async');
          return;
        } catch (error) {
          const delay = delays[attempt - 1];
          if (delay === undefined) {
            const e = error as Error;
            this.asyncFailures.push({ function: fn.logicalId, event, error: e.name, message: e.message });
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    })();
    this.asyncPending.add(run);
    void run.finally(() => this.asyncPending.delete(run));
  }

  /** Resolves when no asynchronous invocation is in flight. */
  async settled(): Promise<void> {
    while (this.asyncPending.size > 0) await Promise.all([...this.asyncPending]);
  }
}
