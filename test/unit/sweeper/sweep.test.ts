import { describe, expect, it } from 'vitest';
import { SweepError } from '../../../lambdas/core/sweeper/errors.ts';
import { planSweep, type SweepableResource, sweep } from '../../../lambdas/core/sweeper/sweep.ts';

const NOW = new Date('2026-12-02T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();
const perRun = (
  kind: SweepableResource['kind'],
  id: string,
  runKey: string,
  age = 60,
): SweepableResource => ({
  kind,
  id,
  service: 'orders',
  runKey,
  createdAt: minutesAgo(age),
});
const image = (id: string, age: number, extra: Partial<SweepableResource> = {}): SweepableResource => ({
  kind: 'image',
  id,
  service: 'orders',
  createdAt: minutesAgo(age),
  ...extra,
});
const ids = (decisions: readonly { resource: SweepableResource }[]) =>
  decisions.map((d) => d.resource.id).sort();

describe('planSweep', () => {
  it('removes what ended runs left, and never what a running run owns', () => {
    const plan = planSweep(
      [
        perRun('instance', 'i-ended', 'run-1'),
        perRun('targetGroup', 'tg-ended', 'run-1'),
        perRun('schedule', 'sched-ended', 'run-2'),
        perRun('instance', 'i-running', 'run-3'),
        perRun('window', 'window-running', 'run-3'),
        perRun('alias', 'alias-new', 'run-4', 5), // its run is not readable as running yet
      ],
      { runKeys: new Set(['run-3']) },
      NOW,
    );
    expect(ids(plan.remove)).toEqual(['i-ended', 'sched-ended', 'tg-ended']);
    expect(ids(plan.keep)).toEqual(['alias-new', 'i-running', 'window-running']);
    expect(plan.keep.find((d) => d.resource.id === 'alias-new')?.reason).toMatch(/grace/);
    expect(plan.remove[0]?.reason).toMatch(/ended/);
  });

  it('removes a builder once no running run of its service releases its commit, after the grace', () => {
    // Prepare: builders of three commits of orders; a run of payments has commit c2 too.
    const builder = (id: string, commit: string, age = 60): SweepableResource => ({
      kind: 'builder',
      id,
      service: 'orders',
      environment: 'build',
      commit,
      createdAt: minutesAgo(age),
    });

    // Act
    const plan = planSweep(
      [
        builder('i-c1', 'c1'.repeat(20)),
        builder('i-c2', 'c2'.repeat(20)),
        builder('i-new', 'c3'.repeat(20), 5),
      ],
      {
        runKeys: new Set(['run-9']),
        commits: new Map([
          ['orders', new Set(['c1'.repeat(20)])],
          ['payments', new Set(['c2'.repeat(20)])],
        ]),
      },
      NOW,
    );

    // Assess
    expect(plan.remove.map((d) => [d.resource.id, d.reason])).toEqual([
      ['i-c2', 'no running run of orders releases its commit c2c2c2c2c2c2'],
    ]);
    expect(plan.keep.map((d) => [d.resource.id, d.reason])).toEqual([
      ['i-c1', 'a running run of orders releases its commit c1c1c1c1c1c1'],
      ['i-new', 'younger than the 15 min grace period'],
    ]);
  });

  it('keeps the newest N images per service, every serving one and those a running run baked', () => {
    const plan = planSweep(
      [
        image('ami-7', 10),
        image('ami-6', 20),
        image('ami-5', 30),
        image('ami-4', 40),
        image('ami-3', 50, { serving: true }), // prod still serves it: rollback target
        image('ami-2', 60),
        image('ami-1', 70),
        image('ami-0', 80),
        { ...image('pay-1', 500), service: 'payments' },
      ],
      { runKeys: new Set(), bakedImages: new Set(['ami-1']) },
      NOW,
      { keepImages: 3 },
    );
    expect(ids(plan.remove)).toEqual(['ami-0', 'ami-2', 'ami-4']);
    expect(ids(plan.keep)).toEqual(['ami-1', 'ami-3', 'ami-5', 'ami-6', 'ami-7', 'pay-1']);
  });

  it('keeps an image a kept test environment runs, not one only a removed environment ran', () => {
    const plan = planSweep(
      [
        image('ami-3', 10),
        image('ami-2', 20),
        image('ami-1', 30),
        { ...perRun('environment', 'orders.test.run-1', 'run-1'), images: ['ami-1'] },
        { ...perRun('environment', 'orders.test.run-2', 'run-2'), images: ['ami-2'] },
      ],
      { runKeys: new Set(['run-2']) },
      NOW,
      { keepImages: 1 },
    );
    expect(ids(plan.remove)).toEqual(['ami-1', 'orders.test.run-1']);
    expect(plan.keep.find((d) => d.resource.id === 'ami-2')?.reason).toMatch(/test environment runs it/);
  });

  it('refuses a policy that would leave nothing to roll back to, and an undated resource', () => {
    expect(() => planSweep([], { runKeys: new Set() }, NOW, { keepImages: 0 })).toThrow(SweepError);
    expect(() =>
      planSweep([{ ...image('ami-x', 1), createdAt: 'yesterday' }], { runKeys: new Set() }, NOW),
    ).toThrow(/creation time/);
  });
});

describe('sweep', () => {
  it('removes, records what it removed and why, and keeps going past a failed removal', async () => {
    const removed: string[] = [];
    const records: unknown[] = [];
    const report = await sweep({
      inventory: async () => [
        perRun('instance', 'i-1', 'run-1'),
        perRun('instance', 'i-2', 'run-1'),
        perRun('instance', 'i-3', 'run-9'),
      ],
      running: async () => ({ runKeys: new Set(['run-9']) }),
      remove: async (r) => {
        if (r.id === 'i-1') throw new Error('throttled');
        removed.push(r.id);
      },
      record: async (r) => {
        records.push(r);
      },
      now: () => NOW,
    });
    expect(removed).toEqual(['i-2']);
    expect(report.failed).toEqual([
      expect.objectContaining({ error: 'throttled', resource: expect.objectContaining({ id: 'i-1' }) }),
    ]);
    expect(report.kept).toBe(1);
    expect(records).toEqual([report]);
  });

  it('records nothing when there was nothing to remove', async () => {
    const records: unknown[] = [];
    await sweep({
      inventory: async () => [image('ami-1', 5)],
      running: async () => ({ runKeys: new Set() }),
      remove: async () => {},
      record: async (r) => {
        records.push(r);
      },
      now: () => NOW,
    });
    expect(records).toEqual([]);
  });
});
