/**
 * Every AWS call a twin Lambda makes is authorised against its role's policies from the template, by
 * an IAM policy simulator (@cloud-copilot/iam-simulate: AGPL-3.0, a devDependency the twin alone
 * loads; it is never bundled into a Lambda or shipped). The request is what AWS evaluates: the IAM
 * action, the resource ARN in the service's own format, and the condition keys the call carries.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { AccessDeniedError, TwinTemplateError } from './errors.ts';
import { type DeployedTemplates, TWIN_ACCOUNT, TWIN_PARTITION } from './template.ts';

/** One authorisation AWS makes for a call (a call may need several, e.g. RunInstances). */
export interface AuthorizationRequest {
  /** `service:Action`, as IAM names it. */
  readonly action: string;
  /** The resource ARN as the service reference writes it; `*` for actions without resource types. */
  readonly resource: string;
  /** Condition keys the request carries (aws:RequestTag/..., ec2:CreateAction, iam:PassedToService, ...). */
  readonly context?: Readonly<Record<string, string | string[]>>;
}

export interface RoleIdentity {
  readonly roleName: string;
  readonly roleArn: string;
  /** The identity policies attached to the role (inline on the role and AWS::IAM::Policy resources). */
  readonly policies: readonly { name: string; policy: unknown }[];
}

/** The role `roleArn` resolves to in the deployed templates, with every policy attached to it. */
export function roleIdentity(templates: DeployedTemplates, roleArn: string): RoleIdentity {
  for (const { stackName, logicalId, resource } of templates.resourcesOfType('AWS::IAM::Role')) {
    if (templates.getAtt(stackName, logicalId, 'Arn') !== roleArn) continue;
    const props = resource.Properties ?? {};
    if (Array.isArray(props.ManagedPolicyArns) && props.ManagedPolicyArns.length > 0) {
      throw new TwinTemplateError(`role ${logicalId} has managed policies, which the twin cannot read`);
    }
    const policies: { name: string; policy: unknown }[] = [];
    for (const inline of (props.Policies as { PolicyName: string; PolicyDocument: unknown }[] | undefined) ??
      []) {
      policies.push({ name: inline.PolicyName, policy: templates.resolve(stackName, inline.PolicyDocument) });
    }
    for (const p of templates.resourcesOfType('AWS::IAM::Policy')) {
      const roles = (p.resource.Properties?.Roles as unknown[] | undefined) ?? [];
      const attached = roles.some(
        (r) => templates.resolve(p.stackName, r) === templates.ref(stackName, logicalId),
      );
      if (attached) {
        policies.push({
          name: p.logicalId,
          policy: templates.resolve(p.stackName, p.resource.Properties?.PolicyDocument),
        });
      }
    }
    return { roleName: templates.ref(stackName, logicalId), roleArn, policies };
  }
  throw new TwinTemplateError(`no role ${roleArn} in the synthesized templates`);
}

/** The account an ARN belongs to; ARNs without one (AMIs, snapshots, S3) are the twin account's. */
function accountOf(resource: string): string {
  const account = resource.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : TWIN_ACCOUNT;
}

/** A policy simulator verdict per (role, request): the same call is asked many times in a run. */
const decisions = new Map<string, Promise<string>>();

/** `Allowed`, `ImplicitlyDenied` or `ExplicitlyDenied` for one request of a role session. */
export async function decide(identity: RoleIdentity, sessionName: string, request: AuthorizationRequest) {
  const key = JSON.stringify([identity.roleArn, identity.policies, request]);
  let decision = decisions.get(key);
  if (decision === undefined) {
    decision = simulate(identity, sessionName, request);
    decisions.set(key, decision);
  }
  return decision;
}

async function simulate(
  identity: RoleIdentity,
  sessionName: string,
  request: AuthorizationRequest,
): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: `arn:${TWIN_PARTITION}:sts::${TWIN_ACCOUNT}:assumed-role/${identity.roleName}/${sessionName}`,
      action: request.action,
      resource: { resource: request.resource, accountId: accountOf(request.resource) },
      contextVariables: {
        'aws:SecureTransport': 'true',
        'aws:PrincipalArn': identity.roleArn,
        'aws:PrincipalAccount': TWIN_ACCOUNT,
        ...request.context,
      },
    },
    identityPolicies: identity.policies.map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: undefined,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    throw new TwinTemplateError(
      `the policy simulator refused ${request.action} on ${request.resource}: ${result.errors.message} ${JSON.stringify(result.errors)}`,
    );
  }
  return result.overallResult;
}

/** One authorisation the simulator allowed: whose role, which session, what was asked. */
export interface AuthorizedRequest {
  readonly identity: RoleIdentity;
  readonly sessionName: string;
  readonly request: AuthorizationRequest;
}

const recorders = new Set<AuthorizedRequest[]>();

/**
 * Records every request `authorize` allows from now until `stop()` (Lambda roles, CodeBuild project
 * roles, state machine and scheduler roles alike): what a run needed of each role, which the grants
 * test replays against each policy with one grant removed.
 */
export function recordAuthorizations(): { readonly allowed: AuthorizedRequest[]; stop(): void } {
  const allowed: AuthorizedRequest[] = [];
  recorders.add(allowed);
  return { allowed, stop: () => recorders.delete(allowed) };
}

/** Throws AccessDeniedException unless the role's policies allow every request of the call. */
export async function authorize(
  identity: RoleIdentity,
  sessionName: string,
  requests: readonly AuthorizationRequest[],
): Promise<void> {
  for (const request of requests) {
    const decision = await decide(identity, sessionName, request);
    if (decision !== 'Allowed') {
      throw new AccessDeniedError(
        `arn:${TWIN_PARTITION}:sts::${TWIN_ACCOUNT}:assumed-role/${identity.roleName}/${sessionName}`,
        request.action,
        request.resource,
        decision,
      );
    }
  }
  for (const allowed of recorders) {
    for (const request of requests) allowed.push({ identity, sessionName, request });
  }
}
