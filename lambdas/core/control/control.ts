/**
 * People's control of running releases on the deployed platform: the control Lambda's core.
 *   promote:  close the open verification window now; the verdict uses the evidence so far
 *   abort:    fail the service's open windows ('Aborted'): each run rolls back and cleans up; a run
 *             between windows (baking, provisioning, deploying its test) has its execution stopped,
 *             and the reconciler ends it ABORTED and cleans up after it (reconcile.ts)
 *   rollback: fail one environment's open window ('ManualRollback'): its run rolls back at once
 * The run that holds the environment's lock does the rollback itself (its onFailure tasks), so
 * nothing here shifts traffic: what is recorded is what runs. Each action is recorded on the build's
 * timeline with the caller's ARN.
 */
import { z } from 'zod';
import type { Build, BuildEvent, ControlActionInput } from '../builds/model.ts';
import { resumeAtWindowEnd, type WindowPorts } from '../evidence/window.ts';
import type { OpenWindow } from '../evidence/windowStore.ts';
import { InvalidControlRequestError } from './errors.ts';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'a service or environment name');
export const ControlRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('promote'), service: name, environment: name.optional() }),
  z.strictObject({ action: z.literal('abort'), service: name }),
  z.strictObject({ action: z.literal('rollback'), service: name, environment: name }),
]);
export type ControlRequest = z.infer<typeof ControlRequestSchema>;

export function parseControlRequest(input: unknown): ControlRequest {
  const result = ControlRequestSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidControlRequestError(
      result.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '),
      { cause: result.error },
    );
  }
  return result.data;
}

/** The reads and writes the control path needs from the build data repository. */
export interface ControlRecords {
  listBuilds(service: string, page: { limit: number }): Promise<{ items: Build[] }>;
  listEvents(service: string, version: number): Promise<BuildEvent[]>;
  recordControlAction(input: ControlActionInput): Promise<void>;
}

/** The engine's executions: an abort stops a run that has no window open (Step Functions StopExecution). */
export interface ControlExecutions {
  /** False when the execution had already ended. */
  stop(service: string, execution: string, cause: string): Promise<boolean>;
}

export interface ControlPorts {
  readonly records: ControlRecords;
  readonly window: WindowPorts;
  /** Without it, abort acts on open windows only. */
  readonly executions?: ControlExecutions;
  readonly now?: () => Date;
}

export interface ControlOutcome {
  readonly done: boolean;
  readonly reason: string;
  readonly windows: { environment: string; version: number; result: string }[];
}

/** Runs still in progress look at most this far back in history (one Query). */
const RECENT_BUILDS = 10;

/**
 * The open windows of a service's runs in progress: from its newest builds (one Query), the
 * environments where a verify started and has not ended (one Query per running build), then the
 * window item of each (GetItem), kept only when it belongs to that run.
 */
async function openWindows(
  service: string,
  ports: ControlPorts,
  environment?: string,
): Promise<{ windows: OpenWindow[]; running: Build[] }> {
  const { items } = await ports.records.listBuilds(service, { limit: RECENT_BUILDS });
  const found: OpenWindow[] = [];
  const running = items.filter((b) => b.status === 'RUNNING');
  for (const build of running) {
    const events = await ports.records.listEvents(service, build.version);
    const verifying = new Set<string>();
    for (const e of events) {
      if (e.kind !== 'TASK' || e.type !== 'verify' || !e.environment) continue;
      if (e.phase === 'start') verifying.add(e.environment);
    }
    for (const env of verifying) {
      if (environment !== undefined && env !== environment) continue;
      const window = await ports.window.windows.findOpenWindow(service, env);
      if (window && window.execution === build.execution) found.push(window);
    }
  }
  return { windows: found, running };
}

export async function applyControl(
  request: ControlRequest,
  actor: string,
  ports: ControlPorts,
): Promise<ControlOutcome> {
  const environment = request.action === 'abort' ? undefined : request.environment;
  const { windows, running } = await openWindows(request.service, ports, environment);
  // Abort also ends the runs that have no window open: their executions are stopped.
  const between =
    request.action === 'abort' && ports.executions
      ? running.filter((b) => !windows.some((w) => w.execution === b.execution))
      : [];
  if (windows.length === 0 && between.length === 0) {
    const where = environment ? ` in ${environment}` : '';
    const what = request.action === 'abort' ? 'no run in progress' : 'no open verification window';
    return { done: false, reason: `${what} for ${request.service}${where}`, windows: [] };
  }
  const results: ControlOutcome['windows'] = [];
  let stoppedAny = false;
  for (const build of between) {
    const stopped = await ports.executions?.stop(
      request.service,
      build.execution,
      `aborted by ${actor} (v${build.version}, no verification window open)`,
    );
    stoppedAny ||= stopped === true;
    const result = stopped
      ? 'execution stopped: the reconciler ends the run ABORTED and destroys its test environment'
      : 'the execution had already ended';
    results.push({ environment: 'run', version: build.version, result });
    await ports.records.recordControlAction({
      service: request.service,
      version: build.version,
      action: request.action,
      actor,
      result,
      ...(ports.now ? { at: ports.now().toISOString() } : {}),
    });
  }
  for (const window of windows) {
    const result = await act(request, actor, window, ports);
    results.push({ environment: window.environment, version: window.version, result });
    await ports.records.recordControlAction({
      service: request.service,
      version: window.version,
      action: request.action,
      environment: window.environment,
      actor,
      result,
      ...(ports.now ? { at: ports.now().toISOString() } : {}),
    });
  }
  return {
    // An abort that found only runs already ended did nothing (the reconciler ends their records).
    done: windows.length > 0 || stoppedAny,
    reason: results.map((r) => `${r.environment}: ${r.result}`).join('; '),
    windows: results,
  };
}

async function act(request: ControlRequest, actor: string, window: OpenWindow, ports: ControlPorts) {
  if (request.action === 'promote') {
    const outcome = await resumeAtWindowEnd(window, ports.window);
    return outcome ? `window closed early, verdict ${outcome.verdict.outcome}` : 'window had already closed';
  }
  // Closed first (a conditional write): of two resumers only one may use the token.
  if (!(await ports.window.windows.closeWindow(window.service, window.environment, window.token))) {
    return 'window had already closed';
  }
  const [error, summary] =
    request.action === 'abort'
      ? ['Aborted', `aborted by ${actor} during the ${window.environment} window`]
      : ['ManualRollback', `rolled back by ${actor} in ${window.environment}`];
  const delivery = await ports.window.tokens.fail(window.token, error, JSON.stringify({ summary }));
  // Closed early, as an alarm closes it: its pending end schedule goes too (window.ts, cancelPendingEnd).
  // The action is done by now; a schedule left behind fires on a closed window and deletes itself.
  let scheduleLeft = '';
  try {
    await ports.window.windowEnds?.cancelWindowEnd?.(window);
  } catch (e) {
    scheduleLeft = ` (its window-end schedule is left to fire on the closed window: ${(e as Error).name})`;
  }
  return delivery === 'delivered'
    ? `${error}: the run rolls back${scheduleLeft}`
    : `the run had already moved on${scheduleLeft}`;
}
