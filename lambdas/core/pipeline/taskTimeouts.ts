/**
 * How long each task type's Lambda may run, in seconds: the platform stack sets each function's
 * timeout from here and the compiler gives each Task state a little more (so the Lambda's own timeout,
 * which a Retry resumes, fires first). The EC2 target's waits fit inside: bake waits up to 13 minutes
 * (builder 7 + image 6), deploy up to 8 (running 2 + healthy 6), lambdas/adapters/aws/target/config.ts.
 */
import type { TaskType } from './contract.ts';

export const TASK_LAMBDA_TIMEOUT_SECONDS: Readonly<Record<TaskType, number>> = {
  version: 30,
  lock: 60,
  unlock: 30,
  build: 60,
  test: 60,
  bake: 900,
  provision: 300,
  deploy: 600,
  bots: 300,
  verify: 60,
  decide: 60,
  shift: 120,
  judge: 120,
  promote: 600,
  rollback: 300,
  destroy: 300,
  report: 30,
  notify: 30,
};

/** A Task state's timeout: the Lambda's plus room for the invocation itself. */
export function taskStateTimeoutSeconds(type: TaskType): number {
  return TASK_LAMBDA_TIMEOUT_SECONDS[type] + 60;
}
