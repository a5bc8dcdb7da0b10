import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { parseServiceSpec } from '../../../lambdas/core/spec/index.ts';
import { prepareWorkingCopy } from '../../../scripts/platform/story.ts';

/**
 * The README's `vouch` commands, typed as a newcomer types them: `npx vouch …` and `npm run vouch -- …`
 * as separate processes, from the folders the README names (the Vouch clone, and the service's working
 * copy under `.vouch/work/orders`), against a running local platform. Each checks output and exit code.
 *
 * The clone is a folder of links to this repository's files with a `.vouch/` of its own, so the test
 * neither reads nor disturbs a platform a developer runs in this checkout.
 *
 * The checks are independent of each other (only the data commands wait for the run `vouch trigger`
 * starts, which is why that test comes first: its run goes on while the others' commands run), so the
 * tests run concurrently and each starts its commands together. `sh` runs one command per core, plus
 * one for the time they spend reading files, at once: more at once only makes each slower. Concurrent
 * tests assert with their own `expect`, so a failure names its test.
 */
const repo = new URL('../../../', import.meta.url).pathname;
const clone = mkdtempSync(join(tmpdir(), 'vouch-readme-'));
for (const name of readdirSync(repo)) {
  if (name === '.vouch' || name === '.git') continue;
  symlinkSync(join(repo, name), join(clone, name));
}
const work = join(clone, '.vouch', 'work', 'orders');

interface Result {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Command lines allowed to run at once, and the ones waiting for a turn. */
let freeSlots = availableParallelism() + 1;
const waiting: (() => void)[] = [];

async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (freeSlots > 0) freeSlots -= 1;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await work();
  } finally {
    // The slot passes straight to the next waiting command, or back to the pool.
    const next = waiting.shift();
    if (next) next();
    else freeSlots += 1;
  }
}

/** Runs a shell command line as a person would type it, bounded in time (from when it starts). */
function sh(line: string, cwd: string): Promise<Result> {
  return inTurn(() => runLine(line, cwd));
}

function runLine(line: string, cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    // The test runner's own variables must not leak into the commands it checks.
    for (const key of Object.keys(env)) if (/^(npm_|INIT_CWD|VITEST|VOUCH_)/.test(key)) delete env[key];
    execFile('sh', ['-c', line], { cwd, env, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

function git(...args: string[]): Promise<Result> {
  return sh(`git -c user.name=t -c user.email=t@t ${args.join(' ')}`, work);
}

describe.concurrent('the README commands, typed as documented', () => {
  let platform: LocalPlatform;

  beforeAll(async () => {
    platform = await LocalPlatform.start({ cwd: clone, timeScale: 60, persist: true, out: () => {} });
    const dir = prepareWorkingCopy(platform, join(repo, 'examples', 'orders'));
    expect(dir).toBe(work);
    await platform.registerService(parseServiceSpec(readFileSync(join(work, '.vouch.yml'), 'utf8')), work);
    await git('add', '--all');
    await git('commit', '--quiet', '-m', 'first');
  }, 120_000);

  afterAll(async () => {
    await platform?.close();
    rmSync(clone, { recursive: true, force: true });
  });

  it('trigger starts the working copy HEAD on the running platform; the data commands read its table from the working copy', async ({
    expect,
  }) => {
    const trigger = await sh('npx vouch trigger', work);
    expect(trigger.code, trigger.err).toBe(0);
    expect(trigger.out).toMatch(/201 started/);
    const execution = trigger.out.match(/execution (\S+)\)/)?.[1] as string;
    const run = platform.executions.get(execution);
    expect(run).toBeDefined();
    const result = await run?.done;
    expect(result?.status).toBe('SUCCEEDED');

    // The run has ended: each command below only reads, or finds nothing to act on.
    const [history, where, events, status, cost, promote, rollback, piped] = await Promise.all([
      sh('npx vouch history orders', work),
      sh('npx vouch where orders', work),
      sh('npx vouch events orders 1', work),
      sh('npx vouch status orders', work),
      sh('npx vouch cost --team checkout', clone),
      sh('npx vouch promote orders', work),
      sh('npx vouch rollback orders qa', work),
      // A reader that stops early (head) ends the command quietly.
      sh('npx vouch history orders | head -n 1; echo "status=$?"', work),
    ]);
    expect(history.code).toBe(0);
    expect(history.out).toMatch(/^v1\s+SUCCEEDED\s+[0-9a-f]{12}/m);
    expect(where.code).toBe(0);
    expect(where.out).toMatch(/^prod\s+v1/m);
    expect(events.code).toBe(0);
    expect(events.out).toMatch(/PROMOTED:prod/);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^orders: test v1|^orders: .*prod v1/m);
    expect(cost.code).toBe(0);
    expect(cost.out).toMatch(/^ESTIMATE/);
    // Nothing to act on is not success.
    expect(promote).toMatchObject({ code: 1, out: expect.stringMatching(/^nothing to promote/) });
    expect(rollback).toMatchObject({ code: 1, out: 'orders qa: no canary was running\n' });
    expect(piped.err).not.toMatch(/EPIPE|at .*\.ts:\d+/);
    expect(piped.out).toMatch(/^VERSION/);
  }, 300_000);

  it('npx vouch with no command prints the usage and exits 2; --help exits 0', async ({ expect }) => {
    const [bare, help, unknown] = await Promise.all([
      sh('npx vouch', clone),
      sh('npx vouch --help', clone),
      sh('npx vouch frobnicate', clone),
    ]);
    expect(bare.code).toBe(2);
    expect(bare.out).toMatch(/usage: vouch <command>/);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/commands:\n\s+validate/);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "frobnicate"/);
  }, 180_000);

  it('validate, show and run --mock act on the working copy they are typed in', async ({ expect }) => {
    const [validate, viaNpm, show, lambda, lambdaShow, mock] = await Promise.all([
      sh('npx vouch validate', work),
      // npm run moves to the project root; the command still acts on the folder it was typed in.
      sh('npm run -s vouch -- validate', work),
      sh('npx vouch show --pipe ci', clone),
      // A folder stands for its .vouch.yml: the Lambda flavour of the example.
      sh('npx vouch validate examples/orders-lambda', clone),
      sh('npx vouch show examples/orders-lambda', clone),
      sh('npx vouch run --mock', work),
    ]);
    expect(validate).toMatchObject({
      code: 0,
      out: '.vouch.yml: valid (orders, pipe ec2-canary, team checkout)\n',
    });
    expect(viaNpm.code).toBe(0);
    expect(viaNpm.out).toMatch(/\.vouch\.yml: valid \(orders/);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/^flowchart TD/);
    expect(lambda).toMatchObject({
      code: 0,
      out: 'examples/orders-lambda/.vouch.yml: valid (orders-fn, pipe lambda-canary, team checkout)\n',
    });
    expect(lambdaShow.code, lambdaShow.err).toBe(0);
    expect(lambdaShow.out).toMatch(/orders-fn: push to main/);
    expect(mock.code, mock.err).toBe(0);
    expect(mock.out).toMatch(/recorded order:\n\s+1\. version \(version\)/);
  }, 240_000);

  it('every unknown name exits 2 with a reason, for every command that takes one', async ({ expect }) => {
    const lines = [
      'npx vouch history nosuch',
      'npx vouch where nosuch',
      'npx vouch events nosuch 1',
      'npx vouch events orders 99',
      'npx vouch status nosuch',
      'npx vouch promote nosuch',
      'npx vouch promote orders --environment nosuch',
      'npx vouch abort nosuch',
      'npx vouch rollback nosuch qa',
      'npx vouch rollback orders nosuch',
      'npx vouch cost --team nosuch',
      'npx vouch show --pipe nosuch',
      'npx vouch run --mock --fail nosuch',
      'npx vouch validate nosuch.yml',
    ];
    const results = await Promise.all(lines.map((line) => sh(line, work)));
    results.forEach((result, i) => {
      expect({ line: lines[i], code: result.code }).toEqual({ line: lines[i], code: 2 });
      expect(result.err, lines[i]).toMatch(/nosuch|99/);
      expect(result.err, lines[i]).not.toMatch(/\n\s+at /);
    });
  }, 300_000);

  it('refuses what cannot run here with exit 2 and a reason, never a stack trace', async ({ expect }) => {
    const loose = mkdtempSync(join(tmpdir(), 'vouch-loose-'));
    try {
      await sh(`cp ${join(repo, 'examples', 'orders', '.vouch.yml')} .`, loose);
      const [notGit, noData, alongside] = await Promise.all([
        sh(`node ${join(clone, 'scripts', 'vouch.mjs')} run`, loose),
        sh(`node ${join(clone, 'scripts', 'vouch.mjs')} history`, loose),
        // A platform runs on this clone's state: a second one would fight it for the table.
        sh('npx vouch run --run-to version', work),
      ]);
      expect(notGit.code).toBe(2);
      expect(notGit.err).toMatch(/not a git repository/);
      expect(notGit.err).not.toMatch(/\n\s+at /);
      expect(noData.code).toBe(2);
      expect(noData.err).toMatch(/no Vouch platform data/);
      expect(alongside.code).toBe(2);
      expect(alongside.err).toMatch(/a local platform \(pid \d+\) is running/);
    } finally {
      rmSync(loose, { recursive: true, force: true });
    }
  }, 180_000);
});
