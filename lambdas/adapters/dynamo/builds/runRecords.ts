/**
 * What a run records on its build: start and finish, task events, promotions and rollbacks (with what
 * runs where), operators' control actions, and the reconciler's corrections of what runs where.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ExecutionConflictError, InvalidBuildInputError } from '../../../core/builds/errors.ts';
import {
  type ControlActionInput,
  checkSize,
  type PromotionInput,
  parseBuildRef,
  parseControlAction,
  parseIso,
  parsePromotion,
  parseTaskEvent,
  parseVersionRequest,
  promotionLabel,
  type RunFinish,
  type RunStart,
  type TaskEventInput,
} from '../../../core/builds/model.ts';
import { keys } from '../keys.ts';
import type { BuildQueries } from './queries.ts';
import type { BuildTable } from './table.ts';

export class RunRecords {
  constructor(
    private readonly table: BuildTable,
    private readonly queries: BuildQueries,
  ) {}

  /** Marks the build RUNNING and stores the pipe shape it runs with, plus an `init` event. */
  async recordRunStarted(run: RunStart): Promise<void> {
    const { service, version } = parseBuildRef(run.service, run.version);
    const at = parseIso(run.at, 'run start time') ?? this.table.nowIso();
    parseVersionRequest({ service, commit: run.commit, execution: run.execution });
    checkSize('pipe shape', run.pipeShape, this.table.maxPipeShapeBytes);
    const written = await this.table.conditionalWrite('recordRunStarted', () =>
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.build(service, version),
          UpdateExpression: 'SET #status = :running, #startedAt = :at, #pipeShape = :shape',
          ConditionExpression:
            'attribute_exists(#pk) AND #execution = :execution AND #commit = :commit' +
            ` AND #status IN (:allocated, :running)${run.team === undefined ? '' : ' AND #team = :team'}`,
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#status': 'status',
            '#startedAt': 'startedAt',
            '#pipeShape': 'pipeShape',
            '#execution': 'execution',
            '#commit': 'commit',
            ...(run.team === undefined ? {} : { '#team': 'team' }),
          },
          ExpressionAttributeValues: {
            ':running': 'RUNNING',
            ':allocated': 'ALLOCATED',
            ':at': at,
            ':shape': run.pipeShape,
            ':execution': run.execution,
            ':commit': run.commit,
            ...(run.team === undefined ? {} : { ':team': run.team }),
          },
        }),
      ),
    );
    if (written === undefined) {
      const build = await this.table.requireBuild(service, version, run.execution);
      if (build.commit !== run.commit) {
        throw new ExecutionConflictError(
          run.execution,
          `v${version} of ${service} was built from ${build.commit}`,
        );
      }
      if (run.team !== undefined && build.team !== run.team) {
        throw new InvalidBuildInputError(`${service} belongs to team ${build.team}, not ${run.team}`);
      }
      return; // already finished: a late repeat of the start changes nothing
    }
    await this.table.putEvent(service, version, keys.runEventSk(at, 'start'), {
      kind: 'RUN',
      at,
      phase: 'start',
      execution: run.execution,
    });
  }

  /** Records the run's outcome on the build and as its last event. */
  async recordRunFinished(run: RunFinish): Promise<void> {
    const { service, version } = parseBuildRef(run.service, run.version);
    const at = parseIso(run.at, 'run finish time') ?? this.table.nowIso();
    if (run.outcome !== 'SUCCEEDED' && run.outcome !== 'FAILED' && run.outcome !== 'ABORTED') {
      throw new InvalidBuildInputError(
        `Invalid run outcome ${String(run.outcome)}: SUCCEEDED, FAILED or ABORTED`,
      );
    }
    checkSize('run report', run.report, this.table.maxReportBytes);
    const written = await this.table.conditionalWrite('recordRunFinished', () =>
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.build(service, version),
          UpdateExpression: 'SET #status = :outcome, #finishedAt = :at',
          ConditionExpression: 'attribute_exists(#pk) AND #execution = :execution',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#status': 'status',
            '#finishedAt': 'finishedAt',
            '#execution': 'execution',
          },
          ExpressionAttributeValues: { ':outcome': run.outcome, ':at': at, ':execution': run.execution },
        }),
      ),
    );
    if (written === undefined) {
      await this.table.requireBuild(service, version, run.execution);
    }
    await this.table.putEvent(service, version, keys.runEventSk(at, 'done'), {
      kind: 'RUN',
      at,
      phase: 'done',
      execution: run.execution,
      outcome: run.outcome,
      report: run.report,
    });
  }

  /** A task's start or done, with its environment, time, outcome and report. */
  async recordTaskEvent(event: TaskEventInput): Promise<void> {
    const e = parseTaskEvent(event);
    checkSize(`report of task ${e.task}`, e.report, this.table.maxReportBytes);
    const build = await this.table.requireBuild(e.service, e.version, e.execution);
    const failed = e.phase === 'done' && e.outcome === 'FAILED';
    await this.table.putEvent(e.service, e.version, keys.taskEventSk(e.at, e.task, e.phase), {
      kind: 'TASK',
      at: e.at,
      execution: e.execution,
      task: e.task,
      type: e.type,
      phase: e.phase,
      environment: e.environment,
      outcome: e.outcome,
      report: e.report,
      // Sparse index entry: only failures are in the team's failure list.
      ...(failed
        ? {
            gsi1pk: keys.failuresIndex(build.team),
            gsi1sk: keys.failureSk(e.at, e.service, e.version, e.task),
            service: e.service,
            version: e.version,
          }
        : {}),
    });
  }

  /**
   * `PASSED_TEST`, `PROMOTED:<env>` or `ROLLED_BACK:<env>`, kept forever with its evidence; updates
   * what runs where: a promotion makes the version run there, a rollback of the version currently
   * recorded there reverts to the previous one.
   */
  async recordPromotion(promotion: PromotionInput): Promise<void> {
    const p = parsePromotion(promotion);
    const at = p.at ?? this.table.nowIso();
    checkSize('promotion evidence', p.evidence, this.table.maxReportBytes);
    const build = await this.table.requireBuild(p.service, p.version, p.execution);
    const label = promotionLabel(p.kind, p.environment);
    await this.table.call('recordPromotion', () =>
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            pk: keys.timeline(p.service, p.version),
            sk: keys.promotionSk(at, label),
            kind: 'PROMOTION',
            at,
            promotion: p.kind,
            label,
            environment: p.environment,
            evidence: p.evidence,
            execution: p.execution ?? build.execution,
          },
        }),
      ),
    );
    if (p.kind === 'PROMOTED') await this.promoteIn(p.service, p.environment, p.version, build.commit, at);
    if (p.kind === 'ROLLED_BACK') await this.rollBackIn(p.service, p.environment, p.version, at);
  }

  private async promoteIn(service: string, environment: string, version: number, commit: string, at: string) {
    await this.table.conditionalWrite('recordPromotion', () =>
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.environment(service, environment),
          UpdateExpression:
            'SET #service = :service, #environment = :environment, #version = :version, #commit = :commit, ' +
            '#since = :at, #previousVersion = if_not_exists(#version, :zero), ' +
            '#previousCommit = if_not_exists(#commit, :none)',
          // Repeating the same promotion must not make the version its own predecessor.
          ConditionExpression: 'attribute_not_exists(#version) OR #version <> :version',
          ExpressionAttributeNames: {
            '#service': 'service',
            '#environment': 'environment',
            '#version': 'version',
            '#commit': 'commit',
            '#since': 'since',
            '#previousVersion': 'previousVersion',
            '#previousCommit': 'previousCommit',
          },
          ExpressionAttributeValues: {
            ':service': service,
            ':environment': environment,
            ':version': version,
            ':commit': commit,
            ':at': at,
            ':zero': 0,
            ':none': '',
          },
        }),
      ),
    );
  }

  private async rollBackIn(service: string, environment: string, version: number, at: string) {
    const names = {
      '#version': 'version',
      '#commit': 'commit',
      '#since': 'since',
      '#previousVersion': 'previousVersion',
      '#previousCommit': 'previousCommit',
      '#lastRollback': 'lastRollback',
    };
    const rollback = { version, at };
    // The rolled-back version was already recorded as running there: the previous one runs again.
    const restored = await this.table.conditionalWrite('recordPromotion', () =>
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.environment(service, environment),
          UpdateExpression:
            'SET #version = #previousVersion, #commit = #previousCommit, #since = :at, ' +
            '#previousVersion = :zero, #previousCommit = :none, #lastRollback = :rollback',
          ConditionExpression: '#version = :version AND #previousVersion > :zero',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':version': version,
            ':at': at,
            ':zero': 0,
            ':none': '',
            ':rollback': rollback,
          },
        }),
      ),
    );
    if (restored !== undefined) return;
    // Usual canary case: the new version never became the baseline, which keeps running.
    // Nothing was ever promoted there (the condition fails): nothing runs, nothing to update.
    await this.table.conditionalWrite('recordPromotion', () =>
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.environment(service, environment),
          UpdateExpression: 'SET #lastRollback = :rollback',
          ConditionExpression: 'attribute_exists(#version)',
          ExpressionAttributeNames: { '#version': 'version', '#lastRollback': 'lastRollback' },
          ExpressionAttributeValues: { ':rollback': rollback },
        }),
      ),
    );
  }

  /** A person's promote / abort / rollback, on the build's timeline with who did it. */
  async recordControlAction(input: ControlActionInput): Promise<void> {
    const c = parseControlAction(input);
    const at = c.at ?? this.table.nowIso();
    await this.table.requireBuild(c.service, c.version);
    await this.table.putEvent(c.service, c.version, keys.controlSk(at, c.action), {
      kind: 'CONTROL',
      at,
      action: c.action,
      actor: c.actor,
      result: c.result,
      environment: c.environment,
    });
  }

  /**
   * Corrects what the build data says runs in an environment to what the target reports serving
   * (the reconciler, after a crash): `undefined` when nothing serves there. False when they agreed.
   */
  async correctServing(
    service: string,
    environment: string,
    serving: { version: number; commit: string } | undefined,
  ): Promise<boolean> {
    const recorded = (await this.queries.whereRuns(service))[environment];
    if (recorded?.version === serving?.version) return false;
    const at = this.table.nowIso();
    if (serving === undefined) {
      await this.table.call('correctServing', () =>
        this.table.db.send(
          new DeleteCommand({ TableName: this.table.name, Key: keys.environment(service, environment) }),
        ),
      );
    } else {
      await this.table.call('correctServing', () =>
        this.table.db.send(
          new PutCommand({
            TableName: this.table.name,
            Item: {
              ...keys.environment(service, environment),
              service,
              environment,
              version: serving.version,
              commit: serving.commit,
              since: at,
              previousVersion: recorded?.version ?? 0,
              previousCommit: recorded?.commit ?? '',
            },
          }),
        ),
      );
    }
    return true;
  }
}
