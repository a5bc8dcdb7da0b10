import { describe, expect, it } from 'vitest';
import { runPipeLocally } from '../../../lambdas/adapters/local/engine.ts';
import { TASK_LAMBDA_TIMEOUT_SECONDS } from '../../../lambdas/core/pipeline/taskTimeouts.ts';
import { COMMAND_CALLBACK_HEARTBEAT_SECONDS } from '../../../lambdas/core/spec/compile.ts';
import {
  type AslState,
  compileFlavour,
  FLAVOURS,
  parseServiceSpec,
  runConfig,
} from '../../../lambdas/core/spec/index.ts';

/** Every Task state of a definition, nested ones (Parallel branches, Map processors) included. */
function taskStates(states: Record<string, AslState>): [string, AslState][] {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [[name, state] as [string, AslState]] : []),
    ...((state.Branches as { States: Record<string, AslState> }[] | undefined) ?? []).flatMap((b) =>
      taskStates(b.States),
    ),
    ...taskStates((state.ItemProcessor as { States: Record<string, AslState> } | undefined)?.States ?? {}),
  ]);
}

const typeOf = (state: AslState): string => {
  const p = state.Parameters as { task?: { type?: string }; Payload?: { task?: { type?: string } } };
  return String(p?.task?.type ?? p?.Payload?.task?.type ?? '');
};

function ciInput(extra: string) {
  const spec = parseServiceSpec(`pipe: ci\nservice: orders\nteam: checkout\nsolution: webshop\n${extra}`);
  return {
    service: spec.service,
    team: spec.team,
    solution: spec.solution,
    repo: 'examples/orders',
    commit: 'a'.repeat(40),
    branch: 'main',
    execution: 'run-1',
    pipe: 'ci',
    config: runConfig(spec),
  };
}

describe('defect 6: build and test without a command never wait for a token', () => {
  it('the local engine skips the test Task state when .vouch.yml has no command; build still runs', async () => {
    const result = await runPipeLocally(compileFlavour('ci'), ciInput('') as never, { mock: true });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.recorded.map((t) => t.task)).not.toContain('test');
    const entered = result.history
      .filter((h) => h.kind === 'entered' || h.kind === 'succeeded')
      .map((h) => h.state);
    expect(entered).toContain('test-skipped');
    expect(entered).not.toContain('test');
    // On AWS a build without a command still packs and uploads the artifact bake needs (its CodeBuild
    // build sends the token); locally the build task answers at once.
    expect(entered).toContain('build');
    expect(entered).not.toContain('build-skipped');
  });

  it('with a command, the callback Task runs', async () => {
    const result = await runPipeLocally(
      compileFlavour('ci'),
      ciInput('build:\n  command: make\ntest:\n  command: make test\n') as never,
      { mock: true },
    );

    expect(result.status).toBe('SUCCEEDED');
    expect(result.recorded.map((t) => t.task)).toEqual(expect.arrayContaining(['build', 'test']));
  });

  it.each(FLAVOURS)(
    '%s: every waitForTaskToken test state is behind a Choice on its command; build and test states need heartbeats',
    (flavour) => {
      const asl = compileFlavour(flavour);
      const json = JSON.stringify(asl);
      for (const [name, state] of taskStates(asl.States)) {
        if (!String(state.Resource).endsWith('.waitForTaskToken') || typeOf(state) === 'verify') continue;
        if (typeOf(state) === 'test') {
          expect(json).toContain(`"Next":"${name}"`);
          expect(json).toContain('config.test.command');
        }
        // Bounded by the longest command .vouch.yml allows, not a day, and by the build's heartbeats:
        // a build that dies before post_build fails the state within ten minutes.
        expect(state.TimeoutSeconds).toBeLessThanOrEqual(9 * 3600);
        expect(state.HeartbeatSeconds, name).toBe(COMMAND_CALLBACK_HEARTBEAT_SECONDS);
        expect(COMMAND_CALLBACK_HEARTBEAT_SECONDS).toBeLessThanOrEqual(600);
      }
    },
  );
});

describe('defect 4: Task timeouts fit their waits, and a timed-out Lambda or waiter is retried', () => {
  it.each(FLAVOURS)('%s: each Lambda Task state outlives its Lambda and retries timeouts', (flavour) => {
    const tasks = taskStates(compileFlavour(flavour).States).filter(
      ([, s]) => !String(s.Resource).endsWith('.waitForTaskToken'),
    );
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, state] of tasks) {
      const type = typeOf(state) as keyof typeof TASK_LAMBDA_TIMEOUT_SECONDS;
      expect(state.TimeoutSeconds, name).toBeGreaterThan(TASK_LAMBDA_TIMEOUT_SECONDS[type]);
      const retried = (state.Retry as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
      expect(retried, name).toEqual(
        expect.arrayContaining(['Sandbox.Timedout', 'Lambda.Unknown', 'WaiterTimeoutError']),
      );
    }
  });

  it.each(FLAVOURS)('%s: every Task state retries throttling that outlasted the SDK’s retries', (flavour) => {
    const tasks = taskStates(compileFlavour(flavour).States);
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, state] of tasks) {
      const retried = (state.Retry as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
      expect(retried, name).toEqual(
        expect.arrayContaining(['BuildDataThrottledError', 'ThrottlingException', 'RequestLimitExceeded']),
      );
    }
  });

  it('bake may wait 13 minutes and deploy 8 inside their Lambdas', () => {
    expect(TASK_LAMBDA_TIMEOUT_SECONDS.bake).toBeGreaterThanOrEqual(13 * 60 + 60);
    expect(TASK_LAMBDA_TIMEOUT_SECONDS.deploy).toBeGreaterThanOrEqual(8 * 60 + 60);
    expect(TASK_LAMBDA_TIMEOUT_SECONDS.bake).toBeLessThanOrEqual(900); // Lambda's maximum
  });
});
