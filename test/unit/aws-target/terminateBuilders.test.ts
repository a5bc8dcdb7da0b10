import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { WaiterTimeoutError } from '../../../lambdas/adapters/aws/target/errors.ts';
import { Ec2DeployTarget } from '../../../lambdas/adapters/aws/target/index.ts';
import { CONFIG, fakeAws, noSleep, TAGS } from './fakeAws.ts';

/** The reconciler's path to a builder a stopped bake left up (Ec2DeployTarget.terminateBuilders). */
let current: ReturnType<typeof fakeAws> | undefined;
afterEach(() => {
  current?.ec2.restore();
  current?.elb.restore();
  current = undefined;
});

const bake = (commit: string) => ({
  service: 'orders',
  source: `s3://vouch-artifacts/orders/${commit}.tar.gz`,
  run: { command: 'node server.mjs', healthPath: '/ready' },
  tags: TAGS,
  commit,
});

describe('terminateBuilders', () => {
  it('terminates the builder of that commit of the service only, found by its tags', async () => {
    // Prepare: two bakes whose builders never power off (each bake gives up waiting, its builder up).
    const aws = fakeAws({ builderState: 'running' });
    current = aws;
    const target = new Ec2DeployTarget({
      ec2: aws.ec2 as never,
      elb: aws.elb as never,
      config: CONFIG,
      sleep: noSleep,
    });
    await expect(target.bake(bake('aaaaaaa'))).rejects.toBeInstanceOf(WaiterTimeoutError);
    await expect(target.bake(bake('bbbbbbb'))).rejects.toBeInstanceOf(WaiterTimeoutError);
    const [builderA, builderB] = aws.instances.map((i) => i.id);
    if (!builderA || !builderB) throw new Error('the bakes launched no builders');

    // Act
    const terminated = await target.terminateBuilders('orders', 'aaaaaaa');
    const again = await target.terminateBuilders('orders', 'aaaaaaa');

    // Assess: A's builder only; a second call finds nothing live and terminates nothing more.
    expect(terminated).toEqual([builderA]);
    expect(again).toEqual([]);
    expect(aws.ec2).toReceiveCommandTimes(TerminateInstancesCommand, 1);
    expect(aws.ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: [builderA] });
    expect(aws.instances.find((i) => i.id === builderB)?.state).toBe('running');
  });
});
