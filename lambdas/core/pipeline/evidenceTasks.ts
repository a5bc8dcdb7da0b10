/**
 * The `verify` and `decide` task functions (contract.ts `TaskFunction`), the same behind a Lambda and
 * the local engine. Task params: `environment` (required), `verification` (else `run.config.verification`,
 * the `.vouch.yml` section; defaults applied), optional `step` (canary %) and `version` (else read from the `version` task's output).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../evidence/clock.ts';
import { VerifyTaskInputError } from '../evidence/errors.ts';
import type { LocalTaskTokens } from '../evidence/localTaskTokens.ts';
import { VerificationSpecSchema } from '../evidence/spec.ts';
import {
  decideAfterTimeout,
  openWindow,
  type WindowEndScheduler,
  type WindowPorts,
} from '../evidence/window.ts';
import type { WindowStore } from '../evidence/windowStore.ts';
import type { JsonValue, TaskFunction, TaskInput } from './contract.ts';

const VerifyParamsSchema = z.object({
  environment: z.string().min(1),
  verification: VerificationSpecSchema.prefault({}),
  step: z.number().optional(),
  version: z.number().int().optional(),
  ignoreAlarms: z.boolean().optional(),
});

/** Extra time past the window's end before the task's timeout fires: the window-end schedule resumes first. */
export const TIMEOUT_SLACK_SECONDS = 120;

function parseParams(input: TaskInput) {
  // The window settings: the task's own `verification` param, else the run's `.vouch.yml` section.
  const fromConfig = (input.run.config as Record<string, JsonValue> | undefined)?.verification;
  const params =
    input.task.params.verification === undefined && fromConfig !== undefined
      ? { ...input.task.params, verification: fromConfig }
      : input.task.params;
  const parsed = VerifyParamsSchema.safeParse(params);
  if (!parsed.success) {
    throw new VerifyTaskInputError(`task ${input.task.name}: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The version under verification: the task's `version` param, else the `version` task's output. */
function versionOf(input: TaskInput, param: number | undefined): number {
  if (param !== undefined) return param;
  const out = input.run.out.version;
  if (typeof out === 'number') return out;
  if (out !== null && typeof out === 'object' && !Array.isArray(out) && typeof out.version === 'number') {
    return out.version;
  }
  throw new VerifyTaskInputError(
    `task ${input.task.name}: no version (set params.version or run a version task first)`,
  );
}

/** The Task state's timeout for a window (its TimeoutSecondsPath value); the local verify task honours it too. */
export function verifyTimeoutSeconds(windowSeconds: number): number {
  return windowSeconds + TIMEOUT_SLACK_SECONDS;
}

/**
 * The verify Task state's TimeoutSecondsPath value for a window of these settings (defaults applied):
 * what the state before the window answers, so the engines wait for the window plus slack.
 */
export function verifyTimeoutFor(task: string, verification: unknown): number {
  const parsed = VerificationSpecSchema.safeParse(verification ?? {});
  if (!parsed.success) {
    throw new VerifyTaskInputError(`task ${task}: ${parsed.error.message}`, { cause: parsed.error });
  }
  return verifyTimeoutSeconds(parsed.data.windowSeconds);
}

/** Verify on AWS (`lambda:invoke.waitForTaskToken`): records the window and returns; the token resumes the state. */
export function createVerifyTask(ports: {
  readonly windows: WindowStore;
  readonly clock?: Clock;
  readonly scheduler?: WindowEndScheduler;
}): TaskFunction {
  return async (input) => {
    const params = parseParams(input);
    if (input.token === undefined) throw new VerifyTaskInputError(`task ${input.task.name}: no task token`);
    const window = await openWindow(
      {
        service: input.run.service,
        environment: params.environment,
        execution: input.run.execution,
        version: versionOf(input, params.version),
        token: input.token,
        ...(params.step === undefined ? {} : { step: params.step }),
        verification: params.verification,
        ...(params.ignoreAlarms ? { ignoreAlarms: true } : {}),
      },
      ports,
    );
    return { window: { ...window } } as JsonValue;
  };
}

/**
 * Verify on the local engine: opens the window like on AWS, then waits for the token to be resumed
 * (returns `{ verdict }`) or for its timeout (throws `States.Timeout`, caught by the decide path).
 */
export function createLocalVerifyTask(ports: {
  readonly windows: WindowStore;
  readonly clock: Clock;
  readonly scheduler?: WindowEndScheduler;
  readonly tokens: LocalTaskTokens;
}): TaskFunction {
  return async (input) => {
    const params = parseParams(input);
    const token = input.token ?? randomUUID();
    const waiting = ports.tokens.wait(token, {
      timeoutMs: verifyTimeoutSeconds(params.verification.windowSeconds) * 1000,
      clock: ports.clock,
    });
    await openWindow(
      {
        service: input.run.service,
        environment: params.environment,
        execution: input.run.execution,
        version: versionOf(input, params.version),
        token,
        ...(params.step === undefined ? {} : { step: params.step }),
        verification: params.verification,
        ...(params.ignoreAlarms ? { ignoreAlarms: true } : {}),
      },
      ports,
    );
    return waiting;
  };
}

/** Decide after the verify task's `States.Timeout` was caught: returns `{ verdict }` like a resumed verify. */
export function createDecideTask(ports: Omit<WindowPorts, 'tokens' | 'delivery'>): TaskFunction {
  return async (input) => {
    const params = parseParams(input);
    const verdict = await decideAfterTimeout(
      {
        service: input.run.service,
        environment: params.environment,
        windowSeconds: params.verification.windowSeconds,
      },
      ports,
    );
    return { verdict: JSON.parse(JSON.stringify(verdict)) as JsonValue };
  };
}
