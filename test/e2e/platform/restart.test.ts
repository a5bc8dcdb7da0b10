import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { parseServiceSpec } from '../../../lambdas/core/spec/index.ts';
import { pushToTrunk } from '../../../scripts/platform/story.ts';
import {
  inconsistencies,
  processesUnder,
  proxiesOf,
  recordRequests,
  SERVICE,
  waitFor,
} from './consistency.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures/platformProcess.ts');
const SCALE = 20;

/** The platform in its own process, pushing `releases` releases; resolves once the last is pushed. */
async function startPlatformProcess(cwd: string, releases: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, cwd, String(SCALE), String(releases)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => lines.push(l));
  const pushed = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no push in time:\n${lines.join('\n')}`)), 240_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      if (!line.startsWith('{"pushed"')) return;
      const message = JSON.parse(line) as { pushed: string; release: number };
      if (message.release === releases) {
        clearTimeout(timer);
        resolve(message.pushed);
      }
    });
    child.once('exit', (code) => reject(new Error(`the platform exited with ${code}:\n${lines.join('\n')}`)));
  });
  return { child, pushed, lines };
}

/** Polls the child platform's control API until a verification window is open in `environment`. */
async function waitForOpenWindow(cwd: string, environment: string, step: boolean): Promise<void> {
  const info = () =>
    JSON.parse(readFileSync(join(cwd, '.vouch', 'platform.json'), 'utf8')) as { apiUrl: string };
  await waitFor(
    `an open ${environment} window`,
    async () => {
      const status = (await (await fetch(`${info().apiUrl}/api/status?service=${SERVICE}`)).json()) as {
        openWindows: { environment: string; step?: number }[];
      };
      return status.openWindows.some((w) => w.environment === environment && (!step || w.step !== undefined));
    },
    240_000,
  );
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}

/**
 * A platform stopped mid-window (Ctrl-C, or killed) and started again: the run it left RUNNING is
 * ended ABORTED, its lock released, its test environment gone, `where` says what serves, and the next
 * push is not blocked. The platform runs as a child process so the signal is a real one.
 */
describe('the local platform stopped mid-window, then restarted', () => {
  let cwd: string | undefined;
  let child: ChildProcess | undefined;
  let platform: LocalPlatform | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await platform?.close();
    platform = undefined;
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  const restart = async (dir: string, lines: string[]) => {
    const started = await LocalPlatform.start({ cwd: dir, timeScale: SCALE, out: (l) => lines.push(l) });
    platform = started;
    const work = join(dir, '.vouch', 'work', SERVICE);
    await started.registerService(parseServiceSpec(readFileSync(join(work, '.vouch.yml'), 'utf8')), work);
    return { platform: started, work };
  };

  it.each([
    // Ctrl-C during release 1's first window in qa (it holds the qa lock).
    { signal: 'SIGINT' as const, releases: 1, step: false },
    // Killed during release 2's canary in qa, with release 1 recorded in qa.
    { signal: 'SIGKILL' as const, releases: 2, step: true },
  ])(
    '$signal: the run is ended ABORTED, its lock released, and where says what serves',
    async (c) => {
      // Prepare
      cwd = mkdtempSync(join(tmpdir(), `vouch-${c.signal.toLowerCase()}-`));
      const started = await startPlatformProcess(cwd, c.releases);
      child = started.child;
      await waitForOpenWindow(cwd, 'qa', c.step);

      // Act
      await stop(child, c.signal);
      await waitFor(
        'the service processes to end with their platform',
        () => processesUnder(cwd as string).length === 0,
        20_000,
      );
      const lines: string[] = [];
      const { platform: again, work } = await restart(cwd, lines);

      // Assess
      const report = again.reconciliations[0];
      expect(
        report?.aborted.map((a) => a.execution),
        [...started.lines, ...lines].join('\n'),
      ).toContain(started.pushed);
      const killed = report?.aborted.find((a) => a.execution === started.pushed);
      const build = (await again.builds.listBuilds(SERVICE)).items.find(
        (b) => b.execution === started.pushed,
      );
      expect(build?.status).toBe('ABORTED');
      const labels = (await again.builds.listEvents(SERVICE, killed?.version as number)).flatMap((e) =>
        e.kind === 'PROMOTION' ? [e.label] : [],
      );
      expect(labels.filter((l) => l.startsWith('PROMOTED'))).toEqual([]);
      expect(await again.builds.findLock(SERVICE, 'qa')).toBeUndefined();
      expect(await inconsistencies({ builds: again.builds, proxies: proxiesOf(again) })).toEqual([]);
      expect(lines.join('\n')).toMatch(/RECONCILED/);

      if (c.signal === 'SIGKILL') {
        // The next push is not blocked by what the killed run held, and releases everywhere.
        const requests = recordRequests(again);
        const next = await pushToTrunk(again, work, 'after the crash');
        const result = await again.executions.get(next)?.done;
        expect(result?.status, lines.join('\n')).toBe('SUCCEEDED');
        const after = (killed?.version ?? 0) + 1;
        expect(
          await inconsistencies({
            builds: again.builds,
            proxies: proxiesOf(again),
            requests,
            checkPromotionsFrom: after,
          }),
        ).toEqual([]);
      }
      await again.close();
      platform = undefined;
      expect(processesUnder(cwd)).toEqual([]);
    },
    480_000,
  );
});
