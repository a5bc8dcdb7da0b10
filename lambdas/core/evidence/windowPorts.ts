/**
 * The one factory of the window resumers' ports, used by the local platform (lambdas/adapters/local/platform/LocalPlatform.ts)
 * and by the Lambdas (lambdas/adapters/aws/evidence/windowPortsFromEnv.ts): how a verdict reaches the waiting
 * verify task is decided here, once, for both.
 */
import type { VerdictDelivery, WindowPorts } from './window.ts';

/**
 * A FAILED verdict fails the verify task (SendTaskFailure, error `VerificationFailed`, the JSON verdict as
 * cause), so the state's Catch rolls back; a PASSED one resumes it with `{ verdict }` (SendTaskSuccess). No
 * flavour branches on `$.verdict.outcome`, so `output` would let a failed window pass.
 */
export const VERDICT_DELIVERY: VerdictDelivery = 'failure';

/** The window ports with the platform's verdict delivery; callers cannot choose another. */
export function createWindowPorts(ports: Omit<WindowPorts, 'delivery'>): WindowPorts {
  return { ...ports, delivery: VERDICT_DELIVERY };
}
