/**
 * The pipeline's task functions: one per task type, the same behind a Lambda (lambdas/handlers/tasks)
 * and the local engine. Each takes the task payload (contract.ts), calls its ports, returns JSON that
 * the state machine stores at `$.out.<task>`. Every task reports start and done to the build data
 * repository, so a run can be audited wherever it ran.
 */
import type { TaskFunction, TaskType } from './contract.ts';
import { artifactTasks } from './tasks/artifacts.ts';
import { canaryTasks } from './tasks/canary.ts';
import { createTaskContext } from './tasks/context.ts';
import { environmentTasks } from './tasks/environments.ts';
import { evidenceTasks } from './tasks/evidence.ts';
import { lifecycleTasks } from './tasks/lifecycle.ts';
import type { PipelinePorts } from './tasks/ports.ts';
import { reporting, reportingTasks } from './tasks/reporting.ts';

export { environmentOf } from './tasks/inputs.ts';
export type * from './tasks/ports.ts';

export function createPipelineTasks(ports: PipelinePorts): Record<TaskType, TaskFunction> {
  const context = createTaskContext(ports);
  const { now } = context;
  const tasks: Record<TaskType, TaskFunction> = {
    ...lifecycleTasks(context),
    ...artifactTasks(context),
    ...environmentTasks(context),
    ...evidenceTasks(context),
    ...canaryTasks(context),
    ...reportingTasks(context),
  };

  return Object.fromEntries(
    Object.entries(tasks).map(([type, fn]) => [type, reporting(type as TaskType, fn, ports.builds, now)]),
  ) as Record<TaskType, TaskFunction>;
}
