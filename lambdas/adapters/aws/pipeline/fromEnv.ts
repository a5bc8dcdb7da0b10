/**
 * The ports of the task Lambdas as a handler builds them at module scope: bare SDK clients, settings
 * from the function's environment contract (functionEnvironment.ts), which the handler reads once with
 * `readFunctionEnv` so a misconfigured function fails at cold start. Each builds only its own clients.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SNSClient } from '@aws-sdk/client-sns';
import { systemClock } from '../../../core/evidence/clock.ts';
import { METRIC_NAMESPACE } from '../../../core/evidence/metrics.ts';
import { botRuns } from '../../../core/pipeline/botRuns.ts';
import type { RunState, TaskFunction } from '../../../core/pipeline/contract.ts';
import { createDecideTask, createVerifyTask } from '../../../core/pipeline/evidenceTasks.ts';
import type {
  BotRunsPort,
  CommandPort,
  EnvironmentBotsPort,
  LastingBotsPort,
  NotifyPort,
} from '../../../core/pipeline/tasks.ts';
import { BuildRepository } from '../../dynamo/buildRepository.ts';
import { DynamoWindowStore } from '../../dynamo/windowStore.ts';
import { codeBuildCommandPort } from '../codebuild/startBuild.ts';
import { dynamoTaskTokenItems } from '../codebuild/taskTokenItems.ts';
import { cloudWatchEvidence } from '../evidence/cloudWatchEvidence.ts';
import { emfMetricSink } from '../evidence/emfMetricSink.ts';
import { lastingBotSchedules } from '../evidence/lastingBotSchedules.ts';
import { runBotSchedules } from '../evidence/runBotSchedules.ts';
import { windowEndSchedules } from '../evidence/windowEndSchedule.ts';
import { RUNTIME_ENV as V } from '../functionEnvironment.ts';
import { signingFetch } from '../sigv4.ts';
import { bucketArtifactSource } from './artifactSource.ts';
import { snsNotify } from './snsNotify.ts';

/** Settings as `readFunctionEnv` returns them: each factory names the variables it needs. */
type Settings<K extends string> = { readonly [P in K]: string };

/** The build data repository: every task reports its start and end there, so every task Lambda wires it. */
export function buildRecordsFromEnv(
  env: Settings<typeof V.buildTable>,
  dynamo = new DynamoDBClient({}),
): BuildRepository {
  return new BuildRepository({ client: dynamo, tableName: env[V.buildTable] });
}

/** Verify on AWS: records the window and its one-time end schedule; the token resumes the state. */
export function verifyFromEnv(
  env: Settings<
    | typeof V.buildTable
    | typeof V.windowEndFunctionArn
    | typeof V.windowEndRoleArn
    | typeof V.windowScheduleGroup
  >,
  dynamo = new DynamoDBClient({}),
): TaskFunction {
  return createVerifyTask({
    windows: new DynamoWindowStore({ client: dynamo, tableName: env[V.buildTable] }),
    scheduler: windowEndSchedules(new SchedulerClient({}), {
      targetArn: env[V.windowEndFunctionArn],
      roleArn: env[V.windowEndRoleArn],
      groupName: env[V.windowScheduleGroup],
    }),
  });
}

/** Decide after a verify timeout: the window and its CloudWatch evidence. */
export function decideFromEnv(
  env: Settings<typeof V.buildTable>,
  dynamo = new DynamoDBClient({}),
): TaskFunction {
  return createDecideTask({
    windows: new DynamoWindowStore({ client: dynamo, tableName: env[V.buildTable] }),
    evidence: cloudWatchEvidence(new CloudWatchClient({})),
  });
}

export function notifyFromEnv(env: Settings<typeof V.notificationTopicArn>): NotifyPort {
  return snsNotify(new SNSClient({}), { topicArn: env[V.notificationTopicArn] });
}

/** Build and test in the service's CodeBuild project: its `.vouch.yml` command; build uploads to the artifact bucket. */
export function commandsFromEnv(
  env: Settings<typeof V.buildProjectPrefix | typeof V.artifactBucket | typeof V.buildTable>,
  dynamo = new DynamoDBClient({}),
): CommandPort {
  return codeBuildCommandPort(new CodeBuildClient({}), {
    projectPrefix: env[V.buildProjectPrefix],
    artifactBucket: env[V.artifactBucket],
    // The task token waits in the build table for the build, never in its environment.
    tokens: dynamoTaskTokenItems(dynamo, env[V.buildTable]),
  });
}

/** Bake's source: the reported artifact, else the build's conventional upload in the artifact bucket. */
export function artifactSourceFromEnv(
  env: Settings<typeof V.artifactBucket>,
): (run: RunState) => { source: string } {
  return bucketArtifactSource(env[V.artifactBucket]);
}

/** Bots in the Lambda: global fetch, metrics as EMF in the function's log stream (no PutMetricData call). */
export function botsFromEnv(): BotRunsPort {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'vouch-task-bots' });
  return botRuns({
    // A Lambda service's test alias is an AWS_IAM Function URL: those requests are signed.
    fetch: signingFetch((url, init) => fetch(url, init)),
    clock: systemClock,
    sink: emfMetricSink(metrics),
  });
}

/** The per-run bot schedules of ephemeral environments: deploy creates them, destroy deletes them. */
export function environmentBotsFromEnv(
  env: Settings<typeof V.runBotScheduleGroup> &
    Partial<Settings<typeof V.botFunctionArn | typeof V.botRoleArn>>,
): EnvironmentBotsPort {
  return runBotSchedules(new SchedulerClient({}), {
    groupName: env[V.runBotScheduleGroup],
    ...(env[V.botFunctionArn] ? { botFunctionArn: env[V.botFunctionArn] } : {}),
    ...(env[V.botRoleArn] ? { roleArn: env[V.botRoleArn] } : {}),
  });
}

/** The bot schedules of lasting environments (the service stacks', created disabled): deploy switches them on. */
export function lastingBotsFromEnv(): LastingBotsPort {
  return lastingBotSchedules(new SchedulerClient({}));
}
