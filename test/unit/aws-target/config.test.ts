import { describe, expect, it } from 'vitest';
import { AwsTargetConfigError } from '../../../lambdas/adapters/aws/target/errors.ts';
import {
  Ec2DeployTarget,
  ec2DeployTargetFromEnv,
  parseEc2TargetConfig,
  readEc2TargetConfig,
} from '../../../lambdas/adapters/aws/target/index.ts';
import { builderUserData } from '../../../lambdas/adapters/aws/target/userData.ts';
import { InvalidRunSpecError } from '../../../lambdas/core/target/errors.ts';
import { CONFIG } from './fakeAws.ts';

const REQUIRED_ENV = {
  VOUCH_VPC_ID: 'vpc-0abc',
  VOUCH_ALB_ARN: String(CONFIG.loadBalancerArn),
  VOUCH_ALB_LISTENER_ARN: String(CONFIG.listenerArn),
  VOUCH_TEST_DOMAIN: 'test.example.com',
  VOUCH_ALB_DNS_NAME: 'shared-123.eu-west-1.elb.amazonaws.com',
  VOUCH_LAUNCH_TEMPLATE_ID: 'lt-0service',
  VOUCH_BASE_AMI: 'ami-0base',
};

describe('EC2 target config', () => {
  it('applies each documented default', () => {
    // Act
    const config = readEc2TargetConfig(REQUIRED_ENV);

    // Assess
    expect(config).toMatchObject({
      urlScheme: 'https',
      servicePort: 8080,
      launchTemplateVersion: '$Default',
      instanceCount: 1,
      rulePriorityFloor: 1000,
      waits: {
        builderStopped: { delayMs: 10_000, maxAttempts: 42 },
        imageAvailable: { delayMs: 15_000, maxAttempts: 24 },
        instancesRunning: { delayMs: 5_000, maxAttempts: 24 },
        targetsHealthy: { delayMs: 10_000, maxAttempts: 36 },
      },
    });
    expect(config.builderLaunchTemplateId).toBeUndefined();
  });

  it('reads numbers from the environment', () => {
    // Act
    const config = readEc2TargetConfig({
      ...REQUIRED_ENV,
      VOUCH_SERVICE_PORT: '3000',
      VOUCH_INSTANCE_COUNT: '2',
    });

    // Assess
    expect(config.servicePort).toBe(3000);
    expect(config.instanceCount).toBe(2);
  });

  it('names every missing variable at cold start', () => {
    // Prepare
    const { VOUCH_BASE_AMI: _ami, VOUCH_VPC_ID: _vpc, ...partial } = REQUIRED_ENV;

    // Act / Assess
    expect(() => readEc2TargetConfig(partial)).toThrow(/VOUCH_VPC_ID, VOUCH_BASE_AMI is required/);
  });

  it('refuses a wrong value with the field that holds it', () => {
    // Act / Assess
    expect(() => parseEc2TargetConfig({ ...CONFIG, launchTemplateId: 'template-1' })).toThrow(
      AwsTargetConfigError,
    );
    expect(() => parseEc2TargetConfig({ ...CONFIG, launchTemplateId: 'template-1' })).toThrow(
      /launchTemplateId/,
    );
  });
});

describe('ec2DeployTargetFromEnv', () => {
  it('builds the target from the Lambda environment, and refuses an incomplete one', () => {
    // Act / Assess
    expect(ec2DeployTargetFromEnv({ ...REQUIRED_ENV, AWS_REGION: 'eu-west-1' })).toBeInstanceOf(
      Ec2DeployTarget,
    );
    expect(() => ec2DeployTargetFromEnv({ AWS_REGION: 'eu-west-1' })).toThrow(AwsTargetConfigError);
  });
});

describe('builder user data', () => {
  it('fetches artifacts in order and keeps the run command out of shell quoting', () => {
    // Act
    const script = builderUserData({
      service: 'orders',
      artifacts: ['s3://a/orders.tar.gz', "s3://a/it's-faulty.tar.gz"],
      run: { command: `node server.mjs --name "o'rders"` },
      port: 8080,
    });

    // Assess
    const base = script.indexOf("aws s3 cp 's3://a/orders.tar.gz'");
    const overlay = script.indexOf(`aws s3 cp 's3://a/it'\\''s-faulty.tar.gz'`);
    expect(base).toBeGreaterThan(0);
    expect(overlay).toBeGreaterThan(base);
    expect(script).toContain(`<<'START'\nnode server.mjs --name "o'rders"\nSTART\n`);
    expect(script).toContain('Environment=PORT=8080');
  });

  it('refuses a multi-line command', () => {
    // Act / Assess
    expect(() =>
      builderUserData({
        service: 'orders',
        artifacts: [],
        run: { command: 'node a\nSTART\nrm -rf /' },
        port: 8080,
      }),
    ).toThrow(InvalidRunSpecError);
  });
});
