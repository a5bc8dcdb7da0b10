import { SpecReadError } from '../../../core/webhook/errors.ts';
import { COMMIT_SHA, REPO_NAME } from '../../../core/webhook/pushEvent.ts';

export interface GitHubSpecReaderOptions {
  /** A GitHub token with contents:read on the service repos (from Secrets Manager). */
  readonly token: () => Promise<string>;
  /** @default 'https://api.github.com' (GitHub Enterprise: https://HOST/api/v3) */
  readonly apiUrl?: string;
  /** @default '.vouch.yml' */
  readonly path?: string;
  /** @default 5_000: the webhook must answer GitHub within 10 s. */
  readonly timeoutMs?: number;
  /** Largest file accepted. @default 256 KiB */
  readonly maxBytes?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Reads `.vouch.yml` at a commit through the GitHub REST "get repository content" endpoint with the
 * raw media type. 404 means no such file at that commit (or a repo the token cannot see: GitHub
 * answers 404 for both), so the push is ignored; any other failure is a SpecReadError (503).
 */
export function createGitHubSpecReader(
  options: GitHubSpecReaderOptions,
): (repo: string, commit: string) => Promise<string | undefined> {
  const apiUrl = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const path = options.path ?? '.vouch.yml';
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const doFetch = options.fetch ?? globalThis.fetch;

  return async (repo, commit) => {
    // The handler validated both; checked again because they become part of a URL.
    if (!REPO_NAME.test(repo) || !COMMIT_SHA.test(commit))
      throw new SpecReadError(`bad repo or commit: ${repo}@${commit}`);
    const [owner, ...name] = repo.split('/');
    const url = `${apiUrl}/repos/${encodeURIComponent(owner ?? '')}/${encodeURIComponent(name.join('/'))}/contents/${path
      .split('/')
      .map(encodeURIComponent)
      .join('/')}?ref=${commit}`;
    let response: Response;
    try {
      response = await doFetch(url, {
        headers: {
          accept: 'application/vnd.github.raw+json',
          authorization: `Bearer ${await options.token()}`,
          'user-agent': 'vouch-webhook',
          'x-github-api-version': '2022-11-28',
        },
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new SpecReadError(`GitHub did not answer for ${repo}/${path}`, { cause: error });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SpecReadError(`GitHub answered ${response.status} for ${repo}/${path} at ${commit}`);
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw new SpecReadError(`${repo}/${path} is ${declared} bytes; the limit is ${maxBytes}`);
    }
    const text = await response.text();
    if (Buffer.byteLength(text) > maxBytes)
      throw new SpecReadError(`${repo}/${path} is over ${maxBytes} bytes`);
    return text;
  };
}
