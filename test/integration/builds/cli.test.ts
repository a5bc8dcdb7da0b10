// `vouch history | events | where` against a local platform table named in .vouch/platform.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import { eventsCommand, historyCommand, whereCommand } from '../../../scripts/cli/builds.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
let table: LocalTable;
let cwd: string;

function run(command: typeof historyCommand, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = command.run(argv, { cwd, env: {}, out: (l) => out.push(l), err: (l) => err.push(l) });
  return code.then((exit) => ({ exit, out: out.join('\n'), err: err.join('\n') }));
}

beforeAll(async () => {
  table = await startLocalTable();
  cwd = mkdtempSync(join(tmpdir(), 'vouch-cli-'));
  mkdirSync(join(cwd, '.vouch'));
  writeFileSync(join(cwd, '.vouch', 'platform.json'), JSON.stringify({ dynamoEndpoint: table.endpoint }));
  const repo = new BuildRepository({ client: table.client, tableName: table.tableName });
  await repo.registerService({ service: 'shop', team: 'web', solution: 'retail', repo: 'org/shop' });
  for (const execution of ['run-1', 'run-2'])
    await repo.allocateVersion({ service: 'shop', commit: SHA, execution });
  await repo.recordRunStarted({
    execution: 'run-2',
    service: 'shop',
    version: 2,
    commit: SHA,
    pipeShape: {},
  });
  await repo.recordTaskEvent({
    execution: 'run-2',
    service: 'shop',
    version: 2,
    task: 'unit',
    type: 'test',
    phase: 'done',
    outcome: 'SUCCEEDED',
    at: new Date().toISOString(),
    report: { passed: 12 },
  });
  await repo.recordPromotion({
    service: 'shop',
    version: 2,
    environment: 'qa',
    kind: 'PROMOTED',
    evidence: {},
  });
});

afterAll(async () => {
  await table.close();
  rmSync(cwd, { recursive: true, force: true });
});

describe('build data CLI', () => {
  it('prints builds newest first, and the services when no service is named', async () => {
    // Act
    const builds = await run(historyCommand, ['shop']);
    const services = await run(historyCommand, []);

    // Assess
    expect(builds.exit).toBe(0);
    const lines = builds.out.split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+STATUS\s+COMMIT/);
    expect(lines[2]).toMatch(/^v2\s+RUNNING\s+0123456789ab/);
    expect(lines[3]).toMatch(/^v1\s+ALLOCATED/);
    expect(services.out).toMatch(/shop\s+web\s+retail\s+2\s+org\/shop/);
  });

  it('prints a build’s events in order and where it runs', async () => {
    // Act
    const events = await run(eventsCommand, ['shop', 'v2']);
    const where = await run(whereCommand, ['shop']);

    // Assess
    expect(events.exit).toBe(0);
    expect(events.out).toMatch(
      /run\s+start[\s\S]*unit \(test\)\s+done\s+-\s+SUCCEEDED\s+\{"passed":12\}[\s\S]*PROMOTED:qa/,
    );
    expect(where.out).toMatch(/qa\s+v2\s+0123456789ab/);
  });

  it('answers bad usage with exit code 2', async () => {
    // Act
    const noVersion = await run(eventsCommand, ['shop']);
    const unknown = await run(eventsCommand, ['shop', '9']);

    // Assess
    expect(noVersion.exit).toBe(2);
    expect(noVersion.err).toMatch(/Usage: vouch events/);
    expect(unknown.exit).toBe(2);
    expect(unknown.err).toMatch(/No build shop v9/);
  });
});
