import type { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { WindowPorts } from '../../../core/evidence/window.ts';
import { requireEnv } from '../../../core/shared/env.ts';
import { DynamoWindowStore } from '../../dynamo/windowStore.ts';
import { cloudWatchEvidence } from './cloudWatchEvidence.ts';
import { sfnTaskTokens } from './sfnTaskTokens.ts';

/**
 * The ports both window resumers (the alarm-event and window-end Lambdas) run on: the window store
 * on the build table, CloudWatch evidence, Step Functions task tokens. Call once at module scope.
 */
export function windowPortsFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): WindowPorts {
  return {
    windows: new DynamoWindowStore({
      client: new DynamoDBClient({}),
      tableName: requireEnv('VOUCH_BUILD_TABLE', env),
    }),
    evidence: cloudWatchEvidence(new CloudWatchClient({})),
    tokens: sfnTaskTokens(new SFNClient({})),
    logger,
  };
}
