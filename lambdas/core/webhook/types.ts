import type { RunConfig, RunInput } from '../pipeline/contract.ts';
import type { DeliveryLedger } from './deliveryLedger.ts';
import type { GitHost } from './executionName.ts';

/** Header values as node:http and API Gateway hand them over (names in any case). */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One HTTP delivery, already read from the wire (the adapters bound its size while reading). */
export interface WebhookRequest {
  readonly headers: WebhookHeaders;
  /**
   * Node's `req.rawHeaders` (name, value, name, value, ...): every header line as sent. When given it
   * is read instead of `headers`, where Node has already joined or dropped repeated lines.
   */
  readonly rawHeaders?: readonly string[];
  readonly body: string | Uint8Array;
}

/** What the endpoint tells the sender. `outcome` says what happened; `reason` says why in one line. */
export type WebhookOutcome = 'started' | 'existing' | 'ignored' | 'pong' | 'rejected' | 'unavailable';

export interface WebhookReplyBody {
  readonly outcome: WebhookOutcome;
  readonly reason: string;
  /** The Step Functions execution name (derived from the delivery id), when a run was started or found. */
  readonly execution?: string;
  /** The execution ARN on AWS, or the local engine's id. */
  readonly executionArn?: string;
}

export interface WebhookResponse {
  readonly status: number;
  readonly body: WebhookReplyBody;
}

/** What the `.vouch.yml` at the pushed commit says about the run (only the fields a run needs). */
export interface RunSpec {
  readonly service: string;
  readonly team: string;
  readonly solution: string;
  readonly pipe: string;
  /** Branch whose pushes start the pipe; absent: the repository's default branch from the push. */
  readonly trunk?: string;
  /** The validated `.vouch.yml` as the run carries it (RunInput.config). */
  readonly config: RunConfig;
}

/**
 * Reads the repo's `.vouch.yml` at a commit. `found: false` for a repo without one (ignored, 200);
 * `found: false, invalid: true` for a file that is there but unusable (422 with the parser's reason).
 * Throws only when the git host or disk cannot be reached (503): never for the file's content.
 */
export type LoadSpec = (
  repo: string,
  commit: string,
  host: GitHost,
) => Promise<{ found: false; reason: string; invalid?: boolean } | ({ found: true } & RunSpec)>;

export interface StartedExecution {
  /** Execution ARN on AWS; the local engine's id on one machine. */
  readonly executionArn: string;
  /** True when an execution with this name already existed: nothing new was started. */
  readonly alreadyExisted: boolean;
}

/** Starts a pipeline run. Must be idempotent on `executionName`: a second call returns the first run. */
export interface ExecutionStarter {
  start(executionName: string, input: RunInput): Promise<StartedExecution>;
}

/**
 * How an endpoint reads a host's signed body. The signature covers the body, not the Content-Type, so
 * the format is the endpoint's configuration and a delivery in another one is refused (415), never
 * reinterpreted. GitHub can be set to `form` (`application/x-www-form-urlencoded`, the JSON in `payload`);
 * GitLab only sends JSON.
 */
export interface BodyFormats {
  /** @default 'json' */
  readonly github?: 'json' | 'form';
  /** @default 'json' */
  readonly gitlab?: 'json';
}

/** Structural subset of the Powertools Logger, so it can be passed straight in. */
export interface WebhookLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/** The shared secret: a value, or a (cached) reader such as the Secrets Manager adapter. */
export type SecretSource = string | (() => Promise<string>);

export interface WebhookLimits {
  /** @default 1 MiB (DEFAULT_LIMITS.maxBodyBytes) */
  readonly maxBodyBytes: number;
  /** @default 32 (DEFAULT_LIMITS.maxJsonDepth) */
  readonly maxJsonDepth: number;
}

export interface WebhookDeps {
  /** GitHub webhook secret; also the GitLab "Secret token". */
  readonly secret: SecretSource;
  readonly loadSpec: LoadSpec;
  readonly starter: ExecutionStarter;
  readonly logger: WebhookLogger;
  /** The replay and idempotency guard: one run per push, one body per delivery id. */
  readonly ledger: DeliveryLedger;
  /** @default { github: 'json', gitlab: 'json' } */
  readonly bodyFormats?: BodyFormats;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** @default DEFAULT_LIMITS */
  readonly limits?: Partial<WebhookLimits>;
}
