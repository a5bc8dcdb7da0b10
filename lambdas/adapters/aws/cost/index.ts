export { cloudWatchCostMetrics } from './cloudWatchCostMetrics.ts';
export { costAllocationTagAdmin } from './costAllocationTagAdmin.ts';
export { type CostExplorerReaderOptions, type CostMetric, costExplorerReader } from './costExplorerReader.ts';
export { type DynamoCostLedgerOptions, dynamoCostLedger } from './dynamoCostLedger.ts';
