export { CostAllocationTags, type CostAllocationTagsProps } from './CostAllocationTags.ts';
export { CostCollector, type CostCollectorProps } from './CostCollector.ts';
export {
  serviceDashboardUrl,
  TeamCostDashboard,
  type TeamCostDashboardProps,
  type TeamCostService,
} from './TeamCostDashboard.ts';
