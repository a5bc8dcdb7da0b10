import { describe, expect, it } from 'vitest';
import { InvalidNameError } from '../../../lambdas/core/target/errors.ts';
import { checkTargetName, environmentId, runKeyOf } from '../../../lambdas/core/target/naming.ts';

describe('environment naming', () => {
  it('derives a safe run key from an execution name', () => {
    expect(runKeyOf('orders:push:abc/123')).toBe('orders-push-abc-123');
    expect(runKeyOf('--x')).toBe('x');
    expect(runKeyOf('a'.repeat(100))).toHaveLength(64);
    expect(() => runKeyOf(':::')).toThrow(InvalidNameError);
  });

  it('names lasting and ephemeral environments', () => {
    expect(environmentId('orders', 'prod')).toBe('orders.prod');
    expect(environmentId('orders', 'test', runKeyOf('exec-1'))).toBe('orders.test.exec-1');
  });

  it('refuses names unsafe in ids and paths', () => {
    expect(() => checkTargetName('service', '../etc')).toThrow(InvalidNameError);
    expect(() => checkTargetName('service', 'a.b')).toThrow(InvalidNameError);
    expect(() => checkTargetName('service', 'orders-v2_x')).not.toThrow();
  });
});
