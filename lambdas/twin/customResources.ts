/**
 * What CloudFormation does with the templates' custom resources on the twin's deploy: each
 * `Custom::*` (or AWS::CloudFormation::CustomResource) whose ServiceToken is one of the templates'
 * Lambdas is created by invoking that Lambda with a CloudFormation `Create` request, its
 * ResourceProperties resolved (ServiceToken included, as CloudFormation sends it), and a ResponseURL
 * the twin serves on 127.0.0.1 in place of the pre-signed S3 URL. The function's answer decides, as
 * it does for a stack: FAILED (or no answer) fails the deploy with the function's Reason.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TwinTemplateError } from './errors.ts';
import type { TwinLambdas } from './lambdaRunner.ts';
import { type DeployedTemplates, TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from './template.ts';

export interface CustomResourceOutcome {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly status: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
  readonly data?: Record<string, unknown>;
}

const isCustom = (type: string) =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

/** Creates every custom resource of the templates, in template order; throws on the first that fails. */
export async function createCustomResources(
  templates: DeployedTemplates,
  lambdas: TwinLambdas,
): Promise<CustomResourceOutcome[]> {
  const responses = new Map<string, Record<string, unknown>>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'PUT') {
        responses.set(String(req.url).slice(1), JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200).end();
      } else res.writeHead(405).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  const outcomes: CustomResourceOutcome[] = [];
  try {
    for (const { stackName, template } of templates.stacks) {
      for (const [logicalId, resource] of Object.entries(template.Resources)) {
        if (!isCustom(resource.Type)) continue;
        const properties = templates.resolve(stackName, resource.Properties ?? {}) as Record<string, unknown>;
        const serviceToken = String(properties.ServiceToken);
        const requestId = randomUUID();
        const event = {
          RequestType: 'Create',
          ServiceToken: serviceToken,
          ResponseURL: `http://127.0.0.1:${port}/${requestId}`,
          StackId: `arn:${TWIN_PARTITION}:cloudformation:${TWIN_REGION}:${TWIN_ACCOUNT}:stack/${stackName}/twin`,
          RequestId: requestId,
          LogicalResourceId: logicalId,
          ResourceType: resource.Type,
          ResourceProperties: properties,
        };
        try {
          await lambdas.invoke(serviceToken, event);
        } catch (error) {
          throw new TwinTemplateError(
            `custom resource ${stackName}/${logicalId}: its Lambda failed without answering CloudFormation (${(error as Error).name}: ${(error as Error).message})`,
            { cause: error },
          );
        }
        const response = responses.get(requestId);
        if (response === undefined)
          throw new TwinTemplateError(
            `custom resource ${stackName}/${logicalId}: no response to CloudFormation`,
          );
        const outcome: CustomResourceOutcome = {
          stackName,
          logicalId,
          type: resource.Type,
          status: response.Status === 'SUCCESS' ? 'SUCCESS' : 'FAILED',
          ...(typeof response.Reason === 'string' ? { reason: response.Reason } : {}),
          ...(response.Data ? { data: response.Data as Record<string, unknown> } : {}),
        };
        outcomes.push(outcome);
        if (outcome.status === 'FAILED') {
          throw new TwinTemplateError(
            `deploy failed: custom resource ${stackName}/${logicalId} (${resource.Type}) answered FAILED: ${outcome.reason}`,
          );
        }
      }
    }
  } finally {
    await new Promise<void>((done) => server.close(() => done()));
  }
  return outcomes;
}
