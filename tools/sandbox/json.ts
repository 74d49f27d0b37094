/** Runtime-checked reading of JSON from the sandbox's HTTP neighbours (no casts: narrow or fail). */

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectAt(value: unknown, key: string): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  const child = value[key];
  return isObject(child) ? child : undefined;
}

export function stringAt(value: unknown, key: string): string | undefined {
  if (!isObject(value)) return undefined;
  const child = value[key];
  return typeof child === 'string' ? child : undefined;
}

export function numberAt(value: unknown, key: string): number | undefined {
  if (!isObject(value)) return undefined;
  const child = value[key];
  return typeof child === 'number' && Number.isFinite(child) ? child : undefined;
}

export function arrayAt(value: unknown, key: string): readonly unknown[] | undefined {
  if (!isObject(value)) return undefined;
  const child: unknown = value[key];
  return Array.isArray(child) ? child : undefined;
}

/** String values of an object of strings (e.g. `templateParameters`); other values are left out. */
export function stringRecordAt(value: unknown, key: string): Readonly<Record<string, string>> {
  const child = objectAt(value, key);
  if (child === undefined) return {};
  const out: Record<string, string> = {};
  for (const [name, item] of Object.entries(child)) if (typeof item === 'string') out[name] = item;
  return out;
}

/** Reads a response body as JSON (`undefined` for an empty or non-JSON body). */
export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed;
  } catch {
    return text;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** JSON text of any value (`JSON.stringify` has no text for `undefined`, functions and symbols). */
export function jsonText(value: unknown): string {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return String(value);
  try {
    return JSON.stringify(value);
  } catch (error) {
    return `(not JSON: ${errorMessage(error)})`;
  }
}
