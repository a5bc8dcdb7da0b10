/**
 * The scheduled reconciler's registry (VOUCH_SERVICE_PIPES): a contract the platform stack writes
 * and the reconciler reads, so it carries no SDK import.
 */
import { z } from 'zod';
import { AwsEnvironmentError } from '../errors.ts';
import { decodeServiceRegistry, encodeServiceRegistry } from '../functionEnvironment.ts';

/** What the reconciler knows of each service: its team, its flavour's state machine, its environments. */
export const ReconcileRegistrySchema = z.array(
  z.strictObject({
    service: z.string().min(1),
    team: z.string().min(1),
    flavour: z.string().min(1),
    environments: z.array(z.strictObject({ name: z.string().min(1), ephemeral: z.boolean() })),
  }),
);
export type ReconcileRegistry = z.output<typeof ReconcileRegistrySchema>;

/** The registry as the stack sets it (compressed like the webhook's: Lambda's 4 KB of variables). */
export function encodeReconcileRegistry(services: ReconcileRegistry): string {
  return encodeServiceRegistry(ReconcileRegistrySchema.parse(services));
}

export function parseReconcileRegistry(value: string): ReconcileRegistry {
  const parsed = ReconcileRegistrySchema.safeParse(decodeServiceRegistry(value));
  if (!parsed.success)
    throw new AwsEnvironmentError(`VOUCH_SERVICE_PIPES is not a service registry: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  return parsed.data;
}
