import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/platformConfig.ts';

export interface BotSchedulesProps {
  readonly service: string;
  readonly environments: readonly EnvironmentConfig[];
  /** Scenario names from the service's `.vouch.yml`. */
  readonly scenarios: readonly string[];
  /** The platform's bot Lambda. */
  readonly botFunction: lambda.IFunction;
  /** @default Duration.minutes(1) */
  readonly interval?: Duration;
}

/** What the bot Lambda receives from a schedule: which scenario to run where. */
export interface BotScheduleInput {
  readonly service: string;
  readonly environment: string;
  readonly baseUrl: string;
  readonly scenario: string;
}

/**
 * The bots of a service: one EventBridge Scheduler schedule per (environment, scenario), in the
 * service's own schedule group, invoking the bot Lambda. Ephemeral environments exist only during a
 * pipeline run, whose `bots` task drives them, so their schedules are created disabled.
 */
export class BotSchedules extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  readonly schedules: ReadonlyMap<string, scheduler.Schedule>;

  constructor(scope: Construct, id: string, props: BotSchedulesProps) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: `vouch-${props.service}-bots`,
    });
    this.role = new iam.Role(this, 'Role', {
      description: `Assumed by EventBridge Scheduler to run the bots of ${props.service}`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.botFunction.functionArn],
      }),
    );
    const schedules = new Map<string, scheduler.Schedule>();
    for (const environment of props.environments) {
      for (const scenario of props.scenarios) {
        const input: BotScheduleInput = {
          service: props.service,
          environment: environment.name,
          baseUrl: environment.baseUrl,
          scenario,
        };
        const key = `${environment.name}-${scenario}`;
        schedules.set(
          key,
          new scheduler.Schedule(this, key, {
            scheduleGroup: this.group,
            scheduleName: key,
            description: `Vouch bot ${scenario} against ${props.service} in ${environment.name}`,
            schedule: scheduler.ScheduleExpression.rate(props.interval ?? Duration.minutes(1)),
            enabled: !environment.ephemeral,
            target: {
              // Bound by hand rather than through aws-scheduler-targets' LambdaInvoke, which also grants
              // `<function>:*` (every version and alias); the schedules invoke the unqualified ARN only.
              bind: () => ({
                arn: props.botFunction.functionArn,
                role: this.role,
                input: scheduler.ScheduleTargetInput.fromObject(input),
                // A missed run is superseded by the next one a minute later: no retries piling up.
                retryPolicy: { maximumRetryAttempts: 0 },
              }),
            },
          }),
        );
      }
    }
    this.schedules = schedules;
  }
}
