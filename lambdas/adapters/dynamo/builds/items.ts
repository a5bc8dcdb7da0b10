/**
 * The build table's items: how builds and executions are written, and how items read back become
 * the model's types; the projections and page cursors the parts share.
 */
import { z } from 'zod';
import { InvalidCursorError } from '../../../core/builds/errors.ts';
import {
  type Build,
  type BuildEvent,
  type BuildStatus,
  CONTROL_ACTIONS,
  type Failure,
  type JsonValue,
  PROMOTION_KINDS,
  type RegisteredService,
} from '../../../core/builds/model.ts';
import { keys } from '../keys.ts';

export type Item = Record<string, unknown>;

export const MAX_PAGE = 100;

/** Attributes of a build row in lists: everything but the (large) pipe shape. */
export const BUILD_LIST_ATTRIBUTES = [
  'service',
  'team',
  'version',
  'commit',
  'execution',
  'status',
  'allocatedAt',
  'startedAt',
  'finishedAt',
];

export interface AllocationRecord {
  service: string;
  version: number;
  commit: string;
  execution: string;
  allocatedAt: string;
}

export function buildItem(build: AllocationRecord & { team: string; status: BuildStatus }): Item {
  const { service, team, version, commit, execution, allocatedAt, status } = build;
  return {
    ...keys.build(service, version),
    gsi1pk: keys.teamIndex(team),
    gsi1sk: keys.teamBuildSk(allocatedAt, service, version),
    service,
    team,
    version,
    commit,
    execution,
    status,
    allocatedAt,
  };
}

export function executionItem(record: AllocationRecord): Item {
  const { service, version, commit, execution, allocatedAt } = record;
  return { ...keys.execution(execution), execution, service, version, commit, allocatedAt };
}

export function projection(attributes: string[]): string {
  return attributes.map((_, i) => `#p${i}`).join(', ');
}

export function projectionNames(attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((a, i) => [`#p${i}`, a]));
}

/** The document client refuses undefined values unless told; events omit them instead. */
export function compact(item: Item): Item {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined));
}

export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Only a cursor of the same query (same partition) is accepted, so one query cannot page another. */
export function decodeCursor(cursor: string, partition: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError({ cause: error });
  }
  const record = key as Record<string, unknown> | null;
  const valid =
    typeof record === 'object' &&
    record !== null &&
    Object.values(record).every((v) => typeof v === 'string') &&
    (record.pk === partition || record.gsi1pk === partition);
  if (!valid) throw new InvalidCursorError();
  return record;
}

export function toService(item: Item): RegisteredService {
  return {
    service: String(item.service),
    team: String(item.team),
    solution: String(item.solution),
    repo: String(item.repo),
    lastVersion: Number(item.lastVersion ?? 0),
    registeredAt: String(item.registeredAt),
  };
}

export function toBuild(item: Item): Build {
  return {
    service: String(item.service),
    team: String(item.team),
    version: Number(item.version),
    commit: String(item.commit),
    execution: String(item.execution),
    status: item.status as BuildStatus,
    allocatedAt: String(item.allocatedAt),
    ...(item.startedAt ? { startedAt: String(item.startedAt) } : {}),
    ...(item.finishedAt ? { finishedAt: String(item.finishedAt) } : {}),
    ...(item.pipeShape !== undefined ? { pipeShape: item.pipeShape as JsonValue } : {}),
  };
}

export function toEvent(item: Item): BuildEvent {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _g,
    gsi1sk: _s,
    expiresAt: _e,
    service: _sv,
    version: _v,
    ...rest
  } = item;
  return StoredEventSchema.parse(rest);
}

/**
 * An event item as recordTaskEvent, recordRun*, recordPromotion and recordControl write it (model.ts
 * BuildEvent); attributes beyond the type pass through as they were stored.
 */
export const StoredEventSchema: z.ZodType<BuildEvent> = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('CONTROL'),
    at: z.string(),
    action: z.enum(CONTROL_ACTIONS),
    actor: z.string(),
    result: z.string(),
    environment: z.string().optional(),
  }),
  z.looseObject({
    kind: z.literal('RUN'),
    at: z.string(),
    phase: z.enum(['start', 'done']),
    execution: z.string(),
    outcome: z.enum(['SUCCEEDED', 'FAILED', 'ABORTED']).optional(),
    report: z.json().optional(),
  }),
  z.looseObject({
    kind: z.literal('TASK'),
    at: z.string(),
    execution: z.string(),
    task: z.string(),
    type: z.string(),
    phase: z.enum(['start', 'done']),
    environment: z.string().optional(),
    outcome: z.enum(['SUCCEEDED', 'FAILED']).optional(),
    report: z.json().optional(),
  }),
  z.looseObject({
    kind: z.literal('PROMOTION'),
    at: z.string(),
    promotion: z.enum(PROMOTION_KINDS),
    label: z.string(),
    environment: z.string(),
    evidence: z.json(),
  }),
]);

export function toFailure(item: Item): Failure {
  return {
    service: String(item.service),
    version: Number(item.version),
    execution: String(item.execution),
    task: String(item.task),
    type: String(item.type),
    at: String(item.at),
    ...(item.environment ? { environment: String(item.environment) } : {}),
    ...(item.report !== undefined ? { report: item.report as JsonValue } : {}),
  };
}
