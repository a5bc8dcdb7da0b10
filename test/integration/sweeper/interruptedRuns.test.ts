/**
 * Runs interrupted at several points on the whole local platform (webhook, engine, dynalite, the
 * example service's processes behind the weighted proxy, bots, alarms), stopped as StopExecution
 * stops them: no `last` section, so nothing destroys what they made. Then one sweep: every leftover
 * goes, the newest N images stay, what serves stays, and a run still running keeps its test
 * environment and the image it baked.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { parseServiceSpec } from '../../../lambdas/core/spec/index.ts';
import { SweepConfigError } from '../../../lambdas/core/sweeper/errors.ts';
import { runKeyOf } from '../../../lambdas/core/target/naming.ts';
import { pushToTrunk } from '../../../scripts/platform/story.ts';
import { main } from '../../../scripts/vouch.ts';
import { prepareFastExample, SERVICE, servedVersion, waitFor } from '../../e2e/platform/consistency.ts';

const KEEP_IMAGES = 1;

describe('the sweeper after runs interrupted at several points', () => {
  let cwd: string;
  let platform: LocalPlatform;
  let dir: string;
  const lines: string[] = [];

  const runOf = (execution: string) => {
    const run = platform.executions.get(execution);
    if (!run) throw new Error(`no run ${execution}`);
    return run;
  };
  const succeeded = (execution: string, state: string) =>
    (platform.history.get(execution) ?? []).some((h) => h.kind === 'succeeded' && h.state === state);
  const entered = (execution: string, state: string) =>
    (platform.history.get(execution) ?? []).some((h) => h.kind === 'entered' && h.state === state);
  const testEnvOf = (execution: string) => `${SERVICE}.test.${runKeyOf(execution)}`;
  const push = (text: string) => {
    appendFileSync(join(dir, 'CHANGELOG.md'), `- ${text}\n`);
    return pushToTrunk(platform, dir, text);
  };
  /** The image a run's bake returned (from its task event in the build data). */
  const bakedImage = async (execution: string) => {
    const build = (await platform.builds.listBuilds(SERVICE, { limit: 50 })).items.find(
      (b) => b.execution === execution,
    );
    if (!build) throw new Error(`no build of ${execution}`);
    const done = (await platform.builds.listEvents(SERVICE, build.version)).find(
      (e) => e.kind === 'TASK' && e.task === 'bake' && e.phase === 'done',
    );
    const id = done?.kind === 'TASK' ? (done.report as { id?: string } | undefined)?.id : undefined;
    if (!id) throw new Error(`${execution} recorded no baked image`);
    return id;
  };
  /** Stops a run once `ready` holds, and waits for the task it was in to settle (it finishes on its own). */
  const interrupt = async (execution: string, what: string, ready: () => boolean | Promise<boolean>) => {
    // A run that ended before the point (a failed window on a busy machine, say) is reported with its
    // outcome at once, not as a two-minute wait for a point it can no longer reach.
    const ended = () => {
      const result = runOf(execution).result;
      if (result) {
        const failed = (platform.history.get(execution) ?? []).filter((h) => h.kind === 'failed');
        throw new Error(
          `${execution} ended ${result.status} before ${what}: ${JSON.stringify(failed.slice(0, 3))}`,
        );
      }
      return false;
    };
    await waitFor(what, async () => (await ready()) || ended());
    const result = await platform.stopExecution(execution);
    expect(result.status).toBe('ABORTED');
  };

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'vouch-sweep-runs-'));
    platform = await LocalPlatform.start({
      cwd,
      timeScale: 20,
      persist: false,
      out: (l) => lines.push(l),
      // The periodic sweep is a day of clock time away: this test sweeps when it has made the leftovers.
      sweeper: { keepImages: KEEP_IMAGES, everyMinutes: 24 * 60, graceMinutes: 0 },
    });
    dir = prepareFastExample(platform);
    await platform.registerService(parseServiceSpec(readFileSync(join(dir, '.vouch.yml'), 'utf8')), dir);
    const first = await pushToTrunk(platform, dir, 'release 1');
    expect((await runOf(first).done).status, lines.join('\n')).toBe('SUCCEEDED');
  }, 180_000);

  afterAll(async () => {
    await platform?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('removes every leftover, keeps the newest N images and what serves, and leaves a running run alone', async () => {
    // Prepare: the image qa serves, then four runs stopped at four points, and one that keeps running.
    const qa = platform.target.list().find((e) => e.id === `${SERVICE}.qa`);
    if (!qa) throw new Error('qa was not provisioned by release 1');
    const qaImage = (await platform.target.describe(qa)).baseline?.image as string;

    const imagesBefore = new Set((await platform.target.images()).map((i) => i.id));
    const atBake = await push('stopped while baking');
    await interrupt(atBake, 'its bake', () => entered(atBake, 'bake'));
    // The bake in flight finishes on its own, after its run ended: an image no record names.
    let atBakeImage: string | undefined;
    await waitFor('the stopped bake to finish', async () => {
      atBakeImage = (await platform.target.images()).find((i) => !imagesBefore.has(i.id))?.id;
      return atBakeImage !== undefined;
    });
    const atProvision = await push('stopped after provisioning its test environment');
    await interrupt(atProvision, 'its test environment', () => succeeded(atProvision, 'provision-test'));
    const inTest = await push('stopped in its test window');
    await interrupt(inTest, 'its test window', () => succeeded(inTest, 'deploy-test'));
    const inCanary = await push('stopped in its qa canary');
    await interrupt(
      inCanary,
      'its qa canary',
      async () => (await platform.target.describe(qa)).canary !== undefined,
    );
    // The run that keeps running is held in its test window for the rest of the test (an hour of the
    // platform's clock, three minutes of wall time): on a busy machine a 60-second window could end, or
    // fail, between the sweep's inventory and its look at what runs, and the case would be another.
    const spec = parse(readFileSync(join(dir, '.vouch.yml'), 'utf8')) as { verification: object };
    spec.verification = { ...spec.verification, windowSeconds: 3600 };
    writeFileSync(join(dir, '.vouch.yml'), stringify(spec));
    const running = await push('still running');
    await waitFor('the running run in its test window', () => entered(running, 'verify-test'));

    const images = {
      atBake: atBakeImage as string,
      atProvision: await bakedImage(atProvision),
      inTest: await bakedImage(inTest),
      inCanary: await bakedImage(inCanary),
      running: await bakedImage(running),
    };
    const envIds = () => platform.target.list().map((e) => e.id);
    // The leftovers are there: the stopped runs' test environments were never destroyed.
    expect(envIds()).toEqual(
      expect.arrayContaining([
        testEnvOf(atProvision),
        testEnvOf(inTest),
        testEnvOf(inCanary),
        testEnvOf(running),
      ]),
    );
    const qaCanaryImage = (await platform.target.describe(qa)).canary?.image;
    expect(qaCanaryImage).toBe(images.inCanary);
    expect(runOf(running).result).toBeUndefined();

    // A bake of this small service can finish before the stop lands (the test polls for it): the run
    // then provisions its test environment before it ends, and that is a leftover too.
    const atBakeLeftovers = envIds().filter((id) => id === testEnvOf(atBake));

    // Act
    const report = await platform.sweep();
    // First (the running run is in its hour-long test window, far from qa): qa's canary was rolled back as `vouch rollback` does, and its
    // baseline (release 1) serves it all.
    const qaAfter = await platform.target.describe(qa);
    expect(qaAfter.canary).toBeUndefined();
    expect(qaAfter.baseline?.image).toBe(qaImage);
    expect(await servedVersion(qa.proxyUrl)).toBe('1');
    expect(report.removed.find((d) => d.resource.id === `${SERVICE}.qa`)?.resource.kind).toBe('canary');

    // Assess: the three stopped runs' test environments, the canary the fourth left in qa and the
    // images beyond the newest one went ...
    expect(report.failed).toEqual([]);
    const removed = report.removed.map((d) => d.resource.id).sort();
    expect(removed).toEqual(
      [
        testEnvOf(atProvision),
        testEnvOf(inTest),
        testEnvOf(inCanary),
        `${SERVICE}.qa`,
        images.atBake,
        images.atProvision,
        ...atBakeLeftovers,
      ].sort(),
    );
    expect(envIds().sort()).toEqual([`${SERVICE}.qa`, testEnvOf(running)].sort());
    const stored = (await platform.target.images()).map((i) => i.id).sort();
    // ... qa's baseline and canary serve, the running run baked its image, and one more (the newest
    // of the rest, the test-window run's) is kept for rollback.
    expect(stored).toEqual([qaImage, images.inCanary, images.running, images.inTest].sort());
    expect(existsSync(join(platform.target.imagesDir, images.atBake))).toBe(false);
    // The running run is untouched: still running, its test environment still serves its version.
    expect(runOf(running).result).toBeUndefined();
    const runningEnv = platform.target.list().find((e) => e.id === testEnvOf(running));
    expect(await servedVersion(runningEnv?.proxyUrl as string)).toBeDefined();

    // Recorded in the build data, per service, with each removal's environment and reason.
    const [recorded] = await platform.builds.listSweeps(SERVICE);
    // At wall time, like the builds it is listed with (the sweep's own clock runs 20x).
    expect(Math.abs(Date.parse(recorded?.at ?? '') - Date.now())).toBeLessThan(60_000);
    expect(recorded?.removed.map((r) => r.id).sort()).toEqual(removed);
    expect(recorded?.removed.find((r) => r.id === testEnvOf(inTest))).toMatchObject({
      kind: 'environment',
      environment: 'test',
      runKey: runKeyOf(inTest),
    });

    // `vouch history orders --swept` shows it.
    const out: string[] = [];
    const code = await main(['history', SERVICE, '--swept'], {
      cwd,
      env: {},
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(
      new RegExp(`removed\\s+environment\\s+test\\s+${testEnvOf(inTest)}\\s+its run \\S+ ended`),
    );
    expect(out.join('\n')).toContain(`removed  image`);

    // The next sweep: the rolled-back canary's image serves nowhere now and is the newest of the
    // rest, so the test-window run's image goes instead; nothing else.
    expect((await platform.sweep()).removed.map((d) => d.resource.id)).toEqual([images.inTest]);
    expect((await platform.sweep()).removed).toEqual([]);
  }, 300_000);

  it('refuses a bad keepImages at start instead of sweeping with another number', async () => {
    await expect(
      LocalPlatform.start({ cwd, persist: false, out: () => {}, sweeper: { keepImages: 0 } }),
    ).rejects.toBeInstanceOf(SweepConfigError);
  });
});
