// `vouch judge`: cases in, one verdict per case out, bad lines named with exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../scripts/vouch.ts';

const root = new URL('../../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'vouch-judge-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { cwd: root, env: {}, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

/** n one-minute periods per slot; the canary's p50 is `factor` times the baseline's. */
function jsonCase(factor: number, n = 10): string {
  const slot = (requests: number, scale: number) =>
    Array.from({ length: n }, (_, m) => {
      const p50 = 50 * (1 + 0.05 * Math.sin(m)) * scale * (1 + 0.02 * Math.cos(3 * m + scale));
      return {
        start: new Date(Date.UTC(2026, 2, 1, 10, m)).toISOString(),
        requests,
        errors: m % 4 === 0 ? 1 : 0,
        latencyMs: { p50, p90: p50 * 2, p99: p50 * 4 },
      };
    });
  return JSON.stringify({ config: {}, baseline: slot(960, 1), canary: slot(240, factor) });
}

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

describe('vouch judge', () => {
  it("judges the README's example case: FAIL on latencyP50, errorRate bounded and passing, exit 1", async () => {
    const { code, out } = await cli(['judge', 'examples/judge/case.json']);

    expect(code).toBe(1);
    expect(out).toHaveLength(1);
    const verdict = JSON.parse(out[0] as string);
    expect(verdict.outcome).toBe('FAIL');
    expect(verdict.decisive).toBe('latencyP50');
    expect(verdict.signals.map((s: { signal: string; outcome: string }) => [s.signal, s.outcome])).toEqual([
      ['errorRate', 'PASS'],
      ['latencyP50', 'FAIL'],
    ]);
    // As the README says: +0.04 pp, bounded below +0.67 pp (within twice the allowed +0.50 pp).
    expect(verdict.signals[0].reason).toMatch(/\+0\.04 pp, allowed \+0\.50 pp.*upper bound \+0\.67 pp/);
    expect(verdict.signals[0].upperBound).toBeLessThanOrEqual(verdict.signals[0].detectableLimit);
    expect(verdict.signals[1].reason).toMatch(
      /canary p50 80\.1 ms vs baseline 49\.7 ms \(\+62\.0 %.*p=0\.0000360 at level 0\.0250.*upper bound \+64\.3 %/,
    );
  });

  it('gives one verdict per JSON line, in order, and exit 0 when none fails', async () => {
    const path = file('two.jsonl', `${jsonCase(1)}\n\n${jsonCase(1.02)}\n`);

    const { code, out } = await cli(['judge', path]);

    expect(code).toBe(0);
    expect(out.map((l) => JSON.parse(l).outcome)).toEqual(['PASS', 'PASS']);
    expect(
      JSON.parse(out[1] as string).signals.find((s: { signal: string }) => s.signal === 'latencyP50').effect,
    ).toBeGreaterThan(
      JSON.parse(out[0] as string).signals.find((s: { signal: string }) => s.signal === 'latencyP50').effect,
    );
  });

  it('names every malformed line, judges nothing, exit 2', async () => {
    const good = jsonCase(1);
    const bad = JSON.parse(good);
    bad.canary[3].errors = 999;
    const negative = JSON.parse(good);
    negative.baseline[0].latencyMs.p50 = -4;
    const lines = [
      good,
      '{"config": {}, "baseline": [',
      JSON.stringify(bad),
      JSON.stringify({ config: {}, baseline: [] }),
      JSON.stringify(negative),
      JSON.stringify({ ...JSON.parse(good), config: { minSamples: 25 } }),
      good,
    ];
    const path = file('bad.jsonl', `${lines.join('\n')}\n`);

    const { code, out, err } = await cli(['judge', path]);

    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toMatch(/bad\.jsonl:2: not JSON/);
    expect(err).toMatch(/bad\.jsonl:3: canary\[3\]\.errors: 999 errors out of 240 requests/);
    expect(err).toMatch(/bad\.jsonl:4: canary: .*expected array/i);
    expect(err).toMatch(
      /bad\.jsonl:5: baseline\[0\]\.latencyMs\.p50: must be a finite number >= 0 ms, got -4/,
    );
    expect(err).toMatch(/bad\.jsonl:6: Invalid canary spec: canary\.minSamples: minSamples was replaced/);
    expect(err).not.toMatch(/bad\.jsonl:[17]:/);
    expect(err).toMatch(/5 bad cases; nothing judged/);
  });

  it('refuses an empty input, a missing file and two inputs with exit 2', async () => {
    expect((await cli(['judge', file('empty.jsonl', '\n\n')])).code).toBe(2);
    const missing = await cli(['judge', 'nope.jsonl']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.jsonl: not found/);
    expect((await cli(['judge', 'a', 'b'])).code).toBe(2);
  });

  it('reads standard input with - (the real command, as a script would run it)', () => {
    const input = `${jsonCase(1)}\n${jsonCase(1.8)}\n`;

    const run = spawnSync(process.execPath, [join(root, 'scripts', 'vouch.mjs'), 'judge', '-'], {
      cwd: root,
      input,
      encoding: 'utf8',
    });

    expect(run.status).toBe(1);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).outcome),
    ).toEqual(['PASS', 'FAIL']);
  });
});

describe('README', () => {
  it('shows examples/judge/case.json verbatim, so the documented case is the one judged above', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = readme.slice(
      readme.indexOf('<!-- judge-example -->'),
      readme.indexOf('<!-- /judge-example -->'),
    );
    const example = readFileSync(join(root, 'examples', 'judge', 'case.json'), 'utf8').trimEnd();
    expect(block).toContain(`\`\`\`json\n${example}\n\`\`\``);
  });
});
