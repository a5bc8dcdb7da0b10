import type { ResourceType, TagSpecification } from '@aws-sdk/client-ec2';
import type { ResourceTags } from '../../../core/shared/tags.ts';

/**
 * Tag keys the target writes and reads. The three cost tags (service, team, solution) plus
 * `environment` go on every resource for Cost Explorer; the `vouch:*` keys are how a stateless Lambda
 * finds an environment's pieces again on the next task.
 */
export const TAG = {
  environment: 'environment',
  version: 'version',
  commit: 'commit',
  name: 'Name',
  environmentId: 'vouch:environment-id',
  slot: 'vouch:slot',
  imageId: 'vouch:image-id',
  role: 'vouch:role',
  runCommand: 'vouch:run-command',
  healthPath: 'vouch:health-path',
  createdAt: 'vouch:created-at',
} as const;

export type TagMap = Record<string, string>;

/** The cost-allocation tags, in the order Cost Explorer groups by them. */
export function costTags(tags: ResourceTags, environment?: string): TagMap {
  const out: TagMap = { service: tags.service, team: tags.team, solution: tags.solution };
  if (environment !== undefined) out[TAG.environment] = environment;
  return out;
}

/** Both SDKs' Tag shapes accept this (ELBv2 requires Key, EC2 does not). */
export function toTagList(tags: TagMap): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** One TagSpecification per resource type, same tags: RunInstances and CreateImage tag at creation. */
export function tagSpecifications(types: readonly ResourceType[], tags: TagMap): TagSpecification[] {
  return types.map((ResourceType) => ({ ResourceType, Tags: toTagList(tags) }));
}

export function fromTagList(
  list: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): TagMap {
  const out: TagMap = {};
  for (const tag of list ?? []) {
    if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  }
  return out;
}

export function resourceTagsOf(tags: TagMap): ResourceTags {
  return { service: tags.service ?? '', team: tags.team ?? '', solution: tags.solution ?? '' };
}
