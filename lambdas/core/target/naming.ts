/**
 * How environments are named, so any task can find one from the run state alone (service,
 * environment name, execution) without reading another task's output.
 */
import { InvalidNameError } from './errors.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Refuses names that would not be safe in ids, paths and tags. */
export function checkTargetName(what: string, value: string): void {
  if (!NAME.test(value)) throw new InvalidNameError(what, value);
}

/** Refuses a provision request whose service, environment or run key is not a safe name. */
export function checkProvisionNames(service: string, environment: string, runKey: string | undefined): void {
  checkTargetName('service', service);
  checkTargetName('environment', environment);
  if (runKey !== undefined) checkTargetName('runKey', runKey);
}

/** A run key from an execution name: unsafe characters become '-', at most 64 characters. */
export function runKeyOf(execution: string): string {
  const key = execution
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 64);
  if (key === '') throw new InvalidNameError('execution', execution);
  return key;
}

/** `<service>.<name>` for a lasting environment (qa, prod), `<service>.<name>.<runKey>` for an ephemeral one. */
export function environmentId(service: string, name: string, runKey?: string): string {
  return runKey === undefined ? `${service}.${name}` : `${service}.${name}.${runKey}`;
}

/**
 * The key an environment's evidence is filed under (metric dimension, alarm names, verification
 * window, window-end schedule): its name for a lasting environment; `<name>-<runKey>` for an
 * ephemeral one, so two runs' test environments never share alarms or windows.
 */
export function evidenceEnvironment(name: string, runKey?: string): string {
  return runKey === undefined ? name : `${name}-${runKey}`;
}

/** The evidence key of an environment as provision returned it (an ephemeral id ends in its run key). */
export function evidenceKeyOfEnvironment(env: {
  readonly id: string;
  readonly service: string;
  readonly name: string;
  readonly ephemeral: boolean;
}): string {
  if (!env.ephemeral) return env.name;
  return evidenceEnvironment(env.name, env.id.slice(`${env.service}.${env.name}.`.length));
}
