import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { openLocalTable } from '../../../lambdas/adapters/local/buildData.ts';
import { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { BuildDataLostError } from '../../../lambdas/core/builds/errors.ts';

const SHA = 'a'.repeat(40);

/**
 * Lost build data is loud: a platform whose `.vouch/data` was deleted or corrupted refuses to start,
 * names the folder and says what to do, and hands out no version number until the user resets.
 */
describe('the local platform with its build data lost', () => {
  let cwd: string;
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  /** A platform that allocated v1 and v2 of shop, then stopped. */
  async function platformWithHistory(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'vouch-data-loss-'));
    const platform = await LocalPlatform.start({ cwd: dir, timeScale: 20, out: () => {} });
    await platform.builds.registerService({
      service: 'shop',
      team: 'web',
      solution: 'retail',
      repo: 'org/shop',
    });
    for (const n of [1, 2])
      await platform.builds.allocateVersion({ service: 'shop', commit: SHA, execution: `run-${n}` });
    await platform.close();
    return dir;
  }

  const startRefused = async (dir: string) => {
    const started = LocalPlatform.start({ cwd: dir, timeScale: 20, out: () => {} });
    const error = await started.then(
      async (p) => {
        await p.close();
        throw new Error('the platform started on lost build data');
      },
      (e: unknown) => e,
    );
    return error as BuildDataLostError;
  };

  it('a deleted data folder stops the start with its path and the way out; --reset starts over knowingly', async () => {
    // Prepare
    cwd = await platformWithHistory();
    const data = join(cwd, '.vouch', 'data');
    rmSync(data, { recursive: true });

    // Act
    const refused = await startRefused(cwd);
    const cli = await openLocalTable({ cwd }).then(
      () => 'opened',
      (e: unknown) => e,
    );

    // Assess
    expect(refused).toBeInstanceOf(BuildDataLostError);
    expect(refused.message).toContain(`The build data at ${data} is missing`);
    expect(refused.message).toMatch(
      /Restore .* from a backup, or start over knowingly with `npm start -- --reset`/,
    );
    // The CLI (no platform running) is refused too: nothing re-creates an empty table behind the user.
    expect(cli).toBeInstanceOf(BuildDataLostError);
    expect(readdirSync(join(cwd, '.vouch')).includes('data')).toBe(false);

    // Act: the user chooses to start over.
    const reset = await LocalPlatform.start({ cwd, timeScale: 20, out: () => {}, resetBuildData: true });
    await reset.builds.registerService({
      service: 'shop',
      team: 'web',
      solution: 'retail',
      repo: 'org/shop',
    });
    const fresh = await reset.builds.allocateVersion({
      service: 'shop',
      commit: SHA,
      execution: 'after-reset',
    });
    await reset.close();

    // Assess: only now, knowingly, does the history restart.
    expect(fresh.version).toBe(1);
  }, 120_000);

  it("a corrupted data folder stops the start with its path and LevelDB's reason; the folder is left as it was", async () => {
    // Prepare
    cwd = await platformWithHistory();
    const data = join(cwd, '.vouch', 'data');
    for (const file of readdirSync(data).filter((f) => /^(CURRENT|MANIFEST-)/.test(f))) {
      writeFileSync(join(data, file), 'not leveldb '.repeat(50));
    }
    const current = readFileSync(join(data, 'CURRENT'), 'utf8');

    // Act
    const refused = await startRefused(cwd);

    // Assess
    expect(refused).toBeInstanceOf(BuildDataLostError);
    expect(refused.message).toContain(`The build data at ${data} is unreadable: LevelDB cannot open it`);
    expect(refused.message).toMatch(/--reset/);
    // Nothing was rewritten: the folder can still be handed to someone who can repair it.
    expect(readFileSync(join(data, 'CURRENT'), 'utf8')).toBe(current);
  }, 120_000);

  it('a table emptied behind the platform (its marker gone) is refused, and no version is handed out', async () => {
    // Prepare: the folder replaced by a fresh, empty table (what dynalite makes of a missing folder).
    cwd = await platformWithHistory();
    const data = join(cwd, '.vouch', 'data');
    rmSync(data, { recursive: true });
    const { startLocalTable } = await import('../../../lambdas/adapters/local/dynalite.ts');
    const empty = await startLocalTable({ dataDir: data });
    await empty.close();

    // Act
    const refused = await startRefused(cwd);

    // Assess
    expect(refused.message).toContain(`The build data at ${data} is replaced`);
    const table = await startLocalTable({ dataDir: data });
    const repo = new BuildRepository({ client: table.client, tableName: table.tableName });
    expect(await repo.listServices()).toEqual([]);
    await table.close();
  }, 120_000);
});
