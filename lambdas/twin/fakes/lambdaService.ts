/**
 * AWS Lambda as a deploy target sees it (the control plane of the service's own function, not the
 * twin's handlers): code updates that publish versions, versions that become active, aliases with
 * weighted routing, function URLs. Validation follows the Lambda API reference: an alias's
 * FunctionVersion is `$LATEST` or a published version; `AdditionalVersionWeights` name one published
 * version other than the primary, weight 0.0-1.0, and the primary may not be `$LATEST` then; creating
 * what exists is a ResourceConflictException, touching what does not is ResourceNotFoundException.
 * Every alias change is kept in `routingHistory`, so a test can read the weights a release shifted.
 */
import { createHash } from 'node:crypto';
import {
  InvalidParameterValueException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { UnmodelledCallError } from '../errors.ts';
import type { AuthorizationRequest } from '../iam.ts';
import type { ServiceFake } from '../sdk.ts';
import { TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from '../template.ts';

interface Version {
  readonly version: string;
  readonly codeSha256: string;
  readonly codeSize: number;
  readonly publishedAt: number;
}

interface Alias {
  version: string;
  weights: Record<string, number>;
  description: string;
}

interface ServiceFunction {
  readonly name: string;
  latestSha: string;
  latestSize: number;
  readonly versions: Map<string, Version>;
  readonly aliases: Map<string, Alias>;
  readonly urls: Map<string, { url: string; authType: string }>;
  /** Epoch ms until which an update is in progress (a concurrent deploy): UpdateFunctionCode conflicts. */
  busyUntil: number;
  /** Version numbers are never reused, even after a version is deleted. */
  lastVersion: number;
}

/** One alias change as the fake applied it. */
export interface RoutingChange {
  readonly function: string;
  readonly alias: string;
  readonly version: string;
  /** Percent of invocations the additional version gets; 0 without one. */
  readonly canaryWeight: number;
  readonly canaryVersion?: string;
}

export const functionArn = (name: string) =>
  `arn:${TWIN_PARTITION}:lambda:${TWIN_REGION}:${TWIN_ACCOUNT}:function:${name}`;

/** A Function URL in Lambda's format, `https://<url-id>.lambda-url.<region>.on.aws/`; the twin's id names the alias. */
export const functionUrl = (name: string, qualifier: string) =>
  `https://${name}-${qualifier}.lambda-url.${TWIN_REGION}.on.aws/`.toLowerCase();

const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });
const conflict = (message: string) => new ResourceConflictException({ message, $metadata: {} });
const invalid = (message: string) => new InvalidParameterValueException({ message, $metadata: {} });

export interface LambdaServiceOptions {
  /** The package's bytes for an S3 location (the twin's S3 fake); default: the location's own name. */
  readonly readPackage?: (bucket: string, key: string) => Buffer | undefined;
  readonly now?: () => number;
}

export class TwinLambdaService {
  readonly functions = new Map<string, ServiceFunction>();
  readonly routingHistory: RoutingChange[] = [];
  readonly #readPackage: (bucket: string, key: string) => Buffer | undefined;
  readonly #now: () => number;

  constructor(options: LambdaServiceOptions = {}) {
    this.#readPackage = options.readPackage ?? ((bucket, key) => Buffer.from(`s3://${bucket}/${key}`));
    this.#now = options.now ?? Date.now;
  }

  /** A function the service stack created, with its lasting aliases (qa, prod) on version 1. */
  createFunction(name: string, aliases: readonly string[] = []): void {
    const sha = createHash('sha256').update(`initial ${name}`).digest('base64');
    const fn: ServiceFunction = {
      name,
      latestSha: sha,
      latestSize: 0,
      versions: new Map([['1', { version: '1', codeSha256: sha, codeSize: 0, publishedAt: this.#now() }]]),
      aliases: new Map(aliases.map((a) => [a, { version: '1', weights: {}, description: '' }])),
      urls: new Map(aliases.map((a) => [a, { url: functionUrl(name, a), authType: 'AWS_IAM' }])),
      busyUntil: 0,
      lastVersion: 1,
    };
    this.functions.set(name, fn);
  }

  /**
   * Which version an invocation of `alias` runs: the additional version with its weight's
   * probability, otherwise the primary (`random` in [0, 1)).
   */
  route(functionName: string, alias: string, random = Math.random()): string {
    const a = this.#alias(this.#function(functionName), alias);
    let acc = 0;
    for (const [version, weight] of Object.entries(a.weights)) {
      acc += weight;
      if (random < acc) return version;
    }
    return a.version;
  }

  fake(): ServiceFake {
    return {
      authorization: (command, input): AuthorizationRequest[] => [
        { action: `lambda:${command}`, resource: functionArn(this.#nameOf(input)) },
      ],
      handle: async (command, input) => this.#handle(command, input),
    };
  }

  #handle(command: string, input: Record<string, unknown>): unknown {
    const fn = this.#function(this.#nameOf(input));
    const qualifier = input.Qualifier === undefined ? undefined : String(input.Qualifier);
    switch (command) {
      case 'UpdateFunctionCode': {
        if (this.#now() < fn.busyUntil) {
          throw conflict(
            `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(fn.name)}`,
          );
        }
        const bytes = this.#readPackage(String(input.S3Bucket), String(input.S3Key));
        if (!bytes)
          throw invalid(
            `Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.`,
          );
        fn.latestSha = createHash('sha256').update(bytes).digest('base64');
        fn.latestSize = bytes.length;
        if (input.Publish !== true) return this.#configuration(fn, '$LATEST');
        const newest = [...fn.versions.values()].at(-1);
        // Lambda does not publish a version when the code has not changed since the last one.
        if (newest && newest.codeSha256 === fn.latestSha) return this.#configuration(fn, newest.version);
        fn.lastVersion += 1;
        const version = String(fn.lastVersion);
        fn.versions.set(version, {
          version,
          codeSha256: fn.latestSha,
          codeSize: fn.latestSize,
          publishedAt: this.#now(),
        });
        return this.#configuration(fn, version);
      }
      case 'GetFunctionConfiguration':
        return this.#configuration(fn, qualifier ?? '$LATEST');
      case 'CreateAlias': {
        const name = String(input.Name);
        if (fn.aliases.has(name)) throw conflict(`Alias already exists: ${functionArn(fn.name)}:${name}`);
        const version = String(input.FunctionVersion);
        this.#version(fn, version);
        const alias: Alias = { version, weights: {}, description: String(input.Description ?? '') };
        this.#setRouting(fn, name, alias, input.RoutingConfig);
        fn.aliases.set(name, alias);
        return this.#aliasConfiguration(fn, name, alias);
      }
      case 'UpdateAlias': {
        const name = String(input.Name);
        const current = this.#alias(fn, name);
        const next: Alias = {
          version: input.FunctionVersion === undefined ? current.version : String(input.FunctionVersion),
          weights: { ...current.weights },
          description: input.Description === undefined ? current.description : String(input.Description),
        };
        this.#version(fn, next.version);
        this.#setRouting(fn, name, next, input.RoutingConfig);
        fn.aliases.set(name, next);
        return this.#aliasConfiguration(fn, name, next);
      }
      case 'GetAlias': {
        const name = String(input.Name);
        return this.#aliasConfiguration(fn, name, this.#alias(fn, name));
      }
      case 'DeleteAlias': {
        const name = String(input.Name);
        this.#alias(fn, name);
        fn.aliases.delete(name);
        return {};
      }
      case 'CreateFunctionUrlConfig': {
        const q = qualifier ?? '$LATEST';
        if (q !== '$LATEST') this.#alias(fn, q);
        if (fn.urls.has(q)) throw conflict(`FunctionUrlConfig exists for this Lambda function`);
        const url = { url: functionUrl(fn.name, q), authType: String(input.AuthType) };
        fn.urls.set(q, url);
        return { FunctionUrl: url.url, FunctionArn: `${functionArn(fn.name)}:${q}`, AuthType: url.authType };
      }
      case 'GetFunctionUrlConfig': {
        const url = fn.urls.get(qualifier ?? '$LATEST');
        if (!url) throw notFound(`The resource you requested does not exist.`);
        return { FunctionUrl: url.url, AuthType: url.authType };
      }
      case 'DeleteFunctionUrlConfig': {
        if (!fn.urls.delete(qualifier ?? '$LATEST'))
          throw notFound(`The resource you requested does not exist.`);
        return {};
      }
      case 'ListAliases':
        return this.#page(
          [...fn.aliases.entries()].map(([name, alias]) => this.#aliasConfiguration(fn, name, alias)),
          input,
          'Aliases',
        );
      case 'ListVersionsByFunction':
        return this.#page(
          [{ version: '$LATEST', publishedAt: this.#now() }, ...fn.versions.values()].map((v) => ({
            ...this.#configuration(fn, v.version),
            // Lambda's own format: 2026-12-02T10:00:00.000+0000
            LastModified: new Date(v.publishedAt).toISOString().replace('Z', '+0000'),
          })),
          input,
          'Versions',
        );
      case 'DeleteFunction': {
        if (qualifier === undefined || qualifier === '$LATEST') {
          throw invalid('the twin deletes versions only; the service stack owns the function');
        }
        this.#version(fn, qualifier);
        const users = [...fn.aliases.entries()].filter(
          ([, a]) => a.version === qualifier || qualifier in a.weights,
        );
        if (users.length > 0) {
          throw conflict(
            `Unable to delete version because the following aliases reference it: ${users.map(([n]) => n).join(', ')}`,
          );
        }
        fn.versions.delete(qualifier);
        return {};
      }
      default:
        throw new UnmodelledCallError('lambda', command);
    }
  }

  /** Lambda's Marker/MaxItems pagination, two items a page by default so callers must follow NextMarker. */
  #page<T>(items: T[], input: Record<string, unknown>, key: string) {
    const from = input.Marker === undefined ? 0 : Number(input.Marker);
    const size = input.MaxItems === undefined ? 2 : Number(input.MaxItems);
    const next = from + size;
    return { [key]: items.slice(from, next), ...(next < items.length ? { NextMarker: String(next) } : {}) };
  }

  #setRouting(fn: ServiceFunction, name: string, alias: Alias, routing: unknown): void {
    if (routing !== undefined) {
      const weights =
        (routing as { AdditionalVersionWeights?: Record<string, number> }).AdditionalVersionWeights ?? {};
      const entries = Object.entries(weights);
      if (entries.length > 1) throw invalid('RoutingConfig supports one additional version');
      for (const [version, weight] of entries) {
        this.#version(fn, version);
        if (version === '$LATEST' || alias.version === '$LATEST')
          throw invalid('$LATEST is not supported for an alias pointing to more than 1 version');
        if (version === alias.version)
          throw invalid('The primary version and the additional version must differ');
        if (!(weight >= 0 && weight <= 1)) throw invalid(`Invalid weight ${weight}: 0.0 to 1.0`);
      }
      alias.weights = weights;
    }
    const [canary] = Object.entries(alias.weights);
    this.routingHistory.push({
      function: fn.name,
      alias: name,
      version: alias.version,
      canaryWeight: canary ? Math.round(canary[1] * 100) : 0,
      ...(canary ? { canaryVersion: canary[0] } : {}),
    });
  }

  #configuration(fn: ServiceFunction, qualifier: string) {
    if (qualifier === '$LATEST') {
      return {
        FunctionName: fn.name,
        FunctionArn: functionArn(fn.name),
        Version: '$LATEST',
        CodeSha256: fn.latestSha,
        CodeSize: fn.latestSize,
        State: 'Active',
        LastUpdateStatus: 'Successful',
      };
    }
    const alias = fn.aliases.get(qualifier);
    const v = this.#version(fn, alias ? alias.version : qualifier);
    return {
      FunctionName: fn.name,
      FunctionArn: `${functionArn(fn.name)}:${qualifier}`,
      Version: v.version,
      CodeSha256: v.codeSha256,
      CodeSize: v.codeSize,
      State: 'Active',
      LastUpdateStatus: 'Successful',
    };
  }

  #aliasConfiguration(fn: ServiceFunction, name: string, alias: Alias) {
    return {
      AliasArn: `${functionArn(fn.name)}:${name}`,
      Name: name,
      FunctionVersion: alias.version,
      Description: alias.description,
      RoutingConfig: { AdditionalVersionWeights: { ...alias.weights } },
    };
  }

  #nameOf(input: Record<string, unknown>): string {
    const raw = String(input.FunctionName ?? '');
    // A function ARN names the function too: arn:aws:lambda:region:account:function:name[:qualifier]
    const parts = raw.split(':');
    return parts.length >= 7 ? (parts[6] ?? raw) : raw;
  }

  #function(name: string): ServiceFunction {
    const fn = this.functions.get(name);
    if (!fn) throw notFound(`Function not found: ${functionArn(name)}`);
    return fn;
  }

  #alias(fn: ServiceFunction, name: string): Alias {
    const alias = fn.aliases.get(name);
    if (!alias) throw notFound(`Alias not found: ${functionArn(fn.name)}:${name}`);
    return alias;
  }

  #version(
    fn: ServiceFunction,
    version: string,
  ): Version | { version: '$LATEST'; codeSha256: string; codeSize: number } {
    if (version === '$LATEST')
      return { version: '$LATEST', codeSha256: fn.latestSha, codeSize: fn.latestSize };
    const v = fn.versions.get(version);
    if (!v) throw notFound(`Function not found: ${functionArn(fn.name)}:${version}`);
    return v;
  }
}
