/**
 * What a canary step does with its verdict: go to the next step, roll back, extend the window once
 * more, or pause for a person. Kept apart from the judge so the judge stays a pure comparison.
 */
import type { CanaryVerdict } from './judge.ts';
import type { CanaryJudgeConfig } from './spec.ts';

export type CanaryStepAction = 'advance' | 'rollback' | 'extend' | 'pause';

export interface CanaryStepDecision {
  readonly action: CanaryStepAction;
  readonly reason: string;
}

export function decideCanaryStep(
  verdict: Pick<CanaryVerdict, 'outcome'>,
  extensionsUsed: number,
  config: Pick<CanaryJudgeConfig, 'onInconclusive' | 'maxExtensions'>,
): CanaryStepDecision {
  if (verdict.outcome === 'PASS') return { action: 'advance', reason: 'canary within allowed decay' };
  if (verdict.outcome === 'FAIL')
    return { action: 'rollback', reason: 'canary significantly worse than allowed' };
  if (config.onInconclusive === 'pause')
    return { action: 'pause', reason: 'inconclusive: waiting for a person' };
  if (config.onInconclusive === 'extend' && extensionsUsed < config.maxExtensions) {
    return {
      action: 'extend',
      reason: `inconclusive: extending the window (${extensionsUsed + 1}/${config.maxExtensions})`,
    };
  }
  return { action: 'rollback', reason: 'inconclusive and no extension left: failing safe' };
}
