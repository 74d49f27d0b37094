/**
 * Enum tables as Azure DevOps serializes them (camelCase names on the wire) with the numeric values
 * of `azure-devops-node-api/interfaces/*`. The client deserializes names to numbers, but it sends
 * numbers as-is in bodies (e.g. `updateBuild({ status: 2 })`) and in query strings
 * (`getBuilds(…, statusFilter = 2)`), so the emulator accepts both forms.
 */

export const BUILD_STATUS = {
  none: 0,
  inProgress: 1,
  completed: 2,
  cancelling: 4,
  postponed: 8,
  abandoned: 16,
  notStarted: 32,
} as const;
export type BuildStatusName = keyof typeof BUILD_STATUS;

export const BUILD_RESULT = {
  none: 0,
  succeeded: 2,
  partiallySucceeded: 4,
  failed: 8,
  canceled: 32,
} as const;
export type BuildResultName = keyof typeof BUILD_RESULT;

export const BUILD_REASON = {
  none: 0,
  manual: 1,
  individualCI: 2,
  batchedCI: 4,
  schedule: 8,
  scheduleForced: 16,
  userCreated: 32,
  validateShelveset: 64,
  checkInShelveset: 128,
  pullRequest: 256,
  buildCompletion: 512,
  resourceTrigger: 1024,
  triggered: 1967,
} as const;
export type BuildReasonName = keyof typeof BUILD_REASON;

export const BUILD_QUERY_ORDER = {
  finishTimeAscending: 2,
  finishTimeDescending: 3,
  queueTimeDescending: 4,
  queueTimeAscending: 5,
  startTimeDescending: 6,
  startTimeAscending: 7,
} as const;
export type BuildQueryOrderName = keyof typeof BUILD_QUERY_ORDER;

export const RELEASE_REASON = {
  none: 0,
  manual: 1,
  continuousIntegration: 2,
  schedule: 3,
  pullRequest: 4,
} as const;
export type ReleaseReasonName = keyof typeof RELEASE_REASON;

export const RELEASE_QUERY_ORDER = { descending: 0, ascending: 1 } as const;

export const RELEASE_EXPANDS = {
  none: 0,
  environments: 2,
  artifacts: 4,
  approvals: 8,
  manualInterventions: 16,
  variables: 32,
  tags: 64,
} as const;

/** EnvironmentStatus; the numbers are what `releaseEnvironmentStatus` hook filters use. */
export const ENVIRONMENT_STATUS = {
  undefined: 0,
  notStarted: 1,
  inProgress: 2,
  succeeded: 4,
  canceled: 8,
  rejected: 16,
  queued: 32,
  scheduled: 64,
  partiallySucceeded: 128,
} as const;
export type EnvironmentStatusName = keyof typeof ENVIRONMENT_STATUS;

function isKeyOf<T extends object>(table: T, key: string): key is Extract<keyof T, string> {
  return Object.hasOwn(table, key);
}

/**
 * Parses one enum value given as a name (case-insensitive), a number, or a numeric string.
 * Returns undefined when it matches nothing.
 */
export function parseEnum<T extends Record<string, number>>(
  table: T,
  value: unknown,
): Extract<keyof T, string> | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value.trim()))) {
    const n = Number(value);
    for (const name of Object.keys(table)) {
      if (isKeyOf(table, name) && table[name] === n) return name;
    }
    return undefined;
  }
  if (typeof value !== 'string') return undefined;
  const lower = value.trim().toLowerCase();
  for (const name of Object.keys(table)) {
    if (name.toLowerCase() === lower && isKeyOf(table, name)) return name;
  }
  return undefined;
}

/**
 * Parses a flags filter ("completed,inProgress", "2", "all") into a bit mask.
 * Returns undefined when any part is unknown.
 */
export function parseFlags(table: Record<string, number>, raw: string, allMask?: number): number | undefined {
  let mask = 0;
  for (const part of raw.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    if (/^\d+$/.test(item)) {
      mask |= Number(item);
      continue;
    }
    if (allMask !== undefined && item.toLowerCase() === 'all') {
      mask |= allMask;
      continue;
    }
    const name = parseEnum(table, item);
    if (name === undefined) return undefined;
    mask |= table[name] ?? 0;
  }
  return mask;
}
