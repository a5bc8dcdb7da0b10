/** `vouch run` without --mock: the repository's pipe on a local platform started for this one run. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildRepository } from '../../lambdas/adapters/dynamo/buildRepository.ts';
import type { HistoryEntry, LocalExecutionResult } from '../../lambdas/adapters/local/engine.ts';
import { LocalPlatform } from '../../lambdas/adapters/local/platform/LocalPlatform.ts';
import type { RunInput } from '../../lambdas/core/pipeline/contract.ts';
import type { AslDefinition, ServiceSpec } from '../../lambdas/core/spec/index.ts';
import { NotAGitRepositoryError, PlatformRunningError } from './errors.ts';
import { runningPlatform } from './platformFile.ts';

export interface RunHereOptions {
  /** The folder whose `.vouch/` holds the platform state the run uses (the platform's home). */
  readonly cwd: string;
  readonly serviceDir: string;
  readonly spec: ServiceSpec;
  readonly definition: AslDefinition;
  readonly input: RunInput;
  readonly onHistory: (entry: HistoryEntry) => void;
  readonly out: (line: string) => void;
  /** @default VOUCH_TIME_SCALE or 1 */
  readonly timeScale?: number;
}

export async function runOnLocalPlatform(options: RunHereOptions): Promise<LocalExecutionResult> {
  if (!existsSync(join(options.serviceDir, '.git'))) throw new NotAGitRepositoryError(options.serviceDir);
  const running = runningPlatform(options.cwd);
  if (running) throw new PlatformRunningError(options.cwd, running.pid);
  const platform = await LocalPlatform.start({
    cwd: options.cwd,
    timeScale: options.timeScale ?? Number(process.env.VOUCH_TIME_SCALE ?? 1),
    out: options.out,
  });
  try {
    await platform.registerService(options.spec, options.serviceDir);
    platform.onProgress((_name, entry) => options.onHistory(entry));
    const result = await platform.startExecution(options.input.execution, options.input, options.definition)
      .done;
    await finishPartialRun(platform.builds, options.input, result);
    return result;
  } finally {
    await platform.close();
  }
}

/**
 * A run of part of the pipe (`--run-task version`) can allocate a version without the `last` section
 * that records the run's end: record it here, so no build is left RUNNING by a run that has ended.
 */
async function finishPartialRun(
  builds: BuildRepository,
  input: RunInput,
  result: LocalExecutionResult,
): Promise<void> {
  const page = await builds.listBuilds(input.service, { limit: 10 });
  const build = page.items.find((b) => b.execution === input.execution && b.status === 'RUNNING');
  if (!build) return;
  await builds.recordRunFinished({
    execution: input.execution,
    service: input.service,
    version: build.version,
    outcome: result.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
    report: {
      note: 'part of the pipe ran (vouch run --run-task); the run ended with it',
      status: result.status,
    },
  });
}
