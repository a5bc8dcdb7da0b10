/**
 * Least privilege on the synthesized templates: every grant (one action of one statement of a role's
 * policy) is checked against what a twin run asked of that role. Removing the grant, each recorded
 * request that needed it must be refused by the same path the twin's SDK takes (`authorize`, so the
 * error is the AccessDenied an operator would read, naming action and resource); a grant no recorded
 * request needs is reported.
 */
import {
  type AuthorizedRequest,
  authorize,
  type RoleIdentity,
  roleIdentity,
} from '../../../lambdas/twin/iam.ts';
import type { DeployedTemplates } from '../../../lambdas/twin/template.ts';

interface Statement {
  Effect?: string;
  Action?: string | string[];
  [key: string]: unknown;
}

/** One action of one statement of one policy of a role. */
export interface Grant {
  readonly stackName: string;
  /** The role's logical ID without CDK's hash suffix (TaskBakeRole). */
  readonly role: string;
  readonly roleArn: string;
  readonly policy: string;
  readonly statement: number;
  readonly action: string;
}

export const grantName = (g: Grant): string => `${g.role} ${g.action}`;

/** The role's logical ID as written in the construct, without CDK's 8-character hash. */
const roleName = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

/** Every Allow action of every statement of every role's policies in `stackNames`. */
export function grantsOf(
  templates: DeployedTemplates,
  stackNames: readonly string[],
): { grant: Grant; identity: RoleIdentity }[] {
  const out: { grant: Grant; identity: RoleIdentity }[] = [];
  for (const { stackName, logicalId } of templates.resourcesOfType('AWS::IAM::Role')) {
    if (!stackNames.includes(stackName)) continue;
    const roleArn = templates.getAtt(stackName, logicalId, 'Arn');
    const identity = roleIdentity(templates, roleArn);
    for (const { name, policy } of identity.policies) {
      const statements = [(policy as { Statement: Statement | Statement[] }).Statement].flat();
      statements.forEach((s, statement) => {
        if (s.Effect !== 'Allow') return;
        for (const action of [s.Action ?? []].flat()) {
          out.push({
            grant: { stackName, role: roleName(logicalId), roleArn, policy: name, statement, action },
            identity,
          });
        }
      });
    }
  }
  return out;
}

/** The role's identity with `grant` removed (a statement left without actions is dropped). */
export function identityWithout(identity: RoleIdentity, grant: Grant): RoleIdentity {
  return {
    ...identity,
    policies: identity.policies.map((p) => {
      if (p.name !== grant.policy) return p;
      const doc = structuredClone(p.policy) as { Statement: Statement | Statement[] };
      const statements = [doc.Statement].flat().flatMap((s, i) => {
        if (i !== grant.statement) return [s];
        const left = [s.Action ?? []].flat().filter((a) => a !== grant.action);
        return left.length > 0 ? [{ ...s, Action: left }] : [];
      });
      return { name: p.name, policy: { ...doc, Statement: statements } };
    }),
  };
}

/** IAM's action match: case-insensitive, `*` and `?` as wildcards. */
function actionMatches(pattern: string, action: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(action);
}

export interface GrantCheck {
  readonly grant: Grant;
  /** Recorded requests of the role for the grant's action (distinct). */
  readonly uses: number;
  /** Without the grant: the requests refused, with the error the twin raised. */
  readonly denied: { action: string; resource: string; error: string; message: string }[];
  /** Without the grant: requests still allowed (another statement grants them too). */
  readonly stillAllowed: number;
}

/** Distinct recorded requests (the same call is made many times in a run). */
export function distinctRequests(allowed: readonly AuthorizedRequest[]): AuthorizedRequest[] {
  const seen = new Map<string, AuthorizedRequest>();
  for (const a of allowed) {
    const key = JSON.stringify([a.identity.roleArn, a.request]);
    if (!seen.has(key)) seen.set(key, a);
  }
  return [...seen.values()];
}

/** For each grant: its role's recorded requests for the action, re-authorised with the grant removed. */
export async function checkGrants(
  grants: readonly { grant: Grant; identity: RoleIdentity }[],
  allowed: readonly AuthorizedRequest[],
): Promise<GrantCheck[]> {
  const requests = distinctRequests(allowed);
  const checks: GrantCheck[] = [];
  for (const { grant, identity } of grants) {
    const reduced = identityWithout(identity, grant);
    const uses = requests.filter(
      (r) => r.identity.roleArn === grant.roleArn && actionMatches(grant.action, r.request.action),
    );
    const denied: GrantCheck['denied'] = [];
    let stillAllowed = 0;
    for (const use of uses) {
      try {
        await authorize(reduced, use.sessionName, [use.request]);
        stillAllowed++;
      } catch (error) {
        const e = error as Error;
        denied.push({
          action: use.request.action,
          resource: use.request.resource,
          error: e.name,
          message: e.message,
        });
      }
    }
    checks.push({ grant, uses: uses.length, denied, stillAllowed });
  }
  return checks;
}
