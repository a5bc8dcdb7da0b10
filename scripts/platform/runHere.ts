/** `vouch run` without --mock: the repository's pipe on a local platform started for this one run. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEntry, LocalExecutionResult } from '../../lambdas/adapters/local/engine.ts';
import type { RunInput } from '../../lambdas/core/pipeline/contract.ts';
import type { AslDefinition, ServiceSpec } from '../../lambdas/core/spec/index.ts';
import { LocalPlatform } from './LocalPlatform.ts';

export interface RunHereOptions {
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

export class NotAGitRepositoryError extends Error {
  constructor(dir: string) {
    super(`${dir} is not a git repository: a run builds a commit (git init && git commit first)`);
    this.name = 'NotAGitRepositoryError';
  }
}

export async function runOnLocalPlatform(options: RunHereOptions): Promise<LocalExecutionResult> {
  if (!existsSync(join(options.serviceDir, '.git'))) throw new NotAGitRepositoryError(options.serviceDir);
  const platform = await LocalPlatform.start({
    cwd: options.cwd,
    timeScale: options.timeScale ?? Number(process.env.VOUCH_TIME_SCALE ?? 1),
    out: options.out,
  });
  try {
    await platform.registerService(options.spec, options.serviceDir);
    platform.onProgress((_name, entry) => options.onHistory(entry));
    return await platform.startExecution(options.input.execution, options.input, options.definition).done;
  } finally {
    await platform.close();
  }
}
