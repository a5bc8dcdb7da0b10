import { z } from 'zod';
import type { GitHost } from './executionName.ts';

/** The part of a push every host sends that decides whether and what to run. */
export interface PushEvent {
  readonly repo: string;
  readonly ref: string;
  readonly before: string;
  readonly after: string;
  readonly deleted: boolean;
  readonly defaultBranch: string | undefined;
  /**
   * The head commit says `hotfix` (`hotfix: ...` or `[hotfix] ...`): its canary steps are judged against
   * the running version only, so the running version's own alarm does not block the fix.
   */
  readonly hotfix: boolean;
}

const HOTFIX = /^\s*(\[hotfix\]|hotfix[:!\s])/i;

// Only what we read is checked; hosts add fields over time and that must not break us.
const gitHubPush = z.object({
  ref: z.string().max(1024),
  before: z.string().max(128),
  after: z.string().max(128),
  deleted: z.boolean().optional(),
  repository: z.object({
    full_name: z.string().max(512),
    default_branch: z.string().max(256).optional(),
  }),
  head_commit: z.object({ message: z.string().max(65_536) }).nullish(),
});

const gitLabPush = z.object({
  object_kind: z.literal('push').optional(),
  ref: z.string().max(1024),
  before: z.string().max(128),
  after: z.string().max(128),
  project: z.object({
    path_with_namespace: z.string().max(512),
    default_branch: z.string().max(256).optional(),
  }),
  commits: z
    .array(z.object({ id: z.string().max(128), message: z.string().max(65_536) }))
    .max(10_000)
    .optional(),
});

export type PushParse = { ok: true; push: PushEvent } | { ok: false; reason: string };

export function readPushEvent(host: GitHost, payload: unknown): PushParse {
  if (host === 'github') {
    const parsed = gitHubPush.safeParse(payload);
    if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
    const p = parsed.data;
    return {
      ok: true,
      push: {
        repo: p.repository.full_name,
        ref: p.ref,
        before: p.before,
        after: p.after,
        deleted: p.deleted === true || isZeroSha(p.after),
        defaultBranch: p.repository.default_branch,
        hotfix: HOTFIX.test(p.head_commit?.message ?? ''),
      },
    };
  }
  const parsed = gitLabPush.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
  const p = parsed.data;
  return {
    ok: true,
    push: {
      repo: p.project.path_with_namespace,
      ref: p.ref,
      before: p.before,
      after: p.after,
      // GitLab marks a deleted branch only by an all-zero `after` (and a null checkout_sha).
      deleted: isZeroSha(p.after),
      defaultBranch: p.project.default_branch,
      hotfix: HOTFIX.test(p.commits?.find((c) => c.id === p.after)?.message ?? ''),
    },
  };
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'not a push payload';
  const path = issue.path.length > 0 ? issue.path.join('.') : 'body';
  return `not a push payload: ${path}: ${issue.message}`.slice(0, 200);
}

/** Git's null object id, which hosts send as `after` when a branch is deleted (SHA-1 or SHA-256 repos). */
export function isZeroSha(sha: string): boolean {
  return /^0{40}$|^0{64}$/.test(sha);
}

export const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/**
 * owner/name on GitHub; group/subgroup/.../name on GitLab. No segment is only dots, so a name can
 * never walk out of its place in an API URL (`../etc`).
 */
export const REPO_NAME = /^(?!\.+(?:\/|$))[A-Za-z0-9_.-]+(?:\/(?!\.+(?:\/|$))[A-Za-z0-9_.-]+)+$/;
