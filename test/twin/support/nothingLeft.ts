/**
 * What a twin run must not leave behind once it ended, whatever ended it (issue 13: "after every twin
 * run, no instance, target group, schedule, window or lock created by the run is left, except the
 * images kept for rollback"). One helper, used after every run of the fault and release tests.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { expect } from 'vitest';
import { runKeyOf } from '../../../lambdas/core/target/naming.ts';
import type { Twin } from '../../../lambdas/twin/TwinPlatform.ts';

export interface RunRef {
  readonly service: string;
  readonly execution: string;
  /** The lasting environments the run may have locked. @default qa, prod */
  readonly lasting?: readonly string[];
}

export interface RunLeftovers {
  /** Builders, and instances of the run's test environment, not terminated. */
  readonly instances: string[];
  readonly targetGroups: string[];
  readonly rules: string[];
  /** Schedules the run's tasks created (per-run bots, window ends). */
  readonly schedules: string[];
  /** Verification windows of the run still OPEN in the build table. */
  readonly windows: string[];
  /** Deploy locks the run still holds (unexpired). */
  readonly locks: string[];
  /** Task tokens of the run nobody will send. */
  readonly tokens: string[];
  /** The run's test environment's alarms. */
  readonly alarms: string[];
  /** A Lambda service's test alias of the run, and its function URL (`function:alias`). */
  readonly aliases: string[];
  readonly functionUrls: string[];
}

/** What of `run` is still there (images are not: they stay for rollback). */
export async function runLeftovers(twin: Twin, run: RunRef): Promise<RunLeftovers> {
  const ofRun = (tags: Record<string, string>) =>
    (tags['vouch:environment-id'] ?? '').endsWith(`.${run.execution}`);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await twin.table.client.send(
      new ScanCommand({
        TableName: twin.table.tableName,
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    for (const item of page.Items ?? []) items.push(unmarshall(item));
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  const runKey = runKeyOf(run.execution);
  const functions = [...twin.lambdaService.functions.values()];
  const locks: string[] = [];
  for (const environment of run.lasting ?? ['qa', 'prod']) {
    const lock = await twin.builds.findLock(run.service, environment);
    if (lock?.owner.includes(run.execution) && Date.parse(lock.expiresAt) > Date.now())
      locks.push(`${environment} (${lock.owner})`);
  }
  return {
    instances: [...twin.ec2.instances.values()]
      .filter((i) => i.terminatedAt === undefined && (i.builder || ofRun(i.tags)))
      .map((i) => i.id),
    targetGroups: [...twin.elb.targetGroups.values()].filter((g) => ofRun(g.tags)).map((g) => g.name),
    rules: [...twin.elb.rules.values()].filter((r) => ofRun(r.tags)).map((r) => r.arn),
    schedules: [...twin.scheduler.schedules.values()]
      .filter((s) => s.origin === 'api' && (s.name.includes(run.execution) || s.group === 'vouch-run-bots'))
      .map((s) => `${s.group}/${s.name}`),
    windows: items
      .filter((i) => String(i.sk) === 'WINDOW' && i.state === 'OPEN' && i.execution === run.execution)
      .map((i) => String(i.pk)),
    locks,
    tokens: twin.stepFunctions.pendingTokens
      .filter((t) => t.execution.endsWith(`:${run.execution}`) || t.execution === run.execution)
      .map((t) => t.state),
    alarms: [...twin.cloudWatch.alarms.keys()].filter((n) => n.includes(`-${run.execution}.`)),
    // LambdaDeployTarget names a run's alias <environment>-<runKey>.
    aliases: functions.flatMap((f) =>
      [...f.aliases.keys()].filter((a) => a.endsWith(`-${runKey}`)).map((a) => `${f.name}:${a}`),
    ),
    functionUrls: functions.flatMap((f) =>
      [...f.urls.keys()].filter((q) => q.endsWith(`-${runKey}`)).map((q) => `${f.name}:${q}`),
    ),
  };
}

/**
 * Fails the test with everything of `run` that is left. `knownDefects` names what a test documents as
 * left by a defect not fixed yet (and so must be exactly that).
 */
export async function assertNothingLeft(
  twin: Twin,
  run: RunRef,
  knownDefects: Partial<RunLeftovers> = {},
): Promise<void> {
  expect(await runLeftovers(twin, run)).toEqual({
    instances: [],
    targetGroups: [],
    rules: [],
    schedules: [],
    windows: [],
    locks: [],
    tokens: [],
    alarms: [],
    aliases: [],
    functionUrls: [],
    ...knownDefects,
  });
}
