import { describe, expect, it } from 'vitest';
import { runPipeLocally } from '../../../lambdas/adapters/local/engine.ts';
import type { RunInput } from '../../../lambdas/core/pipeline/contract.ts';
import {
  compileFlavour,
  FLAVOURS,
  loadFlavour,
  parseServiceSpec,
  runConfig,
  taskNames,
  UnknownTaskError,
} from '../../../lambdas/core/spec/index.ts';
import { validateAsl } from '../../../lambdas/core/spec/validateAsl.ts';

/** Every shipped flavour compiles to valid ASL and runs in mock mode in the order its spec says. */

function inputFor(pipe: string, extra = ''): RunInput {
  const spec = parseServiceSpec(
    // With build and test commands, so their tasks run (without one, the state machine skips them).
    `pipe: ${pipe}\nservice: orders\nteam: checkout\nsolution: webshop\nbuild:\n  command: make\ntest:\n  command: make test\ncanary:\n  steps: [10, 100]\n${extra}`,
  );
  return {
    service: spec.service,
    team: spec.team,
    solution: spec.solution,
    repo: 'examples/orders',
    commit: 'a'.repeat(40),
    branch: 'main',
    execution: 'test-run',
    pipe,
    config: runConfig(spec),
  };
}

const order = (r: { recorded: readonly { task: string; environment?: string; step?: number }[] }) =>
  r.recorded.map((t) => [t.task, t.environment, t.step].filter((x) => x !== undefined).join('@'));

describe.each(FLAVOURS)('flavour %s', (flavour) => {
  it('compiles to ASL that asl-validator accepts, for the whole pipe, run-to and run-task', () => {
    const names = taskNames(loadFlavour(flavour));
    for (const options of [{}, { runTo: names[1] }, { runTask: names[1] }]) {
      const result = validateAsl(compileFlavour(flavour, options));
      expect(result.errors).toEqual([]);
      expect(result.valid).toBe(true);
    }
  });

  it('is a pure function of the pipe', () => {
    expect(JSON.stringify(compileFlavour(flavour))).toBe(JSON.stringify(compileFlavour(flavour)));
  });

  it('names every Lambda through a definitionSubstitutions placeholder', () => {
    const json = JSON.stringify(compileFlavour(flavour));
    expect(json).toMatch(/\$\{TaskFn_version\}/);
    expect(json).not.toMatch(/arn:aws:lambda/);
  });
});

describe('asl-validator catches what the compiler must never emit', () => {
  it('rejects a dangling Next', () => {
    const asl = compileFlavour('ci');
    (asl.States.begin as Record<string, unknown>).Next = 'nowhere';
    expect(validateAsl(asl).valid).toBe(false);
  });
});

describe('ci in mock mode', () => {
  it('runs first, main (parallel stage included) and last in order', async () => {
    const result = await runPipeLocally(compileFlavour('ci'), inputFor('ci') as never, { mock: true });
    expect(result.status).toBe('SUCCEEDED');
    const ran = order(result);
    expect(ran.slice(0, 2)).toEqual(['version', 'build']);
    // The parallel stage's tasks both ran, in either order, after build and before last.
    expect(new Set(ran.slice(2, 4))).toEqual(new Set(['test', 'bake']));
    expect(ran.slice(4)).toEqual(['release-locks', 'report', 'notify']);
  });

  it('a failing main task skips the rest of main, runs last, and the run FAILS with its cause', async () => {
    const result = await runPipeLocally(compileFlavour('ci'), inputFor('ci') as never, {
      mock: { fail: ['build'] },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('MockTaskFailed');
    expect(result.cause).toMatch(/build/);
    expect(order(result)).toEqual(['version', 'build', 'release-locks', 'report', 'notify']);
  });

  it('a failing first task skips main and still runs last', async () => {
    const result = await runPipeLocally(compileFlavour('ci'), inputFor('ci') as never, {
      mock: { fail: ['version'] },
    });
    expect(result.status).toBe('FAILED');
    expect(order(result)).toEqual(['version', 'release-locks', 'report', 'notify']);
  });

  it('a failing cleanup task does not stop the next one, and the run fails', async () => {
    const result = await runPipeLocally(compileFlavour('ci'), inputFor('ci') as never, {
      mock: { fail: ['release-locks'] },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('MockTaskFailed');
    const ran = order(result);
    expect(ran.slice(0, 2)).toEqual(['version', 'build']);
    expect(ran.slice(4)).toEqual(['release-locks', 'report', 'notify']);
  });
});

describe('ec2-canary in mock mode', () => {
  const test = ['version', 'build', 'bake', 'provision-test@test', 'deploy-test@test'];
  const checks = ['verify-test@test', 'passed-test@test'];
  const releaseTo = (env: string) => [
    `lock@${env}`,
    `deploy-canary@${env}`,
    `canary-shift@${env}@10`,
    `canary-verify@${env}@10`,
    `canary-judge@${env}@10`,
    `canary-shift@${env}@100`,
    `canary-verify@${env}@100`,
    `canary-judge@${env}@100`,
    `promote@${env}`,
    `unlock@${env}`,
  ];
  const last = ['destroy-test@test', 'release-locks', 'report', 'notify'];

  it('bakes, tests in an ephemeral environment, releases qa then prod step by step, cleans up', async () => {
    const result = await runPipeLocally(compileFlavour('ec2-canary'), inputFor('ec2-canary') as never, {
      mock: true,
    });
    expect(result.status).toBe('SUCCEEDED');
    const ran = order(result);
    expect(ran.slice(0, test.length)).toEqual(test);
    const tests = ran.slice(test.length, test.length + 2);
    expect(new Set(tests)).toEqual(new Set(['functional-tests@test', 'load-tests@test']));
    expect(ran.slice(test.length + 2)).toEqual([
      ...checks,
      ...releaseTo('qa'),
      ...releaseTo('prod'),
      ...last,
    ]);
  });

  it('a failed canary step rolls back that environment, never reaches the next step or prod, and cleans up', async () => {
    const result = await runPipeLocally(compileFlavour('ec2-canary'), inputFor('ec2-canary') as never, {
      mock: { fail: ['canary-judge'] },
    });
    expect(result.status).toBe('FAILED');
    const ran = order(result);
    expect(ran.slice(test.length + 2)).toEqual([
      ...checks,
      'lock@qa',
      'deploy-canary@qa',
      'canary-shift@qa@10',
      'canary-verify@qa@10',
      'canary-judge@qa@10',
      'rollback@qa',
      'unlock-after-rollback@qa',
      ...last,
    ]);
  });

  it('run-to stops after the named task; first and last still run', async () => {
    const result = await runPipeLocally(
      compileFlavour('ec2-canary', { runTo: 'deploy-test' }),
      inputFor('ec2-canary') as never,
      { mock: true },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(order(result)).toEqual([...test, ...last]);
  });

  it('run-task runs one task alone', async () => {
    const result = await runPipeLocally(
      compileFlavour('ec2-canary', { runTask: 'bake' }),
      inputFor('ec2-canary') as never,
      { mock: true },
    );
    expect(order(result)).toEqual(['bake']);
  });

  it('run-task of a per-environment task runs it once per release environment', async () => {
    const result = await runPipeLocally(
      compileFlavour('ec2-canary', { runTask: 'promote' }),
      inputFor('ec2-canary') as never,
      { mock: true },
    );
    expect(order(result)).toEqual(['promote@qa', 'promote@prod']);
  });

  it('run-to an unknown task is refused with the list of tasks', () => {
    expect(() => compileFlavour('ec2-canary', { runTo: 'deploy-prod' })).toThrow(UnknownTaskError);
    expect(() => compileFlavour('ec2-canary', { runTo: 'deploy-prod' })).toThrow(
      /the pipe's tasks are: version, build, bake/,
    );
  });

  it('keeps the execution history with durations', async () => {
    const result = await runPipeLocally(compileFlavour('ec2-canary'), inputFor('ec2-canary') as never, {
      mock: true,
    });
    const bake = result.history.find((h) => h.state === 'bake' && h.kind === 'succeeded');
    expect(bake?.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.history.at(-1)).toMatchObject({ kind: 'finished', status: 'SUCCEEDED' });
  });
});
