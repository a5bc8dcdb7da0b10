import { checkedRequestToken, fetchSpecFile, type SpecFetchLimits } from './specFileFetch.ts';

export interface GitLabSpecReaderOptions extends SpecFetchLimits {
  /** A GitLab access token with read_repository on the service projects (from Secrets Manager). */
  readonly token: () => Promise<string>;
  /** @default 'https://gitlab.com/api/v4' (self-managed: https://HOST/api/v4) */
  readonly apiUrl?: string;
  /** @default '.vouch.yml' */
  readonly path?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Reads `.vouch.yml` at a commit through GitLab's repository files API, "Get raw file from
 * repository": GET /projects/:id/repository/files/:file_path/raw?ref=<sha>, where :id is the
 * URL-encoded `path_with_namespace` and :file_path the URL-encoded path. Same errors and limits as the
 * GitHub reader (fetchSpecFile): 404 (no such file at that commit, or a project the token cannot see)
 * means the push is ignored; anything else is a SpecReadError (503).
 */
export function createGitLabSpecReader(
  options: GitLabSpecReaderOptions,
): (repo: string, commit: string) => Promise<string | undefined> {
  const apiUrl = (options.apiUrl ?? 'https://gitlab.com/api/v4').replace(/\/+$/, '');
  const path = options.path ?? '.vouch.yml';
  const doFetch = options.fetch ?? globalThis.fetch;

  return async (repo, commit) => {
    const token = await checkedRequestToken(repo, commit, options.token);
    const url = `${apiUrl}/projects/${encodeURIComponent(repo)}/repository/files/${encodeURIComponent(path)}/raw?ref=${commit}`;
    return fetchSpecFile(
      'GitLab',
      doFetch,
      url,
      { 'private-token': token, 'user-agent': 'vouch-webhook' },
      `${repo}/${path} at ${commit}`,
      options,
      // GitLab answers 404 `404 Commit Not Found` for a commit the project lacks (`404 File Not Found` for a missing file).
      (message) => /404 Commit Not Found/i.test(message),
    );
  };
}
