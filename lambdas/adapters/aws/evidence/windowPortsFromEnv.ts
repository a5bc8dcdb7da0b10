import type { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { WindowPorts } from '../../../core/evidence/window.ts';
import { createWindowPorts } from '../../../core/evidence/windowPorts.ts';
import { DynamoWindowStore } from '../../dynamo/windowStore.ts';
import { readFunctionEnv } from '../functionEnvironment.ts';
import { cloudWatchEvidence } from './cloudWatchEvidence.ts';
import { sfnTaskTokens } from './sfnTaskTokens.ts';
import { windowEndCanceller } from './windowEndSchedule.ts';

export interface WindowClients {
  readonly dynamo: DynamoDBClient;
  readonly cloudWatch: CloudWatchClient;
  readonly sfn: SFNClient;
  readonly scheduler: SchedulerClient;
}

/**
 * The ports both window resumers (the alarm-event and window-end Lambdas) run on: the window store
 * on the build table, CloudWatch evidence, Step Functions task tokens, built by the same factory as
 * the local platform's (`createWindowPorts`), and the window-end schedules' group, whose pending
 * schedule an early close deletes. Call once at module scope.
 */
export function windowPortsFromEnv(
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
  clients: WindowClients = {
    dynamo: new DynamoDBClient({}),
    cloudWatch: new CloudWatchClient({}),
    sfn: new SFNClient({}),
    scheduler: new SchedulerClient({}),
  },
): WindowPorts {
  const settings = readFunctionEnv('windowResumer', env);
  return createWindowPorts({
    windows: new DynamoWindowStore({ client: clients.dynamo, tableName: settings.VOUCH_BUILD_TABLE }),
    evidence: cloudWatchEvidence(clients.cloudWatch),
    tokens: sfnTaskTokens(clients.sfn),
    // An alarm that closes a window early removes its pending end schedule.
    windowEnds: windowEndCanceller(clients.scheduler, settings.VOUCH_WINDOW_SCHEDULE_GROUP),
    logger,
  });
}
