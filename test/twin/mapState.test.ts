/**
 * Step Functions' Map semantics on the twin: once an iteration fails, no later iteration starts (the
 * canary rolled back at 20 % must not go on to shift 50 %). aws-local-stepfunctions alone starts the
 * iteration queued under MaxConcurrency after the Map failed; lambdas/twin/stepFunctions.ts stops it.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import '../../lambdas/twin/stepFunctions.ts';

const definition = {
  StartAt: 'steps',
  States: {
    steps: {
      Type: 'Map',
      ItemsPath: '$.steps',
      MaxConcurrency: 1,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'shift',
        States: {
          shift: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:shift',
            End: true,
          },
        },
      },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'rollback' }],
      End: true,
    },
    rollback: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:rollback',
      End: true,
    },
  },
};

describe('a Map state on the twin', () => {
  it('starts no iteration after one failed, and runs every iteration when none fails', async () => {
    const calls: string[] = [];
    const handlers = {
      shift: async (step: number) => {
        calls.push(`shift ${step}`);
        if (step === 20) throw Object.assign(new Error('step 20 failed'), { name: 'CanaryStepFailed' });
        return step;
      },
      rollback: async () => {
        calls.push('rollback');
        return 'rolled back';
      },
    };
    const sm = new StateMachine(definition as never, { validationOptions: { checkPaths: false } });
    const failed = sm.run({ steps: [20, 50, 100] } as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
    });
    expect(await failed.result).toBe('rolled back');
    // Let anything still queued run, as it did before the fix (shift 50 after the rollback).
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toEqual(['shift 20', 'rollback']);

    calls.length = 0;
    const passed = sm.run({ steps: [10, 50, 100] } as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
    });
    expect(await passed.result).toEqual([10, 50, 100]);
    expect(calls).toEqual(['shift 10', 'shift 50', 'shift 100']);
  });
});
