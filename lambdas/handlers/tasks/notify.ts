// The notify task on AWS: the run's outcome to the notification topic (the notifier Lambda posts to Slack).
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv, notifyFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('notify');

export const handler = taskHandler('notify', {
  builds: buildRecordsFromEnv(env),
  notify: notifyFromEnv(env),
});
