// Issue 13: a verification window's Task state waits for its window plus slack, not a fixed day. The
// state before each window asks the verify function for that time; the Task reads it with
// TimeoutSecondsPath; the engines on aws-local-stepfunctions resolve that path as Step Functions does.
import { describe, expect, it } from 'vitest';
import { runPipeLocally } from '../../../lambdas/adapters/local/engine.ts';
import type { JsonValue, RunInput, TaskInput } from '../../../lambdas/core/pipeline/contract.ts';
import { TIMEOUT_SLACK_SECONDS } from '../../../lambdas/core/pipeline/evidenceTasks.ts';
import { createPipelineTasks, type PipelinePorts } from '../../../lambdas/core/pipeline/tasks.ts';
import type { AslDefinition, AslState } from '../../../lambdas/core/spec/compile.ts';
import { compileFlavour } from '../../../lambdas/core/spec/index.ts';
import { AFTER_VERSION, taskEvent } from '../aws-pipeline/fixtures.ts';

/** Every state of a definition with its name, nested ones included. */
function allStates(states: Record<string, AslState>, out: [string, AslState][] = []): [string, AslState][] {
  for (const [name, state] of Object.entries(states)) {
    out.push([name, state]);
    for (const b of (state.Branches as { States: Record<string, AslState> }[] | undefined) ?? [])
      allStates(b.States, out);
    const processor = state.ItemProcessor as { States: Record<string, AslState> } | undefined;
    if (processor) allStates(processor.States, out);
  }
  return out;
}

/** The states that go to `target`: Next, Choice branches and Default, Catch. */
function into(states: [string, AslState][], target: string): string[] {
  return states
    .filter(([, s]) =>
      [
        s.Next,
        s.Default,
        ...((s.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
        ...((s.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ].includes(target),
    )
    .map(([name]) => name);
}

describe('the verify Task state’s timeout comes from its window', () => {
  it('every window Task reads TimeoutSecondsPath from its own timeout state, entered first every time', () => {
    // Prepare
    const states = allStates(compileFlavour('ec2-canary').States);
    const windows = states.filter(([, s]) => String(s.Resource).endsWith('waitForTaskToken'));
    const verifies = windows.filter(([, s]) => JSON.stringify(s.Parameters).includes('"type":"verify"'));

    // Assess: the test window, the canary step's window and its pause; none has a fixed timeout.
    expect(verifies.map(([name]) => name).sort()).toEqual(['canary-pause', 'canary-verify', 'verify-test']);
    for (const [name, state] of verifies) {
      expect(state.TimeoutSeconds, name).toBeUndefined();
      expect(state.TimeoutSecondsPath).toBe(`$.out.${name}-timeout.timeoutSeconds`);
      const timeout = states.find(([n]) => n === `${name}-timeout`)?.[1];
      expect(timeout).toMatchObject({ Type: 'Task', ResultPath: `$.out.${name}-timeout`, Next: name });
      // An extension or a pause (the canary's Choice) enters the window again through its timeout state.
      expect(into(states, name)).toEqual([`${name}-timeout`]);
    }
  });

  it('the verify function asked timeoutOnly answers the window plus slack: the step’s window, the pause’s day', async () => {
    // Prepare: a window opened would call ports.verify; none may be.
    const opened: TaskInput[] = [];
    const tasks = createPipelineTasks({
      builds: {
        recordTaskEvent: async () => {},
      },
      verify: async (input: TaskInput) => {
        opened.push(input);
        return {};
      },
    } as unknown as PipelinePorts);
    const ask = (params: Record<string, JsonValue>, step?: TaskInput['step']) =>
      tasks.verify({
        ...taskEvent('verify', {
          name: 'w-timeout',
          params: { ...params, timeoutOnly: true },
          out: AFTER_VERSION,
          item: { name: 'qa' },
          config: { verification: { windowSeconds: 300 } },
        }),
        ...(step === undefined ? {} : { step }),
      });

    // Act
    const answers = [
      await ask({}),
      await ask({ canary: true }, { traffic: 10, windowSeconds: 900 }),
      await ask({ canary: true }, 5),
      await ask({ canary: true, pause: true }, { traffic: 10, windowSeconds: 900 }),
    ];

    // Assess
    expect(answers).toEqual(
      [300, 900, 300, 86_400].map((w) => ({ timeoutSeconds: w + TIMEOUT_SLACK_SECONDS })),
    );
    expect(opened).toEqual([]);
  });

  it('the local engine resolves TimeoutSecondsPath in the state input: a window nobody resumes ends in States.Timeout', async () => {
    // Prepare: one window Task whose timeout (1 s) is read from the run state, as the compiler emits.
    const definition: AslDefinition = {
      Comment: 'one window',
      StartAt: 'window',
      States: {
        window: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: '${TaskFn_verify}',
            Payload: {
              task: { name: 'window', type: 'verify', params: {} },
              'run.$': '$',
              'token.$': '$$.Task.Token',
            },
          },
          TimeoutSecondsPath: '$.out.window-timeout.timeoutSeconds',
          ResultPath: '$.out.window',
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'timedOut' }],
          End: true,
        },
        timedOut: { Type: 'Pass', End: true },
      },
    };
    const input = { ...taskEvent('verify').run, out: { 'window-timeout': { timeoutSeconds: 1 } } };

    // Act: the window is never resumed.
    const result = await runPipeLocally(definition, input as RunInput, {
      tasks: { verify: () => new Promise<JsonValue>(() => {}) },
    });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { timeout?: { Error?: string } }).timeout?.Error).toBe('States.Timeout');
  });
});
