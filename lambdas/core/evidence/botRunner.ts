/**
 * Runs one bot scenario against an environment: ordered HTTP steps, each checked against its
 * expectations (status, body fields, latency budget), values saved for later steps, and one
 * requests/failures/latency sample per request sent to the metric sink.
 */
import type { Clock } from './clock.ts';
import { BotTemplateError } from './errors.ts';
import { type BotDimensions, METRIC, type MetricSample, type MetricSink } from './metrics.ts';
import type { BotScenario, BotStep } from './spec.ts';

/** The part of `fetch` the bots use, so tests inject a fake and Lambda passes the global one. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface BotRunDeps {
  readonly fetch: FetchLike;
  /** Timestamps of the samples (virtual or scaled time in tests and demos). */
  readonly clock: Clock;
  /** Monotonic milliseconds for latency: always wall time, a service's latency is not scaled. @default performance.now */
  readonly stopwatch?: () => number;
  readonly sink?: MetricSink;
  /** Abort a request after this long. @default 10000 */
  readonly requestTimeoutMs?: number;
}

export interface BotTarget {
  /** e.g. http://127.0.0.1:8080 (no trailing slash needed). */
  readonly baseUrl: string;
  readonly dimensions: BotDimensions;
}

export interface StepResult {
  readonly step: string;
  readonly method: string;
  readonly url: string;
  readonly status?: number;
  readonly latencyMs: number;
  readonly ok: boolean;
  /** Why the step failed, one line per broken expectation. */
  readonly problems: readonly string[];
  /** Epoch ms (clock) when the request was sent. */
  readonly at: number;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly ok: boolean;
  /** Steps that ran; a failed step ends the run (later steps depend on its values). */
  readonly steps: readonly StepResult[];
  readonly saved: Readonly<Record<string, string>>;
}

export async function runScenario(
  scenario: BotScenario,
  target: BotTarget,
  deps: BotRunDeps,
): Promise<ScenarioResult> {
  const stopwatch = deps.stopwatch ?? (() => performance.now());
  const saved: Record<string, string> = {};
  const steps: StepResult[] = [];
  for (const [index, step] of scenario.steps.entries()) {
    const result = await runStep(step, step.name ?? `step-${index + 1}`, target, saved, deps, stopwatch);
    steps.push(result);
    await deps.sink?.put(samplesOf(result, target.dimensions));
    if (!result.ok) break;
  }
  return { scenario: scenario.name, ok: steps.every((s) => s.ok), steps, saved };
}

async function runStep(
  step: BotStep,
  name: string,
  target: BotTarget,
  saved: Record<string, string>,
  deps: BotRunDeps,
  stopwatch: () => number,
): Promise<StepResult> {
  const at = deps.clock.now();
  const path = fillTemplate(step.path, saved);
  const url = `${target.baseUrl.replace(/\/+$/, '')}${path}`;
  const headers = Object.fromEntries(
    Object.entries(step.headers).map(([k, v]) => [k, fillTemplate(v, saved)]),
  );
  let body: string | undefined;
  if (step.body !== undefined) {
    body = JSON.stringify(fillJson(step.body, saved));
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
  }
  const began = stopwatch();
  let status: number | undefined;
  let text = '';
  let responseHeaders: { get(name: string): string | null } | undefined;
  const problems: string[] = [];
  try {
    const response = await deps.fetch(url, {
      method: step.method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(deps.requestTimeoutMs ?? 10_000),
    });
    status = response.status;
    responseHeaders = response.headers;
    text = await response.text();
  } catch (error) {
    problems.push(`request failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const latencyMs = Math.max(0, stopwatch() - began);
  if (status !== undefined) {
    problems.push(...checkExpectations(step, status, text, latencyMs));
    if (problems.length === 0) {
      problems.push(...saveValues(step, status, text, responseHeaders, saved));
    }
  }
  return {
    step: name,
    method: step.method,
    url,
    ...(status === undefined ? {} : { status }),
    latencyMs,
    ok: problems.length === 0,
    problems,
    at,
  };
}

function checkExpectations(step: BotStep, status: number, text: string, latencyMs: number): string[] {
  const problems: string[] = [];
  const expected = step.expect.status;
  const statusOk =
    expected === undefined
      ? status >= 200 && status < 300
      : Array.isArray(expected)
        ? expected.includes(status)
        : expected === status;
  if (!statusOk)
    problems.push(`status ${status}, expected ${expected === undefined ? '2xx' : JSON.stringify(expected)}`);
  if (latencyMs > step.expect.latencyMs) {
    problems.push(`latency ${Math.round(latencyMs)} ms over budget ${step.expect.latencyMs} ms`);
  }
  const fields = Object.entries(step.expect.body);
  if (fields.length > 0) {
    const parsed = parseJson(text);
    for (const [path, value] of fields) {
      const actual = readPath(parsed, path.split('.'));
      if (JSON.stringify(actual) !== JSON.stringify(value)) {
        problems.push(`body.${path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`);
      }
    }
  }
  return problems;
}

function saveValues(
  step: BotStep,
  status: number,
  text: string,
  headers: { get(name: string): string | null } | undefined,
  saved: Record<string, string>,
): string[] {
  const problems: string[] = [];
  for (const [name, from] of Object.entries(step.save)) {
    let value: unknown;
    if (from === 'status') value = status;
    else if (from.startsWith('headers.')) value = headers?.get(from.slice('headers.'.length)) ?? undefined;
    else value = readPath(parseJson(text), from.split('.').slice(1));
    if (value === undefined || value === null)
      problems.push(`cannot save ${name}: ${from} is missing in the response`);
    else saved[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return problems;
}

function samplesOf(result: StepResult, dimensions: BotDimensions): MetricSample[] {
  const dims = { ...dimensions };
  return [
    { name: METRIC.requests, dimensions: dims, value: 1, timestamp: result.at, unit: 'Count' },
    {
      name: METRIC.failures,
      dimensions: dims,
      value: result.ok ? 0 : 1,
      timestamp: result.at,
      unit: 'Count',
    },
    {
      name: METRIC.latency,
      dimensions: dims,
      value: result.latencyMs,
      timestamp: result.at,
      unit: 'Milliseconds',
    },
  ];
}

/** Replaces `{{name}}` with a saved value; the spec already refused names no earlier step saves. */
export function fillTemplate(text: string, saved: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
    const value = saved[name];
    if (value === undefined) throw new BotTemplateError(`{{${name}}} has no saved value`);
    return value;
  });
}

function fillJson(value: unknown, saved: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return fillTemplate(value, saved);
  if (Array.isArray(value)) return value.map((v) => fillJson(v, saved));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillJson(v, saved)]));
  }
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
