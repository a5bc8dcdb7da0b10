import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  decodeServiceRegistry,
  encodeServiceRegistry,
  envContractOf,
  FUNCTION_ENV,
  RUNTIME_ENV,
  readFunctionEnv,
} from '../../lambdas/adapters/aws/functionEnvironment.ts';
import { TASK_TYPES, type TaskType } from '../../lambdas/core/pipeline/contract.ts';
import { TASK_LAMBDA_TIMEOUT_SECONDS } from '../../lambdas/core/pipeline/taskTimeouts.ts';
import { PlatformStack } from '../../lib/platform/PlatformStack.ts';
import { functionEnvironment } from '../../lib/platform/runtimeEnvironment.ts';
import { propsOf, resourcesOf, synthVouch } from './support/vouchApp.ts';

/** One wiring: each Lambda of the template gets exactly its contract's variables, and runs as long as its waits. */

const vouch = synthVouch();

function functions(): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const fn of Object.values(resourcesOf(vouch.platform, 'AWS::Lambda::Function'))) {
    const vars = (propsOf(fn).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    const name = vars?.POWERTOOLS_SERVICE_NAME;
    if (typeof name === 'string') out.set(name, propsOf(fn));
  }
  return out;
}

/** The template's variables as the function would see them: a reference or joined ARN becomes a string. */
function deployedEnvironment(props: Record<string, unknown>): NodeJS.ProcessEnv {
  const vars = (props.Environment as { Variables: Record<string, unknown> }).Variables;
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved:${JSON.stringify(v)}`]),
  );
}

const CONTRACTED = [
  ...TASK_TYPES,
  'webhook',
  'alarmEvent',
  'windowEnd',
  'bot',
  'reconciler',
  'sweeper',
  'control',
] as const;
const serviceName = (fn: (typeof CONTRACTED)[number]) =>
  (TASK_TYPES as readonly string[]).includes(fn)
    ? `vouch-task-${fn}`
    : {
        webhook: 'vouch-webhook',
        alarmEvent: 'vouch-alarm-event',
        windowEnd: 'vouch-window-end',
        bot: 'vouch-bot',
        reconciler: 'vouch-reconciler',
        sweeper: 'vouch-sweeper',
        control: 'vouch-control',
      }[fn as 'webhook'];

describe('the environment contract (lambdas/adapters/aws/functionEnvironment.ts) on the synthesized template', () => {
  it.each(CONTRACTED)(
    '%s: its handler reads its template environment, which sets nothing else of Vouch',
    (fn) => {
      // Prepare
      const props = functions().get(serviceName(fn));
      expect(props, fn).toBeDefined();
      const env = deployedEnvironment(props as Record<string, unknown>);
      const contract = FUNCTION_ENV[envContractOf(fn)];
      // Act
      const read = readFunctionEnv(envContractOf(fn), env);
      // Assess
      const own = Object.keys(env).filter((k) => k.startsWith('VOUCH_'));
      for (const key of own) expect(Object.keys(contract.shape), `${fn} sets ${key}`).toContain(key);
      expect(Object.keys(read).sort()).toEqual(
        Object.keys(contract.shape)
          .filter((k) => env[k] !== undefined)
          .sort(),
      );
    },
  );

  it('the window resumers name the schedule group verify creates window ends in', () => {
    const verify = deployedEnvironment(functions().get('vouch-task-verify') ?? {});
    const alarm = deployedEnvironment(functions().get('vouch-alarm-event') ?? {});
    expect(alarm[RUNTIME_ENV.windowScheduleGroup]).toBe('vouch-windows');
    expect(JSON.stringify(verify[RUNTIME_ENV.windowScheduleGroup])).toContain('vouch-windows');
  });

  it('synth refuses a function environment without a variable its contract requires, naming it', () => {
    expect(() => functionEnvironment('verify', { [RUNTIME_ENV.buildTable]: 'builds' })).toThrow(
      /VOUCH_WINDOW_SCHEDULE_GROUP/,
    );
    expect(() =>
      functionEnvironment('lock', { [RUNTIME_ENV.buildTable]: 'builds', [RUNTIME_ENV.botRoleArn]: 'x' }),
    ).toThrow(/does not read VOUCH_BOT_ROLE_ARN/);
  });
});

describe('defect 4: each task Lambda runs as long as its waits', () => {
  it.each(TASK_TYPES)('vouch-task-%s has its timeout from TASK_LAMBDA_TIMEOUT_SECONDS', (type: TaskType) => {
    expect(functions().get(`vouch-task-${type}`)?.Timeout).toBe(TASK_LAMBDA_TIMEOUT_SECONDS[type]);
  });

  it('bake outlives its 13-minute wait and deploy its 8-minute one', () => {
    expect(Number(functions().get('vouch-task-bake')?.Timeout)).toBeGreaterThan(13 * 60);
    expect(Number(functions().get('vouch-task-deploy')?.Timeout)).toBeGreaterThan(8 * 60);
  });
});

describe("risk: the build reads its task token from the table, its own service's items only", () => {
  it("grants the CodeBuild project's role GetItem on TASKTOKEN#<service>#* of the build table", () => {
    const template = vouch.services.get('orders');
    const statements = Object.values(
      resourcesOf(template ?? expect.unreachable(), 'AWS::IAM::Policy'),
    ).flatMap(
      (p) =>
        (propsOf(p).PolicyDocument as { Statement: { Action: unknown; Condition?: unknown }[] }).Statement,
    );
    const getItem = statements.filter((s) => s.Action === 'dynamodb:GetItem');
    expect(getItem).toHaveLength(1);
    expect(getItem[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TASKTOKEN#orders#*'] },
    });
  });
});

describe("risk: the webhook's service registry and Lambda's 4 KB of variables", () => {
  const registry = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      // Varied like real names, so compression is not flattered by repetition.
      name: `${['orders', 'catalog', 'payments', 'search', 'shipping', 'ledger'][i % 6]}-${(i * 7919).toString(36)}`,
      repo: `${['acme', 'example-org', 'shop-team'][i % 3]}/${(i * 104729).toString(36)}-svc`,
      flavour: i % 2 ? 'ec2-canary' : 'ci',
      team: `team-${(i * 31).toString(36)}`,
      solution: `solution-${i % 13}`,
    }));

  it('the template carries the registry compressed, and the webhook reads back exactly the config', () => {
    const env = deployedEnvironment(functions().get('vouch-webhook') ?? {});
    expect(env[RUNTIME_ENV.services]).toMatch(/^br64:/);
    expect(decodeServiceRegistry(String(env[RUNTIME_ENV.services]))).toEqual(
      vouch.config.services.map(({ name, repo, flavour, team, solution }) => ({
        name,
        repo,
        flavour,
        team,
        solution,
      })),
    );
  });

  it('150 services fit where plain JSON stopped at about 35', () => {
    const plain = JSON.stringify(registry(150)).length;
    const encoded = encodeServiceRegistry(registry(150)).length;
    expect(plain).toBeGreaterThan(4096);
    expect(encoded).toBeLessThan(3000);
  });

  it('synth refuses a registry that would not fit, naming the function', () => {
    const config = { ...vouch.config, services: [] };
    const app = new App();
    const tooMany = registry(2000).map((s) => ({ ...s, flavour: 'ci' }));
    expect(encodeServiceRegistry(tooMany).length).toBeGreaterThan(4096);
    expect(
      () =>
        new PlatformStack(app, 'TooBig', {
          config: {
            ...config,
            services: tooMany.map((s) => ({
              ...s,
              environments: [],
              scenarios: [],
              alarms: vouch.config.services[0]?.alarms,
            })),
          } as never,
          flavours: vouch.flavours,
          bundle: false,
        }),
    ).toThrow(/vouch-webhook: its environment variables take about \d+ bytes, over Lambda's 4096/);
  });
});
