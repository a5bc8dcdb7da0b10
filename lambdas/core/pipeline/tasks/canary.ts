import { decideCanaryStep } from '../../canary/decide.ts';
import type { CanaryVerdict } from '../../canary/judge.ts';
import { judgeCanaryStep } from '../../canary/judge.ts';
import { chartFromCanaryVerdict, notificationVerdictFromCanary } from '../../notify/fromCanaryVerdict.ts';
import type { NotificationInput } from '../../notify/notification.ts';
import type { JsonValue, TaskFunction, TaskInput, TaskType } from '../contract.ts';
import { CanaryRemovedError, CanaryStepFailedError, PromotionNotServingError } from '../errors.ts';
import { canarySpecOf } from '../taskInputs.ts';
import type { TaskContext } from './context.ts';
import { describe, json, parseCause, samplesWindowOf, stepTraffic, summaryOf, versionOf } from './inputs.ts';

export function canaryTasks(
  context: TaskContext,
): Pick<Record<TaskType, TaskFunction>, 'shift' | 'judge' | 'promote' | 'rollback'> {
  const { ports, now, holdsLock, requireLock, firstReleaseOf, environment, evidenceOf } = context;
  return {
    async shift(input) {
      const env = await environment(input);
      await requireLock(input, env.name);
      if (firstReleaseOf(input)) return { skipped: 'first release of this environment', weight: 0 };
      const current = await ports.target.describe(env);
      if (!current.canary) throw new CanaryRemovedError(env.name, versionOf(input));
      return json(describe(await ports.target.shiftWeight(env, stepTraffic(input))));
    },

    async judge(input) {
      const env = await environment(input);
      const current = await ports.target.describe(env);
      const traffic = stepTraffic(input);
      // The step's window, and the one a person closed after a pause (the judge then sees both).
      const base = input.task.name.replace(/-judge$/, '');
      const windows = [input.scope?.[`${base}-verify`], input.scope?.[`${base}-pause`]]
        .map((w) => samplesWindowOf(w))
        .filter((w): w is { from: number; to: number } => w !== undefined);
      const window =
        windows.length > 0
          ? {
              samplesWindow: {
                from: Math.min(...windows.map((w) => w.from)),
                to: Math.max(...windows.map((w) => w.to)),
              },
            }
          : null;
      if (firstReleaseOf(input)) {
        // First release: nothing to compare with; the window (alarms, bot evidence) already passed.
        return { outcome: 'PASS', step: traffic, reason: 'first release: judged on its window alone' };
      }
      if (!current.canary) throw new CanaryRemovedError(env.name, versionOf(input));
      if (traffic >= 100) {
        // At full traffic the baseline serves nothing: there is no comparison to make, and the
        // window's alarms and bot evidence (which just passed) are the judge of the last step.
        return { outcome: 'PASS', step: traffic, reason: 'full traffic: judged on its window alone' };
      }
      // An extended step is judged on all of its windows: the extension adds samples, it does not restart.
      const previous = input.scope?.[input.task.name] as
        | { extensions?: number; window?: { from: number } }
        | undefined;
      const extensions = Number(previous?.extensions ?? 0);
      const to = window?.samplesWindow?.to ?? now().getTime();
      const windowFrom = window?.samplesWindow?.from ?? to - 60_000;
      const from =
        extensions > 0 && previous?.window ? Math.min(previous.window.from, windowFrom) : windowFrom;
      const config = canarySpecOf(input.run);
      const samples = await ports.samples.samples(env.id, from, to, config.periodSeconds);
      const verdict = judgeCanaryStep({ ...samples, config });
      const decision = decideCanaryStep(verdict, extensions, config);
      const result = { ...verdict, step: traffic, decision, window: { from, to } };
      if (decision.action === 'advance') return json({ ...result, outcome: 'PASS' });
      if (decision.action === 'extend')
        return json({ ...result, outcome: 'EXTEND', extensions: extensions + 1 });
      if (decision.action === 'pause') return json({ ...result, outcome: 'PAUSE' });
      throw new CanaryStepFailedError(env.name, traffic, verdict, decision.reason, { from, to });
    },

    async promote(input) {
      const env = await environment(input);
      const version = versionOf(input);
      await requireLock(input, env.name);
      const current = await ports.target.describe(env);
      let described = current;
      if (!firstReleaseOf(input)) {
        if (current.canary?.version !== String(version)) throw new CanaryRemovedError(env.name, version);
        described = await ports.target.promote(env);
      }
      // Recorded only for what the target reports serving: all traffic on this version, no canary.
      described = await ports.target.describe(env);
      if (described.baseline?.version !== String(version) || described.canary !== undefined) {
        throw new PromotionNotServingError(env.name, version, described.baseline?.version);
      }
      await ports.builds.recordPromotion({
        service: input.run.service,
        version,
        environment: env.name,
        kind: 'PROMOTED',
        evidence: evidenceOf(input),
        execution: input.run.execution,
      });
      return json(describe(described));
    },

    async rollback(input) {
      const env = await environment(input);
      // A run that does not hold the lock (it never got it, or lost it) deployed nothing there that is
      // still its own: rolling back would remove another run's canary.
      if (!(await holdsLock(input, env.name))) {
        return {
          skipped: `this run does not hold the deploy lock of ${env.name}: nothing of its own to roll back`,
        };
      }
      // At once, before anything is recorded: users are on the canary until this returns.
      const described = await ports.target.rollback(env);
      const evidence = parseCause(input.error);
      await ports.builds.recordPromotion({
        service: input.run.service,
        version: versionOf(input),
        environment: env.name,
        kind: 'ROLLED_BACK',
        evidence: json({ error: input.error?.Error ?? null, evidence }),
        execution: input.run.execution,
      });
      await ports.notify.send(rollbackNotification(input, env.name, evidence, now()));
      return json({ ...(describe(described) as Record<string, JsonValue>), rolledBack: true });
    },
  };
}

/** The Slack message of a rollback: which signal failed, observed vs allowed, the window, a chart. */
export function rollbackNotification(
  input: TaskInput,
  environment: string,
  evidence: JsonValue,
  decidedAt: Date,
): NotificationInput {
  const at = decidedAt.toISOString();
  const e = (evidence ?? {}) as {
    verdict?: CanaryVerdict;
    step?: number;
    window?: { from: number; to: number };
    reason?: string;
    windowStart?: string;
    windowEnd?: string;
    summary?: string;
  };
  const version = (input.run.out.version as { version?: number } | undefined)?.version ?? 'unknown';
  const start = e.window ? new Date(e.window.from).toISOString() : (e.windowStart ?? at);
  const end = e.window ? new Date(e.window.to).toISOString() : (e.windowEnd ?? at);
  const chart =
    e.verdict &&
    chartFromCanaryVerdict(e.verdict, {
      service: input.run.service,
      environment,
      ...(typeof e.step === 'number' ? { step: e.step } : {}),
      versions: { canary: `v${version}` },
    });
  return {
    id: `${input.run.execution}#rollback#${environment}`,
    service: input.run.service,
    team: input.run.team,
    version,
    commit: input.run.commit,
    environment,
    ...(typeof e.step === 'number' ? { step: e.step } : {}),
    event: 'ROLLED_BACK',
    verdict: e.verdict
      ? {
          ...notificationVerdictFromCanary(e.verdict),
          summary: e.reason ?? 'canary worse than the running version',
        }
      : {
          outcome: 'FAIL',
          summary: `${input.error?.Error ?? 'failure'}: ${summaryOf(evidence).slice(0, 800)}`,
        },
    window: { start, end },
    ...(chart ? { chart } : {}),
  };
}
