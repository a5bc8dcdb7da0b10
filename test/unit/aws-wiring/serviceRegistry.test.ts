import { describe, expect, it } from 'vitest';
import { handleServiceRegistryEvent } from '../../../lambdas/adapters/aws/registry/serviceRegistry.ts';
import type { ServiceRegistration } from '../../../lambdas/core/builds/model.ts';

const ORDERS = { service: 'orders', team: 'checkout', solution: 'webshop', repo: 'example-org/orders' };

function request(type: 'Create' | 'Update' | 'Delete') {
  return {
    RequestType: type,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/abc',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Vouch/1',
    RequestId: 'r-1',
    LogicalResourceId: 'ServiceRegistrations',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:x',
      Services: [ORDERS],
    },
  };
}

function ports(register: (r: ServiceRegistration) => Promise<void> = async () => {}) {
  const registered: ServiceRegistration[] = [];
  const answers: { url: string; body: Record<string, unknown> }[] = [];
  return {
    registered,
    answers,
    ports: {
      builds: {
        registerService: async (r: ServiceRegistration) => {
          await register(r);
          registered.push(r);
        },
      },
      fetch: (async (url: string, init: RequestInit) => {
        answers.push({ url, body: JSON.parse(String(init.body)) });
        return new Response(null, { status: 200 });
      }) as unknown as typeof fetch,
    },
  };
}

describe('the service registry custom resource', () => {
  it('registers each configured service on Create and Update and answers SUCCESS', async () => {
    for (const type of ['Create', 'Update'] as const) {
      const p = ports();
      await handleServiceRegistryEvent(request(type), p.ports);
      expect(p.registered).toEqual([ORDERS]);
      expect(p.answers).toEqual([
        {
          url: request(type).ResponseURL,
          body: expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'vouch-service-registry' }),
        },
      ]);
    }
  });

  it('keeps the records on Delete: versions and evidence outlive the stack', async () => {
    const p = ports();
    await handleServiceRegistryEvent(request('Delete'), p.ports);
    expect(p.registered).toEqual([]);
    expect(p.answers[0]?.body.Status).toBe('SUCCESS');
  });

  it('answers FAILED with the reason when a registration fails, so the deploy fails at once', async () => {
    const p = ports(async () => {
      throw Object.assign(new Error('denied'), { name: 'BuildDataUnavailableError' });
    });
    await handleServiceRegistryEvent(request('Create'), p.ports);
    expect(p.answers[0]?.body).toMatchObject({
      Status: 'FAILED',
      Reason: 'BuildDataUnavailableError: denied',
    });
  });

  it('refuses an event that is not a registry request', async () => {
    await expect(handleServiceRegistryEvent({ RequestType: 'Create' }, ports().ports)).rejects.toMatchObject({
      name: 'ServiceRegistryEventError',
    });
  });
});
