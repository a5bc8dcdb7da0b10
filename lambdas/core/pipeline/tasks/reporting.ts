import type { JsonValue, TaskFunction, TaskType } from '../contract.ts';
import type { TaskContext } from './context.ts';
import { environmentOf, json, parseCause, stepTraffic, summaryOf, versionOf } from './inputs.ts';
import type { BuildRecords } from './ports.ts';

export function reportingTasks(
  context: TaskContext,
): Pick<Record<TaskType, TaskFunction>, 'report' | 'notify'> {
  const { ports, now } = context;
  return {
    async report(input): Promise<JsonValue> {
      if (input.task.params.event === 'PASSED_TEST') {
        await ports.builds.recordPromotion({
          service: input.run.service,
          version: versionOf(input),
          environment: environmentOf(input),
          kind: 'PASSED_TEST',
          evidence: json(input.run.out['verify-test'] ?? null),
          execution: input.run.execution,
        });
        return { recorded: 'PASSED_TEST' };
      }
      const version = input.run.out.version as { version?: number } | undefined;
      if (typeof version?.version !== 'number') return { skipped: 'no version was allocated' };
      const outcome = input.run.error ? 'FAILED' : 'SUCCEEDED';
      await ports.builds.recordRunFinished({
        execution: input.run.execution,
        service: input.run.service,
        version: version.version,
        outcome,
        report: json({ error: input.run.error ?? null }),
      });
      return { outcome };
    },

    async notify(input) {
      const version = (input.run.out.version as { version?: number } | undefined)?.version ?? 'none';
      const failed = input.run.error !== undefined;
      // What this run promoted, as it recorded it: a run stopped early (run-to) released nowhere.
      const promoted =
        typeof version === 'number'
          ? (await ports.builds.listEvents(input.run.service, version))
              .filter((e) => e.kind === 'PROMOTION' && e.promotion === 'PROMOTED')
              .map((e) => (e as { environment: string }).environment)
          : [];
      const at = now().toISOString();
      await ports.notify.send({
        id: `${input.run.execution}#${input.task.name}`,
        service: input.run.service,
        team: input.run.team,
        version,
        commit: input.run.commit,
        environment: 'pipeline',
        event: failed ? 'RUN_FAILED' : 'RUN_SUCCEEDED',
        verdict: {
          outcome: failed ? 'FAIL' : 'PASS',
          summary: failed
            ? `${input.run.error?.Error}: ${summaryOf(parseCause(input.run.error)).slice(0, 500)}`
            : promoted.length > 0
              ? `version ${version} released to ${promoted.join(', ')}`
              : `version ${version}: the run succeeded without releasing to any environment`,
        },
        window: { start: at, end: at },
      });
      return { sent: true };
    },
  };
}

/** Wraps a task so its start and end (with outcome and report) reach the build data repository. */
export function reporting(
  type: TaskType,
  fn: TaskFunction,
  builds: BuildRecords,
  now: () => Date,
): TaskFunction {
  return async (input) => {
    const version = (input.run.out.version as { version?: number } | undefined)?.version;
    const environment = (() => {
      try {
        return environmentOf(input);
      } catch {
        return undefined;
      }
    })();
    const record = async (phase: 'start' | 'done', outcome?: 'SUCCEEDED' | 'FAILED', report?: JsonValue) => {
      if (version === undefined) return; // before the version task: nothing to attach events to
      await builds.recordTaskEvent({
        execution: input.run.execution,
        service: input.run.service,
        version,
        task: input.step !== undefined ? `${input.task.name}@${stepTraffic(input)}` : input.task.name,
        type,
        environment,
        phase,
        outcome,
        at: now().toISOString(),
        report,
      });
    };
    await record('start');
    try {
      const result = await fn(input);
      await record('done', 'SUCCEEDED', summarize(result));
      return result;
    } catch (e) {
      const error = e as Error;
      await record('done', 'FAILED', json({ error: error.name, cause: summarize(error.message) })).catch(
        () => {},
      );
      throw e;
    }
  };
}

/** Reports are kept small: the build data repository refuses oversized reports. */
export function summarize(value: unknown): JsonValue {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  if (text.length <= 16_000) return typeof value === 'string' ? value : (json(value) as JsonValue);
  return { truncated: true, head: text.slice(0, 16_000) };
}
