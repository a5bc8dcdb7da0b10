// Canaries stopped runs left in lasting environments (canarySweep.ts): found by describing each
// lasting environment of each service that has a deploy target, owned by the environment's lock
// holder, removed by the target's rollback. Ephemeral environments are not this inventory's.
import { describe, expect, it, vi } from 'vitest';
import { parseReconcileRegistry } from '../../../lambdas/adapters/aws/reconcile/registry.ts';
import { lastingCanaries } from '../../../lambdas/adapters/aws/sweeper/canarySweep.ts';
import { NO_LOCK_HOLDER, sweep } from '../../../lambdas/core/sweeper/sweep.ts';
import { EnvironmentNotFoundError } from '../../../lambdas/core/target/errors.ts';
import type { EnvironmentDescription } from '../../../lambdas/core/target/port.ts';

const NOW = new Date('2026-12-02T12:00:00Z');
const HOURS_AGO = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();
const SERVICES = parseReconcileRegistry(
  JSON.stringify([
    {
      service: 'orders',
      team: 'checkout',
      flavour: 'ec2-canary',
      environments: [
        { name: 'test', ephemeral: true },
        { name: 'qa', ephemeral: false },
        { name: 'prod', ephemeral: false },
      ],
    },
    {
      service: 'tools',
      team: 'platform',
      flavour: 'ci',
      environments: [{ name: 'qa', ephemeral: false }],
    },
  ]),
);

const slot = (image: string, since: string) => ({ image, version: '7', url: 'http://slot', since });

/** What describe answers per environment id; an id missing here was never deployed. */
function describedAs(descriptions: Record<string, Omit<EnvironmentDescription, 'environment' | 'proxyUrl'>>) {
  return vi.fn(async ({ id }: { id: string }): Promise<EnvironmentDescription> => {
    const d = descriptions[id];
    if (d === undefined) throw new EnvironmentNotFoundError(id);
    const [service = '', name = ''] = id.split('.');
    return {
      ...d,
      proxyUrl: 'https://qa.example.com',
      environment: {
        id,
        service,
        name,
        ephemeral: false,
        tags: { service, team: 't', solution: 's' },
        proxyUrl: 'https://qa.example.com',
        createdAt: HOURS_AGO(100),
      },
    };
  });
}

function canaryDeps(describe: ReturnType<typeof describedAs>, holders: Record<string, string> = {}) {
  const rollback = vi.fn(async () => ({}) as EnvironmentDescription);
  const target = { describe, rollback };
  return {
    rollback,
    deps: {
      services: SERVICES,
      // `tools` is a ci flavour: no deploy target.
      targetOf: (service: string) => (service === 'orders' ? target : undefined),
      lockHolder: async (service: string, environment: string) => holders[`${service}.${environment}`],
    },
  };
}

describe('lastingCanaries', () => {
  it('finds a canary slot of qa or prod with its lock holder as its run, never looking at test', async () => {
    // Prepare: qa has a canary since two hours, its lock held by gh:delivery/42; prod serves only a baseline.
    const describe = describedAs({
      'orders.qa': {
        baseline: slot('ami-base', HOURS_AGO(50)),
        canary: slot('ami-new', HOURS_AGO(2)),
        weight: 20,
      },
      'orders.prod': { baseline: slot('ami-base', HOURS_AGO(50)), weight: 0 },
    });
    const { deps } = canaryDeps(describe, { 'orders.qa': 'gh:delivery/42' });

    // Act
    const found = await lastingCanaries(deps).inventory();

    // Assess: the run key is the holder's (runKeyOf), its age the canary's, its image in use while kept.
    expect(found).toEqual([
      {
        kind: 'canary',
        id: 'orders.qa',
        service: 'orders',
        environment: 'qa',
        runKey: 'gh-delivery-42',
        createdAt: HOURS_AGO(2),
        images: ['ami-new'],
      },
    ]);
    expect(describe.mock.calls.map(([ref]) => ref.id).sort()).toEqual(['orders.prod', 'orders.qa']);
  });

  it('finds traffic still weighted to a canary that is gone, dated by its environment, owned by nobody without a lock', async () => {
    // Prepare: prod sends 10 % to a canary slot whose instances or record are gone; nobody holds its lock.
    const describe = describedAs({
      'orders.prod': { baseline: slot('ami-base', HOURS_AGO(50)), weight: 10 },
    });
    const { deps } = canaryDeps(describe);

    // Act
    const found = await lastingCanaries(deps).inventory();

    // Assess
    expect(found).toEqual([
      expect.objectContaining({
        id: 'orders.prod',
        runKey: NO_LOCK_HOLDER,
        createdAt: HOURS_AGO(100),
        images: [],
      }),
    ]);
  });

  it('skips an environment never deployed to, and fails on any other describe error', async () => {
    // Prepare: neither qa nor prod is described (EnvironmentNotFoundError).
    const { deps } = canaryDeps(describedAs({}));
    const broken = canaryDeps(
      vi.fn(async () => {
        throw new Error('Rate exceeded');
      }),
    );

    // Act / Assess
    expect(await lastingCanaries(deps).inventory()).toEqual([]);
    await expect(lastingCanaries(broken.deps).inventory()).rejects.toThrow('Rate exceeded');
  });

  it('rolls the canary back through its service’s target; a service without a target has nothing to roll back', async () => {
    // Prepare
    const { deps, rollback } = canaryDeps(describedAs({}));
    const canaries = lastingCanaries(deps);
    const canary = { kind: 'canary' as const, runKey: NO_LOCK_HOLDER, createdAt: HOURS_AGO(1) };

    // Act
    await canaries.remove({ ...canary, id: 'orders.qa', service: 'orders', environment: 'qa' });
    await canaries.remove({ ...canary, id: 'tools.qa', service: 'tools', environment: 'qa' });

    // Assess
    expect(rollback.mock.calls).toEqual([[{ id: 'orders.qa' }]]);
  });

  it('through a sweep: rolls back the canary of an ended or absent holder, keeps a running holder’s', async () => {
    // Prepare: qa's canary is held by an ended run, prod's by a running one.
    const describe = describedAs({
      'orders.qa': { canary: slot('ami-a', HOURS_AGO(3)), weight: 20 },
      'orders.prod': { canary: slot('ami-b', HOURS_AGO(3)), weight: 5 },
    });
    const { deps, rollback } = canaryDeps(describe, {
      'orders.qa': 'gh:delivery/1',
      'orders.prod': 'gh:delivery/2',
    });
    const canaries = lastingCanaries(deps);

    // Act
    const report = await sweep({
      ...canaries,
      running: async () => ({ runKeys: new Set(['gh-delivery-2']) }),
      record: async () => undefined,
      now: () => NOW,
    });

    // Assess
    expect(rollback.mock.calls).toEqual([[{ id: 'orders.qa' }]]);
    expect(report.removed.map((d) => [d.resource.id, d.reason])).toEqual([
      ['orders.qa', 'its run gh-delivery-1 ended'],
    ]);
    expect(report.kept).toBe(1);
  });
});
