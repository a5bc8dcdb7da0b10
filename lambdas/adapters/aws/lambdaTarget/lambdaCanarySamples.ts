/**
 * The canary judge's series for a Lambda service: per period and per slot, the function's own
 * metrics for the alias, split by the version that ran (`AWS/Lambda`, dimensions FunctionName,
 * Resource `<function>:<alias>`, ExecutedVersion; published for invocations through a weighted
 * alias): `Invocations` (Sum), `Errors` (Sum) and `Duration` p50/p90/p99 (already milliseconds). The
 * same shape as an ALB's target-group series, read by the same GetMetricData join.
 *
 * `Errors` counts invocations that failed (an exception, a timeout); a response the handler returns
 * with status 500 is a successful invocation to Lambda. A service that answers errors that way is
 * judged on them by its verification window (the bots' checks and alarms), not here.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CanarySeries } from '../../../core/canary/periods.ts';
import { NoCanaryError } from '../../../core/target/errors.ts';
import type { EnvironmentDescription, EnvironmentRef } from '../../../core/target/port.ts';
import {
  type AsyncCanarySamples,
  albPeriodSeconds,
  type CanarySlot,
  readSlotSeries,
  type SlotMetrics,
} from '../pipeline/cloudWatchCanarySamples.ts';

const LAMBDA_METRICS: SlotMetrics = {
  namespace: 'AWS/Lambda',
  latency: { name: 'Duration', toMs: 1 },
  requests: 'Invocations',
  errors: 'Errors',
};

/** `orders.qa` -> alias `qa`; `orders.test.<runKey>` -> `test-<runKey>` (LambdaDeployTarget's naming). */
export function aliasOfEnvironment(environmentId: string): string {
  const [, name, runKey] = environmentId.split('.');
  return runKey === undefined ? String(name) : `${name}-${runKey}`;
}

export function lambdaCanarySamples(
  cw: CloudWatchClient,
  options: { readonly describe: (environment: EnvironmentRef) => Promise<EnvironmentDescription> },
): AsyncCanarySamples {
  return {
    async samples(environmentId, fromMs, toMs, periodSeconds): Promise<CanarySeries> {
      const description = await options.describe({ id: environmentId });
      const { baseline, canary } = description;
      if (!baseline || !canary) throw new NoCanaryError(environmentId, 'judge');
      const slotImage: Record<CanarySlot, string> = { baseline: baseline.image, canary: canary.image };
      const dimensionsOf = (slot: CanarySlot) => {
        const image = slotImage[slot];
        const at = image.lastIndexOf(':');
        const functionName = image.slice(0, at);
        return [
          { Name: 'FunctionName', Value: functionName },
          { Name: 'Resource', Value: `${functionName}:${aliasOfEnvironment(environmentId)}` },
          { Name: 'ExecutedVersion', Value: image.slice(at + 1) },
        ];
      };
      return readSlotSeries(cw, {
        metrics: LAMBDA_METRICS,
        dimensions: { baseline: dimensionsOf('baseline'), canary: dimensionsOf('canary') },
        fromMs,
        toMs,
        // Lambda's metrics are standard resolution, like the ALB's: whole minutes.
        periodSeconds: albPeriodSeconds(periodSeconds),
      });
    },
  };
}
