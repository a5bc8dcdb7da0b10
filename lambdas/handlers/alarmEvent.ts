// EventBridge rule on "CloudWatch Alarm State Change" for vouch.* alarms: an alarm in ALARM fails the
// open verification window of its (service, environment) at once.
import { Logger } from '@aws-lambda-powertools/logger';
import { windowPortsFromEnv } from '../adapters/aws/evidence/windowPortsFromEnv.ts';
import { handleAlarmStateChange } from '../core/evidence/events.ts';

const logger = new Logger({ serviceName: 'vouch-alarm-event' });
const ports = windowPortsFromEnv(logger);

export async function handler(event: unknown) {
  const outcome = await handleAlarmStateChange(event, ports);
  if (outcome !== undefined)
    logger.info('window resumed', { verdict: { ...outcome.verdict }, delivery: outcome.delivery });
  return outcome?.verdict ?? null;
}
