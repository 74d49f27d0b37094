import { arrayAt, booleanAt, isObject, objectAt, stringAt, stringsAt, type JsonObject } from './guards.js';

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
