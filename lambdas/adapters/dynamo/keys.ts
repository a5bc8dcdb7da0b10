/** Key builders of the build table; the layout is documented in tableSchema.ts. */

/** Zero-padded so that string order of sort keys is numeric order of versions. */
export function versionKey(version: number): string {
  return String(version).padStart(10, '0');
}

/**
 * Every webhook ledger item's partition key starts with this, so the webhook's IAM policy can name
 * only these partitions (`dynamodb:LeadingKeys`, lib/platform/taskPermissions.ts).
 */
export const WEBHOOK_PREFIX = 'WEBHOOK#';

export const keys = {
  service: (service: string) => ({ pk: `SERVICE#${service}`, sk: 'SERVICE' }),
  build: (service: string, version: number) => ({
    pk: `SERVICE#${service}`,
    sk: `BUILD#${versionKey(version)}`,
  }),
  environment: (service: string, environment: string) => ({
    pk: `SERVICE#${service}`,
    sk: `ENV#${environment}`,
  }),
  execution: (execution: string) => ({ pk: `EXECUTION#${execution}`, sk: 'EXECUTION' }),
  lock: (service: string, environment: string) => ({ pk: `LOCK#${service}#${environment}`, sk: 'LOCK' }),
  /** The one run waiting for that lock (newest push wins the place). */
  lockQueue: (service: string, environment: string) => ({
    pk: `LOCK#${service}#${environment}`,
    sk: 'QUEUE',
  }),
  window: (service: string, environment: string) => ({
    pk: `WINDOW#${service}#${environment}`,
    sk: 'WINDOW',
  }),
  /** A webhook delivery id with the digest of its signed body (deliveryLedger.ts). */
  webhookDelivery: (host: string, deliveryId: string) => ({
    pk: `${WEBHOOK_PREFIX}DELIVERY#${host}#${deliveryId}`,
    sk: 'DELIVERY',
  }),
  /** The owner of one push; `pushKey` is `<host>#<repo, lower case>#<ref>#<after>` (pushLedgerKey). */
  webhookPush: (pushKey: string) => ({ pk: `${WEBHOOK_PREFIX}PUSH#${pushKey}`, sk: 'PUSH' }),
  /** Written once when the table starts holding build data: an empty table without it is a new one. */
  dataMarker: { pk: 'PLATFORM', sk: 'BUILD-DATA' },
  /** Partition of one build's timeline: run events, task events and promotions. */
  timeline: (service: string, version: number) => `BUILD#${service}#${versionKey(version)}`,
  runEventSk: (at: string, phase: string) => `EV#${at}#run#${phase}`,
  taskEventSk: (at: string, task: string, phase: string) => `EV#${at}#task#${task}#${phase}`,
  promotionSk: (at: string, label: string) => `EV#${at}#promotion#${label}`,
  controlSk: (at: string, action: string) => `EV#${at}#control#${action}`,
  /** What a sweep removed of a service, in its partition (lambdas/core/sweeper). */
  sweptSk: (at: string) => `SWEPT#${at}`,
  servicesIndex: 'SERVICES',
  teamIndex: (team: string) => `TEAM#${team}`,
  teamBuildSk: (allocatedAt: string, service: string, version: number) =>
    `${allocatedAt}#${service}#${versionKey(version)}`,
  failuresIndex: (team: string) => `FAILURES#${team}`,
  failureSk: (at: string, service: string, version: number, task: string) =>
    `${at}#${service}#${versionKey(version)}#${task}`,
} as const;
