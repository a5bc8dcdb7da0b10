import { runSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asArray,
  propsOf,
  resourcesOf,
  type Statement,
  type SynthesisedVouch,
  statementsOfRole,
  synthVouch,
} from './support/vouchApp.ts';

/**
 * The control endpoint: the control Lambda has exactly the permissions its core uses, people reach it
 * through an AWS_IAM Function URL, and only principals with the operator policy may call it.
 */
describe('the control endpoint', () => {
  let vouch: SynthesisedVouch;
  let controlFnId: string;
  let controlRoleId: string;

  beforeAll(() => {
    vouch = synthVouch();
    const functions = resourcesOf(vouch.platform, 'AWS::Lambda::Function');
    const found = Object.entries(functions).find(([, f]) =>
      JSON.stringify(propsOf(f).Environment ?? {}).includes('"POWERTOOLS_SERVICE_NAME":"vouch-control"'),
    );
    if (!found) throw new Error('no vouch-control function in the platform stack');
    controlFnId = found[0];
    controlRoleId = (propsOf(found[1]).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  }, 120_000);

  it('lets the control Lambda do only what promote, abort and rollback need', () => {
    const statements = statementsOfRole(vouch.platform, controlRoleId);
    const actions = statements.flatMap((s) => asArray(s.Action)).sort();
    const own = actions.filter((a) => !/^(logs|xray):/.test(a));
    expect(own).toEqual([
      'cloudwatch:DescribeAlarmHistory',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:GetMetricData',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'scheduler:DeleteSchedule',
      'states:DescribeExecution',
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
      'states:StopExecution',
    ]);
    // Nothing that moves traffic, starts executions, or scans history.
    expect(actions.some((a) => /^(elasticloadbalancing|ec2|lambda):|Scan|StartExecution|\*/.test(a))).toBe(
      false,
    );
    // An abort between windows stops executions of Vouch's state machines only.
    const stop = statements.find((s) => asArray(s.Action).includes('states:StopExecution')) as Statement;
    expect(JSON.stringify(stop.Resource)).toMatch(/execution:vouch-ec2-canary:\*/);
    const table = statements.find((s) => asArray(s.Action).includes('dynamodb:Query')) as Statement;
    expect(JSON.stringify(table.Resource)).toMatch(/Builds/);
  });

  it('is reached through a Function URL that requires SigV4 (AWS_IAM auth)', () => {
    const urls = Object.values(resourcesOf(vouch.platform, 'AWS::Lambda::Url'));
    const control = urls.filter((u) => JSON.stringify(propsOf(u).TargetFunctionArn).includes(controlFnId));
    expect(control).toHaveLength(1);
    expect(propsOf(control[0]).AuthType).toBe('AWS_IAM');
    const outputs = vouch.platform.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ControlUrl', 'ControlOperatorPolicyArn']));
  });

  it('allows a principal with the operator policy to call it, and refuses one without', async () => {
    const policies = Object.values(resourcesOf(vouch.platform, 'AWS::IAM::ManagedPolicy')).filter((p) =>
      String(propsOf(p).Description).startsWith('Vouch operators'),
    );
    expect(policies).toHaveLength(1);
    const document = propsOf(policies[0]).PolicyDocument as { Statement: Statement[] };
    expect(document.Statement).toHaveLength(1);
    expect(document.Statement[0]?.Action).toBe('lambda:InvokeFunctionUrl');
    expect(JSON.stringify(document.Statement[0]?.Resource)).toContain(controlFnId);

    // The template's policy with the function's deployed ARN, through an IAM policy simulator.
    const functionArn = 'arn:aws:lambda:eu-west-1:111122223333:function:vouch-control';
    const operatorPolicy = JSON.parse(
      JSON.stringify({ Version: '2012-10-17', ...document }).replace(
        JSON.stringify(document.Statement[0]?.Resource),
        JSON.stringify(functionArn),
      ),
    ) as Record<string, unknown>;
    const call = (identityPolicies: { name: string; policy: Record<string, unknown> }[]) =>
      runSimulation(
        {
          identityPolicies,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: undefined,
          request: {
            action: 'lambda:InvokeFunctionUrl',
            principal: 'arn:aws:iam::111122223333:role/someone',
            resource: { accountId: '111122223333', resource: functionArn },
            contextVariables: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' },
          },
        },
        {},
      );
    const operator = await call([{ name: 'operator', policy: operatorPolicy }]);
    expect(operator.resultType === 'single' && operator.overallResult).toBe('Allowed');
    const developer = await call([
      {
        name: 'reader',
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['dynamodb:Query', 'lambda:InvokeFunction'], Resource: '*' },
          ],
        },
      },
    ]);
    expect(developer.resultType === 'single' && developer.overallResult).toBe('ImplicitlyDenied');
  });
});
