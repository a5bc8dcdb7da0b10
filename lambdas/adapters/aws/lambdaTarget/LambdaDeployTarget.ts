/**
 * The Lambda deploy target: a service is one function; an image is a published version of it; an
 * environment is an alias. qa and prod are lasting aliases the service stack creates; a test
 * environment is a per-run alias (`test-<runKey>`) with its own function URL, created by `provision`
 * and deleted by `destroy`. A canary is the alias's additional version: `deploy` adds it,
 * `shiftWeight` moves `AdditionalVersionWeights`, `rollback` removes it at once and `promote` points
 * the alias at it. Which Vouch build version each slot runs is kept in the alias's description, so
 * any stateless task can describe the environment again from AWS alone.
 */
import {
  type AliasConfiguration,
  CreateAliasCommand,
  CreateFunctionUrlConfigCommand,
  DeleteAliasCommand,
  DeleteFunctionUrlConfigCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetFunctionUrlConfigCommand,
  type LambdaClient,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { z } from 'zod';
import {
  EnvironmentNotFoundError,
  ImageNotFoundError,
  NoBaselineError,
  NoCanaryError,
} from '../../../core/target/errors.ts';
import { checkTargetName, environmentId } from '../../../core/target/naming.ts';
import type * as Target from '../../../core/target/port.ts';
import { validateCanaryWeight } from '../../../core/target/weights.ts';
import { realSleep, type Sleep, type WaitBudget, waitFor } from '../target/waiter.ts';
import {
  FunctionUpdateConflictError,
  FunctionVersionFailedError,
  InvalidLambdaArtifactError,
  LambdaTargetConfigError,
} from './errors.ts';

/** Which function runs each service, and where its lasting environments are reached. */
export interface LambdaTargetConfig {
  readonly services: Readonly<
    Record<
      string,
      {
        /** The service's function (name or ARN); the service stack creates it and its qa/prod aliases. */
        readonly functionName: string;
        /** Base URL of each lasting environment (API Gateway, a domain); default: the alias's function URL. */
        readonly baseUrls?: Readonly<Record<string, string>>;
        /**
         * The service's `team` and `solution` (the platform config's): what `describe` answers for an
         * environment another task Lambda provisioned, since each task runs in its own container.
         */
        readonly team: string;
        readonly solution: string;
      }
    >
  >;
}

export interface LambdaDeployTargetOptions {
  /** Created once at module scope by the Lambda handler. */
  readonly lambda: LambdaClient;
  readonly config: LambdaTargetConfig;
  /** @default a setTimeout sleep; tests pass one that returns at once */
  readonly sleep?: Sleep;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** How long a published version may take to become active. @default 5 s apart, 60 attempts */
  readonly activeBudget?: WaitBudget;
  /** How often bake retries while another update of the function is in progress. @default 5 s apart, 24 attempts */
  readonly conflictBudget?: WaitBudget;
}

/** What the alias description holds: the Vouch build version each slot runs, and since when. */
export interface SlotVersions {
  /** When provision created the alias (test aliases only: Lambda does not say). */
  readonly created?: string;
  readonly baseline?: { readonly version: string; readonly since: string };
  readonly canary?: { readonly version: string; readonly since: string };
}

/** Lambda limits an alias description to 256 characters; this stays far under it. */
const DESCRIPTION_PREFIX = 'vouch:';

const S3_ZIP = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+\.zip)$/;

/** An image id: the function's name and the published version number. */
function imageId(functionName: string, version: string): string {
  return `${functionName}:${version}`;
}

function parseImageId(id: string): { functionName: string; version: string } {
  const at = id.lastIndexOf(':');
  const version = id.slice(at + 1);
  if (at <= 0 || !/^[0-9]+$/.test(version)) throw new ImageNotFoundError(id);
  return { functionName: id.slice(0, at), version };
}

function parseEnvironmentId(id: string): { service: string; name: string; runKey?: string } {
  const [service, name, runKey, ...rest] = id.split('.');
  if (!service || !name || rest.length > 0) throw new EnvironmentNotFoundError(id);
  return runKey === undefined ? { service, name } : { service, name, runKey };
}

export class LambdaDeployTarget implements Target.DeployTarget {
  readonly #lambda: LambdaClient;
  readonly #config: LambdaTargetConfig;
  readonly #sleep: Sleep;
  readonly #now: () => Date;
  readonly #activeBudget: WaitBudget;
  readonly #conflictBudget: WaitBudget;
  readonly #resources = new Map<string, Target.ResourceRecord>();

  constructor(options: LambdaDeployTargetOptions) {
    this.#lambda = options.lambda;
    this.#config = options.config;
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? (() => new Date());
    this.#activeBudget = options.activeBudget ?? { delayMs: 5_000, maxAttempts: 60 };
    this.#conflictBudget = options.conflictBudget ?? { delayMs: 5_000, maxAttempts: 24 };
  }
  /** The services and functions this target releases (the platform config's lambdaTarget entries). */
  get config(): LambdaTargetConfig {
    return this.#config;
  }

  /**
   * Publishes the artifact as a new version in one call (`UpdateFunctionCode` with `Publish`), so the
   * version is this code even when another bake of the service runs at the same time; the same code
   * published twice comes back as the same version (Lambda does not publish an unchanged function).
   */
  async bake(request: Target.BakeRequest): Promise<Target.Image> {
    checkTargetName('service', request.service);
    const match = S3_ZIP.exec(request.source);
    const bucket = match?.[1];
    const key = match?.[2];
    // Overlays are the local demo's way to make a release; a Lambda package is one zip.
    if (bucket === undefined || key === undefined || (request.overlays?.length ?? 0) > 0) {
      throw new InvalidLambdaArtifactError(request.source);
    }
    const functionName = this.#functionOf(request.service);
    const published = await this.#whileConflicting(functionName, () =>
      this.#lambda.send(
        new UpdateFunctionCodeCommand({
          FunctionName: functionName,
          S3Bucket: bucket,
          S3Key: key,
          Publish: true,
        }),
      ),
    );
    const version = published.Version;
    if (version === undefined || version === '$LATEST') {
      throw new FunctionVersionFailedError(
        functionName,
        String(version),
        'UpdateFunctionCode published no version',
      );
    }
    const active = await waitFor(
      `version ${version} of ${functionName} active`,
      this.#activeBudget,
      this.#sleep,
      async () => {
        const c = await this.#lambda.send(
          new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: version }),
        );
        if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') {
          throw new FunctionVersionFailedError(
            functionName,
            version,
            c.StateReason ?? c.LastUpdateStatusReason ?? 'failed',
          );
        }
        return c.State === 'Active'
          ? { done: true, value: c }
          : { done: false, state: `${c.State}/${c.LastUpdateStatus}` };
      },
    );
    const id = imageId(functionName, version);
    const createdAt = this.#now().toISOString();
    this.#record({ id, kind: 'image', tags: request.tags, createdAt, sizeBytes: active.CodeSize ?? 0 });
    return {
      id,
      service: request.service,
      run: request.run,
      tags: request.tags,
      sizeBytes: active.CodeSize ?? 0,
      fileCount: 1,
      createdAt,
      location: active.FunctionArn ?? id,
    };
  }

  async provision(
    service: string,
    name: string,
    options: Target.ProvisionOptions,
  ): Promise<Target.Environment> {
    checkTargetName('service', service);
    checkTargetName('environment', name);
    const functionName = this.#functionOf(service);
    if (!options.ephemeral) {
      await this.#getAlias(functionName, name, environmentId(service, name));
      return this.#environment(service, name, undefined, options, await this.#url(service, name));
    }
    const runKey = options.runKey ?? this.#now().getTime().toString(36);
    const aliasName = `${name}-${runKey}`;
    checkTargetName('alias', aliasName);
    try {
      // $LATEST until deploy points it at the baked version: weighted routing needs two published
      // versions, a plain alias may name $LATEST (CreateAlias FunctionVersion pattern).
      await this.#lambda.send(
        new CreateAliasCommand({
          FunctionName: functionName,
          Name: aliasName,
          FunctionVersion: '$LATEST',
          Description: describeSlots({ created: this.#now().toISOString() }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceConflictException)) throw error;
      // A retried provision: the alias is this run's already.
      await this.#getAlias(functionName, aliasName, environmentId(service, name, runKey));
    }
    let url: string;
    try {
      const created = await this.#lambda.send(
        new CreateFunctionUrlConfigCommand({
          FunctionName: functionName,
          Qualifier: aliasName,
          AuthType: 'AWS_IAM',
        }),
      );
      url = created.FunctionUrl ?? '';
    } catch (error) {
      if (!(error instanceof ResourceConflictException)) throw error;
      url =
        (
          await this.#lambda.send(
            new GetFunctionUrlConfigCommand({ FunctionName: functionName, Qualifier: aliasName }),
          )
        ).FunctionUrl ?? '';
    }
    const environment = this.#environment(service, name, runKey, options, url);
    this.#record({
      id: environment.id,
      kind: 'environment',
      tags: options.tags,
      environment: name,
      createdAt: environment.createdAt,
    });
    return environment;
  }

  async deploy(
    image: Target.ImageRef,
    ref: Target.EnvironmentRef,
    options: Target.DeployOptions,
  ): Promise<Target.EnvironmentDescription> {
    const { functionName, version } = parseImageId(image.id);
    const env = this.#resolve(ref);
    if (functionName !== env.functionName) throw new ImageNotFoundError(image.id);
    const alias = await this.#getAlias(env.functionName, env.alias, ref.id);
    const slots = slotsOf(alias);
    const since = this.#now().toISOString();
    if (options.slot === 'baseline') {
      await this.#updateAlias(env, alias, version, undefined, {
        baseline: { version: String(options.version), since },
      });
    } else {
      if (!slots.baseline || alias.FunctionVersion === '$LATEST') throw new NoBaselineError(ref.id);
      const weight = options.weight ?? 0;
      validateCanaryWeight(weight);
      await this.#updateAlias(
        env,
        alias,
        alias.FunctionVersion ?? '',
        { version, weight },
        {
          baseline: slots.baseline,
          canary: { version: String(options.version), since },
        },
      );
    }
    return this.describe(ref);
  }

  async shiftWeight(
    ref: Target.EnvironmentRef,
    canaryWeight: number,
  ): Promise<Target.EnvironmentDescription> {
    validateCanaryWeight(canaryWeight);
    const env = this.#resolve(ref);
    const alias = await this.#getAlias(env.functionName, env.alias, ref.id);
    const canary = canaryOf(alias);
    if (!canary) throw new NoCanaryError(ref.id, 'shift weight');
    await this.#updateAlias(
      env,
      alias,
      alias.FunctionVersion ?? '',
      { version: canary.version, weight: canaryWeight },
      slotsOf(alias),
    );
    return this.describe(ref);
  }

  async promote(ref: Target.EnvironmentRef): Promise<Target.EnvironmentDescription> {
    const env = this.#resolve(ref);
    const alias = await this.#getAlias(env.functionName, env.alias, ref.id);
    const canary = canaryOf(alias);
    const slots = slotsOf(alias);
    if (!canary || !slots.canary) throw new NoCanaryError(ref.id, 'promote');
    await this.#updateAlias(env, alias, canary.version, undefined, {
      baseline: { version: slots.canary.version, since: this.#now().toISOString() },
    });
    return this.describe(ref);
  }

  async rollback(ref: Target.EnvironmentRef): Promise<Target.EnvironmentDescription> {
    const env = this.#resolve(ref);
    const alias = await this.#getAlias(env.functionName, env.alias, ref.id);
    const slots = slotsOf(alias);
    if (canaryOf(alias) || slots.canary) {
      await this.#updateAlias(
        env,
        alias,
        alias.FunctionVersion ?? '',
        undefined,
        slots.baseline ? { baseline: slots.baseline } : {},
      );
    }
    return this.describe(ref);
  }

  /** Deletes a test environment's alias and URL; a lasting environment's alias is the service stack's and stays. */
  async destroy(ref: Target.EnvironmentRef): Promise<void> {
    const env = this.#resolve(ref);
    if (!env.ephemeral) return;
    // Gone already is done: destroy runs again after a retry or a reconcile.
    await ignoreNotFound(
      this.#lambda.send(
        new DeleteFunctionUrlConfigCommand({ FunctionName: env.functionName, Qualifier: env.alias }),
      ),
    );
    await ignoreNotFound(
      this.#lambda.send(new DeleteAliasCommand({ FunctionName: env.functionName, Name: env.alias })),
    );
    const record = this.#resources.get(ref.id);
    if (record) this.#resources.set(ref.id, { ...record, endedAt: this.#now().toISOString() });
  }

  async describe(ref: Target.EnvironmentRef): Promise<Target.EnvironmentDescription> {
    const env = this.#resolve(ref);
    const alias = await this.#getAlias(env.functionName, env.alias, ref.id);
    const slots = slotsOf(alias);
    const canary = canaryOf(alias);
    const url = env.ephemeral
      ? ((
          await this.#lambda.send(
            new GetFunctionUrlConfigCommand({ FunctionName: env.functionName, Qualifier: env.alias }),
          )
        ).FunctionUrl ?? '')
      : await this.#url(env.service, env.name);
    const slot = (which: Target.Slot, version: string | undefined): Target.SlotState | undefined => {
      const recorded = slots[which];
      if (!recorded || version === undefined || version === '$LATEST') return undefined;
      return {
        image: imageId(env.functionName, version),
        version: recorded.version,
        url,
        since: recorded.since,
      };
    };
    const baseline = slot('baseline', alias.FunctionVersion);
    const canarySlot = slot('canary', canary?.version);
    return {
      environment: {
        id: ref.id,
        service: env.service,
        name: env.name,
        ephemeral: env.ephemeral,
        // Each task is its own Lambda container: what provision recorded here is usually not at hand,
        // so the tags come from the config and the creation time from the alias's description.
        tags: this.#resources.get(ref.id)?.tags ?? this.#tagsOf(env.service),
        proxyUrl: url,
        createdAt:
          this.#resources.get(ref.id)?.createdAt ??
          slots.created ??
          slots.baseline?.since ??
          this.#now().toISOString(),
      },
      ...(baseline ? { baseline } : {}),
      ...(canarySlot ? { canary: canarySlot } : {}),
      weight: canary ? Math.round(canary.weight * 100) : 0,
      proxyUrl: url,
    };
  }

  resources(): readonly Target.ResourceRecord[] {
    return [...this.#resources.values()];
  }

  #tagsOf(service: string): Target.Environment['tags'] {
    const entry = this.#entryOf(service);
    return { service, team: entry.team, solution: entry.solution };
  }

  #functionOf(service: string): string {
    return this.#entryOf(service).functionName;
  }

  #entryOf(service: string) {
    const entry = this.#config.services[service];
    if (!entry) {
      throw new LambdaTargetConfigError(
        `no function is configured for service ${service}; add it to the platform config's services (lambdaTarget.functionName)`,
      );
    }
    return entry;
  }

  #resolve(ref: Target.EnvironmentRef) {
    const { service, name, runKey } = parseEnvironmentId(ref.id);
    return {
      service,
      name,
      ephemeral: runKey !== undefined,
      functionName: this.#functionOf(service),
      alias: runKey === undefined ? name : `${name}-${runKey}`,
    };
  }

  async #url(service: string, name: string): Promise<string> {
    const configured = this.#config.services[service]?.baseUrls?.[name];
    if (configured !== undefined) return configured;
    try {
      const url = await this.#lambda.send(
        new GetFunctionUrlConfigCommand({ FunctionName: this.#functionOf(service), Qualifier: name }),
      );
      return url.FunctionUrl ?? '';
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        throw new LambdaTargetConfigError(
          `${service} ${name} has neither a configured base URL nor a function URL on its alias`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async #getAlias(functionName: string, alias: string, envId: string): Promise<AliasConfiguration> {
    try {
      return await this.#lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException)
        throw new EnvironmentNotFoundError(envId, { cause: error });
      throw error;
    }
  }

  async #updateAlias(
    env: { functionName: string; alias: string },
    current: AliasConfiguration,
    version: string,
    canary: { version: string; weight: number } | undefined,
    slots: SlotVersions,
  ): Promise<void> {
    await this.#lambda.send(
      new UpdateAliasCommand({
        FunctionName: env.functionName,
        Name: env.alias,
        FunctionVersion: version,
        // The creation time of a test alias stays: the sweeper's grace period reads it.
        Description: describeSlots({ ...slots, ...pick(slotsOf(current), 'created') }),
        // An empty map removes the additional version: how rollback and promote end a canary.
        RoutingConfig: { AdditionalVersionWeights: canary ? { [canary.version]: canary.weight / 100 } : {} },
      }),
    );
  }

  async #whileConflicting<T>(functionName: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof ResourceConflictException)) throw error;
        if (attempt >= this.#conflictBudget.maxAttempts) {
          throw new FunctionUpdateConflictError(functionName, attempt, { cause: error });
        }
        await this.#sleep(this.#conflictBudget.delayMs);
      }
    }
  }

  #environment(
    service: string,
    name: string,
    runKey: string | undefined,
    options: Target.ProvisionOptions,
    url: string,
  ): Target.Environment {
    return {
      id: environmentId(service, name, runKey),
      service,
      name,
      ephemeral: options.ephemeral,
      tags: options.tags,
      proxyUrl: url,
      createdAt: this.#now().toISOString(),
    };
  }

  #record(record: Target.ResourceRecord): void {
    this.#resources.set(record.id, record);
  }
}

function canaryOf(alias: AliasConfiguration): { version: string; weight: number } | undefined {
  const weights = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {});
  const [first] = weights;
  return first ? { version: first[0], weight: first[1] } : undefined;
}

function pick(slots: SlotVersions, key: 'created'): SlotVersions {
  return slots[key] === undefined ? {} : { [key]: slots[key] };
}

/** The alias's slots as the description records them (exported for the sweeper's inventory). */
export function aliasSlots(alias: AliasConfiguration): SlotVersions {
  return slotsOf(alias);
}

function describeSlots(slots: SlotVersions): string {
  return `${DESCRIPTION_PREFIX}${JSON.stringify(slots)}`;
}

const SlotSchema = z.object({ version: z.string(), since: z.string() }).strict();
const SlotVersionsSchema = z
  .object({ created: z.string().optional(), baseline: SlotSchema.optional(), canary: SlotSchema.optional() })
  .strict();

/**
 * The slots recorded in the alias description. An alias Vouch never wrote (the service stack's new
 * qa alias) has none; one whose description was edited outside Vouch is refused, not guessed at.
 */
function slotsOf(alias: AliasConfiguration): SlotVersions {
  const text = alias.Description ?? '';
  if (!text.startsWith(DESCRIPTION_PREFIX)) return {};
  let parsed: ReturnType<typeof SlotVersionsSchema.safeParse>;
  try {
    parsed = SlotVersionsSchema.safeParse(JSON.parse(text.slice(DESCRIPTION_PREFIX.length)));
  } catch (error) {
    throw new LambdaTargetConfigError(`alias ${alias.Name} has a description Vouch cannot read: ${text}`, {
      cause: error,
    });
  }
  if (!parsed.success) {
    throw new LambdaTargetConfigError(`alias ${alias.Name} has a description Vouch cannot read: ${text}`);
  }
  return parsed.data;
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}
