/**
 * Which function runs each Lambda service, as the platform stack hands it to the Lambda target's task
 * functions (one variable, JSON): the service's function, the team and solution its environments are
 * tagged and described with, and the base URLs of its lasting environments when they are not the
 * aliases' own function URLs. Read at module scope: a misconfigured function fails at cold start.
 */
import { z } from 'zod';
import { LambdaTargetConfigError } from './errors.ts';
import type { LambdaTargetConfig } from './LambdaDeployTarget.ts';

/** The variable the Lambda target's task functions (and the reconciler) read. */
export const LAMBDA_TARGET_ENV = { functions: 'VOUCH_LAMBDA_FUNCTIONS' } as const;

/** The flavour whose services run on the Lambda target (the platform config's `lambda-canary`). */
export const LAMBDA_TARGET_FLAVOUR = 'lambda-canary';

/** A function name or ARN, as Lambda's FunctionName parameter takes it (unqualified). */
const FunctionName = z
  .string()
  .regex(
    /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}$/,
    'a function name or unqualified function ARN',
  );

/** What the platform config says of a Lambda service (`services[].lambdaTarget`). */
export const lambdaTargetServiceSchema = z.strictObject({
  /** The service's function (the team's own); its qa/prod aliases are the service stack's. */
  functionName: FunctionName,
});

export const lambdaTargetConfigSchema = z.strictObject({
  services: z.record(
    z.string().min(1),
    lambdaTargetServiceSchema.extend({
      /**
       * Base URL of each lasting environment (the platform config's `environments[].baseUrl`: API
       * Gateway or a domain in front of the alias). @default the alias's function URL
       */
      baseUrls: z.record(z.string(), z.url()).optional(),
      /** The `team` and `solution` tags of the service's environments (the platform config's). */
      team: z.string().min(1),
      solution: z.string().min(1),
    }),
  ),
});

/** Validates a config, refusing with a message that names the wrong field. */
export function parseLambdaTargetConfig(input: unknown): LambdaTargetConfig {
  const parsed = lambdaTargetConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new LambdaTargetConfigError(`Invalid Lambda deploy target config: ${issues}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The config from `VOUCH_LAMBDA_FUNCTIONS`; unset or not JSON is refused, never read as empty. */
export function readLambdaTargetConfig(env: NodeJS.ProcessEnv = process.env): LambdaTargetConfig {
  const text = env[LAMBDA_TARGET_ENV.functions];
  if (text === undefined || text === '') {
    throw new LambdaTargetConfigError(`Environment variable ${LAMBDA_TARGET_ENV.functions} is required`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new LambdaTargetConfigError(`${LAMBDA_TARGET_ENV.functions} is not JSON`, { cause: error });
  }
  return parseLambdaTargetConfig(raw);
}
