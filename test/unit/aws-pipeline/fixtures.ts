/** A task event as the compiled state machine sends it (contract.ts `TaskInput`), for the task Lambdas. */
import type { JsonValue, TaskInput, TaskType } from '../../../lambdas/core/pipeline/contract.ts';

export const SERVICE = 'shop';
export const TEAM = 'payments';
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';
export const EXECUTION = 'gh-delivery-42';
export const VERSION = 7;

export function taskEvent(
  type: TaskType,
  extra: {
    name?: string;
    params?: Record<string, JsonValue>;
    out?: Record<string, JsonValue>;
    config?: Record<string, JsonValue>;
    token?: string;
    item?: JsonValue;
    error?: { Error: string; Cause: string };
  } = {},
): TaskInput {
  return {
    task: { name: extra.name ?? type, type, params: extra.params ?? {} },
    run: {
      service: SERVICE,
      team: TEAM,
      solution: 'storefront',
      repo: 'acme/shop',
      commit: COMMIT,
      branch: 'main',
      execution: EXECUTION,
      pipe: 'ec2-canary',
      config: {
        releaseEnvironments: [{ name: 'qa' }],
        environments: [
          { name: 'test', ephemeral: true },
          { name: 'qa', ephemeral: false },
        ],
        ...extra.config,
      },
      out: extra.out ?? {},
    },
    ...(extra.token === undefined ? {} : { token: extra.token }),
    ...(extra.item === undefined ? {} : { item: extra.item }),
    ...(extra.error === undefined ? {} : { error: extra.error }),
  };
}

/** `$.out` once the version task ran. */
export const AFTER_VERSION = { version: { version: VERSION, commit: COMMIT } };
