import { createHash } from 'node:crypto';

/** Which git host sent the delivery; prefixes the execution name so the two id spaces cannot collide. */
export type GitHost = 'github' | 'gitlab';

const PREFIX: Record<GitHost, string> = { github: 'gh', gitlab: 'gl' };
/** Step Functions names: 1-80 characters, no whitespace, brackets, wildcards or `"#%\^|~`$&,;:/`. */
const MAX_NAME = 80;
const SAFE = /^[A-Za-z0-9_-]+$/;

/**
 * The execution name for a delivery. A redelivery carries the same delivery id, so it maps to the
 * same name and Step Functions starts nothing new. Ids outside the safe charset or too long keep a
 * readable safe prefix plus a hash of the whole id, so two different ids never share a name.
 * We keep to [A-Za-z0-9_-], stricter than the Step Functions rules, since non-ASCII names break
 * CloudWatch log and metric lookups.
 */
export function executionNameFor(host: GitHost, deliveryId: string): string {
  const prefix = `${PREFIX[host]}-`;
  if (SAFE.test(deliveryId) && prefix.length + deliveryId.length <= MAX_NAME) return prefix + deliveryId;
  const hash = createHash('sha256').update(deliveryId, 'utf8').digest('hex').slice(0, 24);
  const readable = deliveryId
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, MAX_NAME - prefix.length - hash.length - 1);
  return `${prefix}${readable}-${hash}`;
}
