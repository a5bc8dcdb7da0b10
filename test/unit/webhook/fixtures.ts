// Fakes for the webhook ports: a starter that counts calls and keeps one run per name (as Step
// Functions does), a spec loader over a table of repos, and a logger that records.
import { sign } from '@octokit/webhooks-methods';
import type { RunInput } from '../../../lambdas/core/pipeline/contract.ts';
import { createMemoryDeliveryLedger } from '../../../lambdas/core/webhook/deliveryLedger.ts';
import { gitHubPushPayload, signedGitHubHeaders } from '../../../lambdas/core/webhook/gitHubPush.ts';
import type {
  ExecutionStarter,
  LoadSpec,
  RunSpec,
  WebhookDeps,
  WebhookLogger,
} from '../../../lambdas/core/webhook/types.ts';

export const SECRET = 'test-webhook-secret';
export const REPO = 'acme/shop';
export const COMMIT = 'a'.repeat(40);
export const PARENT = 'b'.repeat(40);
export const SPEC: RunSpec = {
  service: 'shop',
  team: 'payments',
  solution: 'storefront',
  pipe: 'ec2-canary',
  config: { releaseEnvironments: [{ name: 'prod' }] },
};

export interface CountingStarter extends ExecutionStarter {
  readonly calls: { name: string; input: RunInput }[];
  readonly runs: Map<string, RunInput>;
}

export function countingStarter(): CountingStarter {
  const calls: { name: string; input: RunInput }[] = [];
  const runs = new Map<string, RunInput>();
  return {
    calls,
    runs,
    async start(name, input) {
      calls.push({ name, input });
      const alreadyExisted = runs.has(name);
      if (!alreadyExisted) runs.set(name, input);
      return { executionArn: `local:execution:${name}`, alreadyExisted };
    },
  };
}

export function specTable(specs: Record<string, RunSpec>): LoadSpec & { calls: number } {
  const load = async (repo: string, _commit: string) => {
    load.calls++;
    const spec = specs[repo];
    return spec === undefined
      ? { found: false as const, reason: `${repo} has no .vouch.yml` }
      : { found: true as const, ...spec };
  };
  load.calls = 0;
  return load;
}

export interface RecordingLogger extends WebhookLogger {
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    lines.push({ level, message, ...(extra === undefined ? {} : { extra }) });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

export function fakeDeps(overrides: Partial<WebhookDeps> = {}) {
  const starter = countingStarter();
  const logger = recordingLogger();
  const loadSpec = specTable({ [REPO]: SPEC });
  const ledger = createMemoryDeliveryLedger();
  const deps: WebhookDeps = { secret: SECRET, loadSpec, starter, logger, ledger, ...overrides };
  return { deps, starter, logger, loadSpec, ledger };
}

/** A push body; deterministic (fixed head commit time), so signing it twice gives the same bytes. */
export function pushBody(overrides: Partial<Parameters<typeof gitHubPushPayload>[0]> = {}): string {
  const payload = gitHubPushPayload({
    repo: REPO,
    branch: 'main',
    commit: COMMIT,
    before: PARENT,
    ...overrides,
  });
  const head = payload.head_commit as Record<string, unknown>;
  return JSON.stringify({ ...payload, head_commit: { ...head, timestamp: '2026-01-01T00:00:00Z' } });
}

export async function signedPush(
  body = pushBody(),
  deliveryId = '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  secret = SECRET,
): Promise<{ headers: Record<string, string>; body: string }> {
  return { headers: await signedGitHubHeaders(secret, body, deliveryId), body };
}

/**
 * The probe's body: a feature-branch push of acme/shop, valid JSON, whose commit message carries
 * `&payload=<url-encoded trunk push of acme/billing>`. Read as a form, `payload` is that embedded push.
 */
export function smuggledFormBody(): string {
  const embedded = JSON.stringify(
    gitHubPushPayload({ repo: 'acme/billing', branch: 'main', commit: 'c'.repeat(40), before: PARENT }),
  );
  return JSON.stringify(
    gitHubPushPayload({
      repo: REPO,
      branch: 'feature/x',
      defaultBranch: 'main',
      commit: COMMIT,
      before: PARENT,
      message: `fix typo&payload=${encodeURIComponent(embedded)}&`,
    }),
  );
}

export { sign };
