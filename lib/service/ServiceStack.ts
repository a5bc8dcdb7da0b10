import { Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { ServiceConfig } from '../config/platformConfig.ts';
import { BotSchedules } from './BotSchedules.ts';
import { GoldenSignalAlarms } from './GoldenSignalAlarms.ts';
import { ServiceBuildProject } from './ServiceBuildProject.ts';
import { ServiceDashboard } from './ServiceDashboard.ts';

export interface ServiceStackProps extends StackProps {
  readonly service: ServiceConfig;
  /** The platform's bot Lambda, invoked by the schedules. */
  readonly botFunction: lambda.IFunction;
  /** The pipeline state machines whose build and test tasks this service's CodeBuild project answers. */
  readonly stateMachineArns: readonly string[];
}

/**
 * One service's micro-infrastructure, deployable without touching any other: bot schedules and
 * golden-signal alarms per environment, a dashboard, the CodeBuild project. Everything in it carries
 * the service's `service`, `team` and `solution` tags.
 */
export class ServiceStack extends Stack {
  readonly alarms: ReadonlyMap<string, GoldenSignalAlarms>;
  readonly bots: BotSchedules;
  readonly dashboard: ServiceDashboard;
  readonly build: ServiceBuildProject;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { service } = props;
    Tags.of(this).add('service', service.name);
    Tags.of(this).add('team', service.team);
    Tags.of(this).add('solution', service.solution);

    const alarms = new Map<string, GoldenSignalAlarms>();
    for (const environment of service.environments) {
      alarms.set(
        environment.name,
        new GoldenSignalAlarms(this, `Alarms-${environment.name}`, {
          service: service.name,
          environment: environment.name,
          alarms: service.alarms,
        }),
      );
    }
    this.alarms = alarms;
    this.bots = new BotSchedules(this, 'Bots', {
      service: service.name,
      environments: service.environments,
      scenarios: service.scenarios,
      botFunction: props.botFunction,
      interval: Duration.minutes(service.botIntervalMinutes),
    });
    this.dashboard = new ServiceDashboard(this, 'Dashboard', {
      service: service.name,
      alarmsByEnvironment: alarms,
    });
    this.build = new ServiceBuildProject(this, 'Build', {
      service: service.name,
      repo: service.repo,
      stateMachineArns: props.stateMachineArns,
    });
  }
}
