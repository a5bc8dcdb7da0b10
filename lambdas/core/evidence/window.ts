/**
 * Verification windows: the verify task opens one (records its task token and end) and returns; an alarm
 * event or the window's end resumes it. Both resumers go through `decideWindow`, one pure function over
 * the evidence. No polling: the state machine waits on the task token and costs the same whatever the
 * window's length.
 *
 * Verdict delivery (default `output`): the task token is resumed with SendTaskSuccess and the verdict as
 * output, PASSED or FAILED, so the verdict's data reaches later states and the state machine branches on
 * `$.verdict.outcome`. With `failure`, a FAILED verdict is sent with SendTaskFailure, error
 * `VerificationFailed` and the JSON verdict as cause.
 */
import type { JsonValue } from '../shared/json.ts';
import { breachingValues } from './alarmEvaluator.ts';
import { type Clock, systemClock } from './clock.ts';
import type { AlarmEvidence, EvidenceReader, Verdict, WindowEvidence } from './evidence.ts';
import { type VerificationSpec, VerificationSpecSchema } from './spec.ts';
import type { OpenWindow, WindowStore } from './windowStore.ts';

/** `alreadyUsed`: the token was used or timed out (InvalidToken / TaskTimedOut) — another path resumed it. */
export type TokenDelivery = 'delivered' | 'alreadyUsed';

/** Port: resumes a task waiting on its token. SendTaskSuccess / SendTaskFailure on AWS, promises locally. */
export interface TaskTokenPort {
  succeed(token: string, output: JsonValue): Promise<TokenDelivery>;
  fail(token: string, error: string, cause: string): Promise<TokenDelivery>;
}

/** Port: arranges for `resumeAtWindowEnd` to run when the window ends (one-time schedule / clock timer). */
export interface WindowEndScheduler {
  scheduleWindowEnd(window: OpenWindow): Promise<void>;
  /** Removes the window's pending end (it closed early, on an alarm). @default nothing to remove */
  cancelWindowEnd?(window: OpenWindow): Promise<void>;
}

/** The slice of a logger the windows use; Powertools Logger fits it. */
export interface EvidenceLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
}

export type VerdictDelivery = 'output' | 'failure';

export interface WindowPorts {
  readonly windows: WindowStore;
  readonly evidence: EvidenceReader;
  readonly tokens: TaskTokenPort;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Hands the verdict onward (build data repository, notifier). Called once per window closed here. */
  readonly onVerdict?: (verdict: Verdict) => void | Promise<void>;
  readonly logger?: EvidenceLogger;
  /** @default 'output' */
  readonly delivery?: VerdictDelivery;
  /** Where a window closed before its end has its pending end schedule removed. @default none */
  readonly windowEnds?: Pick<WindowEndScheduler, 'cancelWindowEnd'>;
}

const DEFAULTS = VerificationSpecSchema.parse({});

export interface OpenWindowInput {
  readonly service: string;
  readonly environment: string;
  readonly execution: string;
  readonly version: number;
  readonly token: string;
  readonly step?: number;
  readonly verification: VerificationSpec;
  /** See OpenWindow.ignoreAlarms. */
  readonly ignoreAlarms?: boolean;
}

/** The verify task: records the window with its token and end, arranges its end, returns at once. */
export async function openWindow(
  input: OpenWindowInput,
  ports: { readonly windows: WindowStore; readonly clock?: Clock; readonly scheduler?: WindowEndScheduler },
): Promise<OpenWindow> {
  const now = (ports.clock ?? systemClock).now();
  const window: OpenWindow = {
    service: input.service,
    environment: input.environment,
    execution: input.execution,
    version: input.version,
    token: input.token,
    startedAt: new Date(now).toISOString(),
    endsAt: new Date(now + input.verification.windowSeconds * 1000).toISOString(),
    ...(input.step === undefined ? {} : { step: input.step }),
    minBotSamples: input.verification.minBotSamples,
    ...(input.ignoreAlarms ? { ignoreAlarms: true } : {}),
    graceSeconds: input.verification.graceSeconds,
  };
  // The end first, then the record: a verify Lambda that dies between the two (timed out, throttled)
  // leaves at most a one-time schedule that fires, finds no window with its token and deletes itself;
  // the other order left an OPEN window with a dead token for good (issue 13 faults, on the twin).
  await ports.scheduler?.scheduleWindowEnd(window);
  await ports.windows.openWindow(window);
  return window;
}

export interface DecideInput {
  readonly window: Pick<OpenWindow, 'service' | 'environment' | 'startedAt' | 'endsAt' | 'ignoreAlarms'> &
    Partial<Pick<OpenWindow, 'execution' | 'version' | 'step' | 'minBotSamples' | 'graceSeconds'>>;
  readonly evidence: WindowEvidence;
  /** Epoch ms of the decision. */
  readonly at: number;
  readonly trigger: Verdict['trigger'];
  /**
   * True at the window's end: the evidence is complete, so too few bot samples fails it. Before the end
   * (an alarm event) only an alarm can decide, and `undefined` means "no verdict yet".
   */
  readonly final: boolean;
}

/**
 * Reads the evidence of a window and returns the verdict with its data.
 *
 * In order: a golden-signal alarm (error rate, latency, saturation) in ALARM after the grace period
 * fails it; then, at the end, fewer bot samples than the minimum fails it ("no evidence", never a
 * pass); then a traffic floor in ALARM at the end fails it; else it passes.
 */
export function decideWindow(input: DecideInput & { readonly final: true }): Verdict;
export function decideWindow(input: DecideInput): Verdict | undefined;
export function decideWindow(input: DecideInput): Verdict | undefined {
  const { window, evidence, at } = input;
  const start = Date.parse(window.startedAt);
  const end = Date.parse(window.endsAt);
  const minBotSamples = window.minBotSamples ?? DEFAULTS.minBotSamples;
  const effectiveStart = start + (window.graceSeconds ?? DEFAULTS.graceSeconds) * 1000;
  const base = {
    service: window.service,
    environment: window.environment,
    ...(window.execution === undefined ? {} : { execution: window.execution }),
    ...(window.version === undefined ? {} : { version: window.version }),
    ...(window.step === undefined ? {} : { step: window.step }),
    windowStart: window.startedAt,
    windowEnd: window.endsAt,
    decidedAt: new Date(at).toISOString(),
    botSamples: evidence.botSamples,
    minBotSamples,
    trigger: input.trigger,
  };

  // A hotfix's canary window is not decided by the running version's alarms (see OpenWindow.ignoreAlarms).
  const breaches = (window.ignoreAlarms ? [] : evidence.alarms)
    .map((alarm) => ({ alarm, breach: findBreach(alarm, effectiveStart, at) }))
    .filter((b): b is { alarm: AlarmEvidence; breach: Breach } => b.breach !== undefined)
    .sort((a, b) => a.breach.at - b.breach.at);
  const signalBreach = breaches.find((b) => b.alarm.signal !== 'traffic');
  if (signalBreach !== undefined) return failedOnAlarm(base, signalBreach.alarm, signalBreach.breach);

  // The traffic floor decides only at the end: a fresh environment starts with it in ALARM (no data yet,
  // treated as breaching) until the bots' first period completes, which must not fail the window early.
  const trafficBreach = input.final ? breaches.find((b) => b.alarm.signal === 'traffic') : undefined;
  if (input.final && evidence.botSamples < minBotSamples) {
    return {
      ...base,
      outcome: 'FAILED',
      reason: `no evidence: ${evidence.botSamples} bot samples in the window, at least ${minBotSamples} required`,
      ...(trafficBreach === undefined ? {} : alarmData(trafficBreach.alarm, trafficBreach.breach)),
    };
  }
  if (trafficBreach !== undefined) return failedOnAlarm(base, trafficBreach.alarm, trafficBreach.breach);
  if (!input.final) return undefined;
  return {
    ...base,
    outcome: 'PASSED',
    reason: `no alarm in ALARM from ${new Date(effectiveStart).toISOString()} to ${new Date(Math.min(at, end)).toISOString()}; ${evidence.botSamples} bot samples (minimum ${minBotSamples})`,
  };
}

interface Breach {
  readonly at: number;
  readonly datapoints: AlarmEvidence['datapoints'];
}

function findBreach(alarm: AlarmEvidence, effectiveStart: number, at: number): Breach | undefined {
  const transitions = alarm.transitions.filter((t) => t.at <= at);
  const before = transitions.filter((t) => t.at < effectiveStart).at(-1);
  const stateAtStart = before?.to ?? alarm.stateAtStart;
  if (alarm.signal === 'traffic') {
    // A floor is about the present: a window opened on a fresh environment starts with it in ALARM and it
    // recovers once bots run; it fails the window only if it is in ALARM when the decision is made.
    const last = transitions.at(-1);
    const stateNow = last?.to ?? alarm.stateAtStart;
    if (stateNow !== 'ALARM') return undefined;
    return last === undefined
      ? { at: effectiveStart, datapoints: alarm.datapoints }
      : { at: last.at, datapoints: last.datapoints };
  }
  // An ALARM at any moment of the window (after grace) fails it, even if the alarm has recovered since.
  if (stateAtStart === 'ALARM')
    return { at: effectiveStart, datapoints: before?.datapoints ?? alarm.datapoints };
  const entered = transitions.find((t) => t.at >= effectiveStart && t.to === 'ALARM');
  return entered === undefined ? undefined : { at: entered.at, datapoints: entered.datapoints };
}

function alarmData(alarm: AlarmEvidence, breach: Breach) {
  return {
    alarm: alarm.name,
    signal: alarm.signal,
    metric: metricLabel(alarm),
    threshold: alarm.threshold,
    comparison: alarm.comparison,
    unit: alarm.unit,
    observed: breachingValues(alarm, breach.datapoints),
    datapoints: breach.datapoints,
  };
}

function failedOnAlarm(
  base: Omit<Verdict, 'outcome' | 'reason'>,
  alarm: AlarmEvidence,
  breach: Breach,
): Verdict {
  const data = alarmData(alarm, breach);
  const sign = alarm.comparison.startsWith('Greater') ? '>' : '<';
  const observed = data.observed.map((v) => `${round(v)} ${alarm.unit}`).join(', ');
  return {
    ...base,
    outcome: 'FAILED',
    reason: `${alarm.signal} alarm ${alarm.name} in ALARM at ${new Date(breach.at).toISOString()}: observed ${observed || 'no data'} ${sign} ${alarm.threshold} ${alarm.unit} (${alarm.datapointsToAlarm} of ${alarm.evaluationPeriods} periods of ${alarm.periodSeconds} s)`,
    ...data,
  };
}

function metricLabel(alarm: AlarmEvidence): string {
  switch (alarm.signal) {
    case 'errorRate':
      return '100 * Sum(failures) / Sum(requests)';
    case 'latency':
      return 'latency';
    case 'traffic':
      return 'SampleCount(requests)';
    case 'saturation':
      return 'Average(saturation)';
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export interface ResumeOutcome {
  readonly verdict: Verdict;
  /** `alreadyUsed`: the token had been used or had timed out; the timeout path decides instead. */
  readonly delivery: TokenDelivery;
}

/** An alarm of (service, environment) changed state: fail its open window at once when it is a breach. */
export async function resumeOnAlarm(
  event: {
    readonly service: string;
    readonly environment: string;
    readonly alarmName: string;
    readonly state: string;
  },
  ports: WindowPorts,
): Promise<ResumeOutcome | undefined> {
  const log = ports.logger;
  if (event.state !== 'ALARM') {
    log?.info('alarm left ALARM; nothing to resume', { ...event });
    return undefined;
  }
  const window = await ports.windows.findOpenWindow(event.service, event.environment);
  if (window === undefined) {
    log?.info('alarm event for a service with no open window; ignored', { ...event });
    return undefined;
  }
  if (window.ignoreAlarms) {
    log?.info('alarm event during a hotfix canary window: the judge decides; ignored', { ...event });
    return undefined;
  }
  const at = (ports.clock ?? systemClock).now();
  const end = Date.parse(window.endsAt);
  const evidence = await evidenceOf(window, ports.evidence, Math.min(at + 1, end));
  const verdict = decideWindow({ window, evidence, at, trigger: 'alarm', final: at >= end });
  if (verdict === undefined || verdict.outcome !== 'FAILED') {
    log?.info('alarm event does not fail the window (grace period or recovered); window stays open', {
      ...event,
    });
    return undefined;
  }
  return deliver(window, verdict, ports);
}

/** The window's end (one-time schedule): decide on the complete evidence and resume the task. */
export async function resumeAtWindowEnd(
  target: { readonly service: string; readonly environment: string; readonly token?: string },
  ports: WindowPorts,
): Promise<ResumeOutcome | undefined> {
  const window = await ports.windows.findOpenWindow(target.service, target.environment);
  if (window === undefined || (target.token !== undefined && window.token !== target.token)) {
    ports.logger?.info('window already closed or replaced; nothing to resume', { ...target });
    return undefined;
  }
  const end = Date.parse(window.endsAt);
  const evidence = await evidenceOf(window, ports.evidence, end);
  // Decided as of the window's end even when the schedule fires late: the evidence stops there.
  const verdict = decideWindow({ window, evidence, at: end, trigger: 'windowEnd', final: true });
  return deliver(window, verdict, ports);
}

/**
 * The `decide` task after the verify task's `States.Timeout` was caught: the safety net when neither
 * resumer delivered. Closes the window if still open and returns the verdict as the task's output.
 */
export async function decideAfterTimeout(
  target: { readonly service: string; readonly environment: string; readonly windowSeconds?: number },
  ports: Omit<WindowPorts, 'tokens' | 'delivery'>,
): Promise<Verdict> {
  const now = (ports.clock ?? systemClock).now();
  const found = await ports.windows.findOpenWindow(target.service, target.environment);
  const window = found ?? {
    service: target.service,
    environment: target.environment,
    startedAt: new Date(now - (target.windowSeconds ?? DEFAULTS.windowSeconds) * 1000).toISOString(),
    endsAt: new Date(now).toISOString(),
  };
  if (found !== undefined) await ports.windows.closeWindow(found.service, found.environment, found.token);
  const end = Date.parse(window.endsAt);
  const evidence = await evidenceOf(window, ports.evidence, end);
  const verdict = decideWindow({ window, evidence, at: Math.min(now, end), trigger: 'timeout', final: true });
  await ports.onVerdict?.(verdict);
  return verdict;
}

async function deliver(
  window: OpenWindow,
  verdict: Verdict,
  ports: WindowPorts,
): Promise<ResumeOutcome | undefined> {
  // The conditional close makes exactly one of the two resumers send the token.
  if (!(await ports.windows.closeWindow(window.service, window.environment, window.token))) {
    ports.logger?.info('window closed by the other resumer', {
      service: window.service,
      environment: window.environment,
    });
    return undefined;
  }
  const output = verdictOutput(verdict);
  const delivery =
    verdict.outcome === 'FAILED' && ports.delivery === 'failure'
      ? await ports.tokens.fail(window.token, 'VerificationFailed', JSON.stringify(verdict))
      : await ports.tokens.succeed(window.token, output);
  if (delivery === 'alreadyUsed') {
    ports.logger?.warn('task token already used or timed out; the timeout path decides', {
      service: window.service,
      environment: window.environment,
    });
  }
  if (verdict.trigger !== 'windowEnd') await cancelPendingEnd(window, ports);
  await ports.onVerdict?.(verdict);
  return { verdict, delivery };
}

/** A window closed early leaves no pending end behind (its schedule would otherwise block nothing but linger). */
async function cancelPendingEnd(window: OpenWindow, ports: WindowPorts): Promise<void> {
  try {
    await ports.windowEnds?.cancelWindowEnd?.(window);
  } catch (error) {
    // The verdict is delivered; a schedule left behind fires on a closed window, which is a no-op.
    ports.logger?.warn('could not remove the window-end schedule', {
      service: window.service,
      environment: window.environment,
      error: (error as Error).name,
    });
  }
}

/** The verify task's output: `{ verdict }`, so the state machine branches on `$.verdict.outcome`. */
export function verdictOutput(verdict: Verdict): JsonValue {
  return { verdict: JSON.parse(JSON.stringify(verdict)) as JsonValue };
}

/** The evidence of a window from its start up to `end` (ms): what every resumer decides on. */
function evidenceOf(
  window: Pick<OpenWindow, 'service' | 'environment' | 'startedAt'>,
  evidence: EvidenceReader,
  end: number,
): Promise<WindowEvidence> {
  return evidence.readEvidence({
    service: window.service,
    environment: window.environment,
    start: Date.parse(window.startedAt),
    end,
  });
}
