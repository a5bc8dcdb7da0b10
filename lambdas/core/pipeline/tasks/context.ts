import { environmentId, runKeyOf } from '../../target/naming.ts';
import type { Environment } from '../../target/port.ts';
import type { JsonValue, TaskInput } from '../contract.ts';
import { LockNotHeldError } from '../errors.ts';
import { provisionedEnvironmentOf } from '../taskInputs.ts';
import { environmentOf, environmentSpec, json, tagsOf } from './inputs.ts';
import type { PipelinePorts } from './ports.ts';

export function createTaskContext(ports: PipelinePorts) {
  const now = ports.now ?? (() => new Date());
  const ttl = ports.lockTtlSeconds ?? 3600;
  const sleep = ports.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /**
   * A run acts on a lasting environment only while it holds its deploy lock: renewing the lease is the
   * check (an ephemeral environment is the run's own and has no lock).
   */
  const holdsLock = async (input: TaskInput, name: string): Promise<boolean> => {
    if (environmentSpec(input, name).ephemeral) return true;
    return ports.builds.renewLock({
      service: input.run.service,
      environment: name,
      owner: input.run.execution,
      ttlSeconds: ttl,
    });
  };
  const requireLock = async (input: TaskInput, name: string): Promise<void> => {
    if (!(await holdsLock(input, name)))
      throw new LockNotHeldError(input.run.service, name, input.run.execution);
  };
  /** Whether this iteration's deploy found the environment empty in the build data (set by deploy). */
  const firstReleaseOf = (input: TaskInput): boolean => {
    const deployed = input.scope?.['deploy-canary'] as { firstRelease?: unknown } | undefined;
    return deployed?.firstRelease === true;
  };

  /**
   * The environment, provisioned if need be: a lasting one is looked up, an ephemeral one is the run's own.
   * An ephemeral one the run's provision task already created is taken from its result, so later tasks
   * (running in parallel, e.g. the tests stage) never provision it again with a new created-at tag.
   */
  const environment = async (input: TaskInput, name = environmentOf(input)): Promise<Environment> => {
    const spec = environmentSpec(input, name);
    if (spec.ephemeral) {
      const id = environmentId(input.run.service, name, runKeyOf(input.run.execution));
      const provisioned = provisionedEnvironmentOf(input.run.out, id);
      if (provisioned !== undefined) return provisioned;
    }
    return ports.target.provision(input.run.service, name, {
      ephemeral: spec.ephemeral,
      tags: tagsOf(input.run),
      runKey: runKeyOf(input.run.execution),
    });
  };

  /** The last window verdict and canary verdict of this iteration: the evidence of a promotion. */
  const evidenceOf = (input: TaskInput): JsonValue => {
    const scope = input.scope ?? {};
    const canary = scope.canary as JsonValue[] | undefined;
    return json({ canarySteps: canary ?? [], deploy: scope['deploy-canary'] ?? null });
  };

  return { ports, now, ttl, sleep, holdsLock, requireLock, firstReleaseOf, environment, evidenceOf };
}

export type TaskContext = ReturnType<typeof createTaskContext>;
