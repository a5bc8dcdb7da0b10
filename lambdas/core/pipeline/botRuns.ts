/**
 * The bots port: every bot scenario of the service, once, against an environment (the `bots` task:
 * functional and load tests in the test environment). Pure over its deps (fetch, metric sink, clock),
 * so the Lambda passes global fetch and an EMF sink and the local platform its own.
 */

import type { BotRunDeps } from '../evidence/botRunner.ts';
import { runScenario } from '../evidence/botRunner.ts';
import type { BotScenario } from '../evidence/spec.ts';
import type { JsonValue } from './contract.ts';
import type { BotRunsPort } from './tasks.ts';

/** Load mode: each scenario this many times at once (the local platform's rounds). */
export const LOAD_ROUNDS = 5;
/** The report keeps the first scenarios' results: it is stored with the task event (size-capped). */
const REPORT_SCENARIOS = 20;

export function botRuns(deps: BotRunDeps): BotRunsPort {
  return {
    async runOnce({ run, environment, baseUrl, mode }) {
      const scenarios = (run.config.bots as { scenarios?: BotScenario[] } | undefined)?.scenarios ?? [];
      const rounds = mode === 'load' ? LOAD_ROUNDS : 1;
      const version = String((run.out.version as { version?: number } | undefined)?.version ?? '');
      const runs = [];
      for (let round = 0; round < rounds; round++) {
        for (const scenario of scenarios) {
          runs.push(
            runScenario(
              scenario,
              {
                baseUrl,
                dimensions: { service: run.service, environment, scenario: scenario.name, version },
              },
              deps,
            ),
          );
        }
      }
      let requests = 0;
      let failures = 0;
      const report: JsonValue[] = [];
      for (const result of await Promise.all(runs)) {
        for (const step of result.steps) {
          requests++;
          if (!step.ok) failures++;
        }
        report.push({
          scenario: result.scenario,
          ok: result.ok,
          failures: result.steps.filter((s) => !s.ok).flatMap((s) => [...s.problems]),
        });
      }
      return { requests, failures, report: report.slice(0, REPORT_SCENARIOS) };
    },
  };
}
