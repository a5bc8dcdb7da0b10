import { type BotScenario, BotsSpecSchema } from '../../evidence/spec.ts';
import type { ResourceTags } from '../../shared/tags.ts';
import { evidenceEnvironment, runKeyOf } from '../../target/naming.ts';
import type { EnvironmentDescription } from '../../target/port.ts';
import type { JsonValue, RunState, TaskInput } from '../contract.ts';
import { MissingTaskResultError, PipelineConfigError } from '../errors.ts';

export const tagsOf = (run: RunState): ResourceTags => ({
  service: run.service,
  team: run.team,
  solution: run.solution,
});

export function versionOf(input: TaskInput): number {
  const out = input.run.out.version as { version?: unknown } | undefined;
  if (typeof out?.version !== 'number') throw new MissingTaskResultError(input.task.name, 'version');
  return out.version;
}

/** The environment a task acts on: its `environment` param, else the release iteration's item. */
export function environmentOf(input: TaskInput): string {
  const param = input.task.params.environment;
  if (typeof param === 'string') return param;
  const item = input.item as { name?: unknown } | undefined;
  if (typeof item?.name === 'string') return item.name;
  throw new PipelineConfigError(
    `task ${input.task.name} has no environment (params.environment or a release item)`,
  );
}

export function environmentSpec(input: TaskInput, name: string): { name: string; ephemeral: boolean } {
  const envs = input.run.config.environments as { name: string; ephemeral: boolean }[] | undefined;
  const found = envs?.find((e) => e.name === name);
  if (!found) throw new PipelineConfigError(`environment "${name}" is not in the service's environments`);
  return found;
}

/** Where the environment's evidence is filed: per run for an ephemeral environment (naming.ts). */
export function evidenceKeyOf(input: TaskInput, name: string): string {
  return environmentSpec(input, name).ephemeral
    ? evidenceEnvironment(name, runKeyOf(input.run.execution))
    : name;
}

/** The traffic % of the canary step being run. */
export function stepTraffic(input: TaskInput): number {
  const step = input.step;
  const traffic = typeof step === 'number' ? step : step?.traffic;
  if (typeof traffic !== 'number')
    throw new PipelineConfigError(`task ${input.task.name} runs outside a canary step`);
  return traffic;
}

/** The bot scenarios of the run's `.vouch.yml` (validated there; parsed again for their type). */
export function scenariosOf(input: TaskInput): BotScenario[] {
  return BotsSpecSchema.parse(input.run.config.bots ?? {}).scenarios;
}

export const json = (value: unknown): JsonValue => JSON.parse(JSON.stringify(value ?? null)) as JsonValue;

/** The verification settings of a window: the service's, with a canary step's own window length. */
export function windowConfig(input: TaskInput): JsonValue {
  const base = (input.run.config.verification ?? {}) as Record<string, JsonValue>;
  const step = input.step;
  const windowSeconds =
    typeof step === 'object' && step.windowSeconds ? step.windowSeconds : base.windowSeconds;
  return { ...base, ...(windowSeconds !== undefined ? { windowSeconds } : {}) };
}

export function describe(d: EnvironmentDescription): JsonValue {
  return json({
    environment: d.environment.id,
    weight: d.weight,
    proxyUrl: d.proxyUrl,
    baseline: d.baseline ? { version: d.baseline.version, image: d.baseline.image } : null,
    canary: d.canary ? { version: d.canary.version, image: d.canary.image } : null,
  });
}

/** A task error's Cause is the JSON of the decision when Vouch raised it; otherwise its text. */
export function parseCause(error: TaskInput['error']): JsonValue {
  if (!error) return null;
  try {
    const parsed = JSON.parse(error.Cause) as JsonValue & { errorMessage?: string };
    // On AWS a Lambda's error arrives wrapped: {errorType, errorMessage, trace}.
    if (
      parsed &&
      typeof parsed === 'object' &&
      'errorMessage' in parsed &&
      typeof parsed.errorMessage === 'string'
    ) {
      try {
        return JSON.parse(parsed.errorMessage) as JsonValue;
      } catch {
        return parsed.errorMessage;
      }
    }
    return parsed;
  } catch {
    return error.Cause;
  }
}

/**
 * The time range of a window's traffic. Locally the verify task measures it; on AWS the task only
 * opens the window and the state's output is the verdict the resumer sent, with the window's times.
 */
export function samplesWindowOf(output: JsonValue | undefined): { from: number; to: number } | undefined {
  const o = output as
    | { samplesWindow?: { from: number; to: number }; verdict?: Record<string, unknown> }
    | undefined;
  if (o?.samplesWindow) return o.samplesWindow;
  const from = Date.parse(String(o?.verdict?.windowStart ?? ''));
  const to = Date.parse(String(o?.verdict?.decidedAt ?? o?.verdict?.windowEnd ?? ''));
  return Number.isFinite(from) && Number.isFinite(to) ? { from, to } : undefined;
}

/** One line for people: a decision's own summary when it has one. */
export function summaryOf(cause: JsonValue): string {
  if (cause && typeof cause === 'object' && !Array.isArray(cause)) {
    if (typeof cause.summary === 'string') return cause.summary;
    if (typeof cause.reason === 'string') return cause.reason;
  }
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}
