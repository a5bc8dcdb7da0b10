import type { WebhookLimits } from './types.ts';

/**
 * 1 MiB: a push we act on needs `ref`, `after` and the repository name. GitHub caps payloads at 25 MB
 * and a push lists at most 20 commits, so real pushes stay far below this; Lambda's synchronous
 * payload limit (6 MB) would cut larger bodies anyway. Raise it per deployment if a monorepo needs it.
 * Depth 32: a GitHub or GitLab push nests 5 levels deep; deeper JSON is refused before parsing.
 */
export const DEFAULT_LIMITS: WebhookLimits = { maxBodyBytes: 1024 * 1024, maxJsonDepth: 32 };

export function resolveLimits(limits: Partial<WebhookLimits> | undefined): WebhookLimits {
  return {
    maxBodyBytes: limits?.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
    maxJsonDepth: limits?.maxJsonDepth ?? DEFAULT_LIMITS.maxJsonDepth,
  };
}

/**
 * Deepest nesting of arrays/objects in a JSON text, scanning without recursion, so a hostile
 * `[[[[...` cannot overflow the parser's stack. Stops counting once `limit` is passed.
 * Characters inside strings (including escaped quotes) are skipped.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}
