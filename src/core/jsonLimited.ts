/**
 * JSON parsing with a nesting-depth limit, for request bodies.
 *
 * V8's `JSON.parse` is not recursive, but much of what may later walk the parsed value is
 * (`JSON.stringify`, structured clone, deep-equal, a future recursive validator): a body nested
 * ten thousand levels deep parses fine and then overflows the stack somewhere else. No payload
 * this app accepts nests more than a handful of levels, so deeper input is refused before it is
 * parsed, in one linear pass that allocates nothing.
 */

/** Nesting this deep is far beyond any webhook payload and far below any stack limit. */
export const MAX_JSON_DEPTH = 64;

export type LimitedJsonResult =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly reason: 'too-deep' | 'syntax';
      /** Completes "The payload is …": safe to return to the caller (never echoes the input). */
      readonly problem: string;
    };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of objects and arrays in `text`, counting only brackets outside strings,
 * or `Infinity` as soon as it passes `limit`. Exact for valid JSON; for invalid JSON it is only
 * an estimate, which is fine: `JSON.parse` refuses that text anyway.
 */
export function jsonNestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index++;
      else if (code === QUOTE) inString = false;
      continue;
    }
    if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return Number.POSITIVE_INFINITY;
      }
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/** `JSON.parse` that refuses input nested deeper than `maxDepth` objects/arrays, and never throws. */
export function parseJsonLimited(
  text: string,
  options: { readonly maxDepth?: number } = {},
): LimitedJsonResult {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  if (jsonNestingDepth(text, maxDepth) > maxDepth) {
    return { ok: false, reason: 'too-deep', problem: `nested deeper than ${maxDepth} levels` };
  }
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, value };
  } catch {
    return { ok: false, reason: 'syntax', problem: 'not valid JSON' };
  }
}
