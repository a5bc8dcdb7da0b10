import { describe, expect, it } from 'vitest';
import {
  EnvironmentWatcher,
  evidenceKeyOf,
} from '../../../lambdas/adapters/local/platform/environmentWatcher.ts';
import type { BotSchedule } from '../../../lambdas/adapters/local/scheduler.ts';
import { parseServiceSpec } from '../../../lambdas/core/spec/index.ts';
import type { DeployTarget, Environment } from '../../../lambdas/core/target/port.ts';

const spec = parseServiceSpec(
  'pipe: ci\nservice: orders\nteam: checkout\nsolution: webshop\n' +
    'bots:\n  scenarios:\n    - name: browse\n      steps:\n        - path: /orders\n',
);

function environment(name: string, ephemeral: boolean): Environment {
  return {
    id: ephemeral ? `orders.${name}.run-1` : `orders.${name}`,
    service: 'orders',
    name,
    ephemeral,
    tags: { service: 'orders', team: 'checkout', solution: 'webshop' },
    proxyUrl: 'http://127.0.0.1:1',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

function fixture() {
  const defined: string[] = [];
  const removedAlarms: string[] = [];
  const bots: BotSchedule[] = [];
  const removedBots: string[] = [];
  const destroyed: string[] = [];
  const watcher = new EnvironmentWatcher({
    specOf: (service) => (service === 'orders' ? spec : undefined),
    metrics: {
      defineAlarms: (alarms) => defined.push(...alarms.map((a) => a.name)),
      removeAlarms: (names) => removedAlarms.push(...names),
    },
    scheduler: {
      addBot: (schedule) => {
        bots.push(schedule);
        return true;
      },
      removeBot: (service, environment, scenario) =>
        removedBots.push(`${service}/${environment}/${scenario}`),
    },
    target: { describe: async () => ({}) as Awaited<ReturnType<DeployTarget['describe']>> },
  });
  const inner = {
    deploy: async (_image: unknown, env: Environment) => ({ environment: env }),
    destroy: async (env: { id: string }) => {
      destroyed.push(env.id);
    },
  } as unknown as DeployTarget;
  return { watcher, target: watcher.watching(inner), defined, removedAlarms, bots, removedBots, destroyed };
}

describe('EnvironmentWatcher', () => {
  it('files an ephemeral environment’s evidence per run, a lasting one by its name', () => {
    expect(evidenceKeyOf(environment('prod', false))).toBe('prod');
    expect(evidenceKeyOf(environment('test', true))).not.toBe('test');
    expect(evidenceKeyOf(environment('test', true))).toContain('run-1');
  });

  it('defines alarms and schedules bots at the first deploy only, and stops them at destroy', async () => {
    const f = fixture();
    const env = environment('test', true);
    await f.target.deploy({} as never, env, {} as never);
    await f.target.deploy({} as never, env, {} as never);
    expect(f.bots.map((b) => [b.environment, b.scenario.name])).toEqual([['test', 'browse']]);
    expect(f.defined.length).toBeGreaterThan(0);

    await f.target.destroy(env);
    expect(f.removedBots).toEqual([`orders/${evidenceKeyOf(env)}/browse`]);
    // A run's own environment is gone for good: its alarms go too.
    expect(f.removedAlarms).toEqual(f.defined);
    expect(f.destroyed).toEqual([env.id]);
  });

  it('keeps a lasting environment’s alarms when it is destroyed, and ignores unknown services', async () => {
    const f = fixture();
    const prod = environment('prod', false);
    await f.target.deploy({} as never, prod, {} as never);
    await f.target.destroy(prod);
    expect(f.removedAlarms).toEqual([]);
    f.watcher.watch({ ...prod, service: 'billing', id: 'billing.prod' });
    expect(f.bots).toHaveLength(1);
  });
});
