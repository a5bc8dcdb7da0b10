/**
 * Environment variables of the cost collector Lambda: the contract between lib/cost/CostCollector.ts,
 * which sets them, and lambdas/handlers/costCollector.ts, which reads them at module scope.
 */
export const COST_COLLECTOR_ENV = {
  /** Name of the build data table (same variable as every platform Lambda: RUNTIME_ENV.buildTable). */
  buildTable: 'VOUCH_BUILD_TABLE',
  /** Completed days each run re-reads, 1..14. Optional, default 3. */
  lookbackDays: 'VOUCH_COST_LOOKBACK_DAYS',
  /** `UnblendedCost` or `AmortizedCost`. Optional, default `UnblendedCost`. */
  costMetric: 'VOUCH_COST_METRIC',
  /** `true`: each run activates the cost allocation tag keys Billing has seen but are not active yet. */
  activateTags: 'VOUCH_COST_ACTIVATE_TAGS',
} as const;
