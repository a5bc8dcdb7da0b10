import { Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { StackDefinitionError } from '../config/errors.ts';
import type { ServiceConfig } from '../config/platformConfig.ts';
import { BotSchedules } from './BotSchedules.ts';
import { EnvironmentRouting } from './EnvironmentRouting.ts';
import { GoldenSignalAlarms } from './GoldenSignalAlarms.ts';
import { LambdaAliases } from './LambdaAliases.ts';
import { ServiceBuildProject } from './ServiceBuildProject.ts';
import { ServiceDashboard } from './ServiceDashboard.ts';

export interface ServiceStackProps extends StackProps {
  readonly service: ServiceConfig;
  /** The platform's bot Lambda, invoked by the schedules. */
  readonly botFunction: lambda.IFunction;
  /** The platform's build table: the CodeBuild project reads its task tokens there. */
  readonly buildTableArn: string;
  /**
   * Where the service's lasting environments are routed, when its flavour deploys to the EC2 target:
   * their target-group pair and listener rule are created here. @default none (the flavour does not deploy)
   */
  readonly routing?: {
    readonly vpcId: string;
    readonly listenerArn: string;
    readonly servicePort?: number;
    /** The listener rule priority of each lasting environment, by name. */
    readonly priorities: Readonly<Record<string, number>>;
  };
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
  readonly routing: ReadonlyMap<string, EnvironmentRouting>;
  /** A Lambda service's lasting aliases (`lambdaTarget` in its config); none for other services. */
  readonly lambdaAliases?: LambdaAliases;

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
    const routing = new Map<string, EnvironmentRouting>();
    for (const environment of props.routing ? service.environments.filter((e) => !e.ephemeral) : []) {
      const target = props.routing;
      const priority = target?.priorities[environment.name];
      if (target === undefined || priority === undefined)
        throw new StackDefinitionError(`no listener rule priority for ${service.name}/${environment.name}`);
      routing.set(
        environment.name,
        new EnvironmentRouting(this, `Routing-${environment.name}`, {
          service: service.name,
          environment,
          vpcId: target.vpcId,
          listenerArn: target.listenerArn,
          ...(target.servicePort === undefined ? {} : { servicePort: target.servicePort }),
          priority,
        }),
      );
    }
    this.routing = routing;
    if (service.lambdaTarget) {
      this.lambdaAliases = new LambdaAliases(this, 'LambdaAliases', {
        functionName: service.lambdaTarget.functionName,
        environments: service.environments.filter((e) => !e.ephemeral).map((e) => e.name),
      });
    }
    this.bots = new BotSchedules(this, 'Bots', {
      service: service.name,
      environments: service.environments,
      scenarios: service.scenarios,
      botFunction: props.botFunction,
    });
    this.dashboard = new ServiceDashboard(this, 'Dashboard', {
      service: service.name,
      alarmsByEnvironment: alarms,
    });
    this.build = new ServiceBuildProject(this, 'Build', {
      service: service.name,
      repo: service.repo,
      buildTableArn: props.buildTableArn,
    });
  }
}
