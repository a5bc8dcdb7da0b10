/**
 * Step Functions on the twin: each AWS::StepFunctions::StateMachine's DefinitionString with its
 * DefinitionSubstitutions resolved, run by aws-local-stepfunctions. A Task state's Lambda is invoked
 * through the twin's Lambda runner after the state machine's own role is checked for
 * lambda:InvokeFunction; a `.waitForTaskToken` task gets a token of its own, and waits for
 * SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat through the SFN fake below, within its
 * TimeoutSeconds (or TimeoutSecondsPath) and HeartbeatSeconds. The SDK fake also serves StartExecution, DescribeExecution and
 * StopExecution.
 */
import '../adapters/local/polyfills.ts';
import { randomUUID } from 'node:crypto';
import { ExecutionDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { StateMachine } from 'aws-local-stepfunctions';
import { forLocalStepFunctions, RESOLVED_TIMEOUT_KEY } from '../adapters/local/timeoutPaths.ts';
import {
  HeartbeatTimeoutError,
  IterationCancelledError,
  LambdaFunctionError,
  StatesTimeoutError,
  TaskFailureError,
  TwinTemplateError,
  UnmodelledCallError,
} from './errors.ts';
import { authorize, type RoleIdentity, roleIdentity } from './iam.ts';
import type { TwinLambdas } from './lambdaRunner.ts';
import type { ServiceFake } from './sdk.ts';
import type { DeployedTemplates } from './template.ts';

const CALLBACK_RESOURCE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const TOKEN_PLACEHOLDER = 'twin:token-per-task';

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  HeartbeatSeconds?: number;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Branches?: { States: Record<string, AslState> }[];
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
}

export interface TwinMachine {
  readonly name: string;
  readonly arn: string;
  readonly definition: { States: Record<string, AslState> } & Record<string, unknown>;
  readonly identity: RoleIdentity;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface TwinExecution {
  readonly arn: string;
  readonly name: string;
  readonly machine: TwinMachine;
  readonly input: unknown;
  readonly startDate: Date;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  /** StopExecution's error and cause, when it was stopped through the API. */
  stopped?: { error: string; cause: string };
  /** The states as they ran: `entered`/`succeeded`/`failed`/`retried`/`caught` with state name. */
  readonly events: { at: number; type: string; state?: string; error?: string; cause?: string }[];
  readonly done: Promise<TwinExecution>;
  abort(): void;
}

interface PendingToken {
  readonly machineArn: string;
  readonly execution: string;
  readonly state: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
  heartbeat(): void;
}

/**
 * A Map state stops its iterations when one fails: "If any iteration fails, the entire Map state
 * fails, and all iterations are terminated" (Step Functions developer guide, Map state). In
 * aws-local-stepfunctions 3.0.0 the Map aborts the iterations already started, but one waiting for a
 * slot under MaxConcurrency (p-limit's queue) still starts after the Map failed: a canary rolled back
 * at step 20 % went on to shift 50 % and open a window nobody resumed (a window-end schedule and a
 * task token left behind). Every item of one Map activation runs on the same iterator StateMachine, so
 * once one run of a StateMachine fails, the later runs it is asked for end at once without running a
 * state (the Map has already failed; their result is not read).
 */
const failedIterators = new WeakSet<object>();
const originalRun = StateMachine.prototype.run;
StateMachine.prototype.run = function run(this: StateMachine, ...args: Parameters<typeof originalRun>) {
  if (failedIterators.has(this)) {
    const result = Promise.reject(new IterationCancelledError());
    result.catch(() => undefined);
    const cancelled: ReturnType<typeof originalRun> = {
      abort: () => undefined,
      eventLogs: (async function* () {})(),
      result,
    };
    return cancelled;
  }
  const execution = originalRun.apply(this, args);
  execution.result.catch(() => failedIterators.add(this));
  return execution;
};

/** Every Task state of a definition, nested ones included. */
function taskStates(states: Record<string, AslState>, out: [string, AslState][] = []): [string, AslState][] {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') out.push([name, state]);
    for (const b of state.Branches ?? []) taskStates(b.States, out);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) taskStates(processor.States, out);
  }
  return out;
}

export class TwinStepFunctions {
  readonly machines = new Map<string, TwinMachine>();
  readonly executions = new Map<string, TwinExecution>();
  private readonly tokens = new Map<string, PendingToken>();

  constructor(
    templates: DeployedTemplates,
    private readonly lambdas: TwinLambdas,
  ) {
    for (const { stackName, logicalId, resource } of templates.resourcesOfType(
      'AWS::StepFunctions::StateMachine',
    )) {
      const props = resource.Properties ?? {};
      let text = templates.resolve(stackName, props.DefinitionString) as string;
      const substitutions = templates.resolve(stackName, props.DefinitionSubstitutions ?? {}) as Record<
        string,
        string
      >;
      // Step Functions replaces ${key} with each DefinitionSubstitutions value before parsing.
      text = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (m, key: string) => substitutions[key] ?? m);
      const definition = JSON.parse(text) as TwinMachine['definition'];
      const arn = templates.getAtt(stackName, logicalId, 'Arn');
      const machine: TwinMachine = {
        name: templates.getAtt(stackName, logicalId, 'Name'),
        arn,
        definition,
        identity: roleIdentity(templates, templates.resolve(stackName, props.RoleArn) as string),
      };
      const unresolved = text.match(/\$\{[A-Za-z0-9_]+\}/);
      if (unresolved)
        throw new TwinTemplateError(`${machine.name}: ${unresolved[0]} has no DefinitionSubstitutions value`);
      this.machines.set(arn, machine);
    }
  }

  machine(nameOrArn: string): TwinMachine {
    const found =
      this.machines.get(nameOrArn) ?? [...this.machines.values()].find((m) => m.name === nameOrArn);
    if (!found) throw new TwinTemplateError(`no state machine ${nameOrArn}`);
    return found;
  }

  /** StartExecution: runs in the background; `done` settles when it ends. */
  start(machineArn: string, name: string, input: unknown): TwinExecution {
    const machine = this.machine(machineArn);
    const arn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const events: TwinExecution['events'] = [];
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of taskStates(machine.definition.States)) {
      handlers[stateName] =
        state.Resource === CALLBACK_RESOURCE
          ? (raw) => this.callbackTask(machine, arn, stateName, state, raw)
          : (raw) => this.invokeTask(machine, state.Resource as string, raw);
    }
    const sm = new StateMachine(forLocalStepFunctions(machine.definition) as never, {
      validationOptions: { checkPaths: false },
    });
    const run = sm.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: { Id: arn, Name: name, Input: input, StartTime: new Date().toISOString() },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TOKEN_PLACEHOLDER },
      } as never,
    });
    // `done` settles with the execution itself, so the promise is made first and settled below.
    const { promise: done, resolve: settle, reject: fail } = Promise.withResolvers<TwinExecution>();
    const execution: TwinExecution = {
      arn,
      name,
      machine,
      input,
      startDate: new Date(),
      status: 'RUNNING',
      events,
      abort: () => run.abort(),
      done,
    };
    const logs = (async () => {
      for await (const e of run.eventLogs) {
        const ev = e as {
          type: string;
          timestamp: number;
          state?: { name: string };
          Error?: string;
          Cause?: unknown;
        };
        events.push({
          at: ev.timestamp,
          type: ev.type,
          ...(ev.state ? { state: ev.state.name } : {}),
          ...(ev.Error
            ? { error: ev.Error, cause: typeof ev.Cause === 'string' ? ev.Cause : JSON.stringify(ev.Cause) }
            : {}),
        });
      }
    })();
    (async () => {
      try {
        execution.output = await run.result;
        execution.status = 'SUCCEEDED';
      } catch (e) {
        const err = e as Error & { cause?: { name?: string; message?: string } };
        execution.status =
          err.name === 'ExecutionAbortedError'
            ? 'ABORTED'
            : err.name === 'ExecutionTimeoutError'
              ? 'TIMED_OUT'
              : 'FAILED';
        execution.error = err.cause?.name ?? err.name;
        execution.cause = err.cause?.message ?? err.message;
      }
      await logs;
      return execution;
    })().then(settle, fail);
    this.executions.set(arn, execution);
    return execution;
  }

  private async invokeTask(machine: TwinMachine, functionArn: string, input: unknown): Promise<unknown> {
    await authorize(machine.identity, 'states', [{ action: 'lambda:InvokeFunction', resource: functionArn }]);
    try {
      return await this.lambdas.invoke(functionArn, input);
    } catch (error) {
      throw new LambdaFunctionError(error as Error);
    }
  }

  private async callbackTask(
    machine: TwinMachine,
    executionArn: string,
    stateName: string,
    state: AslState,
    raw: unknown,
  ): Promise<unknown> {
    const {
      FunctionName,
      Payload,
      [RESOLVED_TIMEOUT_KEY]: timeoutSeconds,
    } = raw as {
      FunctionName: string;
      Payload: Record<string, unknown>;
      [RESOLVED_TIMEOUT_KEY]?: number;
    };
    const { token, waiting } = this.issueToken(machine.arn, executionArn, stateName, state.HeartbeatSeconds);
    const payload = JSON.parse(JSON.stringify(Payload).replaceAll(TOKEN_PLACEHOLDER, token)) as unknown;
    // A function error fails the task; its result is not the task's (the token's is).
    try {
      await this.invokeTask(machine, FunctionName, payload);
    } catch (error) {
      this.tokens.delete(token);
      throw error;
    }
    // The state's TimeoutSeconds, or its TimeoutSecondsPath's value (timeoutPaths.ts), ends the wait
    // (aws-local-stepfunctions fails the state at the same time): the token is no longer valid, as on
    // Step Functions.
    const timeout = setTimeout(
      () => this.tokens.get(token)?.reject(new StatesTimeoutError()),
      (state.TimeoutSeconds ?? timeoutSeconds ?? 99_999_999) * 1000,
    );
    try {
      return await waiting;
    } finally {
      clearTimeout(timeout);
      this.tokens.delete(token);
    }
  }

  /**
   * A task token of `machineArn` that waits for SendTaskSuccess/Failure (and heartbeats, if
   * `heartbeatSeconds`): what a `.waitForTaskToken` state holds while it waits.
   */
  issueToken(
    machineArn: string,
    executionArn: string,
    stateName: string,
    heartbeatSeconds?: number,
  ): { token: string; waiting: Promise<unknown> } {
    const token = `${randomUUID()}.${Buffer.from(`${executionArn}#${stateName}`).toString('base64url')}`;
    const waiting = new Promise<unknown>((resolve, reject) => {
      let heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        if (heartbeatSeconds === undefined) return;
        clearTimeout(heartbeatTimer);
        heartbeatTimer = setTimeout(() => {
          this.tokens.delete(token);
          reject(new HeartbeatTimeoutError());
        }, heartbeatSeconds * 1000);
      };
      arm();
      this.tokens.set(token, {
        machineArn,
        execution: executionArn,
        state: stateName,
        resolve: (v) => {
          clearTimeout(heartbeatTimer);
          this.tokens.delete(token);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(heartbeatTimer);
          this.tokens.delete(token);
          reject(e);
        },
        heartbeat: arm,
      });
    });
    // A token issued on its own (a test holding it for a state) may be failed with nobody awaiting it:
    // that is an outcome, not an unhandled rejection. Whoever awaits `waiting` still sees the failure.
    waiting.catch(() => undefined);
    return { token, waiting };
  }

  /** Task tokens still waiting (a finished run leaves none). */
  get pendingTokens(): { execution: string; state: string }[] {
    return [...this.tokens.values()].map((t) => ({ execution: t.execution, state: t.state }));
  }

  /** The SFN API the handlers call. */
  fake(): ServiceFake {
    const tokenOf = (input: Record<string, unknown>) => {
      const pending = this.tokens.get(String(input.taskToken));
      if (!pending)
        throw new TaskTimedOut({ message: 'Task Timed Out: the token is not waiting', $metadata: {} });
      return pending;
    };
    return {
      authorization: (command, input) => {
        switch (command) {
          case 'SendTaskSuccess':
          case 'SendTaskFailure':
          case 'SendTaskHeartbeat':
            // These actions have no resource types (service authorization reference, Step Functions):
            // IAM evaluates them against `*`, so only a statement on `*` allows them.
            return [{ action: `states:${command}`, resource: '*' }];
          case 'StartExecution':
            return [{ action: 'states:StartExecution', resource: String(input.stateMachineArn) }];
          case 'DescribeExecution':
          case 'StopExecution':
            return [{ action: `states:${command}`, resource: String(input.executionArn) }];
          default:
            return [{ action: `states:${command}`, resource: '*' }];
        }
      },
      handle: async (command, input) => {
        switch (command) {
          case 'SendTaskSuccess':
            tokenOf(input).resolve(JSON.parse(String(input.output)));
            return {};
          case 'SendTaskFailure':
            tokenOf(input).reject(new TaskFailureError(String(input.error ?? ''), String(input.cause ?? '')));
            return {};
          case 'SendTaskHeartbeat':
            tokenOf(input).heartbeat();
            return {};
          case 'StartExecution': {
            const name = String(input.name ?? randomUUID());
            const e = this.start(
              String(input.stateMachineArn),
              name,
              JSON.parse(String(input.input ?? '{}')),
            );
            return { executionArn: e.arn, startDate: e.startDate };
          }
          case 'DescribeExecution': {
            const e = this.executions.get(String(input.executionArn));
            if (!e)
              throw new ExecutionDoesNotExist({
                message: `Execution does not exist: '${input.executionArn}'`,
                $metadata: {},
              });
            return { executionArn: e.arn, status: e.status, startDate: e.startDate, name: e.name };
          }
          case 'StopExecution': {
            // Step Functions ends the execution ABORTED at once; the Lambda a task was running is not
            // stopped (it runs to its end or timeout). Stopping an ended execution changes nothing.
            const e = this.executions.get(String(input.executionArn));
            if (!e)
              throw new ExecutionDoesNotExist({
                message: `Execution does not exist: '${input.executionArn}'`,
                $metadata: {},
              });
            if (e.status === 'RUNNING') {
              e.stopped = { error: String(input.error ?? ''), cause: String(input.cause ?? '') };
              e.abort();
            }
            return { stopDate: new Date() };
          }
          default:
            throw new UnmodelledCallError('states', command);
        }
      },
    };
  }
}
