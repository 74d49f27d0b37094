/** Times on the pages: "5 min ago" for reading at a glance, ISO 8601 (UTC, seconds) to be exact. */

/** `2026-05-01T10:22:03Z`, or `undefined` when `value` is not a time. */
export function isoSeconds(value: string): string | undefined {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago" (or "in …" for a time ahead of `now`). */
export function relativeTime(value: string, now: Date): string | undefined {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return undefined;
  const seconds = Math.round((now.getTime() - ms) / 1000);
  const magnitude = Math.abs(seconds);
  if (magnitude < 5) return 'just now';
  const amount =
    magnitude < 60
      ? `${magnitude} s`
      : magnitude < 3600
        ? `${Math.floor(magnitude / 60)} min`
        : magnitude < 86_400
          ? `${Math.floor(magnitude / 3600)} h`
          : `${Math.floor(magnitude / 86_400)} d`;
  return seconds >= 0 ? `${amount} ago` : `in ${amount}`;
}
