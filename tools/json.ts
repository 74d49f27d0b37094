/**
 * Runtime-checked JSON for the tools and the tests (the app has its own, src/core/guards.ts):
 * narrow or fail, never cast. Guards, readers that answer `undefined` for a wrong shape, readers
 * that throw (for tests, where a wrong shape is a failure), and HTTP bodies.
 */

export type JsonObject = Record<string, unknown>;

// --- Guards ------------------------------------------------------------------------------------

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

export function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Parses a path/query segment that must be a positive integer ("12"). */
export function parsePositiveInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 ? n : undefined;
}

// --- Reading: `undefined` for anything of another shape ----------------------------------------

export function objectAt(value: unknown, key: string): JsonObject | undefined {
  const child = isRecord(value) ? value[key] : undefined;
  return isRecord(child) ? child : undefined;
}

export function stringAt(value: unknown, key: string): string | undefined {
  const child = isRecord(value) ? value[key] : undefined;
  return typeof child === 'string' ? child : undefined;
}

export function numberAt(value: unknown, key: string): number | undefined {
  const child = isRecord(value) ? value[key] : undefined;
  return typeof child === 'number' && Number.isFinite(child) ? child : undefined;
}

export function arrayAt(value: unknown, key: string): readonly unknown[] | undefined {
  const child: unknown = isRecord(value) ? value[key] : undefined;
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

// --- Reading in tests: a wrong shape throws -----------------------------------------------------

/** The value itself, checked to be a JSON object (not a copy: tests mutate documents through it). */
export function record(value: unknown, what = 'value'): JsonObject {
  if (!isRecord(value)) throw new Error(`${what} is not a JSON object`);
  return value;
}

export function records(value: unknown, what = 'value'): JsonObject[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a JSON array`);
  return value.map((item: unknown, index) => record(item, `${what}[${index}]`));
}

/** Follows a path of keys through nested objects: `at(body, 'build', 'id')`. */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = record(current, path.join('.'))[key];
  return current;
}

// --- Text and HTTP -----------------------------------------------------------------------------

export type ParsedJson = { ok: true; value: unknown } | { ok: false; error: string };

export function parseJson(text: string): ParsedJson {
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** A response body as JSON: `undefined` when empty, the text itself when it is not JSON. */
export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  const parsed = parseJson(text);
  return parsed.ok ? parsed.value : text;
}

/** A response whose body must be a JSON object (or empty): status, body and headers, for tests. */
export async function responseJson(
  response: Response,
): Promise<{ status: number; body: JsonObject; headers: Headers }> {
  const body = await readJson(response);
  return {
    status: response.status,
    body: body === undefined ? {} : record(body, 'response body'),
    headers: response.headers,
  };
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

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

// --- Writing -----------------------------------------------------------------------------------

/**
 * Sets an own, enumerable property even for keys like `__proto__` (plain `obj[key] = v` would change
 * the prototype instead). Used wherever a key comes from a request.
 */
export function putOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
