import type { TaskFunction, TaskType } from '../contract.ts';
import { VerificationFailedError } from '../errors.ts';
import { verifyTimeoutFor } from '../evidenceTasks.ts';
import type { TaskContext } from './context.ts';
import { environmentOf, evidenceKeyOf, json, stepTraffic, versionOf, windowConfig } from './inputs.ts';

export function evidenceTasks(
  context: TaskContext,
): Pick<Record<TaskType, TaskFunction>, 'bots' | 'verify' | 'decide'> {
  const { ports, now, environment } = context;
  return {
    async bots(input) {
      const env = await environment(input);
      const result = await ports.bots.runOnce({
        run: input.run,
        environment: evidenceKeyOf(input, env.name),
        baseUrl: env.proxyUrl,
        mode: input.task.params.mode === 'load' ? 'load' : 'functional',
      });
      if (result.requests === 0) {
        throw new VerificationFailedError(
          `${input.task.name}: no bot scenario ran (no evidence)`,
          result.report,
        );
      }
      if (result.failures > 0) {
        throw new VerificationFailedError(
          `${input.task.name}: ${result.failures} of ${result.requests} bot requests failed`,
          result.report,
        );
      }
      return json(result);
    },

    async verify(input) {
      const env = evidenceKeyOf(input, environmentOf(input));
      const params = {
        ...input.task.params,
        environment: env,
        // A pause waits for a person (vouch promote / abort), up to the longest window allowed.
        verification:
          input.task.params.pause === true
            ? { ...(windowConfig(input) as object), windowSeconds: 86_400 }
            : windowConfig(input),
        ...(input.step !== undefined ? { step: stepTraffic(input) } : {}),
        // A hotfix's canary windows are judged against the baseline, not by the running version's alarms.
        ...(input.run.hotfix && input.step !== undefined ? { ignoreAlarms: true } : {}),
        version: versionOf(input),
      };
      // The state before the window (compile.ts addVerifyTimeout): how long its Task state may wait.
      if (input.task.params.timeoutOnly === true)
        return { timeoutSeconds: verifyTimeoutFor(input.task.name, params.verification) };
      const from = now().getTime();
      const result = (await ports.verify({
        ...input,
        task: { ...input.task, params: json(params) as never },
      })) as {
        verdict?: { outcome?: string };
      };
      if (result?.verdict?.outcome === 'FAILED')
        throw new VerificationFailedError(`${input.task.name}: window failed`, json(result.verdict));
      // The canary judge compares the traffic of this window, timed on the target's clock.
      return json({ ...result, samplesWindow: { from, to: now().getTime() } });
    },

    async decide(input) {
      const params = {
        ...input.task.params,
        environment: evidenceKeyOf(input, environmentOf(input)),
        verification: windowConfig(input),
      };
      const result = (await ports.decide({
        ...input,
        task: { ...input.task, params: json(params) as never },
      })) as {
        verdict?: { outcome?: string };
      };
      if (result?.verdict?.outcome !== 'PASSED') {
        throw new VerificationFailedError(`${input.task.name}: window failed`, json(result?.verdict ?? null));
      }
      return json(result);
    },
  };
}
