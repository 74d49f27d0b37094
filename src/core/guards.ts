/** Small type guards for narrowing parsed JSON without casts. */

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringAt(source: JsonObject, key: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' ? value : undefined;
}

export function numberAt(source: JsonObject, key: string): number | undefined {
  const value = source[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function booleanAt(source: JsonObject, key: string): boolean | undefined {
  const value = source[key];
  return typeof value === 'boolean' ? value : undefined;
}

export function objectAt(source: JsonObject, key: string): JsonObject | undefined {
  const value = source[key];
  return isObject(value) ? value : undefined;
}

export function arrayAt(source: JsonObject, key: string): readonly unknown[] | undefined {
  const value = source[key];
  return Array.isArray(value) ? value : undefined;
}

export function stringsAt(source: JsonObject, key: string): readonly string[] {
  return (arrayAt(source, key) ?? []).filter((item): item is string => typeof item === 'string');
}

/** Details quote names from payloads: keep them short in responses and logs. */
export function clipDetail(detail: string, max = 200): string {
  return detail.length > max ? `${detail.slice(0, max)}…` : detail;
}
