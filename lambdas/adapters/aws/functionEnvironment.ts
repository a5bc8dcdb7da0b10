/**
 * The environment contract of every Vouch Lambda: one zod schema per function, read at module scope by
 * `readFunctionEnv` and set by the platform stack from the same schemas (`lib/` imports this file; runtime
 * code never imports `lib/`). A variable a function reads is in its schema, and the stack sets exactly the
 * variables of its function's schema (test/infra checks both on the synthesized template).
 */
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { z } from 'zod';
import type { TaskType } from '../../core/pipeline/contract.ts';
import { AwsEnvironmentError } from './errors.ts';
import { LAMBDA_TARGET_ENV } from './lambdaTarget/config.ts';
import { EC2_TARGET_ENV } from './target/config.ts';
import { DEPLOY_TARGET_ENV, DEPLOY_TARGET_KINDS } from './target/kind.ts';

/** The variable names, by meaning. The EC2 target's own are `EC2_TARGET_ENV` (target/config.ts). */
export const RUNTIME_ENV = {
  /** Name of the build data table. */
  buildTable: 'VOUCH_BUILD_TABLE',
  /** ARN of the notification topic (notify, rollback tasks). */
  notificationTopicArn: 'VOUCH_NOTIFICATION_TOPIC_ARN',
  /** Schedule group of the one-time window-end schedules (verify creates them, the resumers delete them). */
  windowScheduleGroup: 'VOUCH_WINDOW_SCHEDULE_GROUP',
  /** ARN of the windowEnd Lambda, the target of those schedules (verify task). */
  windowEndFunctionArn: 'VOUCH_WINDOW_END_FUNCTION_ARN',
  /** ARN of the role Scheduler assumes to invoke it (verify task passes it). */
  windowEndRoleArn: 'VOUCH_WINDOW_END_ROLE_ARN',
  /** Schedule group of the per-run bot schedules of ephemeral environments (deploy, destroy). */
  runBotScheduleGroup: 'VOUCH_RUN_BOT_SCHEDULE_GROUP',
  /** ARN of the bot Lambda, the target of those schedules (deploy). */
  botFunctionArn: 'VOUCH_BOT_FUNCTION_ARN',
  /** ARN of the role Scheduler assumes to invoke the bot Lambda (deploy passes it). */
  botRoleArn: 'VOUCH_BOT_ROLE_ARN',
  /** JSON object: pipe flavour name -> state machine ARN (webhook). */
  stateMachines: 'VOUCH_STATE_MACHINES',
  /** JSON array of `{ name, repo, flavour, team, solution }`: the registered services (webhook). */
  services: 'VOUCH_SERVICES',
  /** Secrets Manager names (never values): webhook HMAC secret, Git token. */
  webhookSecretName: 'VOUCH_WEBHOOK_SECRET_NAME',
  gitTokenSecretName: 'VOUCH_GIT_TOKEN_SECRET_NAME',
  /** Prefix of the per-service CodeBuild projects, `vouch-` + service (build, test tasks). */
  buildProjectPrefix: 'VOUCH_BUILD_PROJECT_PREFIX',
  /** Name of the artifact bucket (build, test, bake tasks; also on each CodeBuild project). */
  artifactBucket: 'VOUCH_ARTIFACT_BUCKET',
  /**
   * `br64:` JSON array of `{ service, team, flavour, environments: [{ name, ephemeral }] }`: which
   * state machine runs each service and its environments (reconciler, control).
   */
  servicePipes: 'VOUCH_SERVICE_PIPES',
  /** The sweeper's images kept per service and grace minutes (platform config `platform.sweeper`). */
  sweepKeepImages: 'VOUCH_SWEEP_KEEP_IMAGES',
  sweepGraceMinutes: 'VOUCH_SWEEP_GRACE_MINUTES',
} as const;

const value = z.string().min(1);

const table = { [RUNTIME_ENV.buildTable]: value } as const;
/** The EC2 target's variables; `readEc2TargetConfig` applies its own defaults and checks. */
const ec2Target = Object.fromEntries(
  Object.values(EC2_TARGET_ENV).map((name) => [name, z.string().optional()]),
) as Record<(typeof EC2_TARGET_ENV)[keyof typeof EC2_TARGET_ENV], z.ZodOptional<z.ZodString>>;
/**
 * A target task function's target: which one (`ec2` or `lambda`), and the variables of each (only the
 * chosen one's are set; its reader checks them).
 */
const deployTarget = {
  [DEPLOY_TARGET_ENV]: z.enum(DEPLOY_TARGET_KINDS),
  ...ec2Target,
  [LAMBDA_TARGET_ENV.functions]: z.string().optional(),
} as const;
const notification = { [RUNTIME_ENV.notificationTopicArn]: value } as const;
const artifacts = { [RUNTIME_ENV.artifactBucket]: value } as const;
const commands = { [RUNTIME_ENV.buildProjectPrefix]: value, ...artifacts } as const;
const windowEnd = {
  [RUNTIME_ENV.windowScheduleGroup]: value,
  [RUNTIME_ENV.windowEndFunctionArn]: value,
  [RUNTIME_ENV.windowEndRoleArn]: value,
} as const;
const runBots = {
  [RUNTIME_ENV.runBotScheduleGroup]: value,
  [RUNTIME_ENV.botFunctionArn]: value,
  [RUNTIME_ENV.botRoleArn]: value,
} as const;

const TASK_ENV = {
  version: z.strictObject({ ...table }),
  lock: z.strictObject({ ...table }),
  unlock: z.strictObject({ ...table }),
  build: z.strictObject({ ...table, ...commands }),
  test: z.strictObject({ ...table, ...commands }),
  bake: z.strictObject({ ...table, ...deployTarget, ...artifacts }),
  provision: z.strictObject({ ...table, ...deployTarget }),
  deploy: z.strictObject({ ...table, ...deployTarget, ...runBots }),
  bots: z.strictObject({ ...table, ...deployTarget }),
  verify: z.strictObject({ ...table, ...windowEnd }),
  decide: z.strictObject({ ...table }),
  shift: z.strictObject({ ...table, ...deployTarget }),
  judge: z.strictObject({ ...table, ...deployTarget }),
  promote: z.strictObject({ ...table, ...deployTarget }),
  rollback: z.strictObject({ ...table, ...deployTarget, ...notification }),
  destroy: z.strictObject({ ...table, ...deployTarget, [RUNTIME_ENV.runBotScheduleGroup]: value }),
  report: z.strictObject({ ...table }),
  notify: z.strictObject({ ...table, ...notification }),
} as const satisfies Record<TaskType, z.ZodObject>;

/** The event-driven Lambdas' contracts (the notifier and cost collector keep their own readers). */
const HANDLER_ENV = {
  /** alarmEvent and windowEnd: the window item, and the group of the window-end schedule they delete. */
  windowResumer: z.strictObject({ ...table, [RUNTIME_ENV.windowScheduleGroup]: value }),
  webhook: z.strictObject({
    ...table,
    [RUNTIME_ENV.stateMachines]: value,
    [RUNTIME_ENV.services]: value,
    [RUNTIME_ENV.webhookSecretName]: value,
    [RUNTIME_ENV.gitTokenSecretName]: value,
  }),
  bot: z.strictObject({}),
  /**
   * The scheduled reconciler: the table, each flavour's state machine (execution ARNs), the services
   * with their environments, the EC2 target, the Lambda target's functions (when the platform has
   * Lambda services) and the run-bots group (destroying a run's test environment), the topic (the
   * team is told).
   */
  reconciler: z.strictObject({
    ...table,
    ...ec2Target,
    [LAMBDA_TARGET_ENV.functions]: z.string().optional(),
    ...notification,
    [RUNTIME_ENV.stateMachines]: value,
    [RUNTIME_ENV.servicePipes]: value,
    [RUNTIME_ENV.runBotScheduleGroup]: value,
  }),
  /**
   * The control Lambda: the table; the state machines and service pipes name a run's execution, which
   * an abort between windows stops.
   */
  control: z.strictObject({
    ...table,
    // Its window ports are the resumers' (windowPortsFromEnv): a promote deletes the pending end schedule.
    [RUNTIME_ENV.windowScheduleGroup]: value,
    [RUNTIME_ENV.stateMachines]: value,
    [RUNTIME_ENV.servicePipes]: value,
  }),
  /**
   * The scheduled sweeper: the table (running builds, locks, SWEPT records), the state machines and
   * service pipes (is a run's execution running), the EC2 target, the Lambda services' functions
   * (set only when there are some) and the run-bots group (a leftover test environment goes as
   * destroy removes it), its settings.
   */
  sweeper: z.strictObject({
    ...table,
    ...ec2Target,
    [LAMBDA_TARGET_ENV.functions]: z.string().optional(),
    [RUNTIME_ENV.stateMachines]: value,
    [RUNTIME_ENV.servicePipes]: value,
    [RUNTIME_ENV.runBotScheduleGroup]: value,
    [RUNTIME_ENV.sweepKeepImages]: value,
    [RUNTIME_ENV.sweepGraceMinutes]: value,
  }),
  /** The service registry custom resource: the table it registers the configured services in. */
  serviceRegistry: z.strictObject({ ...table }),
} as const;

export const FUNCTION_ENV = { ...TASK_ENV, ...HANDLER_ENV } as const;
export type FunctionWithEnv = keyof typeof FUNCTION_ENV;
export type FunctionEnv<F extends FunctionWithEnv> = z.output<(typeof FUNCTION_ENV)[F]>;

/** The variables of the platform (`VOUCH_*`); others (Powertools, AWS_*) are the runtime's. */
const OWN_VARIABLE = /^VOUCH_/;

/**
 * Reads a function's variables at module scope: a misconfigured function fails at cold start, naming
 * every missing variable (`Environment variable X is required`).
 */
export function readFunctionEnv<F extends FunctionWithEnv>(
  fn: F,
  env: NodeJS.ProcessEnv = process.env,
): FunctionEnv<F> {
  const schema = FUNCTION_ENV[fn];
  const own = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in schema.shape && v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(own);
  if (parsed.success) return parsed.data as FunctionEnv<F>;
  const missing = parsed.error.issues.filter((i) => i.path.length === 1).map((i) => String(i.path[0]));
  throw new AwsEnvironmentError(`Environment variable ${missing.join(', ')} is required (function ${fn})`, {
    cause: parsed.error,
  });
}

/**
 * The variables the platform stack sets on a function, checked against its schema at synth time: a
 * required one left out, or one the function does not read, fails `cdk synth` with its name. Values
 * may be CDK tokens (strings until deploy).
 */
export function functionEnvironment<F extends FunctionWithEnv>(
  fn: F,
  variables: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const schema = FUNCTION_ENV[fn];
  const set = Object.fromEntries(
    Object.entries(variables).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const unknown = Object.keys(set).filter((k) => OWN_VARIABLE.test(k) && !(k in schema.shape));
  if (unknown.length > 0)
    throw new AwsEnvironmentError(`function ${fn} does not read ${unknown.join(', ')}; do not set it`);
  const parsed = schema.safeParse(set);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new AwsEnvironmentError(`function ${fn} needs ${names}`, { cause: parsed.error });
  }
  return set;
}

/** The schema key of a task type or handler (alarmEvent and windowEnd share the resumer's). */
export function envContractOf(
  fn: TaskType | 'webhook' | 'alarmEvent' | 'windowEnd' | 'bot' | 'reconciler' | 'sweeper' | 'control',
): FunctionWithEnv {
  if (fn === 'alarmEvent' || fn === 'windowEnd') return 'windowResumer';
  return fn;
}

/**
 * The webhook's service registry in its variable: JSON compressed with Brotli, base64, prefixed `br64:`.
 * Lambda allows 4 KB for all of a function's variables; plain JSON reached it at about 35 services,
 * compressed it holds several hundred (README), and the stack refuses at synth what would not fit.
 * Kept in the template rather than a file or parameter, so the registry is what `cdk synth` wrote.
 */
export function encodeServiceRegistry(services: readonly unknown[]): string {
  return `br64:${brotliCompressSync(Buffer.from(JSON.stringify(services))).toString('base64')}`;
}

/** Reads `encodeServiceRegistry`'s form, or plain JSON (hand-set variables, tests). */
export function decodeServiceRegistry(value: string): unknown {
  const text = value.startsWith('br64:')
    ? brotliDecompressSync(Buffer.from(value.slice('br64:'.length), 'base64')).toString('utf8')
    : value;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AwsEnvironmentError(`${RUNTIME_ENV.services} is neither br64: nor JSON`, { cause: error });
  }
}
