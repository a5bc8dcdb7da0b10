import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, isAlive } from './helpers.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures/holdTarget.ts');

/** Starts the fixture in its own process; resolves with the service pids it started. */
async function startHolder(dataDir: string): Promise<{ holder: ReturnType<typeof spawn>; pids: number[] }> {
  const holder = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: holder.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    holder.once('exit', (code) => reject(new Error(`holder exited with ${code} before deploying`)));
  });
  lines.close();
  return { holder, pids: (JSON.parse(first) as { pids: number[] }).pids };
}

describe('service processes do not outlive the process that started them', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vouch-parent-exit-'));
  const started: number[] = [];

  afterAll(() => {
    // Whatever the outcome, leave nothing running.
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'stops baseline and canary when the parent gets %s',
    async (signal) => {
      // Prepare
      const { holder, pids } = await startHolder(join(dataDir, signal));
      started.push(...pids);
      expect(pids).toHaveLength(2);
      expect(pids.every(isAlive)).toBe(true);
      // Act
      holder.kill(signal);
      // Assess: SIGTERM goes through the target's signal hook, SIGKILL through the preloaded parent watch.
      expect(await eventually(() => pids.every((pid) => !isAlive(pid)), 200)).toBe(true);
    },
  );
});
