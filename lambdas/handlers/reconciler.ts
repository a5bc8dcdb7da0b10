// Target of the reconciler's recurring EventBridge Scheduler schedule: runs the build table has as
// RUNNING whose Step Functions execution ended without its cleanup are ended ABORTED, their locks
// released, their test environments destroyed, `where` corrected, the team told (issue 12). A
// lambda-canary service's environments are its function's aliases: the Lambda target's, when the
// platform has Lambda services (VOUCH_LAMBDA_FUNCTIONS).
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { lambdaDeployTargetFromEnv } from '../adapters/aws/deployTarget/fromEnv.ts';
import { UnknownReconcileServiceError } from '../adapters/aws/errors.ts';
import { cloudWatchRunAlarms } from '../adapters/aws/evidence/runAlarms.ts';
import { runBotSchedules } from '../adapters/aws/evidence/runBotSchedules.ts';
import { readFunctionEnv } from '../adapters/aws/functionEnvironment.ts';
import { LAMBDA_TARGET_FLAVOUR } from '../adapters/aws/lambdaTarget/config.ts';
import { buildRecordsFromEnv } from '../adapters/aws/pipeline/fromEnv.ts';
import { snsNotify } from '../adapters/aws/pipeline/snsNotify.ts';
import { reconcileDeployedPlatform } from '../adapters/aws/reconcile/deployedReconcile.ts';
import { parseReconcileRegistry } from '../adapters/aws/reconcile/registry.ts';
import { ec2DeployTargetFromEnv } from '../adapters/aws/target/fromEnv.ts';

const env = readFunctionEnv('reconciler');
const services = parseReconcileRegistry(env.VOUCH_SERVICE_PIPES);
const stateMachines = z
  .record(z.string(), z.string().startsWith('arn:'))
  .parse(JSON.parse(env.VOUCH_STATE_MACHINES));
const logger = new Logger({ serviceName: 'vouch-reconciler' });
// Set only when a service is released as a Lambda function (the platform config's lambdaTarget).
const lambdaTarget = lambdaDeployTargetFromEnv(env);
const ports = {
  builds: buildRecordsFromEnv(env),
  sfn: new SFNClient({}),
  stateMachines,
  target: ec2DeployTargetFromEnv(env),
  ...(lambdaTarget === undefined ? {} : { targets: { [LAMBDA_TARGET_FLAVOUR]: lambdaTarget } }),
  environmentBots: runBotSchedules(new SchedulerClient({}), { groupName: env.VOUCH_RUN_BOT_SCHEDULE_GROUP }),
  runAlarms: cloudWatchRunAlarms(new CloudWatchClient({})),
  notify: snsNotify(new SNSClient({}), { topicArn: env.VOUCH_NOTIFICATION_TOPIC_ARN }),
};

/** The schedule's input; `service` narrows a run by hand (`aws lambda invoke`) to one service. */
const ReconcileEventSchema = z.object({ service: z.string().min(1).optional() }).passthrough();

export async function handler(event: unknown) {
  const { service } = ReconcileEventSchema.parse(event ?? {});
  const selected = service === undefined ? services : services.filter((s) => s.service === service);
  if (selected.length === 0)
    throw new UnknownReconcileServiceError(
      String(service),
      services.map((s) => s.service),
    );
  const reports = await reconcileDeployedPlatform(selected, ports);
  for (const r of reports)
    if (r.aborted.length + r.locksReleased.length + r.corrected.length > 0)
      logger.info('reconciled', { ...r });
  return reports;
}
