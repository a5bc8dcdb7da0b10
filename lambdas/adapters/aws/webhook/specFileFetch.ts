import { SpecReadError, UnknownCommitError } from '../../../core/webhook/errors.ts';
import { COMMIT_SHA, REPO_NAME } from '../../../core/webhook/pushEvent.ts';

/** The limits every git host reader applies, so GitHub and GitLab fail the same way. */
export interface SpecFetchLimits {
  /** @default 5_000: the webhook must answer GitHub within 10 s. */
  readonly timeoutMs?: number;
  /** Largest file accepted. @default 256 KiB */
  readonly maxBytes?: number;
}

export const DEFAULT_SPEC_TIMEOUT_MS = 5_000;
/** How much of a 404's body is read to tell "no such commit" from "no such file". */
const NOT_FOUND_BODY_BYTES = 4096;
export const DEFAULT_SPEC_MAX_BYTES = 256 * 1024;

/**
 * What both readers do before the request: refuse a repo or commit that would reshape the URL (the
 * handler validated both; checked again because they become part of it), then read the git token.
 */
export async function checkedRequestToken(
  repo: string,
  commit: string,
  token: () => Promise<string>,
): Promise<string> {
  if (!REPO_NAME.test(repo) || !COMMIT_SHA.test(commit))
    throw new SpecReadError(`bad repo or commit: ${repo}@${commit}`);
  try {
    return await token();
  } catch (error) {
    throw new SpecReadError('could not read the git token', { cause: error });
  }
}

/**
 * GETs one file from a git host API: the text, or undefined on 404 (no such file at that commit, or a
 * repository the token cannot see: both hosts answer 404 for either), or UnknownCommitError (422) on
 * a 404 whose message `isUnknownCommit` recognises (the host has no such commit). Anything else is a
 * SpecReadError (503): no answer in time, another status, a file over `maxBytes` (declared or read).
 * The body is read as a stream and abandoned past the limit, so a huge answer costs bounded memory.
 */
export async function fetchSpecFile(
  gitHost: 'GitHub' | 'GitLab',
  doFetch: typeof fetch,
  url: string,
  headers: Record<string, string>,
  what: string,
  limits: SpecFetchLimits,
  isUnknownCommit: (notFoundBody: string) => boolean = () => false,
): Promise<string | undefined> {
  const maxBytes = limits.maxBytes ?? DEFAULT_SPEC_MAX_BYTES;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers,
      signal: AbortSignal.timeout(limits.timeoutMs ?? DEFAULT_SPEC_TIMEOUT_MS),
    });
  } catch (error) {
    throw new SpecReadError(`${gitHost} did not answer for ${what}`, { cause: error });
  }
  if (response.status === 404) {
    const message = await readBounded(response, NOT_FOUND_BODY_BYTES).catch(() => '');
    if (isUnknownCommit(message)) throw new UnknownCommitError(`${what}: ${gitHost} has no such commit`);
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SpecReadError(`${gitHost} answered ${response.status} for ${what}`);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new SpecReadError(`${what} is ${declared} bytes; the limit is ${maxBytes}`);
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new SpecReadError(`${what} is over ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    throw error instanceof SpecReadError
      ? error
      : new SpecReadError(`${gitHost} broke off ${what}`, { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Up to `maxBytes` of a body, then the rest is cancelled unread. */
async function readBounded(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < maxBytes) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString('utf8');
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel();
  return Buffer.concat(chunks).toString('utf8').slice(0, maxBytes);
}
