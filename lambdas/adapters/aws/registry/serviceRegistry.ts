/**
 * The platform stack's service registry: a CloudFormation custom resource whose properties are the
 * platform config's services. On Create and Update it registers each in the build table (team,
 * solution, repo; a registered service keeps its version counter), so the version task knows every
 * configured service once `cdk deploy` has run. On Delete it keeps the records: a service's versions
 * and their evidence outlive the stack. Lambda-backed, without the provider framework: the handler
 * answers CloudFormation itself, with a PUT of the response document to the pre-signed ResponseURL
 * (CloudFormation user guide, "Custom resource request and response objects"), SUCCESS or FAILED with
 * the reason, so a failed registration fails the deploy at once instead of after the hour-long wait.
 */
import { z } from 'zod';
import type { ServiceRegistration } from '../../../core/builds/model.ts';
import { CustomResourceResponseError, ServiceRegistryEventError } from './errors.ts';

/** The resource type the platform stack declares (lib/platform/PlatformStack.ts). */
export const SERVICE_REGISTRY_RESOURCE_TYPE = 'Custom::VouchServiceRegistry';
/** The physical ID: one registry per stack, the same on every update (no replacement, no Delete). */
export const SERVICE_REGISTRY_PHYSICAL_ID = 'vouch-service-registry';

const ServiceSchema = z.strictObject({
  service: z.string().min(1),
  team: z.string().min(1),
  solution: z.string().min(1),
  repo: z.string().min(1),
});

const EventSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.string().url(),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.object({ Services: z.array(ServiceSchema) }).passthrough(),
});

export interface ServiceRegistryPorts {
  readonly builds: { registerService(registration: ServiceRegistration): Promise<void> };
  /** PUTs CloudFormation's response. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface RegistryResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** Handles one custom resource request and answers CloudFormation; returns what it answered. */
export async function handleServiceRegistryEvent(
  event: unknown,
  ports: ServiceRegistryPorts,
): Promise<RegistryResponse> {
  const parsed = EventSchema.safeParse(event);
  if (!parsed.success) {
    // Without a valid ResponseURL there is nobody to answer: the error is the invocation's.
    throw new ServiceRegistryEventError(`not a service registry request: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  const request = parsed.data;
  const base = {
    PhysicalResourceId: SERVICE_REGISTRY_PHYSICAL_ID,
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
  };
  let response: RegistryResponse;
  try {
    const services = request.ResourceProperties.Services;
    if (request.RequestType !== 'Delete') {
      for (const s of services) await ports.builds.registerService(s);
    }
    response = {
      ...base,
      Status: 'SUCCESS',
      Data: { Registered: request.RequestType === 'Delete' ? '' : services.map((s) => s.service).join(',') },
    };
  } catch (error) {
    const e = error as Error;
    response = { ...base, Status: 'FAILED', Reason: `${e.name}: ${e.message}`.slice(0, 1000) };
  }
  const put = ports.fetch ?? globalThis.fetch;
  const body = JSON.stringify(response);
  // The pre-signed URL is signed for an empty Content-Type (CloudFormation's own cfn-response does so).
  const answer = await put(request.ResponseURL, {
    method: 'PUT',
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  if (!answer.ok) {
    throw new CustomResourceResponseError(
      `CloudFormation refused the ${response.Status} response for ${request.LogicalResourceId}: HTTP ${answer.status}`,
    );
  }
  return response;
}
