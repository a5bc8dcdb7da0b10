// Target of the one-time EventBridge Scheduler schedule at a verification window's end: decide on the
// window's evidence and resume the waiting verify task.
import { Logger } from '@aws-lambda-powertools/logger';
import { windowPortsFromEnv } from '../adapters/aws/evidence/windowPortsFromEnv.ts';
import { handleWindowEnd } from '../core/evidence/events.ts';

const logger = new Logger({ serviceName: 'vouch-window-end' });
const ports = windowPortsFromEnv(logger);

export async function handler(event: unknown) {
  const outcome = await handleWindowEnd(event, ports);
  if (outcome !== undefined)
    logger.info('window closed', { verdict: { ...outcome.verdict }, delivery: outcome.delivery });
  return outcome?.verdict ?? null;
}
