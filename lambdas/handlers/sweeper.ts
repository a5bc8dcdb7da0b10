// Target of the sweeper's recurring EventBridge Scheduler schedule: removes what runs that ended left
// (EC2 test environments: instances, target groups, listener rules; Lambda test aliases with their
// function URLs; their bot schedules and alarms; bot schedules and alarms whose environment is gone;
// builder instances of stopped bakes; canaries stopped runs left in qa or prod, rolled back), AMIs
// with their snapshots and function versions beyond the newest N per service, never what a running
// run owns, and records what it removed per service in the build table (issue 18).
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { lambdaDeployTargetFromEnv } from '../adapters/aws/deployTarget/fromEnv.ts';
import { cloudWatchRunAlarms } from '../adapters/aws/evidence/runAlarms.ts';
import { runBotSchedules } from '../adapters/aws/evidence/runBotSchedules.ts';
import { RUNTIME_ENV, readFunctionEnv } from '../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv } from '../adapters/aws/pipeline/fromEnv.ts';
import { parseReconcileRegistry } from '../adapters/aws/reconcile/registry.ts';
import { awsSweepPorts } from '../adapters/aws/sweeper/awsSweep.ts';
import { lambdaSweepServices } from '../adapters/aws/sweeper/lambdaSweep.ts';
import { ec2DeployTargetFromEnv } from '../adapters/aws/target/fromEnv.ts';
import { parseSweeperSettings } from '../core/sweeper/config.ts';
import { sweep, sweepRecordsByService } from '../core/sweeper/sweep.ts';

const env = readFunctionEnv('sweeper');
const settings = parseSweeperSettings(
  {
    keepImages: Number(env[RUNTIME_ENV.sweepKeepImages]),
    graceMinutes: Number(env[RUNTIME_ENV.sweepGraceMinutes]),
  },
  'VOUCH_SWEEP',
);
const builds = buildRecordsFromEnv(env);
const services = parseReconcileRegistry(env.VOUCH_SERVICE_PIPES);
const target = ec2DeployTargetFromEnv(env);
// Set only when a service is released as a Lambda function (the platform config's lambdaTarget).
const lambda = new LambdaClient({});
const lambdaTarget = lambdaDeployTargetFromEnv(env, lambda);
const scheduler = new SchedulerClient({});
const bots = runBotSchedules(scheduler, { groupName: env.VOUCH_RUN_BOT_SCHEDULE_GROUP });
const cloudWatch = new CloudWatchClient({});
const alarms = cloudWatchRunAlarms(cloudWatch);
const logger = new Logger({ serviceName: 'vouch-sweeper' });
// As the destroy task does: bots first (a bot hitting a target that is gone counts as failures).
const stopRunExtras = async (id: string) => {
  await bots.stop(id);
  await alarms.remove(id);
};
const ports = awsSweepPorts({
  ec2: new EC2Client({}),
  elb: new ElasticLoadBalancingV2Client({}),
  destroyEnvironment: async (id) => {
    await stopRunExtras(id);
    await target.destroy({ id });
  },
  stopRunExtras,
  ...(lambdaTarget
    ? {
        lambda: {
          client: lambda,
          services: lambdaSweepServices(lambdaTarget.config.services, services),
        },
      }
    : {}),
  canaries: {
    targetOf: (service) => (lambdaTarget?.config.services[service] ? lambdaTarget : target),
    lockHolder: async (service, environment) => (await builds.findLock(service, environment))?.owner,
  },
  botSchedules: { scheduler, groupName: env.VOUCH_RUN_BOT_SCHEDULE_GROUP },
  runAlarms: { cloudWatch },
  builds,
  sfn: new SFNClient({}),
  stateMachines: z
    .record(z.string(), z.string().startsWith('arn:'))
    .parse(JSON.parse(env.VOUCH_STATE_MACHINES)),
  services,
  record: async (report) => {
    for (const record of sweepRecordsByService(report)) await builds.recordSweep(record);
  },
});

/** The schedule's input is `{}`; nothing in it changes what is swept. */
export async function handler(_event: unknown) {
  const report = await sweep(ports, {
    keepImages: settings.keepImages,
    graceMs: settings.graceMinutes * 60_000,
  });
  if (report.removed.length + report.failed.length > 0) logger.info('swept', { ...report });
  return report;
}
