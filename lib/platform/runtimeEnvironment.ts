/**
 * The environment variables the platform stack sets on its Lambdas: the contract is the runtime's own
 * (lambdas/adapters/aws/functionEnvironment.ts, one zod schema per function); `lib/` sets the variables
 * through `functionEnvironment`, which checks them against that schema at synth time.
 */
export { functionEnvironment, RUNTIME_ENV } from '../../lambdas/adapters/aws/functionEnvironment.ts';

/** The per-service CodeBuild project name. */
export const BUILD_PROJECT_PREFIX = 'vouch-';
export function buildProjectName(service: string): string {
  return `${BUILD_PROJECT_PREFIX}${service}`;
}

/**
 * The role a service stack's bot schedules run with, by name: the deploy task passes it back to
 * Scheduler when it switches a lasting environment's schedules on (iam:PassRole on this role only).
 */
export function lastingBotRoleName(service: string): string {
  return `vouch-${service}-bot-scheduler`;
}

/**
 * The artifact bucket's name, by convention from account and region: the service stacks' CodeBuild
 * projects are granted writes on it without a cross-stack reference (like `buildProjectName`).
 */
export function artifactBucketName(account: string, region: string): string {
  return `vouch-artifacts-${account}-${region}`;
}
