// The notify task on AWS: the run's outcome to the notification topic (the notifier Lambda posts to Slack).
import { buildRecordsFromEnv, notifyFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

export const handler = taskHandler('notify', { builds: buildRecordsFromEnv(), notify: notifyFromEnv() });
