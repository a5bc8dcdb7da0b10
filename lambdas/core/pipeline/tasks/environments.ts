import { AlarmsSpecSchema } from '../../evidence/spec.ts';
import { environmentId, runKeyOf } from '../../target/naming.ts';
import type { JsonValue, TaskFunction, TaskType } from '../contract.ts';
import { EnvironmentDriftError, MissingTaskResultError, PipelineConfigError } from '../errors.ts';
import { imageRefOf } from '../taskInputs.ts';
import type { TaskContext } from './context.ts';
import { describe, environmentOf, environmentSpec, json, scenariosOf, versionOf } from './inputs.ts';

export function environmentTasks(
  context: TaskContext,
): Pick<Record<TaskType, TaskFunction>, 'provision' | 'deploy' | 'destroy'> {
  const { ports, requireLock, environment } = context;
  return {
    async provision(input) {
      const env = await environment(input);
      if (!env.ephemeral || !ports.runAlarms) return json(env);
      const alarms = await ports.runAlarms.create(env, AlarmsSpecSchema.parse(input.run.config.alarms ?? {}));
      return json({ ...env, alarms });
    },

    async deploy(input) {
      const image = imageRefOf(input.run.out.bake);
      if (!image) throw new MissingTaskResultError(input.task.name, 'bake');
      const env = await environment(input);
      const version = versionOf(input);
      await requireLock(input, env.name);
      const current = await ports.target.describe(env);
      // The first release of an environment has nothing to judge against: it becomes the baseline.
      // Decided from the build data (nothing recorded there), never from a missing canary.
      let firstRelease = false;
      if (input.task.params.slot === 'canary') {
        const recorded = (await ports.builds.whereRuns(input.run.service))[env.name];
        if (recorded && current.baseline === undefined)
          throw new EnvironmentDriftError(env.name, recorded.version);
        firstRelease = recorded === undefined && current.baseline === undefined;
      }
      const slot = firstRelease || input.task.params.slot !== 'canary' ? 'baseline' : 'canary';
      const weight = typeof input.task.params.weight === 'number' ? input.task.params.weight : 0;
      const described = await ports.target.deploy(image, env, { slot, weight, version });
      // Bots start once something runs there (before, every request would be a 502): a test
      // environment's are created now, a lasting one's switched on (its first deploy; a no-op after).
      const bots = env.ephemeral
        ? ports.environmentBots
          ? { bots: await ports.environmentBots.start(env, scenariosOf(input)) }
          : {}
        : ports.lastingBots
          ? { botsEnabled: await ports.lastingBots.enable(env, scenariosOf(input)) }
          : {};
      return json({ ...(describe(described) as Record<string, JsonValue>), firstRelease, ...bots });
    },

    async destroy(input) {
      const name = environmentOf(input);
      if (!environmentSpec(input, name).ephemeral) {
        throw new PipelineConfigError(`destroy refuses "${name}": only ephemeral environments are destroyed`);
      }
      // Looked up by its id, not provisioned: a retried destroy must not create what it just removed.
      const id = environmentId(input.run.service, name, runKeyOf(input.run.execution));
      // Bots first: a bot hitting a target that is gone would count as the service failing.
      const botsStopped = (await ports.environmentBots?.stop(id)) ?? [];
      const alarmsDeleted = (await ports.runAlarms?.remove(id)) ?? [];
      await ports.target.destroy({ id });
      return { destroyed: id, botsStopped, ...(ports.runAlarms ? { alarmsDeleted } : {}) };
    },
  };
}
