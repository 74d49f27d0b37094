import semver from 'semver';

/**
 * Order of model versions: semantic-version order when both parse as semver, else the
 * upload time. Positive when `a` is newer than `b`.
 */
export function compareModelVersions(
  a: { readonly version: string; readonly uploadedAt: string },
  b: { readonly version: string; readonly uploadedAt: string },
): number {
  const left = semver.parse(a.version);
  const right = semver.parse(b.version);
  if (left !== null && right !== null) return semver.compare(left, right);
  return Date.parse(a.uploadedAt) - Date.parse(b.uploadedAt);
}
