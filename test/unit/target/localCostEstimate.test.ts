import { describe, expect, it } from 'vitest';
import {
  DELIVERY_ENGINE,
  estimateLocalCost,
  LOCAL_PRICE_TABLE,
  renderCostTable,
} from '../../../lambdas/core/cost/localEstimate.ts';
import type { ResourceRecord } from '../../../lambdas/core/target/port.ts';

const payments = { service: 'orders', team: 'payments', solution: 'shop' };
const search = { service: 'catalog', team: 'search', solution: 'shop' };
const t0 = Date.parse('2024-05-01T00:00:00.000Z');
const at = (hours: number): string => new Date(t0 + hours * 3_600_000).toISOString();

const records: ResourceRecord[] = [
  // orders in prod: proxy up 10 h, baseline 10 h, a canary for 2 h
  { id: 'env-prod', kind: 'environment', tags: payments, environment: 'prod', createdAt: at(0) },
  { id: 'p1', kind: 'process', tags: payments, environment: 'prod', createdAt: at(0) },
  { id: 'p2', kind: 'process', tags: payments, environment: 'prod', createdAt: at(4), endedAt: at(6) },
  // orders test env lived 1 h with one process
  {
    id: 'env-test',
    kind: 'environment',
    tags: payments,
    environment: 'test',
    createdAt: at(1),
    endedAt: at(2),
  },
  { id: 'p3', kind: 'process', tags: payments, environment: 'test', createdAt: at(1), endedAt: at(2) },
  // an image of 1 GiB stored 73 h (a tenth of a month)
  { id: 'img', kind: 'image', tags: payments, createdAt: at(-63), sizeBytes: 2 ** 30 },
  // catalog in qa: 3 h of one process
  { id: 'p4', kind: 'process', tags: search, environment: 'qa', createdAt: at(7) },
];

describe('estimateLocalCost', () => {
  it('prices resource time with the table and groups by team, service, solution and environment', () => {
    // Act
    const estimate = estimateLocalCost(records, { now: new Date(at(10)) });
    // Assess
    const p = LOCAL_PRICE_TABLE;
    const prod = 10 * p.environmentHourUsd + 12 * p.processHourUsd;
    const test = 1 * p.environmentHourUsd + 1 * p.processHourUsd;
    const engine = 0.1 * p.imageGbMonthUsd;
    const qa = 3 * p.processHourUsd;
    expect(estimate.label).toBe('ESTIMATE');
    const line = (service: string, environment: string) =>
      estimate.lines.find((l) => l.service === service && l.environment === environment);
    expect(line('orders', 'prod')?.usd).toBeCloseTo(prod, 12);
    expect(line('orders', 'prod')?.usage.processHours).toBeCloseTo(12, 9);
    expect(line('orders', 'test')?.usd).toBeCloseTo(test, 12);
    expect(line('orders', DELIVERY_ENGINE)?.usage.imageGbMonths).toBeCloseTo(0.1, 9);
    expect(line('catalog', 'qa')?.usd).toBeCloseTo(qa, 12);
    expect(estimate.totalUsd).toBeCloseTo(prod + test + engine + qa, 12);
    expect(estimate.byTeam.map((t) => t.key)).toEqual(['payments', 'search']);
    expect(estimate.byTeam[0]?.usd).toBeCloseTo(prod + test + engine, 12);
    expect(estimate.bySolution).toHaveLength(1);
    expect(estimate.bySolution[0]?.usd).toBeCloseTo(estimate.totalUsd, 12);
    expect(estimate.byEnvironment.map((e) => e.key).sort()).toEqual(
      [DELIVERY_ENGINE, 'prod', 'qa', 'test'].sort(),
    );
  });

  it('clips usage to the window from..now', () => {
    // Act: from hour 5 to hour 10
    const estimate = estimateLocalCost(records, { now: new Date(at(10)), from: new Date(at(5)) });
    // Assess: prod baseline 5 h + canary 1 h; test env ended before the window
    const prod = estimate.lines.find((l) => l.environment === 'prod');
    expect(prod?.usage.processHours).toBeCloseTo(6, 9);
    expect(prod?.usage.environmentHours).toBeCloseTo(5, 9);
    expect(estimate.lines.find((l) => l.environment === 'test')?.usd ?? 0).toBe(0);
  });

  it('keeps one team when asked and prices delivery engine work', () => {
    // Act
    const estimate = estimateLocalCost(records, {
      now: new Date(at(10)),
      team: 'search',
      engineUsage: [
        { tags: search, lambdaGbSeconds: 1000, stateTransitions: 400 },
        { tags: payments, lambdaGbSeconds: 5 },
      ],
    });
    // Assess
    expect(new Set(estimate.lines.map((l) => l.team))).toEqual(new Set(['search']));
    const engine = estimate.lines.find((l) => l.environment === DELIVERY_ENGINE);
    expect(engine?.usd).toBeCloseTo(
      1000 * LOCAL_PRICE_TABLE.lambdaGbSecondUsd + 400 * LOCAL_PRICE_TABLE.stateTransitionUsd,
      12,
    );
  });

  it('renders a table labelled as an estimate with a total row', () => {
    const lines = renderCostTable(estimateLocalCost(records, { now: new Date(at(10)) }));
    expect(lines[0]).toMatch(/^ESTIMATE/);
    expect(lines[1]).toMatch(/team\s+service\s+solution\s+environment\s+USD/);
    expect(lines.at(-1)).toMatch(/^total\s+\$\d+\.\d{6}$/);
  });
});
