import { z } from 'zod';
import { AwsTargetConfigError } from './errors.ts';
import type { WaitBudget } from './waiter.ts';

const budget = z.object({
  delayMs: z.number().int().nonnegative(),
  maxAttempts: z.number().int().positive(),
});

/**
 * Where the EC2 deploy target puts things. Everything account-specific comes from here (the CDK stack
 * passes it as environment variables, see `readEc2TargetConfig`); nothing is guessed.
 */
export const ec2TargetConfigSchema = z.object({
  /** VPC of the ephemeral target groups. */
  vpcId: z.string().min(1),
  /** The shared ALB: lasting environments' target groups are looked up among those attached to it. */
  loadBalancerArn: z.string().startsWith('arn:'),
  /** Its listener: ephemeral environments get a host-header rule here; lasting ones are found here. */
  listenerArn: z.string().startsWith('arn:'),
  /** Ephemeral hosts are `<service>-<env>-<runKey>.<testDomain>`; a wildcard DNS record points at the ALB. */
  testDomain: z.string().min(1),
  /** Host of a lasting environment whose routing is the listener default action (no host-header rule). */
  loadBalancerDnsName: z.string().min(1),
  /** @default 'https' */
  urlScheme: z.enum(['http', 'https']).default('https'),
  /** Port the service listens on (the `PORT` the unit file sets) and the target group port. @default 8080 */
  servicePort: z.number().int().min(1).max(65535).default(8080),
  /** Launch template of service instances: subnets, security groups, instance type, profile. */
  launchTemplateId: z.string().startsWith('lt-'),
  /** @default '$Default' */
  launchTemplateVersion: z.string().default('$Default'),
  /** Instances per slot. @default 1 */
  instanceCount: z.number().int().min(1).max(20).default(1),
  /** Base AMI the builder instance boots from (Amazon Linux 2023 with the AWS CLI). */
  baseImageId: z.string().startsWith('ami-'),
  /** Launch template of the builder; its instance profile may read the artifact bucket. @default launchTemplateId */
  builderLaunchTemplateId: z.string().startsWith('lt-').optional(),
  /** Lowest listener rule priority used for ephemeral environments. @default 1000 */
  rulePriorityFloor: z.number().int().min(1).max(50000).default(1000),
  /**
   * Poll budgets. Defaults keep bake (7 + 6 min) and deploy (2 + 6 min) inside a 15-minute Lambda, so a
   * slow bake ends in WaiterTimeoutError (which a `Retry` resumes: bake is re-entrant), not a Lambda kill.
   * @default builder 10 s x 42, image 15 s x 24, running 5 s x 24, healthy 10 s x 36
   */
  waits: z
    .object({
      builderStopped: budget.default({ delayMs: 10_000, maxAttempts: 42 }),
      imageAvailable: budget.default({ delayMs: 15_000, maxAttempts: 24 }),
      instancesRunning: budget.default({ delayMs: 5_000, maxAttempts: 24 }),
      targetsHealthy: budget.default({ delayMs: 10_000, maxAttempts: 36 }),
    })
    .prefault({}),
});

export type Ec2TargetConfigInput = z.input<typeof ec2TargetConfigSchema>;
export type Ec2TargetConfig = z.output<typeof ec2TargetConfigSchema>;
export type WaitBudgets = Record<keyof Ec2TargetConfig['waits'], WaitBudget>;

/** Validates a config, refusing with a message that names the wrong field. */
export function parseEc2TargetConfig(input: unknown): Ec2TargetConfig {
  const parsed = ec2TargetConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AwsTargetConfigError(`Invalid EC2 deploy target config: ${issues}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** The environment variables a target Lambda reads at module scope, by config field. */
export const EC2_TARGET_ENV = {
  vpcId: 'VOUCH_VPC_ID',
  loadBalancerArn: 'VOUCH_ALB_ARN',
  listenerArn: 'VOUCH_ALB_LISTENER_ARN',
  testDomain: 'VOUCH_TEST_DOMAIN',
  loadBalancerDnsName: 'VOUCH_ALB_DNS_NAME',
  urlScheme: 'VOUCH_URL_SCHEME',
  servicePort: 'VOUCH_SERVICE_PORT',
  launchTemplateId: 'VOUCH_LAUNCH_TEMPLATE_ID',
  launchTemplateVersion: 'VOUCH_LAUNCH_TEMPLATE_VERSION',
  instanceCount: 'VOUCH_INSTANCE_COUNT',
  baseImageId: 'VOUCH_BASE_AMI',
  builderLaunchTemplateId: 'VOUCH_BUILDER_LAUNCH_TEMPLATE_ID',
  rulePriorityFloor: 'VOUCH_RULE_PRIORITY_FLOOR',
} as const;

const NUMERIC = new Set(['servicePort', 'instanceCount', 'rulePriorityFloor']);

/**
 * Reads the config from environment variables (call at module scope: a misconfigured function fails
 * at cold start). Unset optional variables take the documented defaults.
 */
export function readEc2TargetConfig(env: NodeJS.ProcessEnv = process.env): Ec2TargetConfig {
  const raw: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(EC2_TARGET_ENV)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    raw[field] = NUMERIC.has(field) ? Number(value) : value;
  }
  const missing = Object.entries(EC2_TARGET_ENV)
    .filter(
      ([field]) =>
        !ec2TargetConfigSchema.shape[field as keyof typeof EC2_TARGET_ENV].safeParse(undefined).success,
    )
    .filter(([field]) => raw[field] === undefined)
    .map(([, variable]) => variable);
  if (missing.length > 0) {
    throw new AwsTargetConfigError(`Environment variable ${missing.join(', ')} is required`);
  }
  return parseEc2TargetConfig(raw);
}
