import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardSource } from '../../../lambdas/adapters/dashboard/source.ts';
import { type ControlApi, startControlApi } from '../../../lambdas/adapters/local/platform/controlApi.ts';
import { UnknownLocalServiceError } from '../../../lambdas/adapters/local/platform/errors.ts';
import type { OperatorControls } from '../../../lambdas/adapters/local/platform/operatorControls.ts';

// The control API over any OperatorControls: here a fake, no platform started.
const controls: OperatorControls = {
  status: async (service) => {
    if (service !== undefined && service !== 'orders')
      throw new UnknownLocalServiceError(service, ['orders']);
    return { services: [], runs: [], openWindows: [] };
  },
  promoteNow: async () => ({ done: false, reason: 'no open verification window for orders' }),
  abort: async () => ({ aborted: [], windowsFailed: 0 }),
  rollbackNow: async () => ({ done: false, reason: 'no canary was running' }),
};
const source = { label: 'fake' } as DashboardSource;

let api: ControlApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('the control API over the operator controls', () => {
  it('answers status from the controls', async () => {
    api = await startControlApi(controls, source);
    const response = await fetch(`${api.url}/api/status?service=orders`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ services: [], runs: [], openWindows: [] });
  });

  it('answers a name the platform does not know with 404 and the platform’s message', async () => {
    api = await startControlApi(controls, source);
    const response = await fetch(`${api.url}/api/status?service=billing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'unknown service "billing"; this platform knows: orders',
    });
  });
});
