/**
 * The ports of the task Lambdas as a handler builds them at module scope: bare SDK clients, settings
 * from the environment variables the platform stack sets (lib/platform/runtimeEnvironment.ts), read
 * with `requireEnv` so a misconfigured function fails at cold start. Each builds only its own clients.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SNSClient } from '@aws-sdk/client-sns';
import { RUNTIME_ENV } from '../../../../lib/platform/runtimeEnvironment.ts';
import { botRuns } from '../../../core/evidence/botRuns.ts';
import { systemClock } from '../../../core/evidence/clock.ts';
import { METRIC_NAMESPACE } from '../../../core/evidence/metrics.ts';
import { createDecideTask, createVerifyTask } from '../../../core/evidence/tasks.ts';
import type { RunState, TaskFunction } from '../../../core/pipeline/contract.ts';
import type { BotRunsPort, CommandPort, NotifyPort } from '../../../core/pipeline/tasks.ts';
import { requireEnv } from '../../../core/shared/env.ts';
import { BuildRepository } from '../../dynamo/buildRepository.ts';
import { DynamoWindowStore } from '../../dynamo/windowStore.ts';
import { codeBuildCommandPort } from '../codebuild/startBuild.ts';
import { cloudWatchEvidence } from '../evidence/cloudWatchEvidence.ts';
import { emfMetricSink } from '../evidence/emfMetricSink.ts';
import { windowEndSchedules } from '../evidence/windowEndSchedule.ts';
import { EC2_TARGET_ENV } from '../target/config.ts';
import { bucketArtifactSource } from './artifactSource.ts';
import {
  type AsyncCanarySamples,
  cloudWatchCanarySamples,
  elbTargetGroups,
} from './cloudWatchCanarySamples.ts';
import { snsNotify } from './snsNotify.ts';

type Env = NodeJS.ProcessEnv;

/** The build data repository: every task reports its start and end there, so every task Lambda wires it. */
export function buildRecordsFromEnv(
  dynamo = new DynamoDBClient({}),
  env: Env = process.env,
): BuildRepository {
  return new BuildRepository({ client: dynamo, tableName: requireEnv(RUNTIME_ENV.buildTable, env) });
}

/** Verify on AWS: records the window and its one-time end schedule; the token resumes the state. */
export function verifyFromEnv(dynamo = new DynamoDBClient({}), env: Env = process.env): TaskFunction {
  return createVerifyTask({
    windows: new DynamoWindowStore({ client: dynamo, tableName: requireEnv(RUNTIME_ENV.buildTable, env) }),
    scheduler: windowEndSchedules(new SchedulerClient({}), {
      targetArn: requireEnv(RUNTIME_ENV.windowEndFunctionArn, env),
      roleArn: requireEnv(RUNTIME_ENV.windowEndRoleArn, env),
      groupName: requireEnv(RUNTIME_ENV.windowScheduleGroup, env),
    }),
  });
}

/** Decide after a verify timeout: the window and its CloudWatch evidence. */
export function decideFromEnv(dynamo = new DynamoDBClient({}), env: Env = process.env): TaskFunction {
  return createDecideTask({
    windows: new DynamoWindowStore({ client: dynamo, tableName: requireEnv(RUNTIME_ENV.buildTable, env) }),
    evidence: cloudWatchEvidence(new CloudWatchClient({})),
  });
}

export function notifyFromEnv(env: Env = process.env): NotifyPort {
  return snsNotify(new SNSClient({}), { topicArn: requireEnv(RUNTIME_ENV.notificationTopicArn, env) });
}

/** Build and test in the service's CodeBuild project: its `.vouch.yml` command; build uploads to the artifact bucket. */
export function commandsFromEnv(env: Env = process.env): CommandPort {
  return codeBuildCommandPort(new CodeBuildClient({}), {
    projectPrefix: requireEnv(RUNTIME_ENV.buildProjectPrefix, env),
    artifactBucket: requireEnv(RUNTIME_ENV.artifactBucket, env),
  });
}

/** Bake's source: the reported artifact, else the build's conventional upload in the artifact bucket. */
export function artifactSourceFromEnv(env: Env = process.env): (run: RunState) => { source: string } {
  return bucketArtifactSource(requireEnv(RUNTIME_ENV.artifactBucket, env));
}

/** Bots in the Lambda: global fetch, metrics as EMF in the function's log stream (no PutMetricData call). */
export function botsFromEnv(): BotRunsPort {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'vouch-task-bots' });
  return botRuns({
    fetch: (url, init) => fetch(url, init),
    clock: systemClock,
    sink: emfMetricSink(metrics),
  });
}

/** The judge's samples: the environment's target groups on the shared ALB, their CloudWatch series. */
export function canarySamplesFromEnv(env: Env = process.env): AsyncCanarySamples {
  const loadBalancerArn = requireEnv(EC2_TARGET_ENV.loadBalancerArn, env);
  return cloudWatchCanarySamples(new CloudWatchClient({}), {
    loadBalancerArn,
    targetGroups: elbTargetGroups(new ElasticLoadBalancingV2Client({}), { loadBalancerArn }),
  });
}
