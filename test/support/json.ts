/** Runtime-checked access to JSON in tests: a wrong shape fails the test instead of being cast away. */

export type JsonRecord = Record<string, unknown>;

export function record(value: unknown, what = 'value'): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what} is not a JSON object`);
  return Object.fromEntries(Object.entries(value));
}

export function records(value: unknown, what = 'value'): JsonRecord[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a JSON array`);
  return value.map((item: unknown, index) => record(item, `${what}[${index}]`));
}

/** Follows a path of keys through nested objects: `at(body, 'build', 'id')`. */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = record(current, path.join('.'))[key];
  return current;
}

export async function responseJson(
  response: Response,
): Promise<{ status: number; body: JsonRecord; headers: Headers }> {
  const text = await response.text();
  const parsed: unknown = text === '' ? {} : JSON.parse(text);
  return { status: response.status, body: record(parsed, 'response body'), headers: response.headers };
}
