import picomatch from 'picomatch';
import {
  clipDetail,
  arrayAt,
  booleanAt,
  isObject,
  objectAt,
  stringAt,
  stringsAt,
  type JsonObject,
} from './guards.js';
import { isCommitSha, isSafeBranchName } from './validation.js';

/** The parts of GitHub's `push` event payload that decide whether a build starts. */
export interface PushEvent {
  readonly ref: string;
  readonly after: string;
  readonly deleted: boolean;
  readonly repositoryFullName: string;
  readonly headCommitMessage: string | undefined;
  /** Paths added, modified or removed by the pushed commits; `undefined` when GitHub did not list them. */
  readonly changedPaths: readonly string[] | undefined;
  /** When the push happened (`repository.pushed_at`), ISO 8601, if GitHub said. */
  readonly pushedAt?: string;
}

export type PushParseResult =
  { readonly ok: true; readonly event: PushEvent } | { readonly ok: false; readonly problem: string };

/** GitHub lists at most this many commits in a push payload; a full list may be truncated. */
const GITHUB_MAX_LISTED_COMMITS = 2048;

export function parsePushEvent(payload: unknown): PushParseResult {
  if (!isObject(payload)) return { ok: false, problem: 'push payload must be a JSON object' };
  const ref = stringAt(payload, 'ref');
  const after = stringAt(payload, 'after');
  const repository = objectAt(payload, 'repository');
  const repositoryFullName = repository === undefined ? undefined : stringAt(repository, 'full_name');
  if (ref === undefined) return { ok: false, problem: 'push payload has no "ref"' };
  if (after === undefined) return { ok: false, problem: 'push payload has no "after"' };
  if (repositoryFullName === undefined)
    return { ok: false, problem: 'push payload has no "repository.full_name"' };
  const headCommit = objectAt(payload, 'head_commit');
  const pushedAt = pushedAtOf(repository?.pushed_at);
  return {
    ok: true,
    event: {
      ...(pushedAt === undefined ? {} : { pushedAt }),
      ref,
      after,
      deleted: booleanAt(payload, 'deleted') === true,
      repositoryFullName,
      headCommitMessage: headCommit === undefined ? undefined : stringAt(headCommit, 'message'),
      changedPaths: changedPathsOf(payload),
    },
  };
}

/** `pushed_at` is Unix seconds in push events (an ISO string in other events). */
function pushedAtOf(value: unknown): string | undefined {
  const millis =
    typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(millis) && millis > 0 && millis < 8.64e15
    ? new Date(millis).toISOString()
    : undefined;
}

function changedPathsOf(payload: JsonObject): readonly string[] | undefined {
  const commits = arrayAt(payload, 'commits');
  if (commits === undefined || commits.length === 0 || commits.length >= GITHUB_MAX_LISTED_COMMITS)
    return undefined;
  const paths = new Set<string>();
  for (const commit of commits) {
    if (!isObject(commit)) continue;
    for (const key of ['added', 'modified', 'removed']) {
      for (const path of stringsAt(commit, key)) paths.add(path);
    }
  }
  return [...paths];
}

export interface PushFilter {
  readonly repository: string;
  readonly branches: readonly string[];
  readonly pathsInclude: readonly string[];
  readonly pathsExclude: readonly string[];
}

export type PushSkipReason =
  | 'repository-not-allowed'
  | 'tag-push'
  | 'not-a-branch'
  | 'branch-deleted'
  | 'branch-not-matched'
  | 'unsafe-branch-name'
  | 'invalid-commit'
  | 'skip-ci-requested'
  | 'no-matching-paths'
  | 'older-than-branch-head';

export type PushDecision =
  | { readonly kind: 'skip'; readonly reason: PushSkipReason; readonly detail: string }
  | { readonly kind: 'build'; readonly branch: string; readonly commit: string };

/** GitHub's own skip markers: any of them in the head commit's message skips CI. */
const SKIP_CI_MARKERS = [
  '[skip ci]',
  '[ci skip]',
  '[no ci]',
  '[skip actions]',
  '[actions skip]',
  '***NO_CI***',
];
const SKIP_CHECKS_TRAILER = /^skip-checks:\s*true\s*$/im;

export function decidePush(event: PushEvent, filter: PushFilter): PushDecision {
  if (event.repositoryFullName.toLowerCase() !== filter.repository.toLowerCase()) {
    return skip(
      'repository-not-allowed',
      `push from ${event.repositoryFullName}, expected ${filter.repository}`,
    );
  }
  if (event.ref.startsWith('refs/tags/'))
    return skip('tag-push', `tag ${event.ref.slice('refs/tags/'.length)}`);
  if (!event.ref.startsWith('refs/heads/')) return skip('not-a-branch', `ref ${event.ref} is not a branch`);
  const branch = event.ref.slice('refs/heads/'.length);
  if (event.deleted || /^0+$/.test(event.after))
    return skip('branch-deleted', `branch ${branch} was deleted`);
  if (!picomatch.isMatch(branch, [...filter.branches], { dot: true })) {
    return skip('branch-not-matched', `branch ${branch} matches none of ${filter.branches.join(', ')}`);
  }
  if (!isSafeBranchName(branch))
    return skip('unsafe-branch-name', 'branch name has characters not allowed in a pipeline parameter');
  const commit = event.after.toLowerCase();
  if (!isCommitSha(commit)) return skip('invalid-commit', '"after" is not a commit SHA');
  const message = event.headCommitMessage ?? '';
  const marker = SKIP_CI_MARKERS.find((candidate) => message.includes(candidate));
  if (marker !== undefined) return skip('skip-ci-requested', `head commit message contains ${marker}`);
  if (SKIP_CHECKS_TRAILER.test(message))
    return skip('skip-ci-requested', 'head commit message has skip-checks: true');
  if (!pathsMatch(event.changedPaths, filter)) {
    return skip('no-matching-paths', 'no changed path matches GITHUB_PATHS_INCLUDE / GITHUB_PATHS_EXCLUDE');
  }
  return { kind: 'build', branch, commit };
}

function pathsMatch(paths: readonly string[] | undefined, filter: PushFilter): boolean {
  if (filter.pathsInclude.length === 0 && filter.pathsExclude.length === 0) return true;
  // Unknown paths (no commit list, or a truncated one): build rather than silently miss a change.
  if (paths === undefined) return true;
  const included =
    filter.pathsInclude.length === 0 ? () => true : picomatch([...filter.pathsInclude], { dot: true });
  const excluded =
    filter.pathsExclude.length === 0 ? () => false : picomatch([...filter.pathsExclude], { dot: true });
  return paths.some((path) => included(path) && !excluded(path));
}

function skip(reason: PushSkipReason, detail: string): PushDecision {
  return { kind: 'skip', reason, detail: clipDetail(detail) };
}
