import type { RunConfig, RunInput } from '../pipeline/contract.ts';

/** Header values as node:http and API Gateway hand them over (names in any case). */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One HTTP delivery, already read from the wire (the adapters bound its size while reading). */
export interface WebhookRequest {
  readonly headers: WebhookHeaders;
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
 * Remembers which delivery first brought a push (repo, ref, before, after), so a captured, validly
 * signed body replayed under a new delivery id starts nothing: GitHub does not sign the delivery header.
 */
export interface ReplayGuard {
  /** Records `deliveryKey` as the owner of `pushKey` unless one is recorded; returns the owner. */
  claim(pushKey: string, deliveryKey: string): Promise<string>;
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
  /** @default none: redelivery idempotency still holds through the execution name. */
  readonly replayGuard?: ReplayGuard;
  /** @default DEFAULT_LIMITS */
  readonly limits?: Partial<WebhookLimits>;
}
