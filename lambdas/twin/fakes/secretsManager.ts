/**
 * Secrets Manager on the twin: the secrets the templates name (each `secretsmanager:GetSecretValue`
 * grant's `secret:<name>-??????` resource, and `{{resolve:secretsmanager:<name>...}}` references),
 * with values the twin is given (an operator creates them before `cdk deploy`; the template only
 * references their names). A value is never printed: the fake keeps it and answers GetSecretValue.
 * Each secret's ARN ends in `-` and six characters, as Secrets Manager appends to a secret's name,
 * so a grant on `secret:<name>-??????` matches it and one on `secret:<name>` does not.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { TwinSetupError, UnmodelledCallError } from '../errors.ts';
import type { ServiceFake } from '../sdk.ts';
import { type DeployedTemplates, TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from '../template.ts';

const SECRET_ARN = /:secretsmanager:[^:]*:[^:]*:secret:(.+)-\?{6}$/;
const DYNAMIC_REFERENCE = /\{\{resolve:secretsmanager:([^:}]+)/g;

/** The secret names the templates reference, in the order first seen. */
export function templateSecretNames(templates: DeployedTemplates): string[] {
  const names = new Set<string>();
  for (const { stackName, template } of templates.stacks) {
    const text = JSON.stringify(template);
    for (const m of text.matchAll(DYNAMIC_REFERENCE)) names.add(m[1] as string);
    for (const [, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const doc = templates.resolve(stackName, r.Properties?.PolicyDocument) as {
        Statement: { Action: string | string[]; Resource: string | string[] }[];
      };
      for (const s of doc.Statement) {
        if (![s.Action].flat().includes('secretsmanager:GetSecretValue')) continue;
        for (const resource of [s.Resource].flat()) {
          const m = SECRET_ARN.exec(resource);
          if (m) names.add(m[1] as string);
        }
      }
    }
  }
  return [...names];
}

interface StoredSecret {
  readonly name: string;
  readonly arn: string;
  readonly value: string;
}

export class TwinSecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();

  /**
   * @param values the secrets' values by name; a template secret without one gets a made-up value (the
   *   twin's Slack and Git endpoints accept any token), a name the templates do not reference is refused.
   */
  constructor(templates: DeployedTemplates, values: Readonly<Record<string, string>> = {}) {
    const names = templateSecretNames(templates);
    for (const name of Object.keys(values)) {
      if (!names.includes(name))
        throw new TwinSetupError(
          `the templates reference no secret ${name} (they reference: ${names.join(', ')})`,
        );
    }
    for (const name of names) {
      const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
      const arn = `arn:${TWIN_PARTITION}:secretsmanager:${TWIN_REGION}:${TWIN_ACCOUNT}:secret:${name}-${suffix}`;
      // The default is stable per name: a handler module caches what it read (one container per
      // process), so two twins of one test file must hand it the same value.
      const fallback = createHash('sha256').update(`vouch-twin-secret:${name}`).digest('hex').slice(0, 40);
      this.secrets.set(name, { name, arn, value: values[name] ?? fallback });
    }
  }

  get names(): string[] {
    return [...this.secrets.keys()];
  }

  /** The value the twin holds for `name` (tests compare with it; never print it). */
  valueOf(name: string): string | undefined {
    return this.secrets.get(name)?.value;
  }

  /** SecretId is a name or a full ARN (Secrets Manager API reference, GetSecretValue). */
  private find(secretId: string): StoredSecret | undefined {
    return this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.arn === secretId);
  }

  fake(): ServiceFake {
    const notFound = () =>
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: { httpStatusCode: 400 },
      });
    return {
      authorization: (command, input) => {
        const id = String(input.SecretId);
        // A secret that does not exist is authorised on the ARN the name would have: a grant on
        // `<name>-??????` matches it, so the caller sees ResourceNotFound, as on AWS.
        const arn =
          this.find(id)?.arn ??
          (id.startsWith('arn:')
            ? id
            : `arn:${TWIN_PARTITION}:secretsmanager:${TWIN_REGION}:${TWIN_ACCOUNT}:secret:${id}-abcdef`);
        return [{ action: `secretsmanager:${command}`, resource: arn }];
      },
      handle: async (command, input) => {
        if (command !== 'GetSecretValue') throw new UnmodelledCallError('secretsmanager', command);
        const secret = this.find(String(input.SecretId));
        if (secret === undefined) throw notFound();
        return {
          ARN: secret.arn,
          Name: secret.name,
          SecretString: secret.value,
          VersionId: 'twin-version-1',
          VersionStages: ['AWSCURRENT'],
        };
      },
    };
  }
}
