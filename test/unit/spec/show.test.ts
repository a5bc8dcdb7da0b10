import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFlavour } from '../../../lambdas/core/spec/index.ts';
import { mermaidSize } from '../../../lambdas/core/spec/mermaid.ts';
import { README } from '../../../scripts/docs.ts';
import { main } from '../../../scripts/vouch.ts';

const root = new URL('../../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'vouch-show-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function show(cwd: string, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['show', ...argv], {
    cwd,
    env: {},
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The example service's working copy, with a folder below its root to run commands from. */
function exampleCopy(name: string): string {
  const dir = join(work, name);
  cpSync(join(root, 'examples', 'orders'), dir, { recursive: true });
  mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
  return dir;
}

/** Node labels in drawing order (the text before the first <br/>). */
const labels = (mermaid: string): string[] =>
  [...mermaid.matchAll(/^\s*\w+[[(>]+"([^"<]*)/gm)].map((m) => m[1] as string);

/** The mermaid block the README shows after `marker`. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(README, 'utf8');
  const from = readme.indexOf(marker);
  const block = /```mermaid\n([\s\S]*?)\n```/.exec(readme.slice(from));
  if (from < 0 || !block?.[1]) throw new Error(`README has no mermaid block after ${marker}`);
  return block[1];
}

describe('vouch show', () => {
  it("draws the service's own pipe from below its root: qa then prod, each with its canary steps in order", async () => {
    // Prepare
    const service = exampleCopy('orders');
    // Act: from a folder below the service's root, as a person in their working copy would.
    const result = await show(join(service, 'src', 'deep'));
    // Assess
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const order = labels(result.out).filter((l) => /^(lock|canary \d+ %|promote)$/.test(l));
    expect(order).toEqual([
      ...['lock', 'canary 20 %', 'canary 50 %', 'canary 100 %', 'promote'],
      ...['lock', 'canary 20 %', 'canary 50 %', 'canary 100 %', 'promote'],
    ]);
    const titles = [...result.out.matchAll(/subgraph \w+\["(release[^"]*)"\]/g)].map((m) => m[1]);
    expect(titles).toEqual(['release to qa', 'release to prod']);
    expect(result.out).toMatch(/canary 20 %<br\/><small>shift, 90 s window, judge/);
    expect(result.out).not.toMatch(/each of/);
  });

  it("follows the service's spec, not the example: other environments, steps and windows", async () => {
    // Prepare
    const service = exampleCopy('payments');
    const spec = readFileSync(join(service, '.vouch.yml'), 'utf8')
      .replace('  - name: qa\n', '  - name: staging\n  - name: eu\n')
      .replace('steps: [20, 50, 100]', 'steps: [5, { traffic: 25, windowSeconds: 300 }, 100]');
    writeFileSync(join(service, '.vouch.yml'), spec);
    // Act
    const result = await show(service);
    // Assess
    expect(result.code, result.err).toBe(0);
    const titles = [...result.out.matchAll(/subgraph \w+\["(release[^"]*)"\]/g)].map((m) => m[1]);
    expect(titles).toEqual(['release to staging', 'release to eu', 'release to prod']);
    expect(result.out).not.toMatch(/\bqa\b/);
    expect(labels(result.out).filter((l) => l.startsWith('canary '))).toEqual(
      Array.from({ length: 3 }, () => ['canary 5 %', 'canary 25 %', 'canary 100 %']).flat(),
    );
    expect(result.out).toMatch(/canary 25 %<br\/><small>shift, 300 s window, judge/);
    expect(result.out).toMatch(/canary 5 %<br\/><small>shift, 90 s window, judge/);
  });

  it('draws failures once, not per task: no dashed arrows, one edge into the always-run part, one note per release', async () => {
    // Act
    const concrete = await show(exampleCopy('orders-failures'));
    const generic = await show(work, '--pipe', 'ec2-canary');
    // Assess
    for (const [drawn, releases] of [
      [concrete.out, 2],
      [generic.out, 1],
    ] as const) {
      expect(drawn).not.toMatch(/-\.|fails \.->/);
      expect(drawn).not.toMatch(/destroy_test\s*$|-->\s*task_destroy_test/m);
      const intoAlways = drawn.split('\n').filter((l) => /-->\s*always\s*$/.test(l));
      expect(intoAlways).toEqual(['  while_well -- "done, or at the first failure" --> always']);
      expect(drawn.match(/if a task fails: rollback → unlock-after-rollback/g)).toHaveLength(releases);
      // A task appears once per release: rollback lives in the note, never as its own node.
      expect(labels(drawn)).not.toContain('rollback');
    }
  });

  it('labels a task by its name alone when its type says nothing more ("version", not "version / version")', async () => {
    // Act
    const result = await show(work, '--pipe', 'ec2-canary');
    // Assess
    expect(result.out).toMatch(/\["version"\]/);
    for (const m of result.out.matchAll(/"([a-z-]+)<br\/><small>([^<]*)<\/small>/g)) {
      const [, name, detail] = m as unknown as [string, string, string];
      expect(detail.split(', ')[0], `${name}'s detail repeats its name`).not.toBe(name);
    }
    expect(result.out).toMatch(/\["deploy-test<br\/><small>environment test, slot baseline, weight 100/);
    // A stage of one task is that task, not a box named like it around it (stage build, task build).
    const ci = await show(work, '--pipe', 'ci');
    expect(labels(ci.out).filter((l) => l === 'build')).toEqual(['build']);
    expect(ci.out).toMatch(/subgraph \w+\["checks: at the same time"\]/);
    expect(result.out).toMatch(/\["release-locks<br\/><small>unlock, all true/);
  });

  it('keeps the picture small: fewer nodes and far fewer edges than the state machine has states', () => {
    // Prepare: what the README shows (checked against the CLI below).
    const generic = mermaidSize(readmeBlock('<!-- vouch show ec2-canary -->'));
    const concrete = mermaidSize(readmeBlock('<!-- vouch show example -->'));
    const states = (function count(states: Record<string, Record<string, unknown>>): number {
      return Object.values(states).reduce((n, s) => {
        const inner = [
          ...((s.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []),
          ...(s.ItemProcessor
            ? [s.ItemProcessor as { States: Record<string, Record<string, unknown>> }]
            : []),
        ];
        return n + 1 + inner.reduce((k, b) => k + count(b.States), 0);
      }, 0);
    })(compileFlavour('ec2-canary').States as Record<string, Record<string, unknown>>);
    // Assess (the old drawing of ec2-canary: 37 nodes, 60 edges, 24 of them dashed "fails" arrows)
    expect(states).toBeGreaterThan(30);
    expect(generic.nodes).toBeLessThanOrEqual(21);
    expect(generic.edges).toBeLessThanOrEqual(18);
    // Two environments of three canary steps each: 10 nodes more, no failure edge more.
    expect(concrete.nodes).toBeLessThanOrEqual(31);
    expect(concrete.edges).toBeLessThanOrEqual(27);
  });

  it("prints what the README shows, for a flavour and for the example service's folder", async () => {
    // Act
    const ci = await show(work, '--pipe', 'ci');
    const ec2 = await show(work, '--pipe', 'ec2-canary');
    const example = await show(root, 'examples/orders/.vouch.yml');
    // Assess
    expect(ci.out).toBe(readmeBlock('<!-- vouch show ci -->'));
    expect(ec2.out).toBe(readmeBlock('<!-- vouch show ec2-canary -->'));
    expect(example.out).toBe(readmeBlock('<!-- vouch show example -->'));
  });

  it('cuts the picture at --run-to, keeping what always runs', async () => {
    // Act
    const result = await show(work, '--pipe', 'ec2-canary', '--run-to', 'deploy-test');
    // Assess
    expect(result.code).toBe(0);
    expect(labels(result.out)).toContain('deploy-test');
    expect(labels(result.out)).toContain('destroy-test');
    expect(labels(result.out)).not.toContain('functional-tests');
    expect(result.out).not.toMatch(/subgraph \w+\["release/);
  });

  it('refuses with exit 2 and a reason: no .vouch.yml up from here, an unknown flavour or task, a bad spec, two pipes', async () => {
    // Prepare
    const empty = join(work, 'not-a-service');
    mkdirSync(empty);
    const broken = join(work, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, '.vouch.yml'), 'pipe: ec2-canary\nservice: Orders\n');
    // Act
    const none = await show(empty);
    const flavour = await show(work, '--pipe', 'k8s');
    const task = await show(work, '--pipe', 'ci', '--run-to', 'deploy');
    const invalid = await show(broken);
    const both = await show(broken, '--pipe', 'ci', '.vouch.yml');
    // Assess
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no \.vouch\.yml in .*not-a-service or above.*--pipe/);
    expect(flavour.code).toBe(2);
    expect(flavour.err).toMatch(/unknown pipe "k8s"; shipped: ci, ec2-canary/);
    expect(task.code).toBe(2);
    expect(task.err).toMatch(/deploy/);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/\.vouch\.yml:2:\d+: service/);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/not both/);
    expect(none.out + flavour.out + task.out + invalid.out + both.out).toBe('');
  });
});
