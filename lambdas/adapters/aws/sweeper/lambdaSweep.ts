/**
 * What the sweeper finds and removes of Lambda services (lambdas/core/sweeper/sweep.ts): each
 * service function's test aliases (`<environment>-<runKey>`, with their function URLs), owned by the
 * run in their name, and its published versions, the images kept for rollback. A version is serving
 * when any alias names it, as primary or additional version; Lambda refuses to delete those anyway.
 */
import {
  type AliasConfiguration,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionUrlConfigCommand,
  type FunctionConfiguration,
  type LambdaClient,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { SweepError } from '../../../core/sweeper/errors.ts';
import type { SweepableResource } from '../../../core/sweeper/sweep.ts';
import { aliasSlots } from '../lambdaTarget/LambdaDeployTarget.ts';
import type { ReconcileRegistry } from '../reconcile/registry.ts';

export interface LambdaSweepService {
  readonly service: string;
  readonly functionName: string;
  /** The service's ephemeral environments (`test`): aliases named `<name>-<runKey>` are per run. */
  readonly ephemeralEnvironments: readonly string[];
}

/**
 * The Lambda services to sweep: each configured function, with the ephemeral environments of its
 * service's pipe (the registry the reconciler reads too).
 */
export function lambdaSweepServices(
  functions: Readonly<Record<string, { readonly functionName: string }>>,
  registry: ReconcileRegistry,
): LambdaSweepService[] {
  return Object.entries(functions).map(([service, { functionName }]) => ({
    service,
    functionName,
    ephemeralEnvironments:
      registry
        .find((r) => r.service === service)
        ?.environments.filter((e) => e.ephemeral)
        .map((e) => e.name) ?? [],
  }));
}

async function allPages<T>(fetch: (marker: string | undefined) => Promise<{ items: T[]; next?: string }>) {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    out.push(...page.items);
    marker = page.next;
  } while (marker !== undefined);
  return out;
}

/** Lambda writes `2026-12-02T10:00:00.000+0000`; Date.parse wants the offset with a colon. */
function lambdaTime(value: string | undefined): string {
  const iso = (value ?? '').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const at = Date.parse(iso);
  return Number.isNaN(at) ? String(value) : new Date(at).toISOString();
}

export function lambdaSweepInventory(
  lambda: LambdaClient,
  services: readonly LambdaSweepService[],
): () => Promise<SweepableResource[]> {
  return async () => {
    const found: SweepableResource[] = [];
    for (const s of services) {
      const aliases = await allPages<AliasConfiguration>(async (Marker) => {
        const page = await lambda.send(new ListAliasesCommand({ FunctionName: s.functionName, Marker }));
        return { items: page.Aliases ?? [], ...(page.NextMarker ? { next: page.NextMarker } : {}) };
      });
      const versions = await allPages<FunctionConfiguration>(async (Marker) => {
        const page = await lambda.send(
          new ListVersionsByFunctionCommand({ FunctionName: s.functionName, Marker }),
        );
        return { items: page.Versions ?? [], ...(page.NextMarker ? { next: page.NextMarker } : {}) };
      });
      const versionsOf = (a: AliasConfiguration) =>
        [a.FunctionVersion ?? '', ...Object.keys(a.RoutingConfig?.AdditionalVersionWeights ?? {})].filter(
          (v) => v !== '' && v !== '$LATEST',
        );
      const perRun = (a: AliasConfiguration) =>
        aliasSlots(a).created !== undefined &&
        s.ephemeralEnvironments.some((e) => (a.Name ?? '').startsWith(`${e}-`));
      // Versions a lasting alias runs (qa, prod, or one Vouch does not own) are serving; a test
      // alias's versions are in use only while the alias is kept, which the planner decides.
      const referenced = new Set(aliases.filter((a) => !perRun(a)).flatMap(versionsOf));
      for (const alias of aliases) {
        const name = alias.Name ?? '';
        const environment = s.ephemeralEnvironments.find((e) => name.startsWith(`${e}-`));
        const created = aliasSlots(alias).created;
        // qa and prod are the service stack's; an alias without Vouch's record is someone else's.
        if (environment === undefined || created === undefined) continue;
        found.push({
          kind: 'alias',
          id: `${s.functionName}:${name}`,
          service: s.service,
          environment,
          runKey: name.slice(environment.length + 1),
          createdAt: created,
          images: versionsOf(alias).map((v) => `${s.functionName}:${v}`),
        });
      }
      for (const v of versions) {
        if (v.Version === undefined || v.Version === '$LATEST') continue;
        found.push({
          kind: 'functionVersion',
          id: `${s.functionName}:${v.Version}`,
          service: s.service,
          createdAt: lambdaTime(v.LastModified),
          serving: referenced.has(v.Version),
        });
      }
    }
    return found;
  };
}

/**
 * Function versions a running run may have published: Lambda versions carry no tags, so every version
 * of the service published since its oldest running run was allocated (`since`, by service) is kept.
 */
export function versionsPublishedSince(
  resources: readonly SweepableResource[],
  since: ReadonlyMap<string, string>,
): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    const from = since.get(r.service);
    if (r.kind === 'functionVersion' && from !== undefined && Date.parse(r.createdAt) >= Date.parse(from))
      out.add(r.id);
  }
  return out;
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}

/** Removes an alias (its URL first) or a version; gone already is done. */
export function lambdaSweepRemover(lambda: LambdaClient): (resource: SweepableResource) => Promise<void> {
  return async (resource) => {
    const at = resource.id.lastIndexOf(':');
    const functionName = resource.id.slice(0, at);
    const qualifier = resource.id.slice(at + 1);
    if (resource.kind === 'alias') {
      await ignoreNotFound(
        lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: functionName, Qualifier: qualifier })),
      );
      await ignoreNotFound(
        lambda.send(new DeleteAliasCommand({ FunctionName: functionName, Name: qualifier })),
      );
    } else if (resource.kind === 'functionVersion') {
      await ignoreNotFound(
        lambda.send(new DeleteFunctionCommand({ FunctionName: functionName, Qualifier: qualifier })),
      );
    } else {
      throw new SweepError(`the Lambda sweeper does not remove ${resource.kind} ${resource.id}`);
    }
  };
}
