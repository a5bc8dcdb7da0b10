/**
 * The build data model: what a version, a run, a task event, a promotion and a deploy lock are,
 * independent of where they are stored. Validation lives here so every adapter refuses the same input.
 */
import { z } from 'zod';
import type { JsonValue } from '../shared/json.ts';
import {
  InvalidBuildInputError,
  InvalidCommitError,
  MissingCommitError,
  ReportTooLargeError,
} from './errors.ts';

export type { JsonValue };

/** Service and environment names become key parts, so `#` (the key separator) is refused. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Step Functions execution names: 1-80 characters; we refuse `#` and whitespace for the same reason. */
const EXECUTION = /^[^\s#]{1,80}$/;
/** A full commit SHA: SHA-1 (40) or SHA-256 (64) object names; abbreviated SHAs are ambiguous. */
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export const PROMOTION_KINDS = ['PASSED_TEST', 'PROMOTED', 'ROLLED_BACK'] as const;
export type PromotionKind = (typeof PROMOTION_KINDS)[number];

export type TaskPhase = 'start' | 'done';
export type TaskOutcome = 'SUCCEEDED' | 'FAILED';
/** ABANDONED: the number was allocated but its request died and never came back (kept: no gaps). */
/**
 * ABORTED: the run stopped without finishing (the platform was stopped or crashed while it ran); the
 * reconciler records it, after releasing the run's locks and destroying its test environments.
 */
export type BuildStatus = 'ALLOCATED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'ABANDONED';

export interface ServiceRegistration {
  readonly service: string;
  readonly team: string;
  readonly solution: string;
  readonly repo: string;
}

export interface RegisteredService extends ServiceRegistration {
  /** Highest version allocated so far (0: none yet). */
  readonly lastVersion: number;
  readonly registeredAt: string;
}

export interface VersionRequest {
  readonly service: string;
  readonly commit?: string | undefined;
  /** The pipeline execution asking; a retried request from the same execution gets the same number. */
  readonly execution: string;
}

export interface AllocatedVersion {
  readonly service: string;
  readonly version: number;
  readonly commit: string;
}

/** One build: a version of a service, the commit it was built from and the run that built it. */
export interface Build {
  readonly service: string;
  readonly team: string;
  readonly version: number;
  readonly commit: string;
  readonly execution: string;
  readonly status: BuildStatus;
  readonly allocatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Only on `getBuild`: the compiled pipe the run used, so history renders as it ran. */
  readonly pipeShape?: JsonValue;
}

export interface RunStart {
  readonly execution: string;
  readonly service: string;
  readonly version: number;
  readonly commit: string;
  /** The compiled pipe (or its spec) the run executes; kept forever with the build. */
  readonly pipeShape: JsonValue;
  /** Redundant with the registration; checked when given. */
  readonly team?: string;
  readonly at?: string;
}

export interface RunFinish {
  readonly execution: string;
  readonly service: string;
  readonly version: number;
  /** ABORTED: ended by the reconciler, the run having stopped without finishing. */
  readonly outcome: TaskOutcome | 'ABORTED';
  readonly at?: string;
  readonly report?: JsonValue;
}

export interface TaskEventInput {
  readonly execution: string;
  readonly service: string;
  readonly version: number;
  readonly task: string;
  readonly type: string;
  readonly environment?: string | undefined;
  readonly phase: TaskPhase;
  readonly outcome?: TaskOutcome | undefined;
  /** ISO 8601; a retried write with the same `at` overwrites itself instead of duplicating. */
  readonly at: string;
  /** Test counts, links, the evidence a verdict used. */
  readonly report?: JsonValue | undefined;
}

export interface PromotionInput {
  readonly service: string;
  readonly version: number;
  readonly environment: string;
  readonly kind: PromotionKind;
  /** The numbers the decision was made on. */
  readonly evidence: JsonValue;
  readonly execution?: string;
  readonly at?: string;
}

/** What a person did to a run: `vouch promote | abort | rollback`, from the CLI or the dashboard. */
export const CONTROL_ACTIONS = ['promote', 'abort', 'rollback'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export interface ControlActionInput {
  readonly service: string;
  readonly version: number;
  readonly action: ControlAction;
  readonly environment?: string | undefined;
  /** Who did it: the caller's IAM ARN on AWS, `local:<user>` on one machine. */
  readonly actor: string;
  /** What came of it, in one line. */
  readonly result: string;
  readonly at?: string;
}

/** One entry of a build's timeline, in time order. */
export type BuildEvent =
  | {
      readonly kind: 'CONTROL';
      readonly at: string;
      readonly action: ControlAction;
      readonly actor: string;
      readonly result: string;
      readonly environment?: string;
    }
  | {
      readonly kind: 'RUN';
      readonly at: string;
      readonly phase: TaskPhase;
      readonly execution: string;
      readonly outcome?: TaskOutcome | 'ABORTED';
      readonly report?: JsonValue;
    }
  | {
      readonly kind: 'TASK';
      readonly at: string;
      readonly execution: string;
      readonly task: string;
      readonly type: string;
      readonly phase: TaskPhase;
      readonly environment?: string;
      readonly outcome?: TaskOutcome;
      readonly report?: JsonValue;
    }
  | {
      readonly kind: 'PROMOTION';
      readonly at: string;
      readonly promotion: PromotionKind;
      /** `PROMOTED:qa`, `ROLLED_BACK:prod`, `PASSED_TEST`. */
      readonly label: string;
      readonly environment: string;
      readonly evidence: JsonValue;
    };

/** What runs in one environment of a service. */
export interface EnvironmentState {
  readonly environment: string;
  readonly version: number;
  readonly commit: string;
  readonly since: string;
  /** The version that ran before; 0 when none. */
  readonly previousVersion: number;
  readonly lastRollback?: { readonly version: number; readonly at: string };
}

/** A failed task of a team's build, newest first. */
export interface Failure {
  readonly service: string;
  readonly version: number;
  readonly execution: string;
  readonly task: string;
  readonly type: string;
  readonly environment?: string;
  readonly at: string;
  readonly report?: JsonValue;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass back to get the next page; absent on the last page. */
  readonly cursor?: string;
}

export interface PageRequest {
  readonly limit?: number;
  readonly cursor?: string | undefined;
}

export interface LockRequest {
  readonly service: string;
  readonly environment: string;
  /** Who holds it: the execution name. */
  readonly owner: string;
  readonly ttlSeconds: number;
}

export interface DeployLock {
  readonly service: string;
  readonly environment: string;
  readonly owner: string;
  readonly acquiredAt: string;
  /** When the lease ends unless the holder renews it (ISO 8601). */
  readonly expiresAt: string;
  /** The version the holder releases, when it said (newer pushes supersede older queued ones). */
  readonly version?: number;
}

/** A lock request that queues behind the holder, newest push first (see BuildRepository.acquireOrQueueLock). */
export interface QueuedLockRequest extends LockRequest {
  /** The version the run releases: a newer version supersedes an older one waiting for the same lock. */
  readonly version: number;
  /** How long a queue entry stands without the waiter coming back to it. */
  readonly queueTtlSeconds: number;
}

/** What one attempt to take a lock gave: the lock, a place in the queue, or being superseded. */
export type LockAttempt =
  | { readonly status: 'acquired'; readonly lock: DeployLock }
  | { readonly status: 'queued'; readonly holder?: string; readonly heldUntil?: string }
  | {
      readonly status: 'superseded';
      /** The newer run (execution) and version that takes this run's place. */
      readonly by: string;
      readonly byVersion: number;
    };

/** `PROMOTED:qa`, `ROLLED_BACK:prod`; `PASSED_TEST` stands alone (the test environment is ephemeral). */
export function promotionLabel(kind: PromotionKind, environment: string): string {
  return kind === 'PASSED_TEST' ? kind : `${kind}:${environment}`;
}

/** The size of a value as JSON text (what DynamoDB stores of it), 0 for undefined. */
export function jsonSizeBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Refuses a JSON document over `limitBytes` before anything is written. */
export function checkSize(what: string, value: unknown, limitBytes: number): void {
  const size = jsonSizeBytes(value);
  if (size > limitBytes) throw new ReportTooLargeError(what, size, limitBytes);
}

const nameSchema = (what: string) =>
  z.string().regex(NAME, `${what} must be 1-100 of A-Z a-z 0-9 . _ - (no #)`);
const executionSchema = z.string().regex(EXECUTION, 'execution must be 1-80 characters without # or spaces');
const versionSchema = z.number().int().positive();
const isoSchema = z.iso.datetime({ offset: true });

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    throw new InvalidBuildInputError(`Invalid ${what}: ${detail}`, { cause: result.error });
  }
  return result.data;
}

export function parseRegistration(input: ServiceRegistration): ServiceRegistration {
  return parse(
    z.object({
      service: nameSchema('service'),
      team: nameSchema('team'),
      solution: nameSchema('solution'),
      repo: z.string().min(1).max(500),
    }),
    input,
    'service registration',
  );
}

/** The commit is checked first and by its own errors: it is the refusal a pipeline most needs to explain. */
export function parseVersionRequest(input: VersionRequest): Required<VersionRequest> & { commit: string } {
  const service = parse(nameSchema('service'), input.service, 'version request');
  if (input.commit === undefined || input.commit === null || input.commit.trim() === '') {
    throw new MissingCommitError(service);
  }
  if (!COMMIT.test(input.commit)) throw new InvalidCommitError(service, input.commit);
  const execution = parse(executionSchema, input.execution, 'version request');
  return { service, commit: input.commit, execution };
}

export function parseBuildRef(service: string, version: number): { service: string; version: number } {
  return parse(
    z.object({ service: nameSchema('service'), version: versionSchema }),
    { service, version },
    'build reference',
  );
}

export function parseTaskEvent(input: TaskEventInput): TaskEventInput {
  const parsed = parse(
    z.object({
      execution: executionSchema,
      service: nameSchema('service'),
      version: versionSchema,
      task: z.string().regex(/^[^#]{1,100}$/, 'task must be 1-100 characters without #'),
      type: z.string().min(1).max(50),
      environment: nameSchema('environment').optional(),
      phase: z.enum(['start', 'done']),
      outcome: z.enum(['SUCCEEDED', 'FAILED']).optional(),
      at: isoSchema,
    }),
    input,
    'task event',
  );
  if (parsed.phase === 'done' && parsed.outcome === undefined) {
    throw new InvalidBuildInputError(`Invalid task event: a done event of ${parsed.task} needs an outcome`);
  }
  return { ...parsed, report: input.report };
}

export function parsePromotion(input: PromotionInput): PromotionInput {
  const parsed = parse(
    z.object({
      service: nameSchema('service'),
      version: versionSchema,
      environment: nameSchema('environment'),
      kind: z.enum(PROMOTION_KINDS),
      execution: executionSchema.optional(),
      at: isoSchema.optional(),
    }),
    input,
    'promotion',
  );
  return { ...parsed, evidence: input.evidence };
}

export function parseControlAction(input: ControlActionInput): ControlActionInput {
  return parse(
    z.object({
      service: nameSchema('service'),
      version: versionSchema,
      action: z.enum(CONTROL_ACTIONS),
      environment: nameSchema('environment').optional(),
      actor: z.string().min(1).max(2048),
      result: z.string().max(1000),
      at: isoSchema.optional(),
    }),
    input,
    'control action',
  );
}

export function parseLockRequest(input: LockRequest): LockRequest {
  return parse(
    z.object({
      service: nameSchema('service'),
      environment: nameSchema('environment'),
      owner: z.string().min(1).max(200),
      ttlSeconds: z
        .number()
        .positive()
        .max(24 * 3600),
    }),
    input,
    'lock request',
  );
}

export function parseIso(at: string | undefined, what: string): string | undefined {
  return at === undefined ? undefined : parse(isoSchema, at, what);
}
