/**
 * Reconciliation on AWS (issue 12, "on a schedule"): the same `reconcileService` the local platform
 * runs at start, over the deployed platform's ports. A run is still running while its Step Functions
 * execution is (DescribeExecution); a run the build table has as RUNNING whose execution ended
 * without its cleanup (aborted, timed out, failed past its `last` section) is ended ABORTED, its
 * locks released, its test environment destroyed through the EC2 target (its bot schedules first),
 * `where` corrected to what each lasting environment serves, and the team told through the topic.
 */
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  type SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ControlExecutions } from '../../../core/control/control.ts';
import {
  type ReconcilePorts,
  type ReconcileReport,
  reconcileService,
} from '../../../core/pipeline/reconcile.ts';
import type { NotifyPort } from '../../../core/pipeline/tasks.ts';
import { EnvironmentNotFoundError } from '../../../core/target/errors.ts';
import { environmentId } from '../../../core/target/naming.ts';
import type { DeployTarget } from '../../../core/target/port.ts';
import { AwsEnvironmentError, ReconcileIncompleteError } from '../errors.ts';
import type { ReconcileRegistry } from './registry.ts';

/** `arn:...:stateMachine:<machine>` + name -> `arn:...:execution:<machine>:<name>` (Step Functions ARN format). */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * Whether Step Functions still runs the execution `name` of a state machine. PENDING_REDRIVE is
 * running (a redrive resumes it). An execution Step Functions does not know any more (its history is
 * kept 90 days after it closed) has ended.
 */
export function sfnExecutionRunning(sfn: SFNClient, stateMachineArn: string) {
  return async (name: string): Promise<boolean> => {
    try {
      const { status } = await sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, name) }),
      );
      return status === 'RUNNING' || status === 'PENDING_REDRIVE';
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return false;
      throw error;
    }
  };
}

/**
 * The control path's executions: an abort between windows stops the run's execution (StopExecution,
 * error `Aborted`), after DescribeExecution says it still runs. Its `last` section does not run: the
 * reconciler ends the run and destroys its test environment.
 */
export function sfnControlExecutions(
  sfn: SFNClient,
  stateMachines: Readonly<Record<string, string>>,
  services: ReconcileRegistry,
): ControlExecutions {
  return {
    async stop(service, execution, cause) {
      const flavour = services.find((s) => s.service === service)?.flavour;
      const machine = flavour === undefined ? undefined : stateMachines[flavour];
      if (machine === undefined)
        throw new AwsEnvironmentError(`service ${service} has no state machine in VOUCH_SERVICE_PIPES`);
      if (!(await sfnExecutionRunning(sfn, machine)(execution))) return false;
      // StopExecution's cause is at most 32,768 characters; error at most 256.
      await sfn.send(
        new StopExecutionCommand({
          executionArn: executionArnOf(machine, execution),
          error: 'Aborted',
          cause: cause.slice(0, 32_768),
        }),
      );
      return true;
    },
  };
}

/** What the reconciler asks of a deploy target. */
export type ReconcileTarget = Pick<DeployTarget, 'destroy' | 'describe'> & {
  /** Builders a stopped bake left up, by tag (Ec2DeployTarget.terminateBuilders). */
  terminateBuilders?(service: string, commit: string): Promise<string[]>;
};

export interface DeployedReconcilePorts {
  readonly builds: ReconcilePorts['builds'];
  readonly sfn: SFNClient;
  /** Flavour -> state machine ARN (the webhook's VOUCH_STATE_MACHINES). */
  readonly stateMachines: Readonly<Record<string, string>>;
  /** The EC2 target: what a service's environments run on unless `targets` names its flavour's. */
  readonly target: ReconcileTarget;
  /**
   * The target of a flavour that does not run on EC2, by flavour (`lambda-canary`: the Lambda target):
   * asked the EC2 target, a Lambda service's lasting aliases would serve nothing, and its record of
   * what runs there be deleted.
   */
  readonly targets?: Readonly<Record<string, ReconcileTarget>>;
  /** A run's test-environment bot schedules (deploy created them). */
  readonly environmentBots: { stop(environmentId: string): Promise<string[]> };
  /** A run's per-run alarms (provision created them), when the platform has them. */
  readonly runAlarms?: { remove(environmentId: string): Promise<string[]> };
  readonly notify: NotifyPort;
  readonly now?: () => Date;
}

/**
 * Reconciles every registered service; one that fails does not stop the others, and the call then
 * fails naming each (the schedule's next run tries again).
 */
export async function reconcileDeployedPlatform(
  services: ReconcileRegistry,
  ports: DeployedReconcilePorts,
): Promise<ReconcileReport[]> {
  const reports: ReconcileReport[] = [];
  const failures: { service: string; error: unknown }[] = [];
  for (const s of services) {
    const target = ports.targets?.[s.flavour] ?? ports.target;
    const terminateBuilders = target.terminateBuilders?.bind(target);
    const machine = ports.stateMachines[s.flavour];
    if (machine === undefined) {
      failures.push({
        service: s.service,
        error: new AwsEnvironmentError(
          `flavour ${s.flavour} has no state machine (known: ${Object.keys(ports.stateMachines).join(', ')})`,
        ),
      });
      continue;
    }
    try {
      reports.push(
        await reconcileService(
          { service: s.service, team: s.team, environments: s.environments },
          {
            builds: ports.builds,
            isRunning: sfnExecutionRunning(ports.sfn, machine),
            destroyEnvironment: async (id) => {
              // As the destroy task does: bots first (a bot hitting a target that is gone counts as failures).
              await ports.environmentBots.stop(id);
              await ports.runAlarms?.remove(id);
              await target.destroy({ id });
            },
            ...(terminateBuilders ? { stopBuilders: terminateBuilders } : {}),
            serving: async (service, environment) => {
              try {
                return (await target.describe({ id: environmentId(service, environment) })).baseline?.version;
              } catch (error) {
                // Never deployed there (or its routing is gone): nothing serves.
                if (error instanceof EnvironmentNotFoundError) return undefined;
                throw error;
              }
            },
            notify: (n) => ports.notify.send(n),
            ...(ports.now ? { now: ports.now } : {}),
          },
        ),
      );
    } catch (error) {
      failures.push({ service: s.service, error });
    }
  }
  if (failures.length > 0) throw new ReconcileIncompleteError(failures);
  return reports;
}
