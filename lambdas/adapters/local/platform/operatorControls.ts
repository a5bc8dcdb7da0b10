/**
 * What a person can ask of the running local platform: the control API (and so `vouch status`,
 * `vouch promote`, `vouch abort`, `vouch rollback` and the dashboard's buttons) depends on this
 * interface, not on the platform class, so the two do not import each other.
 */

import type { OpenWindow } from '../../../core/evidence/windowStore.ts';
import type { BuildRepository } from '../../dynamo/buildRepository.ts';

export interface ServiceStatus {
  readonly service: string;
  readonly team: string;
  readonly where: Awaited<ReturnType<BuildRepository['whereRuns']>>;
}

export interface RunStatus {
  readonly name: string;
  readonly service: string;
  readonly commit: string;
  readonly startedAt: string;
  readonly status: string;
  readonly error?: string;
  /** The last finished states, newest last: `ok <state>` or `x <state>`, with where they ran. */
  readonly recent: string[];
}

export type OpenWindowStatus = Pick<
  OpenWindow,
  'service' | 'environment' | 'execution' | 'version' | 'step' | 'startedAt' | 'endsAt'
> & {
  /** The window's times are on the platform's clock; people wait in real time. */
  readonly closesInRealSeconds: number;
};

export interface PlatformStatus {
  readonly services: ServiceStatus[];
  readonly runs: RunStatus[];
  readonly openWindows: OpenWindowStatus[];
}

export type PromoteOutcome =
  | { readonly done: false; readonly reason: string }
  | {
      readonly done: true;
      readonly windows: { environment: string; step: number | undefined; verdict: string }[];
    };

export interface AbortOutcome {
  /** The runs that will fail at their window. */
  readonly aborted: string[];
  readonly windowsFailed: number;
}

export interface RollbackOutcome {
  readonly done: boolean;
  readonly reason: string;
}

/**
 * The operator controls. A name the platform does not know is refused with UnknownLocalNameError
 * (errors.ts), which the control API answers with 404.
 */
export interface OperatorControls {
  status(service?: string): Promise<PlatformStatus>;
  /** Closes the service's open window(s) now; the verdict uses the evidence so far. */
  promoteNow(service: string, environment?: string): Promise<PromoteOutcome>;
  /** The service's runs fail at their open window (or the next one) and roll back. */
  abort(service: string): Promise<AbortOutcome>;
  /** The environment's canary gets no traffic at once; its run rolls back. */
  rollbackNow(service: string, environment: string): Promise<RollbackOutcome>;
}
