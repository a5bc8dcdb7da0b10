import { describe, expect, it } from 'vitest';
import { type AslState, compileFlavour, type PipeShape } from '../../../lambdas/core/spec/index.ts';

/** The version task stores the run's pipe shape with its build: the stages this run has. */
const shapeOf = (definition: { States: Record<string, AslState> }): PipeShape => {
  const version = definition.States.version;
  if (!version) throw new Error('no version state');
  return (version.Parameters as { task: { params: { pipeShape: PipeShape } } }).task.params.pipeShape;
};

describe('the pipe shape a run stores', () => {
  it('lists every stage of the flavour with its section, tasks and compensation', () => {
    const shape = shapeOf(compileFlavour('ec2-canary'));
    expect(shape.pipe).toBe('ec2-canary');
    expect(shape.stages.map((s) => `${s.section}:${s.stage}`)).toEqual([
      'first:start',
      'main:bake',
      'main:test-environment',
      'main:tests',
      'main:verify-test',
      'main:release',
      'last:cleanup',
      'last:finish',
    ]);
    const release = shape.stages.find((s) => s.stage === 'release');
    expect(release).toMatchObject({ each: 'releaseEnvironments', parallel: false });
    expect(release?.tasks.map((t) => t.type)).toEqual(['lock', 'deploy', 'canary', 'promote', 'unlock']);
    expect(release?.onFailure.map((t) => t.name)).toEqual(['rollback', 'unlock-after-rollback']);
    expect(shape.stages.find((s) => s.stage === 'tests')?.parallel).toBe(true);
  });

  it('is the shape as cut by run-to: a run drawn later shows the stages it had', () => {
    const shape = shapeOf(compileFlavour('ec2-canary', { runTo: 'deploy-test' }));
    expect(shape.stages.map((s) => s.stage)).toEqual([
      'start',
      'bake',
      'test-environment',
      'cleanup',
      'finish',
    ]);
  });
});
