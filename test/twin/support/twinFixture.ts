/**
 * What the twin tests share: the app synthesized once per pass (synthesisCache.ts), the example
 * service's run input, and template edits (a grant removed) on a copy of the stacks.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import { awsControl } from '../../../lambdas/adapters/dashboard/aws.ts';
import type { RunInput } from '../../../lambdas/core/pipeline/contract.ts';
import { parseRunSpec } from '../../../lambdas/core/webhook/runSpec.ts';
import { forwardWeights } from '../../../lambdas/twin/fakes/elb.ts';
import { TwinFunctionUrls } from '../../../lambdas/twin/functionUrls.ts';
import { releaseInput, type StoryRelease } from '../../../lambdas/twin/story.ts';
import { startTwin, TWIN_ROOT, type Twin, type TwinOptions } from '../../../lambdas/twin/TwinPlatform.ts';
import { type SynthesizedStack, TWIN_ACCOUNT, TWIN_REGION } from '../../../lambdas/twin/template.ts';
import { cachedSynthesis } from './synthesisCache.ts';

let synthesized: Promise<SynthesizedStack[]> | undefined;
/** The example app's stacks: synthesized once for all the twin files of a pass (synthesisCache.ts). */
export function exampleStacks(): Promise<SynthesizedStack[]> {
  synthesized ??= cachedSynthesis(`${TWIN_ROOT}examples/platform.yml`);
  return synthesized;
}

/** What a twin test file uses: the example's stacks, and twins that are stopped after each test. */
export interface ExampleTwin {
  /** The example app's stacks (read in `beforeAll`: synthesized once per pass, synthesisCache.ts). */
  readonly stacks: SynthesizedStack[];
  /** Starts a twin on the example's stacks (or `options.stacks`); it is stopped after the test. */
  start(options?: TwinOptions): Promise<Twin>;
  /** Stops the twin `start` gave now, e.g. to start another in the same test. */
  stop(): Promise<void>;
}

/**
 * The setup every twin test file shares: `beforeAll` reads the example app's stacks (exampleStacks),
 * `afterEach` stops the twin the test started, whether the test passed or not.
 */
export function useExampleTwin(): ExampleTwin {
  let stacks: SynthesizedStack[] | undefined;
  let current: Twin | undefined;
  beforeAll(async () => {
    stacks = await exampleStacks();
  }, 120_000);
  const stop = async () => {
    const running = current;
    current = undefined;
    await running?.stop();
  };
  afterEach(stop, 60_000);
  return {
    get stacks() {
      if (stacks === undefined)
        throw new Error('the example stacks are synthesized in beforeAll: use them in a test');
      return stacks;
    },
    async start(options: TwinOptions = {}) {
      if (current !== undefined) throw new Error('a twin is already running in this test: stop it first');
      current = await startTwin({ ...options, stacks: options.stacks ?? this.stacks });
      return current;
    },
    stop,
  };
}

export const ORDERS = {
  service: 'orders',
  team: 'checkout',
  solution: 'webshop',
  repo: 'example-org/orders',
};

/** The run input the webhook Lambda would start for a push of `commit` to the example service. */
/** The example's run input; `build` gives it a build command (the example has none, so build is skipped). */
export function ordersRunInput(
  commit: string,
  execution: string,
  build?: { command: string; timeoutSeconds: number },
): RunInput {
  const spec = parseRunSpec(readFileSync(`${TWIN_ROOT}examples/orders/.vouch.yml`, 'utf8'));
  const config = build ? { ...spec.config, build } : spec.config;
  return {
    service: spec.service,
    team: spec.team,
    solution: spec.solution,
    repo: ORDERS.repo,
    commit,
    branch: 'main',
    execution,
    pipe: spec.pipe,
    config,
  };
}

/**
 * A copy of the stacks where `action` is removed from every statement of the policies whose logical
 * ID starts with `policyPrefix` (a statement left with no action is dropped).
 */
export function withoutGrant(
  stacks: readonly SynthesizedStack[],
  policyPrefix: string,
  action: string,
): SynthesizedStack[] {
  const copy = structuredClone(stacks) as SynthesizedStack[];
  let removed = 0;
  for (const { template } of copy) {
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::IAM::Policy' || !id.startsWith(policyPrefix)) continue;
      const doc = r.Properties?.PolicyDocument as { Statement: { Action: string | string[] }[] };
      doc.Statement = doc.Statement.flatMap((s) => {
        const actions = [s.Action].flat();
        if (!actions.includes(action)) return [s];
        removed++;
        const left = actions.filter((a) => a !== action);
        return left.length > 0 ? [{ ...s, Action: left }] : [];
      });
    }
  }
  if (removed === 0) throw new Error(`no statement of ${policyPrefix}* grants ${action}`);
  return copy;
}

/** Waits (wall time, polling) until `predicate` holds, or fails after `ms`. */
export async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => globalThis.setTimeout(r, 50));
  }
}

/**
 * The CLI's control path (`vouch promote|abort|rollback --aws`) as an operator: a caller whose role has
 * the stack's operator policy (ControlOperatorPolicyArn, as the template writes it), signing its
 * requests to the control Function URL with SigV4.
 */
export function operatorControl(twin: Twin, sessionName = 'alice'): ReturnType<typeof awsControl> {
  const [found] = twin.templates
    .resourcesOfType('AWS::IAM::ManagedPolicy')
    .filter((p) => String(p.resource.Properties?.Description).startsWith('Vouch operators'));
  if (!found) throw new Error('the templates have no operator policy');
  const urls = new TwinFunctionUrls(twin.templates, twin.lambdas);
  const accessKeyId = `AKIDOPERATOR${sessionName.toUpperCase()}`;
  urls.caller(accessKeyId, {
    identity: {
      roleName: 'release-managers',
      roleArn: `arn:aws:iam::${TWIN_ACCOUNT}:role/release-managers`,
      policies: [
        {
          name: 'VouchOperators',
          policy: twin.templates.resolve(found.stackName, found.resource.Properties?.PolicyDocument),
        },
      ],
    },
    sessionName,
  });
  return awsControl({
    controlUrl: urls.urlOf('lambdas/handlers/control.ts').url,
    region: TWIN_REGION,
    credentials: async () => ({ accessKeyId, secretAccessKey: 'secret' }),
    fetch: urls.fetch,
  });
}

/**
 * A story release's run input, released to qa only (prod is the same code path and would double the
 * test's time); `firstStepWindowSeconds` makes the canary one step, the first, with a window long enough for the
 * operator to act inside it on a loaded machine (the example's 90 s is 9 s of wall time at x10).
 */
export function qaRelease(release: StoryRelease, firstStepWindowSeconds?: number): RunInput {
  const spec = ordersRunInput(release.commit, `twin-release-${release.number}`);
  const input = releaseInput({ ...spec, trunk: 'main' }, release, ORDERS.repo);
  const config = input.config as Record<string, unknown> & {
    releaseEnvironments: { name: string }[];
    canary: { steps: (number | { traffic: number; windowSeconds?: number })[] };
  };
  const [first] = config.canary.steps;
  const firstTraffic = typeof first === 'number' ? first : (first?.traffic ?? 20);
  return {
    ...input,
    config: {
      ...config,
      releaseEnvironments: config.releaseEnvironments.filter((e) => e.name === 'qa'),
      canary: {
        ...config.canary,
        steps:
          firstStepWindowSeconds === undefined
            ? config.canary.steps
            : // Only that step: the twin engine's Map starts the next queued step after a failed one
              // (aws-local-stepfunctions aborts only started iterations), which Step Functions does not.
              [{ traffic: firstTraffic, windowSeconds: firstStepWindowSeconds }],
      },
    },
  } as RunInput;
}

/** The weights qa's listener rule forwards with, by slot (the rule the service stack made). */
export function qaWeights(t: Twin): { baseline: number; canary: number } {
  const rule = [...t.elb.rules.values()].find((r) => r.tags['vouch:environment-id'] === 'orders.qa');
  if (!rule) throw new Error('the templates have no listener rule for orders.qa');
  const out = { baseline: 0, canary: 0 };
  for (const { arn, weight } of forwardWeights(rule)) {
    const slot = t.elb.targetGroups.get(arn)?.tags['vouch:slot'];
    if (slot === 'baseline' || slot === 'canary') out[slot] += weight;
  }
  return out;
}
