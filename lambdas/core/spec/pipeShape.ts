/**
 * The pipe shape a run stores with its build: the stages and tasks of the pipe as compiled for that
 * run (after run-to / run-task), small enough for the build item. History and the dashboard draw an
 * execution from it, so a run is shown with the stages it had, whatever the flavour says today.
 */
import type { JsonValue } from '../pipeline/contract.ts';
import type { PipeSpec, StageSpec } from './schema.ts';

export interface PipeShapeTask {
  readonly name: string;
  readonly type: string;
}

export interface PipeShapeStage {
  readonly stage: string;
  readonly section: 'first' | 'main' | 'last';
  readonly parallel: boolean;
  /** Set when the stage runs once per item (one release per environment). */
  readonly each?: string;
  readonly tasks: readonly PipeShapeTask[];
  readonly onFailure: readonly PipeShapeTask[];
}

export interface PipeShape {
  readonly pipe: string;
  readonly stages: readonly PipeShapeStage[];
}

export function pipeShapeOf(
  pipe: Pick<PipeSpec, 'name' | 'first' | 'main' | 'last'>,
): PipeShape & { [key: string]: JsonValue } {
  const stage = (section: PipeShapeStage['section']) => (s: StageSpec) => ({
    stage: s.stage,
    section,
    parallel: s.parallel,
    ...(s.each ? { each: s.each } : {}),
    // `acquire` tasks (the deploy lock) run first in each iteration, outside the rollback scope.
    tasks: [...s.acquire, ...s.tasks].map((t) => ({ name: t.name, type: t.type })),
    onFailure: s.onFailure.map((t) => ({ name: t.name, type: t.type })),
  });
  return {
    pipe: pipe.name,
    stages: [
      ...pipe.first.map(stage('first')),
      ...pipe.main.map(stage('main')),
      ...pipe.last.map(stage('last')),
    ],
  };
}
