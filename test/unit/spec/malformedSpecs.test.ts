import { describe, expect, it } from 'vitest';
import { parseServiceSpec, SpecError } from '../../../lambdas/core/spec/index.ts';

/**
 * Each malformed .vouch.yml gets a clear error at the right line and column, with what was expected,
 * and never a stack trace. `at` is [line, col] of the first problem.
 */
const VALID = `pipe: ec2-canary
service: orders
team: checkout
solution: webshop
`;

interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly at: [number, number];
  readonly says: RegExp;
}

const cases: Case[] = [
  { name: 'empty file', yaml: '', at: [1, 1], says: /empty.*pipe, service, team and solution/ },
  { name: 'a list instead of a mapping', yaml: '- pipe: ci\n', at: [1, 1], says: /expected a mapping/ },
  { name: 'bad indentation', yaml: 'pipe: ci\n  service: x\n', at: [1, 7], says: /invalid YAML/ },
  { name: 'duplicate key', yaml: `${VALID}team: other\n`, at: [5, 1], says: /invalid YAML.*unique/ },
  { name: 'tab indentation', yaml: 'pipe: ci\nrun:\n\tcommand: x\n', at: [3, 1], says: /invalid YAML/ },
  {
    name: 'unknown flavour',
    yaml: VALID.replace('ec2-canary', 'k8s-canary'),
    at: [1, 7],
    says: /expected one of the shipped flavours: ci, ec2-canary/,
  },
  {
    name: 'missing service',
    yaml: 'pipe: ci\nteam: checkout\nsolution: webshop\n',
    at: [1, 1],
    says: /service: required, expected string/,
  },
  {
    name: 'service with capitals',
    yaml: VALID.replace('service: orders', 'service: Orders'),
    at: [2, 10],
    says: /service: expected a service name.*\(got "Orders"\)/,
  },
  {
    name: 'team as a number',
    yaml: VALID.replace('team: checkout', 'team: 42'),
    at: [3, 7],
    says: /team: expected a team name/,
  },
  {
    name: 'misspelt top-level key',
    yaml: `${VALID}enviroments: []\n`,
    at: [5, 1],
    says: /enviroments: unknown key "enviroments"/,
  },
  {
    name: 'mock not a boolean',
    yaml: `${VALID}mock: yes please\n`,
    at: [5, 7],
    says: /mock: expected boolean/,
  },
  {
    name: 'no environments',
    yaml: `${VALID}environments: []\n`,
    at: [5, 15],
    says: /environments: expected at least one environment/,
  },
  {
    name: 'duplicate environment names',
    yaml: `${VALID}environments:\n  - name: test\n    ephemeral: true\n  - name: qa\n  - name: qa\n`,
    at: [6, 3],
    says: /environment names must be unique/,
  },
  {
    name: 'environment base URL not a URL',
    yaml: `${VALID}environments:\n  - name: test\n    ephemeral: true\n  - name: qa\n    baseUrl: not a url\n`,
    at: [9, 14],
    says: /environments\[1\]\.baseUrl: expected an http\(s\) URL/,
  },
  {
    name: 'ec2-canary without a test environment',
    yaml: `${VALID}environments:\n  - name: qa\n`,
    at: [6, 3],
    says: /ephemeral environment named "test"/,
  },
  {
    name: 'only ephemeral environments',
    yaml: `${VALID}environments:\n  - name: test\n    ephemeral: true\n`,
    at: [6, 3],
    says: /at least one environment that is not ephemeral/,
  },
  {
    name: 'run without a command',
    yaml: `${VALID}run:\n  healthPath: /health\n`,
    at: [6, 3],
    says: /run\.command: required/,
  },
  {
    name: 'a Lambda service without its handler',
    yaml: `${VALID.replace('ec2-canary', 'lambda-canary')}run:\n  command: node server.mjs\n`,
    at: [6, 3],
    says: /run\.handler: required: a lambda-canary service names its handler/,
  },
  {
    name: 'a handler for an EC2 service',
    yaml: `${VALID}run:\n  command: node server.mjs\n  handler: lambda.handler\n`,
    at: [6, 3],
    says: /not both/,
  },
  {
    name: 'a handler that names no export',
    yaml: `${VALID.replace('ec2-canary', 'lambda-canary')}run:\n  handler: lambda\n`,
    at: [6, 12],
    says: /run\.handler: expected <file>\.<export>/,
  },
  {
    name: 'health path without a slash',
    yaml: `${VALID}run:\n  command: node server.mjs\n  healthPath: health\n`,
    at: [7, 15],
    says: /run\.healthPath: expected a path starting with \//,
  },
  {
    name: 'canary steps not increasing',
    yaml: `${VALID}canary:\n  steps: [1, 10, 5, 100]\n`,
    at: [6, 18],
    says: /canary\.steps\[2\]: steps must be strictly increasing/,
  },
  {
    name: 'canary not ending at 100',
    yaml: `${VALID}canary:\n  steps: [1, 50]\n`,
    at: [6, 10],
    says: /canary\.steps: the last step must be 100/,
  },
  {
    name: 'canary onInconclusive unknown',
    yaml: `${VALID}canary:\n  onInconclusive: shrug\n`,
    at: [6, 19],
    says: /canary\.onInconclusive: expected one of "extend"\|"fail"\|"pause"/,
  },
  {
    name: 'alarm period not allowed by CloudWatch',
    yaml: `${VALID}alarms:\n  errorRate:\n    periodSeconds: 45\n`,
    at: [7, 20],
    says: /period must be 10, 20, 30 or a multiple of 60/,
  },
  {
    name: 'datapoints to alarm above evaluation periods',
    yaml: `${VALID}alarms:\n  latency:\n    evaluationPeriods: 2\n    datapointsToAlarm: 3\n`,
    at: [8, 24],
    says: /datapointsToAlarm must be <= evaluationPeriods/,
  },
  {
    name: 'treat missing data unknown',
    yaml: `${VALID}alarms:\n  latency:\n    treatMissingData: green\n`,
    at: [7, 23],
    says: /treatMissingData: expected one of "missing"\|"breaching"\|"notBreaching"\|"ignore"/,
  },
  {
    name: 'bot step path without slash',
    yaml: `${VALID}bots:\n  scenarios:\n    - name: browse\n      steps:\n        - path: orders\n`,
    at: [9, 17],
    says: /bots\.scenarios\[0\]\.steps\[0\]\.path/,
  },
  {
    name: 'bot template never saved',
    yaml: `${VALID}bots:\n  scenarios:\n    - name: read\n      steps:\n        - path: /orders/{{orderId}}\n`,
    at: [9, 11],
    says: /\{\{orderId\}\} is not saved by an earlier step/,
  },
  {
    name: 'verification window too short',
    yaml: `${VALID}verification:\n  windowSeconds: 1\n`,
    at: [6, 18],
    says: /verification\.windowSeconds/,
  },
];

describe('malformed .vouch.yml', () => {
  it('has at least 20 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of cases) {
    it(`${c.name}: error at ${c.at.join(':')}`, () => {
      // Act
      let error: unknown;
      try {
        parseServiceSpec(c.yaml, '.vouch.yml');
      } catch (e) {
        error = e;
      }
      // Assess
      expect(error).toBeInstanceOf(SpecError);
      const spec = error as SpecError;
      const first = spec.problems[0];
      expect(first?.file).toBe('.vouch.yml');
      expect([first?.line, first?.col]).toEqual(c.at);
      expect(spec.message).toMatch(c.says);
      expect(spec.message).toMatch(/^\.vouch\.yml:\d+:\d+: /);
      expect(spec.message).not.toMatch(/\n\s+at /); // no stack trace in what the user sees
    });
  }
});

describe('valid .vouch.yml', () => {
  it('applies the documented defaults', () => {
    const spec = parseServiceSpec(VALID);
    expect(spec.trunk).toBe('main');
    expect(spec.mock).toBe(false);
    expect(spec.environments.map((e) => `${e.name}${e.ephemeral ? '*' : ''}`)).toEqual([
      'test*',
      'qa',
      'prod',
    ]);
    expect(spec.canary.steps.map((s) => s.traffic)).toEqual([1, 5, 10, 25, 50, 100]);
  });

  it('takes a Lambda service by its handler', () => {
    const spec = parseServiceSpec(
      `${VALID.replace('ec2-canary', 'lambda-canary')}run:\n  handler: lambda.handler\n`,
    );
    expect(spec.pipe).toBe('lambda-canary');
    expect(spec.run).toEqual({ handler: 'lambda.handler', healthPath: '/health' });
  });
});
