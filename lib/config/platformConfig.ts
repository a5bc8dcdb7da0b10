/**
 * The platform config a platform team writes: its teams (with their Slack channel) and its services
 * (repo, pipe flavour, team, solution, environments). `bin/vouch.ts` reads it; every stack is derived
 * from it. Validated with zod; every problem is reported as `file:line:col: path: message`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { lambdaTargetServiceSchema } from '../../lambdas/adapters/aws/lambdaTarget/config.ts';
import { ec2TargetConfigSchema } from '../../lambdas/adapters/aws/target/config.ts';
import { AlarmsSpecSchema, BotScenarioSchema } from '../../lambdas/core/evidence/spec.ts';
import { SpecError } from '../../lambdas/core/spec/errors.ts';
import { parseYamlSource, validateYaml } from '../../lambdas/core/spec/yamlSource.ts';
import { SweeperSettingsSchema } from '../../lambdas/core/sweeper/config.ts';
import { PlatformConfigError } from './errors.ts';

// Names become parts of AWS resource names (`vouch-<service>`, alarm names, schedule names):
// lowercase, digits and dashes keep them valid everywhere (CodeBuild, Scheduler, CloudWatch).
const ResourceName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,30}$/,
    'lowercase letters, digits and dashes, 1-31 characters, starting with a letter',
  );
// Secrets Manager names: "alphanumeric characters and /_+=.@-".
const SecretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'a Secrets Manager secret name');

export const TeamSchema = z.strictObject({
  name: ResourceName,
  /** The Slack channel the team's alerts go to, e.g. `#orders-alerts` or a channel id. */
  slackChannel: z.string().min(1),
});

export const EnvironmentConfigSchema = z.strictObject({
  name: ResourceName,
  baseUrl: z.url(),
  /** A test environment that pipelines create and destroy; scheduled bots stay off for it. @default false */
  ephemeral: z.boolean().default(false),
});

// A bare name was the old form: refused with what to write instead, never silently scheduled.
const ScenarioEntry = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value;
  ctx.addIssue({
    code: 'custom',
    input: value,
    message: `scenario "${value}": give the whole scenario as in .vouch.yml bots.scenarios (name, steps, rate), not only its name; the schedules carry it to the bot Lambda`,
  });
  return z.NEVER;
}, BotScenarioSchema);

export const ServiceConfigSchema = z.strictObject({
  name: ResourceName,
  /** `owner/name` of the service's GitHub repository. */
  repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name'),
  flavour: z.string().min(1),
  team: z.string().min(1),
  solution: ResourceName,
  environments: z.array(EnvironmentConfigSchema).min(1),
  /**
   * Bot scenarios the schedules of lasting environments run: the service's `.vouch.yml` `bots.scenarios`,
   * whole (name, steps, rate), because each schedule carries its scenario to the bot Lambda. @default []
   */
  scenarios: z.array(ScenarioEntry).default([]),
  /** Golden-signal alarm thresholds: the `alarms` section of `.vouch.yml`. @default every signal at its default */
  alarms: AlarmsSpecSchema.prefault({}),
  /**
   * The function a `lambda-canary` service runs as (required for that flavour, refused for others):
   * `functionName`, a function of your account; the service stack publishes a first version of it and
   * creates the aliases of the lasting environments, whose `baseUrl` reaches them. @default none
   */
  lambdaTarget: lambdaTargetServiceSchema.optional(),
});

/** The flavour whose tasks drive the Lambda deploy target. */
export const LAMBDA_FLAVOUR = 'lambda-canary';

export const PlatformSettingsSchema = z.strictObject({
  /** The team that runs Vouch itself: the `team` tag of the platform stack. @default platform */
  team: ResourceName.default('platform'),
  /** The `solution` tag of the platform stack. @default vouch */
  solution: ResourceName.default('vouch'),
  /** Names of the secrets to create before `cdk deploy`; the template only references them. */
  secrets: z
    .strictObject({
      /** @default vouch/webhook-secret */
      webhookSecret: SecretName.default('vouch/webhook-secret'),
      /** @default vouch/slack-token */
      slackToken: SecretName.default('vouch/slack-token'),
      /** @default vouch/git-token */
      gitToken: SecretName.default('vouch/git-token'),
    })
    .prefault({}),
  /**
   * The scheduled sweeper (lambdas/handlers/sweeper.ts): images kept per service for rollback, how
   * often it runs, the grace period of a new run's resources.
   * @default { keepImages: 3, everyMinutes: 60, graceMinutes: 15 }
   */
  sweeper: SweeperSettingsSchema.prefault({}),
  /** Requests per second the webhook endpoint accepts (API Gateway stage throttling). @default 10 */
  webhookRateLimit: z.int().min(1).max(10_000).default(10),
  /**
   * The EC2 + ALB deploy target (existing VPC, load balancer, launch templates of the account), handed to
   * the bake/provision/deploy/shift/promote/rollback/destroy Lambdas. @default none: those tasks are
   * unconfigured and fail at cold start, naming the missing variable
   */
  ec2Target: ec2TargetConfigSchema
    .extend({
      /** The role in the launch templates' instance profile: the provision task passes it to EC2. */
      instanceRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN'),
    })
    .optional(),
});

/** Builds the schema; `flavours` are the pipe flavours the compiler ships, checked by name. */
export function platformConfigSchema(flavours: readonly string[]) {
  return z
    .strictObject({
      platform: PlatformSettingsSchema.prefault({}),
      teams: z.array(TeamSchema).min(1),
      services: z.array(ServiceConfigSchema).default([]),
    })
    .superRefine((config, ctx) => {
      const teams = new Set(config.teams.map((t) => t.name));
      unique(
        config.teams.map((t) => t.name),
        ['teams'],
        'team',
        ctx,
      );
      unique(
        config.services.map((s) => s.name),
        ['services'],
        'service',
        ctx,
      );
      config.services.forEach((service, index) => {
        if (!teams.has(service.team)) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', index, 'team'],
            message: `unknown team "${service.team}"; teams are: ${[...teams].join(', ')}`,
          });
        }
        if (!flavours.includes(service.flavour)) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', index, 'flavour'],
            message: `unknown flavour "${service.flavour}"; shipped flavours are: ${flavours.join(', ')}`,
          });
        }
        if (service.flavour === LAMBDA_FLAVOUR && service.lambdaTarget === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', index, 'lambdaTarget'],
            message: `required: a ${LAMBDA_FLAVOUR} service names its function (lambdaTarget.functionName)`,
          });
        }
        if (service.flavour !== LAMBDA_FLAVOUR && service.lambdaTarget !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', index, 'lambdaTarget'],
            message: `lambdaTarget is for the ${LAMBDA_FLAVOUR} flavour; ${service.name} is ${service.flavour}`,
          });
        }
        unique(
          service.environments.map((e) => e.name),
          ['services', index, 'environments'],
          'environment',
          ctx,
        );
      });
    });
}

function unique(
  names: readonly string[],
  path: (string | number)[],
  what: string,
  ctx: z.RefinementCtx,
): void {
  names.forEach((name, index) => {
    if (names.indexOf(name) !== index) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, index, 'name'],
        message: `duplicate ${what} name "${name}"`,
      });
    }
  });
}

export type PlatformConfig = z.output<ReturnType<typeof platformConfigSchema>>;
export type ServiceConfig = z.output<typeof ServiceConfigSchema>;
export type TeamConfig = z.output<typeof TeamSchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentConfigSchema>;
export type PlatformSettings = z.output<typeof PlatformSettingsSchema>;

/** Parses and validates config text; `file` names it in error messages. */
export function parsePlatformConfig(text: string, file: string, flavours: readonly string[]): PlatformConfig {
  try {
    return validateYaml(parseYamlSource(text, file), platformConfigSchema(flavours));
  } catch (error) {
    if (error instanceof SpecError) throw new PlatformConfigError(file, error.message, { cause: error });
    throw error;
  }
}

/** Reads and validates the config file at `file`. */
export function loadPlatformConfig(file: string, flavours: readonly string[]): PlatformConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PlatformConfigError(file, `cannot read the file (${(error as Error).message})`, {
      cause: error,
    });
  }
  return parsePlatformConfig(text, file, flavours);
}
