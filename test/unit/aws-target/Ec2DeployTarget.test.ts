import {
  CreateImageCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  PriorityInUseException,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EnvironmentProtectedError,
  InvalidBakeSourceError,
  RoutingNotFoundError,
  WaiterTimeoutError,
} from '../../../lambdas/adapters/aws/target/errors.ts';
import { Ec2DeployTarget, ephemeralHost } from '../../../lambdas/adapters/aws/target/index.ts';
import {
  EnvironmentNotFoundError,
  ImageBakeError,
  ImageNotFoundError,
  InvalidNameError,
  InvalidWeightError,
  NoBaselineError,
  NoCanaryError,
  ServiceStartError,
} from '../../../lambdas/core/target/errors.ts';
import { CONFIG, type FakeAwsOptions, fakeAws, noSleep, TAGS } from './fakeAws.ts';

const COST_TAGS = [
  { Key: 'service', Value: 'orders' },
  { Key: 'team', Value: 'checkout' },
  { Key: 'solution', Value: 'shop' },
];

let current: ReturnType<typeof fakeAws> | undefined;

function setUp(options: FakeAwsOptions = {}) {
  const aws = fakeAws(options);
  current = aws;
  const target = new Ec2DeployTarget({
    ec2: aws.ec2 as never,
    elb: aws.elb as never,
    config: CONFIG,
    sleep: noSleep,
    now: () => new Date('2026-02-01T10:00:00Z'),
  });
  return { aws, target };
}

// The mocks are created per test (they are stateful fakes); restore frees the prototype stubs.
afterEach(() => {
  current?.ec2.restore();
  current?.elb.restore();
  current = undefined;
});

const bakeRequest = {
  service: 'orders',
  source: 's3://vouch-artifacts/orders/4f1c2e9.tar.gz',
  run: { command: 'node server.mjs', healthPath: '/ready' },
  tags: TAGS,
  commit: '4f1c2e9',
  version: 42,
};

describe('bake', () => {
  it('images a stopped builder, tags the image and its snapshots, and terminates the builder', async () => {
    // Prepare
    const { aws, target } = setUp();

    // Act
    const image = await target.bake(bakeRequest);

    // Assess
    expect(aws.ec2).toReceiveCommandWith(RunInstancesCommand, {
      ImageId: 'ami-0base',
      InstanceInitiatedShutdownBehavior: 'stop',
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: expect.arrayContaining([...COST_TAGS, { Key: 'vouch:role', Value: 'builder' }]),
        },
        { ResourceType: 'volume', Tags: expect.arrayContaining(COST_TAGS) },
      ],
    });
    const userData = Buffer.from(
      aws.ec2.commandCalls(RunInstancesCommand)[0]?.args[0].input.UserData ?? '',
      'base64',
    ).toString();
    expect(userData).toContain("aws s3 cp 's3://vouch-artifacts/orders/4f1c2e9.tar.gz' -");
    expect(userData).toContain('node server.mjs');
    expect(userData.trimEnd().endsWith('shutdown -h now')).toBe(true);
    const versionTags = [
      { Key: 'version', Value: '42' },
      { Key: 'commit', Value: '4f1c2e9' },
    ];
    expect(aws.ec2).toReceiveCommandWith(CreateImageCommand, {
      TagSpecifications: [
        { ResourceType: 'image', Tags: expect.arrayContaining([...COST_TAGS, ...versionTags]) },
        { ResourceType: 'snapshot', Tags: expect.arrayContaining([...COST_TAGS, ...versionTags]) },
      ],
    });
    const builder = aws.instances.find((i) => i.tags['vouch:role'] === 'builder');
    expect(builder?.state).toBe('terminated');
    expect(image.location).toMatch(/^ami-/);
    expect(image.id).toMatch(/^[0-9a-f]{64}$/);
    expect(image.sizeBytes).toBe(8 * 2 ** 30);
    expect(image.run).toEqual({ command: 'node server.mjs', healthPath: '/ready' });
  });

  it('is re-entrant: an image of the same content is returned without a builder', async () => {
    // Prepare
    const { aws, target } = setUp();
    const first = await target.bake(bakeRequest);
    aws.ec2.resetHistory();

    // Act
    const again = await target.bake(bakeRequest);

    // Assess
    expect(again.id).toBe(first.id);
    expect(again.location).toBe(first.location);
    expect(aws.ec2).not.toReceiveCommand(RunInstancesCommand);
    expect(aws.ec2).not.toReceiveCommand(CreateImageCommand);
  });

  it('times out with a typed error when the builder never powers off, and does not image it', async () => {
    // Prepare
    const { aws, target } = setUp({ builderState: 'running' });

    // Act
    const baking = target.bake(bakeRequest);

    // Assess
    await expect(baking).rejects.toBeInstanceOf(WaiterTimeoutError);
    await expect(baking).rejects.toMatchObject({
      name: 'WaiterTimeoutError',
      waiter: 'builder instance stopped',
      attempts: 3,
      lastState: 'running',
    });
    expect(aws.ec2).toReceiveCommandTimes(DescribeInstancesCommand, 1 + 3);
    expect(aws.ec2).not.toReceiveCommand(CreateImageCommand);
  });

  it('times out with a typed error when the image stays pending, and terminates the builder it imaged', async () => {
    // Prepare
    const { aws, target } = setUp({ imageState: 'pending' });

    // Act / Assess: the run's last attempt may be this one; nobody else knows the builder.
    await expect(target.bake(bakeRequest)).rejects.toMatchObject({
      name: 'WaiterTimeoutError',
      waiter: 'image available',
    });
    const builder = aws.instances.find((i) => i.tags['vouch:role'] === 'builder');
    expect(builder?.state).toBe('terminated');
  });

  it('fails with ImageBakeError when the image fails', async () => {
    // Prepare
    const { target } = setUp({ imageState: 'failed' });

    // Act / Assess
    await expect(target.bake(bakeRequest)).rejects.toBeInstanceOf(ImageBakeError);
  });

  it('refuses a source that is not an s3:// artifact before any AWS call', async () => {
    // Prepare
    const { aws, target } = setUp();

    // Act / Assess
    await expect(target.bake({ ...bakeRequest, source: 'examples/orders' })).rejects.toBeInstanceOf(
      InvalidBakeSourceError,
    );
    expect(aws.ec2).not.toReceiveAnyCommand();
  });
});

describe('provision', () => {
  it('creates a tagged target group pair and a host rule forwarding 100/0 for an ephemeral environment', async () => {
    // Prepare
    const { aws, target } = setUp();

    // Act
    const env = await target.provision('orders', 'test', { ephemeral: true, tags: TAGS, runKey: 'exec-1' });

    // Assess
    expect(env).toMatchObject({ id: 'orders.test.exec-1', ephemeral: true, name: 'test', tags: TAGS });
    expect(env.proxyUrl).toBe(`https://${ephemeralHost('orders.test.exec-1', 'test.example.com')}`);
    const environmentTags = [...COST_TAGS, { Key: 'environment', Value: 'test' }];
    expect(aws.elb).toReceiveCommandTimes(CreateTargetGroupCommand, 2);
    for (const slot of ['baseline', 'canary']) {
      expect(aws.elb).toReceiveCommandWith(CreateTargetGroupCommand, {
        VpcId: 'vpc-0abc',
        Port: 8080,
        Tags: expect.arrayContaining([...environmentTags, { Key: 'vouch:slot', Value: slot }]),
      });
    }
    const [baseline, canary] = aws.groups;
    expect(aws.elb).toReceiveCommandWith(CreateRuleCommand, {
      ListenerArn: CONFIG.listenerArn,
      Priority: 1000,
      Tags: expect.arrayContaining(environmentTags),
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: baseline?.arn, Weight: 100 },
              { TargetGroupArn: canary?.arn, Weight: 0 },
            ],
          },
        },
      ],
    });
  });

  it('moves to the next priority when another run took the free one', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.elb
      .on(CreateRuleCommand)
      .rejectsOnce(new PriorityInUseException({ message: 'Priority 1000 is in use', $metadata: {} }));

    // Act
    await target.provision('orders', 'test', { ephemeral: true, tags: TAGS, runKey: 'exec-2' });

    // Assess
    expect(aws.elb).toReceiveNthCommandWith(CreateRuleCommand, 1, { Priority: 1000 });
    expect(aws.elb).toReceiveNthCommandWith(CreateRuleCommand, 2, { Priority: 1001 });
  });

  it('a retried provision creates no second rule', async () => {
    // Prepare
    const { aws, target } = setUp();
    await target.provision('orders', 'test', { ephemeral: true, tags: TAGS, runKey: 'exec-3' });

    // Act
    const again = await target.provision('orders', 'test', { ephemeral: true, tags: TAGS, runKey: 'exec-3' });

    // Assess
    expect(again.id).toBe('orders.test.exec-3');
    expect(aws.elb).toReceiveCommandTimes(CreateRuleCommand, 1);
    expect(aws.groups).toHaveLength(2);
  });

  it('refuses a run key that is not safe in names and tags, before any call', async () => {
    // Prepare
    const { aws, target } = setUp();

    // Act / Assess
    await expect(
      target.provision('orders', 'test', { ephemeral: true, tags: TAGS, runKey: 'exec/../1' }),
    ).rejects.toBeInstanceOf(InvalidNameError);
    expect(aws.elb).not.toReceiveAnyCommand();
  });

  it('looks up a lasting environment by tags and creates nothing', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.lastingEnvironment('orders.qa');

    // Act
    const env = await target.provision('orders', 'qa', { ephemeral: false, tags: TAGS });

    // Assess
    expect(env).toMatchObject({
      id: 'orders.qa',
      ephemeral: false,
      proxyUrl: 'https://orders.qa.example.com',
      tags: TAGS,
    });
    expect(aws.elb).not.toReceiveCommand(CreateTargetGroupCommand);
    expect(aws.elb).not.toReceiveCommand(CreateRuleCommand);
  });

  it('refuses a lasting environment the stack did not make', async () => {
    // Prepare
    const { target } = setUp();

    // Act / Assess
    await expect(target.provision('orders', 'prod', { ephemeral: false, tags: TAGS })).rejects.toBeInstanceOf(
      EnvironmentNotFoundError,
    );
  });
});

describe('deploy', () => {
  it('launches the baked AMI with tagged instance and volume, registers it, waits healthy, then routes the canary', async () => {
    // Prepare
    const { aws, target } = setUp();
    const { baseline, canary } = aws.lastingEnvironment('orders.qa');
    aws.runningInstance('orders.qa', 'baseline', '41');
    const oldCanary = aws.runningInstance('orders.qa', 'canary', '40');
    const ami = aws.availableImage('img-42', { 'vouch:health-path': '/ready', commit: '4f1c2e9' });

    // Act
    const described = await target.deploy(
      { id: 'img-42' },
      { id: 'orders.qa' },
      { slot: 'canary', weight: 5, version: 42 },
    );

    // Assess
    const deployTags = [...COST_TAGS, { Key: 'environment', Value: 'qa' }];
    expect(aws.ec2).toReceiveCommandWith(RunInstancesCommand, {
      ImageId: ami.id,
      LaunchTemplate: { LaunchTemplateId: 'lt-0service', Version: '$Default' },
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: expect.arrayContaining([
            ...deployTags,
            { Key: 'version', Value: '42' },
            { Key: 'commit', Value: '4f1c2e9' },
            { Key: 'vouch:slot', Value: 'canary' },
          ]),
        },
        { ResourceType: 'volume', Tags: expect.arrayContaining(deployTags) },
      ],
    });
    expect(aws.ec2.commandCalls(RunInstancesCommand)[0]?.args[0].input.UserData).toBeUndefined();
    const launched = aws.instances.at(-1);
    expect(aws.elb).toReceiveCommandWith(RegisterTargetsCommand, {
      TargetGroupArn: canary.arn,
      Targets: [{ Id: launched?.id }],
    });
    expect(canary.healthCheckPath).toBe('/ready');
    expect(aws.weightsOf('orders.qa.example.com')).toEqual({ [baseline.arn]: 95, [canary.arn]: 5 });
    // The replaced canary leaves only after the new one is routed.
    expect(aws.log.indexOf('ModifyRule')).toBeLessThan(aws.log.indexOf(`TerminateInstances:${oldCanary.id}`));
    expect(oldCanary.state).toBe('terminated');
    expect(described).toMatchObject({ weight: 5, canary: { version: '42' }, baseline: { version: '41' } });
  });

  it('reports ServiceStartError (caused by a waiter timeout) when the targets never turn healthy, and routes nothing', async () => {
    // Prepare
    const { aws, target } = setUp({ health: 'unhealthy' });
    aws.lastingEnvironment('orders.qa');
    aws.runningInstance('orders.qa', 'baseline', '41');
    aws.availableImage('img-42');

    // Act
    const deploying = target.deploy(
      { id: 'img-42' },
      { id: 'orders.qa' },
      { slot: 'canary', weight: 5, version: 42 },
    );

    // Assess
    await expect(deploying).rejects.toBeInstanceOf(ServiceStartError);
    await expect(deploying).rejects.toMatchObject({ cause: expect.any(WaiterTimeoutError) });
    expect(aws.elb).not.toReceiveCommand(ModifyRuleCommand);
  });

  it('times out waiting for instances that never run', async () => {
    // Prepare
    const { aws, target } = setUp({ launchState: 'pending' });
    aws.lastingEnvironment('orders.qa');
    aws.availableImage('img-42');

    // Act / Assess
    await expect(
      target.deploy({ id: 'img-42' }, { id: 'orders.qa' }, { slot: 'baseline', version: 42 }),
    ).rejects.toMatchObject({
      name: 'WaiterTimeoutError',
      waiter: 'instances running',
      lastState: 'pending',
    });
    expect(aws.elb).not.toReceiveCommand(RegisterTargetsCommand);
  });

  it('refuses an image that was not baked', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.lastingEnvironment('orders.qa');

    // Act / Assess
    await expect(
      target.deploy({ id: 'img-missing' }, { id: 'orders.qa' }, { slot: 'canary', version: 1 }),
    ).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(aws.ec2).not.toReceiveCommand(RunInstancesCommand);
  });

  it('refuses a canary without a baseline to judge it against', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.lastingEnvironment('orders.qa');
    aws.availableImage('img-42');

    // Act / Assess
    await expect(
      target.deploy({ id: 'img-42' }, { id: 'orders.qa' }, { slot: 'canary', weight: 5, version: 42 }),
    ).rejects.toBeInstanceOf(NoBaselineError);
    expect(aws.ec2).not.toReceiveCommand(RunInstancesCommand);
  });

  it('a retried deploy of the same release reuses its instances', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.lastingEnvironment('orders.qa');
    aws.runningInstance('orders.qa', 'baseline', '41');
    aws.availableImage('img-42');
    await target.deploy({ id: 'img-42' }, { id: 'orders.qa' }, { slot: 'canary', weight: 5, version: 42 });

    // Act
    await target.deploy({ id: 'img-42' }, { id: 'orders.qa' }, { slot: 'canary', weight: 5, version: 42 });

    // Assess
    expect(aws.ec2).toReceiveCommandTimes(RunInstancesCommand, 1);
    expect(aws.ec2).not.toReceiveCommand(TerminateInstancesCommand);
  });
});

describe('shiftWeight', () => {
  it.each([
    [5, 95],
    [25, 75],
    [100, 0],
  ])(
    'sends %i%% to the canary and %i%% to the baseline with ALB weighted target groups',
    async (canaryWeight, baselineWeight) => {
      // Prepare
      const { aws, target } = setUp();
      const { baseline, canary } = aws.lastingEnvironment('orders.qa');
      aws.runningInstance('orders.qa', 'canary', '42');

      // Act
      const described = await target.shiftWeight({ id: 'orders.qa' }, canaryWeight);

      // Assess
      expect(aws.elb).toReceiveCommandWith(ModifyRuleCommand, {
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: baseline.arn, Weight: baselineWeight },
                { TargetGroupArn: canary.arn, Weight: canaryWeight },
              ],
            },
          },
        ],
      });
      expect(described.weight).toBe(canaryWeight);
    },
  );

  it.each([101, -1, 2.5, Number.NaN])('refuses weight %s before any call', async (weight) => {
    // Prepare
    const { aws, target } = setUp();

    // Act / Assess
    await expect(target.shiftWeight({ id: 'orders.qa' }, weight)).rejects.toBeInstanceOf(InvalidWeightError);
    expect(aws.elb).not.toReceiveAnyCommand();
  });

  it('refuses to send traffic to a canary that is not deployed', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.lastingEnvironment('orders.qa');

    // Act / Assess
    await expect(target.shiftWeight({ id: 'orders.qa' }, 10)).rejects.toBeInstanceOf(NoCanaryError);
    expect(aws.elb).not.toReceiveCommand(ModifyRuleCommand);
  });

  it('changes the listener default action when that is where the environment is routed', async () => {
    // Prepare
    const { aws, target } = setUp();
    const { baseline, canary } = aws.lastingEnvironment('orders.prod');
    // Move the forward from the host rule to the listener default action.
    const hostRule = aws.rules.pop();
    const defaultRule = aws.rules.find((r) => r.isDefault);
    if (defaultRule && hostRule) defaultRule.actions = hostRule.actions;
    aws.runningInstance('orders.prod', 'canary', '42');

    // Act
    const described = await target.shiftWeight({ id: 'orders.prod' }, 10);

    // Assess
    expect(aws.elb).toReceiveCommandWith(ModifyListenerCommand, {
      ListenerArn: CONFIG.listenerArn,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: baseline.arn, Weight: 90 },
              { TargetGroupArn: canary.arn, Weight: 10 },
            ],
          },
        },
      ],
    });
    expect(aws.elb).not.toReceiveCommand(ModifyRuleCommand);
    expect(described.proxyUrl).toBe(`https://${CONFIG.loadBalancerDnsName}`);
  });
});

describe('rollback', () => {
  it('sets the canary weight to 0 before it deregisters and terminates the canary', async () => {
    // Prepare
    const { aws, target } = setUp();
    const { baseline, canary } = aws.lastingEnvironment('orders.qa', 25);
    const baselineInstance = aws.runningInstance('orders.qa', 'baseline', '41');
    const canaryInstance = aws.runningInstance('orders.qa', 'canary', '42');

    // Act
    const described = await target.rollback({ id: 'orders.qa' });

    // Assess
    const weightZero = aws.log.indexOf('ModifyRule');
    expect(weightZero).toBeGreaterThanOrEqual(0);
    expect(weightZero).toBeLessThan(aws.log.indexOf(`DeregisterTargets:${canaryInstance.id}`));
    expect(weightZero).toBeLessThan(aws.log.indexOf(`TerminateInstances:${canaryInstance.id}`));
    expect(aws.weightsOf('orders.qa.example.com')).toEqual({ [baseline.arn]: 100, [canary.arn]: 0 });
    expect(canaryInstance.state).toBe('terminated');
    expect(baselineInstance.state).toBe('running');
    expect(described.canary).toBeUndefined();
    expect(described.weight).toBe(0);
  });

  it('is a no-op without a canary', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.lastingEnvironment('orders.qa');

    // Act
    await target.rollback({ id: 'orders.qa' });

    // Assess
    expect(aws.elb).not.toReceiveCommand(ModifyRuleCommand);
    expect(aws.ec2).not.toReceiveCommand(TerminateInstancesCommand);
  });
});

describe('promote', () => {
  it('sends all traffic to the canary, retires the old baseline, then swaps the roles', async () => {
    // Prepare
    const { aws, target } = setUp();
    const { baseline, canary } = aws.lastingEnvironment('orders.qa', 100);
    const oldBaseline = aws.runningInstance('orders.qa', 'baseline', '41');
    const promoted = aws.runningInstance('orders.qa', 'canary', '42');

    // Act
    const described = await target.promote({ id: 'orders.qa' });

    // Assess
    expect(aws.log.indexOf('ModifyRule')).toBeLessThan(
      aws.log.indexOf(`TerminateInstances:${oldBaseline.id}`),
    );
    expect(oldBaseline.state).toBe('terminated');
    expect(promoted.tags['vouch:slot']).toBe('baseline');
    expect(canary.tags['vouch:slot']).toBe('baseline');
    expect(baseline.tags['vouch:slot']).toBe('canary');
    expect(aws.weightsOf('orders.qa.example.com')).toEqual({ [baseline.arn]: 0, [canary.arn]: 100 });
    expect(described).toMatchObject({ weight: 0, baseline: { version: '42' } });
    expect(described.canary).toBeUndefined();
  });

  it('refuses without a canary', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.lastingEnvironment('orders.qa');

    // Act / Assess
    await expect(target.promote({ id: 'orders.qa' })).rejects.toBeInstanceOf(NoCanaryError);
  });
});

describe('destroy', () => {
  it('terminates the instances, then deletes the rule before the target groups', async () => {
    // Prepare
    const { aws, target } = setUp();
    const env = await target.provision('orders', 'test', { ephemeral: true, tags: TAGS, runKey: 'exec-9' });
    aws.availableImage('img-42');
    await target.deploy({ id: 'img-42' }, env, { slot: 'baseline', version: 42 });

    // Act
    await target.destroy(env);

    // Assess
    expect(aws.instances.every((i) => i.state === 'terminated')).toBe(true);
    expect(aws.log.indexOf('DeleteRule')).toBeLessThan(aws.log.indexOf('DeleteTargetGroup'));
    expect(aws.elb).toReceiveCommandTimes(DeleteTargetGroupCommand, 2);
    expect(aws.groups).toHaveLength(0);
    expect(aws.rules.filter((r) => !r.isDefault)).toHaveLength(0);
    expect(
      target
        .resources()
        .filter((r) => r.kind === 'process')
        .every((r) => r.endedAt !== undefined),
    ).toBe(true);
  });

  it('is a no-op for an environment that is already gone', async () => {
    // Prepare
    const { target } = setUp();

    // Act / Assess
    await expect(target.destroy({ id: 'orders.test.exec-gone' })).resolves.toBeUndefined();
  });

  it('refuses to destroy a lasting environment', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.lastingEnvironment('orders.prod');

    // Act / Assess
    await expect(target.destroy({ id: 'orders.prod' })).rejects.toBeInstanceOf(EnvironmentProtectedError);
    expect(aws.elb).not.toReceiveCommand(DeleteTargetGroupCommand);
  });

  it('reports missing routing when the rule was removed by hand', async () => {
    // Prepare
    const { aws, target } = setUp();
    aws.lastingEnvironment('orders.qa');
    aws.rules.pop();

    // Act / Assess
    await expect(target.shiftWeight({ id: 'orders.qa' }, 0)).rejects.toBeInstanceOf(RoutingNotFoundError);
  });
});

describe('cost tags', () => {
  it('every create call of a whole test run carries service, team and solution', async () => {
    // Prepare
    const { aws, target } = setUp();

    // Act: the ec2-canary test stage, end to end.
    const image = await target.bake(bakeRequest);
    const env = await target.provision('orders', 'test', {
      ephemeral: true,
      tags: TAGS,
      runKey: 'exec-cost',
    });
    await target.deploy(image, env, { slot: 'baseline', version: 42 });
    await target.deploy(image, env, { slot: 'canary', weight: 10, version: 43 });

    // Assess
    const creates = [
      ...aws.ec2.commandCalls(RunInstancesCommand).flatMap((c) => c.args[0].input.TagSpecifications ?? []),
      ...aws.ec2.commandCalls(CreateImageCommand).flatMap((c) => c.args[0].input.TagSpecifications ?? []),
      ...aws.elb
        .commandCalls(CreateTargetGroupCommand)
        .map((c) => ({ ResourceType: 'target-group', Tags: c.args[0].input.Tags })),
      ...aws.elb
        .commandCalls(CreateRuleCommand)
        .map((c) => ({ ResourceType: 'listener-rule', Tags: c.args[0].input.Tags })),
    ];
    expect(new Set(creates.map((c) => c.ResourceType))).toEqual(
      new Set(['instance', 'volume', 'image', 'snapshot', 'target-group', 'listener-rule']),
    );
    for (const created of creates) {
      expect(created.Tags, created.ResourceType).toEqual(expect.arrayContaining(COST_TAGS));
    }
    expect(target.resources().every((r) => r.tags.team === 'checkout')).toBe(true);
  });
});
