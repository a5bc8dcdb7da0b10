/**
 * Which bots run for an environment, and what each scheduled run receives: decided here once, for the
 * local scheduler (lambdas/adapters/local/platform/LocalPlatform.ts), the service stacks' schedules of lasting
 * environments (lib/service/BotSchedules.ts) and the per-run schedules provision creates for an
 * ephemeral one on AWS (lambdas/adapters/aws/evidence/runBotSchedules.ts).
 */
import type { z } from 'zod';
import type { BotRunEventSchema } from './events.ts';
import { type BotScenario, scenarioRate } from './spec.ts';

/** What the bot Lambda parses (`BotRunEventSchema`): the whole scenario, never only its name. */
export type BotRunEvent = z.input<typeof BotRunEventSchema>;

export interface PlannedBot {
  readonly scenario: BotScenario;
  /** Runs per minute in this environment (`rate.<environment>`, else `rate.default`). */
  readonly perMinute: number;
  /** A schedule's interval: EventBridge Scheduler's finest rate is one a minute. */
  readonly everyMinutes: number;
  /** The schedule's input: a rate above one a minute runs that many times per invocation, spread over it. */
  readonly input: BotRunEvent;
}

/** Invocations of one schedule run at most this many scenarios (BotRunEventSchema's `runs`). */
const MAX_RUNS_PER_INVOCATION = 60;

/**
 * The bots of a new environment: every scenario whose rate there (by its name, `rate.test`) is above
 * zero. Their samples are filed under `evidenceEnvironment` (an ephemeral environment's is per run,
 * `test-<runKey>`, naming.ts), which the verification window and the alarms of the run read.
 */
export function plannedBots(
  target: {
    readonly service: string;
    readonly environment: string;
    readonly baseUrl: string;
    /** @default environment */
    readonly evidenceEnvironment?: string;
  },
  scenarios: readonly BotScenario[],
): PlannedBot[] {
  return scenarios.flatMap((scenario) => {
    const perMinute = scenarioRate(scenario, target.environment);
    if (perMinute <= 0) return [];
    const runs = Math.min(MAX_RUNS_PER_INVOCATION, Math.max(1, Math.round(perMinute)));
    return [
      {
        scenario,
        perMinute,
        everyMinutes: perMinute >= 1 ? 1 : Math.min(60, Math.round(1 / perMinute)),
        input: {
          service: target.service,
          environment: target.evidenceEnvironment ?? target.environment,
          baseUrl: target.baseUrl,
          scenario,
          runs,
          // Spread over most of the minute, so the next invocation does not overlap this one.
          spreadSeconds: runs > 1 ? 50 : 0,
        },
      },
    ];
  });
}

/**
 * Where the bot schedules of a service's lasting environments are (the service stack's BotSchedules):
 * group `vouch-<service>-bots`, one schedule `<environment>-<scenario>` per planned bot. The stack
 * creates them disabled; the deploy task switches an environment's on when it deploys there.
 */
export function lastingBotScheduleGroup(service: string): string {
  return `vouch-${service}-bots`;
}

export function lastingBotScheduleName(environment: string, scenario: string): string {
  return `${environment}-${scenario}`;
}
