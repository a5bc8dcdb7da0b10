/**
 * The environment variables the platform stack sets on its Lambdas: the contract with the handlers,
 * which read them at module scope with `requireEnv` (lambdas/core/shared/env.ts). The EC2 target's own
 * variables are `EC2_TARGET_ENV` (lambdas/adapters/aws/target/config.ts).
 */
export const RUNTIME_ENV = {
  /** Name of the build data table. */
  buildTable: 'VOUCH_BUILD_TABLE',
  /** ARN of the notification topic (notify task). */
  notificationTopicArn: 'VOUCH_NOTIFICATION_TOPIC_ARN',
  /** Schedule group of the one-time window-end schedules (verify task). */
  windowScheduleGroup: 'VOUCH_WINDOW_SCHEDULE_GROUP',
  /** ARN of the windowEnd Lambda, the target of those schedules (verify task). */
  windowEndFunctionArn: 'VOUCH_WINDOW_END_FUNCTION_ARN',
  /** ARN of the role Scheduler assumes to invoke it (verify task passes it). */
  windowEndRoleArn: 'VOUCH_WINDOW_END_ROLE_ARN',
  /** JSON object: pipe flavour name -> state machine ARN (webhook). */
  stateMachines: 'VOUCH_STATE_MACHINES',
  /** JSON array of `{ name, repo, flavour, team, solution }`: the registered services (webhook). */
  services: 'VOUCH_SERVICES',
  /** Secrets Manager names (never values): webhook HMAC secret, Git token. (The notifier's own names are in PlatformStack.) */
  webhookSecretName: 'VOUCH_WEBHOOK_SECRET_NAME',
  gitTokenSecretName: 'VOUCH_GIT_TOKEN_SECRET_NAME',
  /** Prefix of the per-service CodeBuild projects, `vouch-` + service (build, test tasks). */
  buildProjectPrefix: 'VOUCH_BUILD_PROJECT_PREFIX',
  /**
   * Name of the artifact bucket: the build task uploads `<service>/<commit>.tar.gz` there, bake reads it
   * (build, test, bake tasks; also on each CodeBuild project).
   */
  artifactBucket: 'VOUCH_ARTIFACT_BUCKET',
} as const;

/** The per-service CodeBuild project name. */
export const BUILD_PROJECT_PREFIX = 'vouch-';
export function buildProjectName(service: string): string {
  return `${BUILD_PROJECT_PREFIX}${service}`;
}

/**
 * The artifact bucket's name, by convention from account and region: the service stacks' CodeBuild
 * projects are granted writes on it without a cross-stack reference (like `buildProjectName`).
 */
export function artifactBucketName(account: string, region: string): string {
  return `vouch-artifacts-${account}-${region}`;
}
