// The release tests on the twin (lambdas/twin), on the synthesized ec2-canary state machine:
// - the test environment's load balancer resources on the synthesized roles (destroy, and destroy
//   without its DeleteRule grant);
// - release 1 of examples/orders through test, qa and prod, served by instance processes behind the
//   weighted proxies, leaving nothing of its own behind, with every authorisation recorded; then least
//   privilege proved on that record (issue 13, "removing any one grant a handler needs makes the twin
//   fail with AccessDenied naming the action and resource"): every grant of every role of the platform
//   and the orders service stacks is removed in turn and the recorded requests are authorised again
//   through the twin's own path: each request that needed the grant is AccessDenied naming its action
//   and resource, and a grant no request needs is a finding unless UNEXERCISED says why.
//   VOUCH_GRANTS_DUMP=<file> writes every grant's check (uses, denied requests with the error) there.
// One release run serves both (a release is the slowest thing in the suite). The app is synthesized
// once for the file.
import { describe, expect, it } from 'vitest';
import { wallSleep } from '../../lambdas/twin/clock.ts';
import { recordAuthorizations } from '../../lambdas/twin/iam.ts';
import {
  lastingBaseUrls,
  leftovers,
  releaseInput,
  storyReleases,
  whereItRuns,
} from '../../lambdas/twin/story.ts';
import { TWIN_ROOT } from '../../lambdas/twin/TwinPlatform.ts';
import { checkGrants, type GrantCheck, grantName, grantsOf } from './support/grants.ts';
import { assertNothingLeft } from './support/nothingLeft.ts';
import { ORDERS, ordersRunInput, useExampleTwin, withoutGrant } from './support/twinFixture.ts';

const example = useExampleTwin();

function taskEvent(type: string, execution: string) {
  return {
    task: { name: `${type}-test`, type, params: { environment: 'test' } },
    run: { ...ordersRunInput('1'.repeat(40), execution), out: {} },
  };
}

describe('the test environment’s load balancer resources on the synthesized roles', () => {
  it('destroy deletes the run’s rule and groups; without elasticloadbalancing:DeleteRule it is AccessDenied naming the rule', async () => {
    // Prepare: two twins on the same templates, one with the destroy role's DeleteRule grant removed.
    for (const [from, execution] of [
      [
        withoutGrant(example.stacks, 'TaskDestroyRoleDefaultPolicy', 'elasticloadbalancing:DeleteRule'),
        'twin-denied',
      ],
      [example.stacks, 'twin-allowed'],
    ] as const) {
      const twin = await example.start({ stacks: from, timeScale: 1 });
      const current = twin;
      const provision = twin.lambdas.byEntry('lambdas/handlers/tasks/provision.ts');
      const destroy = twin.lambdas.byEntry('lambdas/handlers/tasks/destroy.ts');
      await twin.lambdas.invoke(provision.arn, taskEvent('provision', execution));
      const ours = () =>
        [...current.elb.rules.values()].filter(
          (r) => r.tags['vouch:environment-id'] === `orders.test.${execution}`,
        );
      const [rule] = ours();

      // Act
      const destroyed = twin.lambdas.invoke(destroy.arn, taskEvent('destroy', execution));

      // Assess
      if (execution === 'twin-denied') {
        await expect(destroyed).rejects.toThrow(
          `is not authorized to perform: elasticloadbalancing:DeleteRule on resource: ${rule?.arn}`,
        );
        expect(ours()).toHaveLength(1);
      } else {
        await destroyed;
        expect(ours()).toEqual([]);
        expect(
          [...twin.elb.targetGroups.values()].filter(
            (g) => g.tags['vouch:environment-id'] === `orders.test.${execution}`,
          ),
        ).toEqual([]);
      }
      await example.stop();
    }
  }, 120_000);
});

/** The stacks whose roles are checked: the platform and one service (the catalog's is the same construct). */
const STACKS = ['Vouch', 'Vouch-orders'];

const RUNTIME = 'the Lambda runtime’s own calls (CloudWatch Logs, X-Ray), not a handler’s SDK call';
const SFN_LOGS = 'Step Functions’ log delivery and tracing, made by the service, not by a run';
/**
 * Roles release 1 does not act through at all, with the scenario that does (each of their grants is
 * unused here; one that is used after all fails the test, so the list cannot go stale).
 */
const OTHER_SCENARIOS: Readonly<Record<string, string>> = {
  TaskRollbackRole: 'rollback: release 3 and the faults (faults.test.ts) roll back; release 1 does not',
  TaskTestRole: 'the test task: the example has no test.command, so its state is skipped',
  TaskDecideRole: 'decide: runs only when a window’s timeout fires before its window-end schedule',
  AlarmEventRole: 'the alarm Lambda: an alarm going to ALARM during a window (edges.test.ts)',
  ControlRole: 'the control Lambda: operators’ abort/promote/rollback (operations.test.ts)',
  WebhookRole: 'the webhook Lambda: a signed push; the twin tests start the execution directly',
  CostCollectorHandlerRole: 'the cost collector: Cost Explorer, which the twin does not model',
  PipeciStateMachineRole: 'the ci flavour’s state machine: the example service runs ec2-canary',
  PipelambdacanaryStateMachineRole: 'the lambda-canary flavour’s state machine: the example runs ec2-canary',
  SweeperRole:
    'the sweeper: hourly, on runs that ended long ago (reconcileBuilder.test.ts seeds their leftovers)',
  SweepScheduleRole: 'the sweeper’s hourly schedule; the twin’s runs end within minutes',
};

/** Roles by prefix: the Lambda-target task functions act only for a Lambda service (orders-fn). */
const LAMBDA_TARGET_TASKS =
  'the lambda-canary target tasks of orders-fn (lambdaTarget.test.ts, lambdaGrants.test.ts); orders runs on EC2';

/** AddTags is authorised on the twin never: the simulator's data gives it Classic ELB's resource only. */
const ADD_TAGS = 'AddTags the twin cannot check (fakes/elb.ts UNCHECKED)';
const LISTENER_DEFAULT =
  'an environment served by the listener’s default action (Ec2DeployTarget.setWeights); the example’s are host rules';
/** Single grants of roles release 1 does act through, unused by it, with the reason. */
const UNEXERCISED: Readonly<Record<string, string>> = {
  'WindowEndRole states:SendTaskFailure': 'a FAILED window (release 3, edges.test.ts); release 1 passes',
  'WindowEndRole scheduler:DeleteSchedule':
    'a window closed early leaves its schedule; release 1’s end on time',
  'NotifierRole sqs:SendMessage': 'the notifier’s dead-letter queue: only a delivery failing every retry',
  'NotifierRole cloudwatch:GetMetricWidgetImage':
    'the metric chart of a failed window’s message; release 1 passes',
  'BuildProjectRole states:SendTaskFailure': 'a failing build command (edges.test.ts)',
  'BuildProjectRole states:SendTaskHeartbeat':
    'a build over a minute long (edges.test.ts); release 1 packs in seconds',
  'ReconcilerRole dynamodb:UpdateItem': 'a run to reconcile (operations.test.ts); release 1 leaves none',
  'ReconcilerRole dynamodb:PutItem': 'a run to reconcile (operations.test.ts); release 1 leaves none',
  'ReconcilerRole dynamodb:DeleteItem': 'a lock to release (operations.test.ts); release 1 leaves none',
  'ReconcilerRole ec2:TerminateInstances': 'a test environment to destroy (operations.test.ts)',
  'ReconcilerRole elasticloadbalancing:DeleteRule': 'a test environment to destroy (operations.test.ts)',
  'ReconcilerRole elasticloadbalancing:DeleteTargetGroup':
    'a test environment to destroy (operations.test.ts)',
  'ReconcilerRole scheduler:DeleteSchedule': 'a run’s schedules to delete (operations.test.ts)',
  'ReconcilerRole scheduler:ListSchedules': 'a run’s schedules to list (operations.test.ts)',
  'ReconcilerRole cloudwatch:DescribeAlarms': 'a run’s alarms to delete (operations.test.ts)',
  'ReconcilerRole cloudwatch:DeleteAlarms': 'a run’s alarms to delete (operations.test.ts)',
  'ReconcilerRole sns:Publish': 'a reconciled run to tell (operations.test.ts)',
  'ReconcilerRole lambda:DeleteFunctionUrlConfig':
    'a stopped run of a Lambda service leaves its test alias URL (scheduledReconciler.test.ts); release 1 is of the EC2 service',
  'ReconcilerRole lambda:DeleteAlias':
    'a stopped run of a Lambda service leaves its test alias (scheduledReconciler.test.ts); release 1 is of the EC2 service',
  'TaskProvisionRole elasticloadbalancing:DescribeTargetGroups':
    'provision of a lasting environment finds the stack’s pair by its tags (a service’s own pipe may provision qa; templates.test.ts 7); the flavours provision only test',
  'TaskProvisionRole elasticloadbalancing:DescribeTags':
    'provision of a lasting environment finds the stack’s pair by its tags (templates.test.ts 7); the flavours provision only test',
  'TaskPromoteRole ec2:CreateTags': 'promote retagging instances of a previous release (release 2)',
  'TaskPromoteRole ec2:TerminateInstances': 'promote replacing a previous release’s instances (release 2)',
  'TaskPromoteRole elasticloadbalancing:DeregisterTargets':
    'promote replacing a previous release (release 2)',
  'TaskPromoteRole elasticloadbalancing:ModifyRule': 'promote moving all traffic to the canary (release 2)',
  'TaskPromoteRole elasticloadbalancing:ModifyListener': LISTENER_DEFAULT,
  'TaskPromoteRole elasticloadbalancing:AddTags': `promote swapping the groups’ slot tags (release 2); ${ADD_TAGS}`,
  'TaskDeployRole elasticloadbalancing:DeregisterTargets': 'deploy over a previous release (release 2)',
  'TaskDeployRole ec2:TerminateInstances': 'deploy over a previous release (release 2)',
  'TaskDeployRole elasticloadbalancing:ModifyRule': 'deploy routing a canary at weight 0 (release 2)',
  'TaskDeployRole elasticloadbalancing:ModifyListener': LISTENER_DEFAULT,
  'TaskDeployRole elasticloadbalancing:ModifyTargetGroup':
    'an image whose health path is not the target group’s (orders serves the default /health)',
  'TaskShiftRole ec2:DescribeInstances': 'shifting weight to a canary beside a running release (release 2)',
  'TaskShiftRole elasticloadbalancing:ModifyRule': 'shifting weight to a canary (release 2)',
  'TaskShiftRole elasticloadbalancing:ModifyListener': LISTENER_DEFAULT,
  'TaskJudgeRole cloudwatch:GetMetricData':
    'judging a canary against a running release (release 2); release 1 is a first release',
  'BotRole lambda:InvokeFunctionUrl':
    'bots of a Lambda service sign requests to its Function URL (lambdaTarget.test.ts); orders runs on EC2',
  'TaskVersionRole dynamodb:BatchGetItem':
    'pruning old allocations every 25th version (buildRepository tests); release 1 is version 1',
  'TaskProvisionRole elasticloadbalancing:AddTags': `the tags given in CreateTargetGroup and CreateRule; ${ADD_TAGS}`,
};

function unexercisedReason(grant: GrantCheck['grant']): string | undefined {
  if (/^(logs|xray):/.test(grant.action)) {
    return grant.role.endsWith('StateMachineRole') ? SFN_LOGS : RUNTIME;
  }
  if (OTHER_SCENARIOS[grant.role]) return OTHER_SCENARIOS[grant.role];
  if (grant.role.startsWith('LambdaTask')) return LAMBDA_TARGET_TASKS;
  return UNEXERCISED[grantName(grant)];
}

describe('a release on the twin, every authorisation recorded', () => {
  it('runs release 1 through test, qa and prod (where = what the load balancer serves, nothing left, qa’s and prod’s bots switched on by their first deploy); every grant it needs is AccessDenied naming action and resource once removed; no grant goes unused without a reason', async () => {
    // Prepare: release 1 of the story with every authorisation recorded; builders and images take 20 s of
    // twin time instead of minutes.
    const [release] = storyReleases(`${TWIN_ROOT}examples/orders`, `${TWIN_ROOT}examples/orders-faulty`);
    if (release === undefined) throw new Error('the story has no release 1');
    // The deploy's own custom resources (the service registry) are recorded too: recording starts first.
    const recording = recordAuthorizations();
    const twin = await example.start({
      // x10: a task Lambda's 30 s timeout is 3 s of wall time, which a 2-core machine running the suite
      // needs for five DynamoDB calls through the twin (x20 timed the unlock task out; under a load
      // average of 15, x10 timed report and unlock out too).
      timeScale: 10,
      commitSources: new Map([[release.commit, release.sources]]),
      ec2Timings: { bootMs: 10_000, builderRunMs: 20_000, imageMs: 20_000 },
    });
    let outcome: Record<string, unknown>;
    // qa's and prod's bot schedules (the service stack's), by state: switched on by the first deploy there.
    const lastingBots = () =>
      [...twin.scheduler.schedules.values()]
        .filter((s) => s.group === 'vouch-orders-bots')
        .map((s) => `${s.name} ${s.state}`)
        .sort();
    const botsBeforeRelease = lastingBots();
    try {
      twin.scheduler.start();
      const spec = ordersRunInput(release.commit, 'twin-release-1');
      const machine = twin.stepFunctions.machine(`vouch-${spec.pipe}`);
      const run = twin.stepFunctions.start(
        machine.arn,
        'twin-release-1', // the input's execution: the reconciler's DescribeExecution finds the run by it
        releaseInput({ ...spec, trunk: 'main' }, { number: 1, commit: release.commit }, ORDERS.repo),
      );
      await Promise.race([
        run.done.catch(() => undefined),
        wallSleep(300_000), // wall time: the twin's setTimeout runs 10 times faster
      ]);
      twin.scheduler.stop();
      await twin.lambdas.settled();
      const failed = run.events.filter((e) => e.type === 'StateFailed').map((e) => `${e.state}: ${e.error}`);
      const entered = run.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
      outcome = {
        status: run.status,
        error: run.error,
        failed,
        // Its notification went SNS -> notifier -> Slack.
        slack: twin.slack.messages.some((m) => /orders/.test(m.text) && /v1|version 1/.test(m.text)),
        // Promoted in qa and in prod, the test environment destroyed, the locks released.
        promotions: entered.filter((s) => s === 'promote').length,
        reached: ['deploy-test', 'verify-test', 'passed-test', 'destroy-test', 'release-locks'].filter(
          (s) => !entered.includes(s),
        ),
        // What the build table records runs there is what the load balancer serves.
        where: await whereItRuns(
          twin,
          'orders',
          lastingBaseUrls(`${TWIN_ROOT}examples/platform.yml`, 'orders'),
        ),
        left: await leftovers(twin, 'orders', ['qa', 'prod']),
        bots: { before: botsBeforeRelease, after: lastingBots() },
        denied: twin.sdk.calls.filter((c) => c.outcome === 'AccessDeniedException'),
      };
      await assertNothingLeft(twin, { service: 'orders', execution: 'twin-release-1' });
    } finally {
      recording.stop();
    }
    const allowed = recording.allowed;

    // Act: every grant removed in turn, the recorded requests authorised again.
    const grants = grantsOf(twin.templates, STACKS);
    const checks = await checkGrants(grants, allowed);
    if (process.env.VOUCH_GRANTS_DUMP) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.VOUCH_GRANTS_DUMP, JSON.stringify(checks, null, 1));
    }

    // Assess 1: the release succeeded end to end and left nothing (else the recorded requests are not a
    // release's).
    expect(outcome).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
      failed: [],
      slack: true,
      promotions: 2,
      reached: [],
      where: [
        { environment: 'qa', recorded: 1, served: '1' },
        { environment: 'prod', recorded: 1, served: '1' },
      ],
      left: { instances: [], targetGroups: [], rules: [], schedules: [], tokens: [], locks: [] },
      bots: {
        before: [
          'prod-browse DISABLED',
          'prod-place-order DISABLED',
          'qa-browse DISABLED',
          'qa-place-order DISABLED',
        ],
        after: [
          'prod-browse ENABLED',
          'prod-place-order ENABLED',
          'qa-browse ENABLED',
          'qa-place-order ENABLED',
        ],
      },
      denied: [],
    });
    // Assess 2: the run asked something of most roles, and every grant it needed is refused without it,
    // with the twin's AccessDenied naming the action and the resource of the request.
    expect(grants.length).toBeGreaterThan(100);
    const needed = checks.filter((c) => c.denied.length > 0);
    expect(needed.length).toBeGreaterThan(40);
    for (const check of needed) {
      for (const d of check.denied) {
        expect(d.error).toBe('AccessDeniedException');
        expect(d.message).toContain(`is not authorized to perform: ${d.action} on resource: ${d.resource}`);
        expect(d.action.toLowerCase()).toBe(check.grant.action.toLowerCase());
      }
    }

    // Assess 3: a grant no recorded request needs is either explained or a finding; an explained one
    // that is needed after all is a stale explanation.
    const unused = checks.filter((c) => c.denied.length === 0);
    const unexplained = unused
      .filter((c) => unexercisedReason(c.grant) === undefined)
      .map(
        (c) =>
          `${grantName(c.grant)} (${c.uses} uses, still allowed by another statement: ${c.stillAllowed})`,
      );
    expect(unexplained).toEqual([]);
    const stale = needed
      .filter((c) => unexercisedReason(c.grant) !== undefined)
      .map((c) => grantName(c.grant));
    expect(stale).toEqual([]);
  }, 600_000);
});
