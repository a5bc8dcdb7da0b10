import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceRecord } from '../../../lambdas/core/target/port.ts';
import { costCommand } from '../../../scripts/cli/cost.ts';

const hoursAgo = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString();
const payments = { service: 'checkout', team: 'payments', solution: 'shop' };
const search = { service: 'finder', team: 'search', solution: 'shop' };

function journal(records: ResourceRecord[]): string {
  return records.map((record) => JSON.stringify({ op: 'create', record })).join('\n');
}

describe('vouch cost', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  const run = (argv: string[]) =>
    costCommand.run(argv, {
      cwd: dir,
      env: {},
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vouch-cost-'));
    out = [];
    err = [];
    writeFileSync(
      join(dir, 'resources.jsonl'),
      journal([
        {
          id: 'p1',
          kind: 'process',
          tags: payments,
          environment: 'qa',
          createdAt: hoursAgo(10),
          endedAt: hoursAgo(0),
        },
        { id: 'e1', kind: 'environment', tags: payments, environment: 'qa', createdAt: hoursAgo(10) },
        { id: 'p2', kind: 'process', tags: search, environment: 'prod', createdAt: hoursAgo(5) },
        {
          id: 'old',
          kind: 'process',
          tags: payments,
          environment: 'prod',
          createdAt: hoursAgo(72),
          endedAt: hoursAgo(49),
        },
      ]),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("prints one team's estimate as a table labelled ESTIMATE", async () => {
    // Act
    const code = await run(['--team', 'payments', '--journal', 'resources.jsonl']);

    // Assess: the qa process (10 h) and environment (10 h) are priced; search is not shown.
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^ESTIMATE \(not a bill\)/);
    expect(out.join('\n')).not.toContain('finder');
    const qa = out.find((l) => /checkout\s+shop\s+qa/.test(l));
    const usd = Number(qa?.match(/\$(\d+\.\d+)/)?.[1]);
    expect(usd).toBeCloseTo(10 * 0.0042 + 10 * 0.0225, 4);
  });

  it('prices only the last --days days', async () => {
    // Act
    await run(['--team', 'payments', '--days', '1', '--journal', 'resources.jsonl']);
    const oneDay = out.join('\n');
    out = [];
    await run(['--team', 'payments', '--days', '3', '--journal', 'resources.jsonl']);

    // Assess: the prod process ended 49 h ago, inside 3 days, outside 1.
    expect(oneDay).not.toMatch(/checkout\s+shop\s+prod/);
    expect(out.join('\n')).toMatch(/checkout\s+shop\s+prod/);
  });

  it('says so when nothing of a known team ran in the window', async () => {
    // Prepare: search's only process started 5 h ago; a window ending now of 1 day holds it, so
    // take a journal with search's process ended 3 days ago instead.
    writeFileSync(
      join(dir, 'old.jsonl'),
      journal([
        {
          id: 'p',
          kind: 'process',
          tags: search,
          environment: 'prod',
          createdAt: hoursAgo(80),
          endedAt: hoursAgo(73),
        },
      ]),
    );
    const code = await run(['--team', 'search', '--days', '1', '--journal', 'old.jsonl']);
    expect(code).toBe(0);
    expect(out).toEqual([
      expect.stringMatching(/^ESTIMATE: no resources of team search recorded in .*old\.jsonl/),
    ]);
  });

  it('refuses an unknown team with exit code 2 and names the known ones', async () => {
    const code = await run(['--team', 'nobody', '--journal', 'resources.jsonl']);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([
      expect.stringMatching(/unknown team "nobody"; teams that ran here: payments, search/),
    ]);
  });

  it('refuses bad usage with exit code 2', async () => {
    expect(await run(['--days', '0'])).toBe(2);
    expect(await run(['--team'])).toBe(2);
    expect(await run(['--frobnicate'])).toBe(2);
    expect(err).toHaveLength(3);
  });
});
