import { sign } from '@octokit/webhooks-methods';

/** The fields of a GitHub push event that `vouch trigger`, tests and benchmarks send. */
export interface PushFacts {
  readonly repo: string;
  readonly branch: string;
  readonly commit: string;
  /** Parent commit; the null id for a new branch. */
  readonly before?: string;
  readonly defaultBranch?: string;
  readonly message?: string;
  /** A file:// URL of the working copy, for the local platform. */
  readonly cloneUrl?: string;
}

export const NULL_SHA = '0'.repeat(40);

/** A GitHub-shaped push payload (the subset GitHub documents for `push` that we and humans read). */
export function gitHubPushPayload(facts: PushFacts): Record<string, unknown> {
  const name = facts.repo.split('/').pop() ?? facts.repo;
  return {
    ref: `refs/heads/${facts.branch}`,
    before: facts.before ?? NULL_SHA,
    after: facts.commit,
    created: facts.before === undefined,
    deleted: false,
    forced: false,
    repository: {
      name,
      full_name: facts.repo,
      default_branch: facts.defaultBranch ?? facts.branch,
      ...(facts.cloneUrl === undefined ? {} : { clone_url: facts.cloneUrl }),
    },
    head_commit: { id: facts.commit, message: facts.message ?? '', timestamp: new Date().toISOString() },
    pusher: { name: 'vouch-trigger' },
  };
}

/** Headers GitHub sends with a push, signed with `secret` over exactly `body`. */
export async function signedGitHubHeaders(
  secret: string,
  body: string,
  deliveryId: string,
  event = 'push',
): Promise<Record<string, string>> {
  return {
    'content-type': 'application/json',
    'user-agent': 'vouch-trigger',
    'x-github-event': event,
    'x-github-delivery': deliveryId,
    'x-hub-signature-256': await sign(secret, body),
  };
}
