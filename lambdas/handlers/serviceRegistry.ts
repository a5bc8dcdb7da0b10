// The platform stack's custom resource: registers the configured services in the build table on deploy
// (lambdas/adapters/aws/registry/serviceRegistry.ts).
import { readFunctionEnv } from '../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv } from '../adapters/aws/pipeline/fromEnv.ts';
import { handleServiceRegistryEvent } from '../adapters/aws/registry/serviceRegistry.ts';

const builds = buildRecordsFromEnv(readFunctionEnv('serviceRegistry'));

export async function handler(event: unknown) {
  return handleServiceRegistryEvent(event, { builds });
}
