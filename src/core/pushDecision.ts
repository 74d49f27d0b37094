/** Whether a push to GitHub starts a build: repository, branch, commit, skip markers, paths. */
import picomatch from 'picomatch';
import type { PushEvent } from './githubPush.js';
import { clipDetail } from './guards.js';
import { isCommitSha, isSafeBranchName } from './validation.js';

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
