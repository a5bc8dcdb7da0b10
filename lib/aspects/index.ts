export {
  applyCostTags,
  PLATFORM_TAGS,
  RequiredTagsAspect,
  type RequiredTagsAspectProps,
  requireCostTags,
} from './RequiredTagsAspect.ts';
