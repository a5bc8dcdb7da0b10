import { App } from 'aws-cdk-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { Ec2DeployTarget } from '../../lambdas/adapters/aws/target/Ec2DeployTarget.ts';
import { compileFlavour, FLAVOURS } from '../../lambdas/core/spec/index.ts';
import { buildVouchApp } from '../../lib/app/index.ts';
import { MissingPrerequisiteError } from '../../lib/config/index.ts';
import { CONFIG, fakeAws, noSleep } from '../unit/aws-target/fakeAws.ts';
import { propsOf, resourcesOf, synthVouch } from './support/vouchApp.ts';

/** Defect 7 and "what must exist before cdk deploy": qa and prod are created by the service stack. */

const vouch = synthVouch();
const orders = () => vouch.services.get('orders') ?? expect.unreachable('no orders stack');
type CfnTag = { Key: string; Value: string };
const tagsOf = (props: Record<string, unknown>) =>
  Object.fromEntries(((props.Tags as CfnTag[] | undefined) ?? []).map((t) => [t.Key, t.Value]));

let aws: ReturnType<typeof fakeAws> | undefined;
afterEach(() => {
  aws?.ec2.restore();
  aws?.elb.restore();
  aws = undefined;
});

describe("defect 7: each lasting environment's target-group pair and listener rule come from the service stack", () => {
  it('creates a tagged baseline and canary group and a weighted host rule per lasting environment', () => {
    // Prepare
    const target = vouch.config.platform.ec2Target;
    const groups = Object.entries(resourcesOf(orders(), 'AWS::ElasticLoadBalancingV2::TargetGroup'));
    const rules = Object.values(resourcesOf(orders(), 'AWS::ElasticLoadBalancingV2::ListenerRule')).map(
      propsOf,
    );
    const lasting = (vouch.config.services.find((s) => s.name === 'orders')?.environments ?? []).filter(
      (e) => !e.ephemeral,
    );
    // Assess
    expect(groups).toHaveLength(lasting.length * 2);
    expect(rules).toHaveLength(lasting.length);
    for (const env of lasting) {
      const mine = groups.filter(
        ([, g]) => tagsOf(propsOf(g))['vouch:environment-id'] === `orders.${env.name}`,
      );
      expect(mine.map(([, g]) => tagsOf(propsOf(g))['vouch:slot']).sort()).toEqual(['baseline', 'canary']);
      for (const [, g] of mine) {
        expect(tagsOf(propsOf(g))).toMatchObject({
          service: 'orders',
          team: 'checkout',
          solution: 'webshop',
        });
        expect(propsOf(g)).toMatchObject({
          VpcId: target?.vpcId,
          Port: target?.servicePort,
          TargetType: 'instance',
        });
      }
      const rule = rules.find((r) => JSON.stringify(r.Conditions).includes(new URL(env.baseUrl).hostname));
      expect(rule, env.name).toMatchObject({ ListenerArn: target?.listenerArn });
      const forward = (
        (rule?.Actions ?? []) as {
          ForwardConfig: { TargetGroups: { TargetGroupArn: { Ref: string }; Weight: number }[] };
        }[]
      )[0];
      const byId = Object.fromEntries(mine.map(([id, g]) => [id, tagsOf(propsOf(g))['vouch:slot']]));
      expect(forward?.ForwardConfig.TargetGroups.map((t) => [byId[t.TargetGroupArn.Ref], t.Weight])).toEqual([
        ['baseline', 100],
        ['canary', 0],
      ]);
      expect(tagsOf(rule ?? {})).toMatchObject({
        'vouch:environment-id': `orders.${env.name}`,
        service: 'orders',
      });
    }
    const priorities = rules.map((r) => r.Priority as number);
    expect(new Set(priorities).size).toBe(priorities.length);
    for (const p of priorities) expect(p).toBeLessThan(target?.rulePriorityFloor ?? 0);
  });

  it('the deploy target finds the environment the template creates (no EnvironmentNotFound, no RoutingNotFound)', async () => {
    // Prepare: the template's qa groups and rule, in the stateful ELB fake.
    aws = fakeAws();
    const arnOf = (id: string) => `arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/${id}/1`;
    for (const [id, g] of Object.entries(resourcesOf(orders(), 'AWS::ElasticLoadBalancingV2::TargetGroup'))) {
      aws.groups.push({
        arn: arnOf(id),
        name: id,
        healthCheckPath: '/health',
        tags: tagsOf(propsOf(g)),
        targets: [],
      } as never);
    }
    for (const r of Object.values(resourcesOf(orders(), 'AWS::ElasticLoadBalancingV2::ListenerRule')).map(
      propsOf,
    )) {
      const conditions = r.Conditions as { Field: string; HostHeaderConfig: { Values: string[] } }[];
      const forward = (
        r.Actions as {
          ForwardConfig: { TargetGroups: { TargetGroupArn: { Ref: string }; Weight: number }[] };
        }[]
      )[0];
      aws.rules.push({
        arn: `rule-${String(r.Priority)}`,
        priority: String(r.Priority),
        isDefault: false,
        conditions: conditions.map((c) => ({ Field: c.Field, HostHeaderConfig: c.HostHeaderConfig })),
        actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: forward?.ForwardConfig.TargetGroups.map((t) => ({
                TargetGroupArn: arnOf(t.TargetGroupArn.Ref),
                Weight: t.Weight,
              })),
            },
          },
        ],
        tags: tagsOf(r),
      } as never);
    }
    const target = new Ec2DeployTarget({
      ec2: aws.ec2 as never,
      elb: aws.elb as never,
      config: CONFIG,
      sleep: noSleep,
    });
    // Act
    const qa = await target.provision('orders', 'qa', {
      ephemeral: false,
      tags: { service: 'orders', team: 'checkout', solution: 'webshop' },
    });
    const described = await target.describe(qa);
    // Assess
    expect(qa).toMatchObject({ id: 'orders.qa', proxyUrl: 'https://orders-qa.example.com' });
    expect(described.weight).toBe(0);
  });
});

describe('what must exist before cdk deploy: synth refuses a deploying service without the EC2 target', () => {
  it('names the missing platform.ec2Target and the fields to give', () => {
    const config = { ...vouch.config, platform: { ...vouch.config.platform, ec2Target: undefined } };
    const flavours = new Map<string, object>(FLAVOURS.map((name) => [name, compileFlavour(name)]));
    const build = () => buildVouchApp(new App(), { config, flavours, bundle: false });
    expect(build).toThrow(MissingPrerequisiteError);
    expect(build).toThrow(
      /service orders uses flavour ec2-canary.*platform\.ec2Target is not set: give vpcId/,
    );
  });
});
