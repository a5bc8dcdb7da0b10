/**
 * EventBridge Scheduler on the twin: the templates' AWS::Scheduler::Schedule resources and the
 * schedules handlers create, each firing its target Lambda asynchronously (Scheduler invokes Lambda
 * with InvocationType Event) with its Target.Input as the event, after checking that the schedule's
 * role may invoke it; UpdateSchedule replaces one (a DISABLED schedule switched on starts firing). One-time `at(...)` schedules (UTC) fire once and, with ActionAfterCompletion
 * DELETE, disappear; `rate(...)` schedules fire while ENABLED. Names are unique per group
 * (CreateSchedule of an existing name: ConflictException). ListSchedules answers each schedule's
 * summary (name, group, state, creation and modification dates, target ARN: no input, no
 * description); GetSchedule the whole schedule (Scheduler API reference, ScheduleSummary and
 * GetSchedule).
 */
import { ConflictException, ResourceNotFoundException } from '@aws-sdk/client-scheduler';
import { TwinTemplateError, UnmodelledCallError } from '../errors.ts';
import { authorize, roleIdentity } from '../iam.ts';
import type { TwinLambdas } from '../lambdaRunner.ts';
import type { ServiceFake } from '../sdk.ts';
import { type DeployedTemplates, TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from '../template.ts';

export interface TwinSchedule {
  readonly group: string;
  readonly name: string;
  readonly expression: string;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly target: { readonly arn: string; readonly roleArn: string; readonly input?: string };
  readonly description?: string;
  /** Epoch ms: CreationDate (kept by UpdateSchedule; a leftover seeded for a test is dated back). */
  createdAt: number;
  /** Epoch ms: LastModificationDate. */
  readonly modifiedAt: number;
  readonly deleteAfterCompletion: boolean;
  /** Where it came from: the templates or a handler's CreateSchedule. */
  readonly origin: 'template' | 'api';
  fired: number;
  timer?: ReturnType<typeof setTimeout>;
}

const scheduleArn = (group: string, name: string) =>
  `arn:${TWIN_PARTITION}:scheduler:${TWIN_REGION}:${TWIN_ACCOUNT}:schedule/${group}/${name}`;

/** `rate(5 minutes)` -> ms (EventBridge Scheduler schedule types). */
function rateMs(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) return undefined;
  const unit = m[2]?.startsWith('minute') ? 60_000 : m[2]?.startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
}

/** `at(2026-12-01T23:59:00)` in UTC -> epoch ms. */
function atMs(expression: string): number | undefined {
  const m = /^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$/.exec(expression);
  return m ? Date.parse(`${m[1]}Z`) : undefined;
}

/** What CreateSchedule and UpdateSchedule both set (UpdateSchedule replaces the whole schedule). */
function scheduleFields(
  input: Record<string, unknown>,
): Pick<TwinSchedule, 'expression' | 'state' | 'target' | 'description' | 'modifiedAt'> {
  const target = input.Target as { Arn: string; RoleArn: string; Input?: string };
  return {
    expression: String(input.ScheduleExpression),
    state: (input.State as 'ENABLED' | 'DISABLED' | undefined) ?? 'ENABLED',
    target: { arn: target.Arn, roleArn: target.RoleArn, ...(target.Input ? { input: target.Input } : {}) },
    ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
    modifiedAt: Date.now(),
  };
}

export class TwinScheduler {
  readonly schedules = new Map<string, TwinSchedule>();
  private running = false;

  constructor(
    private readonly templates: DeployedTemplates,
    private readonly lambdas: TwinLambdas,
  ) {
    for (const { stackName, resource } of templates.resourcesOfType('AWS::Scheduler::Schedule')) {
      const p = templates.resolve(stackName, resource.Properties) as {
        Name: string;
        GroupName?: string;
        ScheduleExpression: string;
        State?: 'ENABLED' | 'DISABLED';
        Target: { Arn: string; RoleArn: string; Input?: string };
      };
      this.add({
        group: p.GroupName ?? 'default',
        name: p.Name,
        expression: p.ScheduleExpression,
        state: p.State ?? 'ENABLED',
        target: {
          arn: p.Target.Arn,
          roleArn: p.Target.RoleArn,
          ...(p.Target.Input ? { input: p.Target.Input } : {}),
        },
        createdAt: Date.now(),
        modifiedAt: Date.now(),
        deleteAfterCompletion: false,
        origin: 'template',
        fired: 0,
      });
    }
  }

  /** Starts firing: the templates' recurring schedules and every schedule created from now on. */
  start(): void {
    this.running = true;
    for (const s of this.schedules.values()) this.arm(s);
  }

  stop(): void {
    this.running = false;
    for (const s of this.schedules.values()) {
      clearTimeout(s.timer);
      clearInterval(s.timer);
    }
  }

  /** Fires a schedule now, as Scheduler would at its time (tests; the recurring bot schedules). */
  async fire(s: TwinSchedule): Promise<void> {
    const role = roleIdentity(this.templates, s.target.roleArn);
    await authorize(role, 'scheduler', [{ action: 'lambda:InvokeFunction', resource: s.target.arn }]);
    s.fired++;
    const event = s.target.input === undefined ? {} : (JSON.parse(s.target.input) as unknown);
    this.lambdas.invokeAsync(s.target.arn, event);
    if (s.deleteAfterCompletion && atMs(s.expression) !== undefined)
      this.schedules.delete(`${s.group}/${s.name}`);
  }

  find(group: string, name: string): TwinSchedule | undefined {
    return this.schedules.get(`${group}/${name}`);
  }

  /** The schedule, or the ResourceNotFoundException EventBridge Scheduler answers for a missing one. */
  private existing(group: string, name: string): TwinSchedule {
    const schedule = this.find(group, name);
    if (schedule) return schedule;
    throw new ResourceNotFoundException({
      message: `Schedule ${name} does not exist.`,
      Message: `Schedule ${name} does not exist.`,
      $metadata: {},
    });
  }

  private add(s: TwinSchedule): void {
    const key = `${s.group}/${s.name}`;
    if (this.schedules.has(key)) {
      throw new ConflictException({
        message: `Schedule ${s.name} already exists.`,
        Message: `Schedule ${s.name} already exists.`,
        $metadata: {},
      });
    }
    this.schedules.set(key, s);
    if (this.running) this.arm(s);
  }

  private arm(s: TwinSchedule): void {
    if (s.state !== 'ENABLED') return;
    const fire = () => {
      this.fire(s).catch((error: Error) =>
        this.failures.push({ schedule: s.name, error: error.name, message: error.message }),
      );
    };
    const at = atMs(s.expression);
    if (at !== undefined) {
      s.timer = setTimeout(fire, Math.max(0, at - Date.now()));
      return;
    }
    const every = rateMs(s.expression);
    if (every === undefined)
      throw new TwinTemplateError(`schedule expression ${s.expression} is not modelled by the twin`);
    s.timer = setInterval(fire, every);
  }

  /** Targets Scheduler could not invoke (its role refused), as its dead-letter queue would hold them. */
  readonly failures: { schedule: string; error: string; message: string }[] = [];

  fake(): ServiceFake {
    return {
      authorization: (command, input) => {
        const group = String(input.GroupName ?? 'default');
        const name = String(input.Name ?? '');
        // ListSchedules supports no resource-level permissions: IAM checks it against `*`.
        const resource = command === 'ListSchedules' ? '*' : scheduleArn(group, name);
        const requests = [{ action: `scheduler:${command}`, resource }];
        const target = input.Target as { RoleArn?: string } | undefined;
        if ((command === 'CreateSchedule' || command === 'UpdateSchedule') && target?.RoleArn) {
          requests.push({
            action: 'iam:PassRole',
            resource: target.RoleArn,
            context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
          } as never);
        }
        return requests;
      },
      handle: async (command, input) => {
        const group = String(input.GroupName ?? 'default');
        const name = String(input.Name ?? '');
        switch (command) {
          case 'CreateSchedule': {
            this.add({
              group,
              name,
              ...scheduleFields(input),
              createdAt: Date.now(),
              deleteAfterCompletion: input.ActionAfterCompletion === 'DELETE',
              origin: 'api',
              fired: 0,
            });
            return { ScheduleArn: scheduleArn(group, name) };
          }
          case 'DeleteSchedule': {
            const s = this.existing(group, name);
            clearTimeout(s.timer);
            clearInterval(s.timer);
            this.schedules.delete(`${group}/${name}`);
            return {};
          }
          case 'GetSchedule': {
            const s = this.existing(group, name);
            return {
              Name: s.name,
              GroupName: s.group,
              Arn: scheduleArn(s.group, s.name),
              ScheduleExpression: s.expression,
              State: s.state,
              Description: s.description,
              CreationDate: new Date(s.createdAt),
              LastModificationDate: new Date(s.modifiedAt),
              Target: { Arn: s.target.arn, RoleArn: s.target.roleArn, Input: s.target.input },
            };
          }
          case 'UpdateSchedule': {
            // Replaces the whole schedule (Scheduler API reference): expression, state, target.
            const s = this.existing(group, name);
            clearTimeout(s.timer);
            clearInterval(s.timer);
            this.schedules.delete(`${group}/${name}`);
            // Omitted fields are reset, not kept: a Description left out is gone.
            const { description: _replaced, ...kept } = s;
            this.add({ ...kept, ...scheduleFields(input), timer: undefined });
            return { ScheduleArn: scheduleArn(group, name) };
          }
          case 'ListSchedules': {
            // One page: the twin never holds more than a page of a group's schedules.
            const prefix = String(input.NamePrefix ?? '');
            const inGroup = input.GroupName === undefined ? undefined : String(input.GroupName);
            const schedules = [...this.schedules.values()]
              .filter((x) => (inGroup === undefined || x.group === inGroup) && x.name.startsWith(prefix))
              .map((x) => ({
                Name: x.name,
                GroupName: x.group,
                Arn: scheduleArn(x.group, x.name),
                State: x.state,
                CreationDate: new Date(x.createdAt),
                LastModificationDate: new Date(x.modifiedAt),
                Target: { Arn: x.target.arn },
              }));
            return { Schedules: schedules };
          }
          default:
            throw new UnmodelledCallError('scheduler', command);
        }
      },
    };
  }
}
