/**
 * Which deploy target a task function drives (`VOUCH_DEPLOY_TARGET`): a contract the platform stack
 * sets and `deployTargetFromEnv` reads, kept apart from the targets so `lib/` imports no SDK code.
 */
export const DEPLOY_TARGET_ENV = 'VOUCH_DEPLOY_TARGET';
export const DEPLOY_TARGET_KINDS = ['ec2', 'lambda'] as const;
export type DeployTargetKind = (typeof DEPLOY_TARGET_KINDS)[number];
