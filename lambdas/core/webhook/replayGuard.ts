import type { ReplayGuard } from './types.ts';

/**
 * A bounded in-memory delivery ledger for one process (the local platform, or one Lambda container).
 * The oldest pushes are forgotten first once `capacity` is reached; a forgotten push replayed later
 * still cannot start a second run under its original delivery id (the execution name is the same).
 */
export function createMemoryReplayGuard(capacity = 10_000): ReplayGuard {
  const owners = new Map<string, string>();
  return {
    async claim(pushKey, deliveryKey) {
      const owner = owners.get(pushKey);
      if (owner !== undefined) return owner;
      owners.set(pushKey, deliveryKey);
      if (owners.size > capacity) {
        const oldest = owners.keys().next();
        if (oldest.done !== true) owners.delete(oldest.value);
      }
      return deliveryKey;
    },
  };
}
