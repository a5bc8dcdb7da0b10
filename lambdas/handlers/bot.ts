// Bot schedule target (EventBridge Scheduler, one per service x environment x scenario): runs the
// scenario against the environment's base URL and emits requests/failures/latency as EMF.
import { Metrics } from '@aws-lambda-powertools/metrics';
import { emfMetricSink } from '../adapters/aws/evidence/emfMetricSink.ts';
import { signingFetch } from '../adapters/aws/sigv4.ts';
import { systemClock } from '../core/evidence/clock.ts';
import { handleBotRun, summarizeRuns } from '../core/evidence/events.ts';
import { METRIC_NAMESPACE } from '../core/evidence/metrics.ts';

const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'vouch-bot' });
const sink = emfMetricSink(metrics);

export async function handler(event: unknown) {
  const results = await handleBotRun(event, {
    // A Lambda service's test alias is an AWS_IAM Function URL: those requests are signed.
    fetch: signingFetch((url, init) => fetch(url, init)),
    clock: systemClock,
    sink,
  });
  return summarizeRuns(results);
}
