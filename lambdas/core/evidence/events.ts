/**
 * The events that resume windows and run bots, validated: EventBridge "CloudWatch Alarm State Change",
 * the window-end schedule's input, the bot schedule's input. Handlers call these with their ports.
 */
import { z } from 'zod';
import type { JsonValue } from '../shared/json.ts';
import { parseAlarmName } from './alarms.ts';
import { type BotRunDeps, runScenario, type ScenarioResult } from './botRunner.ts';
import { EvidenceSpecError } from './errors.ts';
import { BotScenarioSchema } from './spec.ts';
import { type ResumeOutcome, resumeAtWindowEnd, resumeOnAlarm, type WindowPorts } from './window.ts';

/** EventBridge: source aws.cloudwatch, detail-type "CloudWatch Alarm State Change". */
export const AlarmStateChangeEventSchema = z.looseObject({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: z.string().optional(),
  detail: z.looseObject({
    alarmName: z.string(),
    state: z.looseObject({
      value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
      reason: z.string().optional(),
    }),
    previousState: z.looseObject({ value: z.string() }).optional(),
  }),
});

export type AlarmStateChangeEvent = z.infer<typeof AlarmStateChangeEventSchema>;

/** Alarm event -> the open window of its (service, environment) -> decide -> resume. */
export async function handleAlarmStateChange(
  event: unknown,
  ports: WindowPorts,
): Promise<ResumeOutcome | undefined> {
  const parsed = AlarmStateChangeEventSchema.parse(event);
  const target = parseAlarmName(parsed.detail.alarmName);
  if (target === undefined) {
    ports.logger?.info('alarm is not a Vouch golden-signal alarm; ignored', {
      alarmName: parsed.detail.alarmName,
    });
    return undefined;
  }
  return resumeOnAlarm(
    {
      service: target.service,
      environment: target.environment,
      alarmName: parsed.detail.alarmName,
      state: parsed.detail.state.value,
    },
    ports,
  );
}

/** Input of the one-time window-end schedule (see windowEndSchedule.ts). */
export const WindowEndEventSchema = z.strictObject({
  service: z.string().min(1),
  environment: z.string().min(1),
  token: z.string().min(1).optional(),
});

export async function handleWindowEnd(
  event: unknown,
  ports: WindowPorts,
): Promise<ResumeOutcome | undefined> {
  return resumeAtWindowEnd(WindowEndEventSchema.parse(event), ports);
}

/** Input of a bot schedule: one scenario of one (service, environment). */
export const BotRunEventSchema = z.strictObject({
  service: z.string().min(1),
  environment: z.string().min(1),
  baseUrl: z.url(),
  version: z.string().min(1).default('unknown'),
  scenario: BotScenarioSchema,
  /** Runs in this invocation, spaced evenly over `spreadSeconds` (rates above one a minute). @default 1 */
  runs: z.int().min(1).max(60).default(1),
  spreadSeconds: z.int().min(0).max(60).default(0),
});

export async function handleBotRun(
  event: unknown,
  deps: BotRunDeps & { readonly sleep?: (ms: number) => Promise<void> },
): Promise<ScenarioResult[]> {
  const parsed = BotRunEventSchema.safeParse(event);
  if (!parsed.success)
    throw new EvidenceSpecError(`bot event: ${parsed.error.message}`, { cause: parsed.error });
  const e = parsed.data;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const results: ScenarioResult[] = [];
  // Run i starts at start + i * interval: the time the runs themselves take is not added to the spread,
  // so an invocation lasts about `spreadSeconds` (not that plus every request's latency) and the rate holds.
  const start = deps.clock.now();
  const interval = (e.spreadSeconds * 1000) / e.runs;
  for (let i = 0; i < e.runs; i++) {
    if (i > 0 && e.spreadSeconds > 0) {
      const wait = start + i * interval - deps.clock.now();
      if (wait > 0) await sleep(wait);
    }
    results.push(
      await runScenario(
        e.scenario,
        {
          baseUrl: e.baseUrl,
          dimensions: {
            service: e.service,
            environment: e.environment,
            scenario: e.scenario.name,
            version: e.version,
          },
        },
        deps,
      ),
    );
  }
  return results;
}

/** A compact summary a Lambda can return (JSON). */
export function summarizeRuns(results: readonly ScenarioResult[]): JsonValue {
  return results.map((r) => ({
    scenario: r.scenario,
    ok: r.ok,
    steps: r.steps.map((s) => ({
      step: s.step,
      status: s.status ?? null,
      latencyMs: Math.round(s.latencyMs),
      problems: [...s.problems],
    })),
  }));
}
