/** Build data for dashboard tests and the bench, written through the real BuildRepository. */
import type { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import type { JsonValue } from '../../../lambdas/core/builds/model.ts';
import { loadFlavour, pipeShapeOf } from '../../../lambdas/core/spec/index.ts';

export const commitOf = (n: number) => n.toString(16).padStart(40, 'a');

/** A failing latency signal as the canary judge reports it (Mann-Whitney U on p50). */
export const FAILING_VERDICT = {
  outcome: 'FAIL',
  alpha: 0.05,
  tests: 2,
  decisive: 'latencyP50',
  signals: [
    {
      signal: 'errorRate',
      statistic: 'rate',
      test: 'two-proportion-z',
      alpha: 0.025,
      allowed: 0.02,
      unit: 'absolute',
      baseline: { samples: 140, value: 0, failed: 0 },
      canary: { samples: 36, value: 0, failed: 0 },
      samples: { baseline: 140, canary: 36, minimum: 25 },
      p: 0.79,
      outcome: 'PASS',
      reason: 'errorRate: within tolerance',
    },
    {
      signal: 'latencyP50',
      statistic: 'p50',
      test: 'mann-whitney-u',
      alpha: 0.025,
      allowed: 0.5,
      unit: 'relative',
      baseline: { samples: 140, value: 17.89, p50: 17.89, p99: 160.2 },
      canary: { samples: 36, value: 99.02, p50: 99.02, p99: 265.4 },
      samples: { baseline: 140, canary: 36, minimum: 25 },
      p: 0.00001,
      U: 3918,
      effect: 4.536,
      outcome: 'FAIL',
      reason: 'latencyP50: canary p50 99.0 vs baseline 17.9 (453.6 %, allowed 50.0 %)',
    },
  ],
} as const;

/**
 * Registers `service` and records `count` runs of the ec2-canary pipe: each one started, tested,
 * promoted to qa; the last one rolled back in qa at 20 % on FAILING_VERDICT.
 */
export async function seedStory(repo: BuildRepository, service: string, count: number): Promise<void> {
  await repo.registerService({ service, team: 'checkout', solution: 'webshop', repo: `/repos/${service}` });
  const pipeShape = {
    pipe: 'ec2-canary',
    shape: pipeShapeOf(loadFlavour('ec2-canary')),
  } as unknown as JsonValue;
  const t0 = Date.parse('2030-01-01T00:00:00Z');
  for (let n = 1; n <= count; n++) {
    const at = (s: number) => new Date(t0 + n * 3_600_000 + s * 1000).toISOString();
    const execution = `gh-${service}-${n}`;
    const { version } = await repo.allocateVersion({ service, commit: commitOf(n), execution });
    await repo.recordRunStarted({ execution, service, version, commit: commitOf(n), pipeShape, at: at(0) });
    const task = async (name: string, type: string, s: number, ms: number, environment?: string) => {
      const base = { execution, service, version, task: name, type, environment };
      await repo.recordTaskEvent({ ...base, phase: 'start', at: at(s) });
      await repo.recordTaskEvent({ ...base, phase: 'done', outcome: 'SUCCEEDED', at: at(s + ms / 1000) });
    };
    await task('build', 'build', 1, 300);
    await task('verify-test', 'verify', 5, 4000, 'test');
    await repo.recordPromotion({
      service,
      version,
      environment: 'test',
      kind: 'PASSED_TEST',
      evidence: null,
      at: at(10),
    });
    await task('deploy-canary', 'deploy', 11, 900, 'qa');
    if (n < count) {
      await task('canary-judge@20', 'judge', 15, 200, 'qa');
      await repo.recordPromotion({
        service,
        version,
        environment: 'qa',
        kind: 'PROMOTED',
        evidence: null,
        at: at(20),
      });
      await repo.recordRunFinished({ execution, service, version, outcome: 'SUCCEEDED', at: at(30) });
      continue;
    }
    const cause = JSON.stringify({
      environment: 'qa',
      step: 20,
      reason: 'canary significantly worse than allowed',
      window: { from: t0, to: t0 + 9000 },
      verdict: FAILING_VERDICT,
    });
    await repo.recordTaskEvent({
      execution,
      service,
      version,
      task: 'canary-judge@20',
      type: 'judge',
      environment: 'qa',
      phase: 'start',
      at: at(15),
    });
    await repo.recordTaskEvent({
      execution,
      service,
      version,
      task: 'canary-judge@20',
      type: 'judge',
      environment: 'qa',
      phase: 'done',
      outcome: 'FAILED',
      at: at(16),
      report: { error: 'CanaryStepFailed', cause },
    });
    await repo.recordPromotion({
      service,
      version,
      environment: 'qa',
      kind: 'ROLLED_BACK',
      at: at(18),
      evidence: { error: 'CanaryStepFailed', evidence: JSON.parse(cause) as JsonValue },
    });
    await repo.recordRunFinished({
      execution,
      service,
      version,
      outcome: 'FAILED',
      at: at(30),
      report: { error: { Error: 'CanaryStepFailed', Cause: cause } },
    });
  }
}
