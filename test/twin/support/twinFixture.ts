/**
 * What the twin tests share: the app synthesized once per test file (about half a minute), the example
 * service's run input, and template edits (a grant removed) on a copy of the stacks.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import type { RunInput } from '../../../lambdas/core/pipeline/contract.ts';
import { parseRunSpec } from '../../../lambdas/core/webhook/runSpec.ts';
import { startTwin, TWIN_ROOT, type Twin, type TwinOptions } from '../../../lambdas/twin/TwinPlatform.ts';
import { type SynthesizedStack, synthesizeVouchApp } from '../../../lambdas/twin/template.ts';

let synthesized: Promise<SynthesizedStack[]> | undefined;
export function exampleStacks(): Promise<SynthesizedStack[]> {
  synthesized ??= synthesizeVouchApp(`${TWIN_ROOT}examples/platform.yml`);
  return synthesized;
}

/** What a twin test file uses: the example's stacks, and twins that are stopped after each test. */
export interface ExampleTwin {
  /** The example app's stacks (synthesized once per file, in `beforeAll`). */
  readonly stacks: SynthesizedStack[];
  /** Starts a twin on the example's stacks (or `options.stacks`); it is stopped after the test. */
  start(options?: TwinOptions): Promise<Twin>;
  /** Stops the twin `start` gave now, e.g. to start another in the same test. */
  stop(): Promise<void>;
}

/**
 * The setup every twin test file shares: `beforeAll` synthesizes the example app (once per file),
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
