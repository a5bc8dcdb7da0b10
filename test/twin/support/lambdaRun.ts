/**
 * Driving the example's Lambda service (`orders-fn`, examples/orders-lambda/.vouch.yml) on the twin
 * through the synthesized task functions, as its state machine would invoke them.
 */
import { readFileSync } from 'node:fs';
import type { RunInput } from '../../../lambdas/core/pipeline/contract.ts';
import { parseRunSpec } from '../../../lambdas/core/webhook/runSpec.ts';
import { TWIN_ROOT, type Twin } from '../../../lambdas/twin/TwinPlatform.ts';

export type TwinRun = RunInput & { out: Record<string, unknown> };

/** Invokes the synthesized task function `vouch-<prefix>task-<type>` with a task event. */
export async function invokeTask(
  twin: Twin,
  prefix: '' | 'lambda-',
  type: string,
  params: Record<string, unknown>,
  run: TwinRun,
  step?: number,
): Promise<Record<string, unknown>> {
  const fn = [...twin.lambdas.functions.values()].find(
    (f) => f.environment.POWERTOOLS_SERVICE_NAME === `vouch-${prefix}task-${type}`,
  );
  if (!fn) throw new Error(`no function vouch-${prefix}task-${type}`);
  return (await twin.lambdas.invoke(fn.arn, {
    task: { name: `${type}-${String(params.environment)}`, type, params },
    run,
    ...(step === undefined ? {} : { step: { traffic: step } }),
  })) as Record<string, unknown>;
}

/** The run the webhook starts for a push of `commit`, its version allocated by the version task. */
export async function lambdaRun(
  twin: Twin,
  commit: string,
  execution: string,
  out: Record<string, unknown>,
): Promise<TwinRun> {
  const spec = parseRunSpec(readFileSync(`${TWIN_ROOT}examples/orders-lambda/.vouch.yml`, 'utf8'));
  const run: RunInput = {
    service: spec.service,
    team: spec.team,
    solution: spec.solution,
    repo: 'example-org/orders-fn',
    commit,
    branch: 'main',
    execution,
    pipe: spec.pipe,
    config: spec.config,
  };
  const version = await invokeTask(twin, '', 'version', {}, { ...run, out: {} });
  return { ...run, out: { version, ...out } };
}

/** What the build step reports for `commit`: its package in the artifact bucket. */
export function packageOf(twin: Twin, commit: string): { artifact: string } {
  const bucket = [...twin.lambdas.functions.values()].find(
    (f) => f.environment.POWERTOOLS_SERVICE_NAME === 'vouch-lambda-task-bake',
  )?.environment.VOUCH_ARTIFACT_BUCKET;
  if (bucket === undefined) throw new Error('no vouch-lambda-task-bake with an artifact bucket');
  return { artifact: `s3://${bucket}/orders-fn/${commit}.zip` };
}
