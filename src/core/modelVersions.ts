import semver from 'semver';

/**
 * Order of model versions: semantic-version order when both parse as semver, else the
 * upload time; storage keeps it to the second, so two uploads of the same second go by the
 * versions' natural order (`2026-11-02` after `2026-11-01`, `v10` after `v9`). Positive when
 * `a` is newer than `b`.
 */
export function compareModelVersions(
  a: { readonly version: string; readonly uploadedAt: string },
  b: { readonly version: string; readonly uploadedAt: string },
): number {
  const left = semver.parse(a.version);
  const right = semver.parse(b.version);
  if (left !== null && right !== null) return semver.compare(left, right);
  return (
    Date.parse(a.uploadedAt) - Date.parse(b.uploadedAt) ||
    a.version.localeCompare(b.version, 'en', { numeric: true })
  );
}
