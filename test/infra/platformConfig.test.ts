import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLAVOURS } from '../../lambdas/core/spec/index.ts';
import { loadPlatformConfig, PlatformConfigError, parsePlatformConfig } from '../../lib/config/index.ts';
import { EXAMPLE_CONFIG } from './support/vouchApp.ts';

const MINIMAL = `teams:
  - name: shop
    slackChannel: '#shop'
services:
  - name: orders
    repo: org/orders
    flavour: ci
    team: shop
    solution: webshop
    environments:
      - name: prod
        baseUrl: https://orders.example.com
`;

function problemOf(text: string): string {
  try {
    parsePlatformConfig(text, 'platform.yml', FLAVOURS);
  } catch (error) {
    expect(error).toBeInstanceOf(PlatformConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('platform config', () => {
  it('loads the shipped example, the default of cdk synth', () => {
    // Act
    const config = loadPlatformConfig(EXAMPLE_CONFIG, FLAVOURS);
    // Assess
    expect(config.teams.map((t) => t.name)).toEqual(['checkout']);
    expect(config.services.map((s) => s.name)).toEqual(['orders', 'catalog', 'orders-fn']);
    expect(config.services[0]?.environments.find((e) => e.name === 'test')?.ephemeral).toBe(true);
    expect(config.services[0]?.alarms.errorRate.thresholdPercent).toBe(2);
    expect(readFileSync('cdk.json', 'utf8')).toContain('"vouch:platformConfig": "examples/platform.yml"');
  });

  it('applies every documented default', () => {
    // Act
    const config = parsePlatformConfig(MINIMAL, 'platform.yml', FLAVOURS);
    // Assess
    expect(config.platform).toEqual({
      team: 'platform',
      solution: 'vouch',
      secrets: {
        webhookSecret: 'vouch/webhook-secret',
        slackToken: 'vouch/slack-token',
        gitToken: 'vouch/git-token',
      },
      webhookRateLimit: 10,
      sweeper: { keepImages: 3, everyMinutes: 60, graceMinutes: 15 },
    });
    const service = config.services[0];
    expect(service?.scenarios).toEqual([]);
    expect(service?.environments[0]?.ephemeral).toBe(false);
    // The `.vouch.yml` alarm defaults: every signal on, saturation off.
    expect(service?.alarms.errorRate).toMatchObject({ enabled: true, thresholdPercent: 5 });
    expect(service?.alarms.latency).toMatchObject({ percentile: 'p99', thresholdMs: 1000 });
    expect(service?.alarms.traffic).toMatchObject({ minRequests: 1, treatMissingData: 'breaching' });
    expect(service?.alarms.saturation).toBeUndefined();
  });

  it('names file, line and path of an unknown team and an unknown flavour', () => {
    // Prepare
    const text = MINIMAL.replace('team: shop', 'team: payments').replace('flavour: ci', 'flavour: nightly');
    // Act
    const message = problemOf(text);
    // Assess
    expect(message).toContain(
      'platform.yml:8:11: services[0].team: unknown team "payments"; teams are: shop',
    );
    expect(message).toContain('platform.yml:7:14: services[0].flavour: unknown flavour "nightly"');
  });

  it('refuses duplicate names, bad URLs and unknown keys, each at its line', () => {
    // Prepare
    const text = `${MINIMAL}      - name: prod
        baseUrl: not-a-url
    colour: blue
`;
    // Act
    const message = problemOf(text);
    // Assess
    expect(message).toMatch(
      /platform\.yml:13:\d+: services\[0\]\.environments\[1\]\.name: duplicate environment name "prod"/,
    );
    expect(message).toMatch(/platform\.yml:14:\d+: services\[0\]\.environments\[1\]\.baseUrl: /);
    expect(message).toMatch(/platform\.yml:15:\d+: services\[0\]\.colour: unknown key "colour"/);
  });

  it('requires lambdaTarget for a lambda-canary service and refuses it for another flavour', () => {
    // Act
    const missing = problemOf(MINIMAL.replace('flavour: ci', 'flavour: lambda-canary'));
    const misplaced = problemOf(`${MINIMAL}    lambdaTarget: { functionName: orders-fn }\n`);
    const badName = problemOf(
      `${MINIMAL.replace('flavour: ci', 'flavour: lambda-canary')}    lambdaTarget: { functionName: "orders fn" }\n`,
    );
    // Assess
    expect(missing).toMatch(
      /services\[0\]\.lambdaTarget: required: a lambda-canary service names its function/,
    );
    expect(misplaced).toMatch(
      /services\[0\]\.lambdaTarget: lambdaTarget is for the lambda-canary flavour; orders is ci/,
    );
    expect(badName).toMatch(
      /services\[0\]\.lambdaTarget\.functionName: a function name or unqualified function ARN/,
    );
  });

  it('refuses a file that is not there, naming it', () => {
    // Act / Assess
    expect(() => loadPlatformConfig('/nonexistent/platform.yml', FLAVOURS)).toThrow(
      /platform config \/nonexistent\/platform.yml is invalid:\ncannot read the file/,
    );
  });

  it('takes the sweeper settings and refuses a keepImages that leaves nothing to roll back to', () => {
    // Act
    const config = parsePlatformConfig(
      `platform:\n  sweeper:\n    keepImages: 5\n${MINIMAL}`,
      'platform.yml',
      FLAVOURS,
    );
    const message = problemOf(`platform:\n  sweeper:\n    keepImages: 0\n${MINIMAL}`);
    // Assess
    expect(config.platform.sweeper).toEqual({ keepImages: 5, everyMinutes: 60, graceMinutes: 15 });
    expect(message).toMatch(/platform\.yml:3:\d+: platform\.sweeper\.keepImages: keep at least 1 image/);
  });

  it('refuses names that cannot be part of AWS resource names', () => {
    // Act
    const message = problemOf(MINIMAL.replace('name: orders', 'name: Orders_Service'));
    // Assess
    expect(message).toContain('services[0].name: lowercase letters, digits and dashes');
  });
});

describe('bot scenarios in the platform config (defect 2: the schedules carry the whole scenario)', () => {
  it('refuses a bare scenario name, saying what to write instead', () => {
    const problem = problemOf(`${MINIMAL}    scenarios: [place-order]\n`);
    expect(problem).toMatch(
      /scenario "place-order": give the whole scenario as in \.vouch\.yml bots\.scenarios/,
    );
  });

  it('takes the scenario as .vouch.yml has it, with its defaults', () => {
    const config = parsePlatformConfig(
      `${MINIMAL}    scenarios:\n      - name: browse\n        steps: [{ path: /orders/1 }]\n`,
      'platform.yml',
      FLAVOURS,
    );
    expect(config.services[0]?.scenarios[0]).toMatchObject({ name: 'browse', rate: { default: 1 } });
  });
});
