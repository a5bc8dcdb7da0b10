// Which aliases of a Lambda service are per run: the ephemeral environments of its service's pipe, as
// the registry (VOUCH_SERVICE_PIPES) says; a function whose service is not registered has none.
import { describe, expect, it } from 'vitest';
import { parseReconcileRegistry } from '../../../lambdas/adapters/aws/reconcile/registry.ts';
import { lambdaSweepServices } from '../../../lambdas/adapters/aws/sweeper/lambdaSweep.ts';

describe('lambdaSweepServices', () => {
  it('gives each configured function its service’s ephemeral environments, and none to an unregistered one', () => {
    // Prepare
    const registry = parseReconcileRegistry(
      JSON.stringify([
        {
          service: 'orders-fn',
          team: 'checkout',
          flavour: 'lambda-canary',
          environments: [
            { name: 'test', ephemeral: true },
            { name: 'qa', ephemeral: false },
            { name: 'preview', ephemeral: true },
          ],
        },
      ]),
    );

    // Act
    const services = lambdaSweepServices(
      { 'orders-fn': { functionName: 'orders-fn' }, 'other-fn': { functionName: 'other' } },
      registry,
    );

    // Assess
    expect(services).toEqual([
      { service: 'orders-fn', functionName: 'orders-fn', ephemeralEnvironments: ['test', 'preview'] },
      { service: 'other-fn', functionName: 'other', ephemeralEnvironments: [] },
    ]);
  });
});
