/**
 * The notification path of the local platform and the CLI: Slack when a token is set, else the
 * local outbox. (On AWS, lambdas/handlers/notifier.ts composes the Slack notifier with the AWS ports.)
 */
import { join } from 'node:path';
import { createSlackNotifier, createSlackWebClient, type NotificationSink } from '../slack/index.ts';
import { createLocalChartPort } from './chart/index.ts';
import { createJsonlDeadLetters, createLocalOutbox, FileDeliveryStore } from './outbox.ts';

export interface LocalNotificationSinkOptions {
  readonly env: NodeJS.ProcessEnv;
  /** The platform's working directory; state goes under `<cwd>/.vouch/`. */
  readonly cwd: string;
  readonly teamChannels: Readonly<Record<string, string>>;
  readonly print?: (text: string) => void;
}

/** `SLACK_BOT_TOKEN` set: Slack (at `SLACK_API_URL` if set). Not set: `.vouch/outbox` and the console. */
export function createLocalNotificationSink(options: LocalNotificationSinkOptions): NotificationSink {
  const state = join(options.cwd, '.vouch');
  const chart = createLocalChartPort(join(state, 'outbox', 'charts'));
  const token = options.env.SLACK_BOT_TOKEN;
  if (token === undefined || token === '') {
    return createLocalOutbox({
      dir: join(state, 'outbox'),
      chart,
      ...(options.print ? { print: options.print } : {}),
      ...(Object.keys(options.teamChannels).length > 0 ? { teamChannels: options.teamChannels } : {}),
    });
  }
  const apiUrl = options.env.SLACK_API_URL;
  return createSlackNotifier({
    client: createSlackWebClient(token, apiUrl ? { slackApiUrl: apiUrl } : {}),
    teamChannels: options.teamChannels,
    store: new FileDeliveryStore(join(state, 'notify', 'deliveries.json')),
    deadLetters: createJsonlDeadLetters(join(state, 'notify', 'dead-letters.jsonl')),
    chart,
    ...(options.print ? { log: options.print } : {}),
  });
}
