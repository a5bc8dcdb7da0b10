import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import {
  lastingBotScheduleGroup,
  lastingBotScheduleName,
  plannedBots,
} from '../../lambdas/core/evidence/botSchedulePlan.ts';
import type { BotScenario } from '../../lambdas/core/evidence/spec.ts';
import type { EnvironmentConfig } from '../config/platformConfig.ts';
import { lastingBotRoleName } from '../platform/runtimeEnvironment.ts';

export interface BotSchedulesProps {
  readonly service: string;
  readonly environments: readonly EnvironmentConfig[];
  /** The service's bot scenarios (`.vouch.yml` `bots.scenarios`), whole. */
  readonly scenarios: readonly BotScenario[];
  /** The platform's bot Lambda. */
  readonly botFunction: lambda.IFunction;
}

/**
 * The bots of a service's lasting environments: one EventBridge Scheduler schedule per (environment,
 * scenario) that runs there (`plannedBots`, the same choice as the local platform and the per-run
 * schedules), in the service's own schedule group, invoking the bot Lambda with the whole scenario.
 * Created disabled: nothing runs in an environment before its first release, so bots would only fail
 * there and leave its error-rate alarm in ALARM for the first window; the deploy task switches them on
 * (lastingBotSchedules.ts), as the local platform starts bots at an environment's first deploy.
 * Ephemeral environments get theirs per run, at their first deploy (runBotSchedules.ts), on the run's host.
 */
export class BotSchedules extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  readonly schedules: ReadonlyMap<string, scheduler.Schedule>;

  constructor(scope: Construct, id: string, props: BotSchedulesProps) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: lastingBotScheduleGroup(props.service),
    });
    this.role = new iam.Role(this, 'Role', {
      // Named: the platform's deploy task passes it on when it switches the schedules on.
      roleName: lastingBotRoleName(props.service),
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
    for (const environment of props.environments.filter((e) => !e.ephemeral)) {
      const bots = plannedBots(
        { service: props.service, environment: environment.name, baseUrl: environment.baseUrl },
        props.scenarios,
      );
      for (const bot of bots) {
        const key = lastingBotScheduleName(environment.name, bot.scenario.name);
        schedules.set(
          key,
          new scheduler.Schedule(this, key, {
            scheduleGroup: this.group,
            scheduleName: key,
            // Switched on by the environment's first deploy (see above).
            enabled: false,
            description: `Vouch bot ${bot.scenario.name} against ${props.service} in ${environment.name}`,
            schedule: scheduler.ScheduleExpression.rate(Duration.minutes(bot.everyMinutes)),
            target: {
              // Bound by hand rather than through aws-scheduler-targets' LambdaInvoke, which also grants
              // `<function>:*` (every version and alias); the schedules invoke the unqualified ARN only.
              bind: () => ({
                arn: props.botFunction.functionArn,
                role: this.role,
                input: scheduler.ScheduleTargetInput.fromObject(bot.input),
                // A missed run is superseded by the next one: no retries piling up.
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
