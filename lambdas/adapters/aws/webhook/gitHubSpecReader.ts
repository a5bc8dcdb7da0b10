import { checkedRequestToken, fetchSpecFile, type SpecFetchLimits } from './specFileFetch.ts';

export interface GitHubSpecReaderOptions extends SpecFetchLimits {
  /** A GitHub token with contents:read on the service repos (from Secrets Manager). */
  readonly token: () => Promise<string>;
  /** @default 'https://api.github.com' (GitHub Enterprise: https://HOST/api/v3) */
  readonly apiUrl?: string;
  /** @default '.vouch.yml' */
  readonly path?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Reads `.vouch.yml` at a commit through the GitHub REST "get repository content" endpoint with the
 * raw media type. 404 means no such file at that commit (or a repo the token cannot see: GitHub
 * answers 404 for both), so the push is ignored; any other failure is a SpecReadError (503). Errors and
 * limits are fetchSpecFile's, shared with the GitLab reader.
 */
export function createGitHubSpecReader(
  options: GitHubSpecReaderOptions,
): (repo: string, commit: string) => Promise<string | undefined> {
  const apiUrl = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const path = options.path ?? '.vouch.yml';
  const doFetch = options.fetch ?? globalThis.fetch;

  return async (repo, commit) => {
    const token = await checkedRequestToken(repo, commit, options.token);
    const [owner, ...name] = repo.split('/');
    const url = `${apiUrl}/repos/${encodeURIComponent(owner ?? '')}/${encodeURIComponent(name.join('/'))}/contents/${path
      .split('/')
      .map(encodeURIComponent)
      .join('/')}?ref=${commit}`;
    return fetchSpecFile(
      'GitHub',
      doFetch,
      url,
      {
        accept: 'application/vnd.github.raw+json',
        authorization: `Bearer ${token}`,
        'user-agent': 'vouch-webhook',
        'x-github-api-version': '2022-11-28',
      },
      `${repo}/${path} at ${commit}`,
      options,
      // GitHub answers 404 `No commit found for the ref <sha>` for a commit the repository lacks.
      (message) => /No commit found for the ref/i.test(message),
    );
  };
}
