/**
 * Fault injection for ADO-namespace requests.
 *
 * - `429` → 429 + Retry-After + x-ratelimit-* headers; the request is NOT processed.
 * - `500`/`502`/`503` → that status; NOT processed.
 * - `reset` → socket destroyed without a response; NOT processed.
 * - `timeout` → processed, but no response is ever sent (socket held until the client gives up or
 *   the emulator closes): the ambiguous failure real Azure DevOps can produce.
 * - `reset-after` → processed, then the socket is destroyed without a response.
 */
import { isRecord, isStringArray } from '../json.js';
import type { FaultKind, FaultSettings } from './types.js';

export const FAULT_KINDS: readonly FaultKind[] = [
  '429',
  '500',
  '502',
  '503',
  'timeout',
  'reset',
  'reset-after',
];

function isFaultKind(value: unknown): value is FaultKind {
  return typeof value === 'string' && FAULT_KINDS.some((k) => k === value);
}

export class FaultSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSettingsError';
  }
}

/** Validates a control-API body. `null`, `{}` and `undefined` clear the faults. */
export function parseFaultSettings(input: unknown): FaultSettings | null {
  if (input === null || input === undefined) return null;
  if (!isRecord(input)) throw new FaultSettingsError('fault settings must be an object or null');
  if (Object.keys(input).length === 0) return null;
  const settings: FaultSettings = {};
  const { probability, kinds, methods, pathIncludes, next, retryAfterSeconds, includeDiscovery, randomSeed } =
    input;
  if (probability !== undefined) {
    if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1))
      throw new FaultSettingsError('probability must be a number in [0, 1]');
    settings.probability = probability;
  }
  if (kinds !== undefined) {
    if (!Array.isArray(kinds) || kinds.length === 0)
      throw new FaultSettingsError(`kinds must be a non-empty array of ${FAULT_KINDS.join(', ')}`);
    const items: readonly unknown[] = kinds;
    const parsed: FaultKind[] = [];
    for (const k of items) {
      const text = typeof k === 'number' ? String(k) : k;
      if (!isFaultKind(text)) throw new FaultSettingsError(`unknown fault kind ${JSON.stringify(k)}`);
      parsed.push(text);
    }
    settings.kinds = parsed;
  }
  if (methods !== undefined) {
    if (!isStringArray(methods)) throw new FaultSettingsError('methods must be an array of strings');
    settings.methods = methods.map((m) => m.toUpperCase());
  }
  if (pathIncludes !== undefined) {
    if (typeof pathIncludes !== 'string') throw new FaultSettingsError('pathIncludes must be a string');
    settings.pathIncludes = pathIncludes;
  }
  if (next !== undefined) {
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0)
      throw new FaultSettingsError('next must be a non-negative integer');
    settings.next = next;
  }
  if (retryAfterSeconds !== undefined) {
    if (
      typeof retryAfterSeconds !== 'number' ||
      !Number.isSafeInteger(retryAfterSeconds) ||
      retryAfterSeconds < 0
    )
      throw new FaultSettingsError('retryAfterSeconds must be a non-negative integer');
    settings.retryAfterSeconds = retryAfterSeconds;
  }
  if (includeDiscovery !== undefined) {
    if (typeof includeDiscovery !== 'boolean')
      throw new FaultSettingsError('includeDiscovery must be a boolean');
    settings.includeDiscovery = includeDiscovery;
  }
  if (randomSeed !== undefined) {
    if (typeof randomSeed !== 'number' || !Number.isFinite(randomSeed))
      throw new FaultSettingsError('randomSeed must be a number');
    settings.randomSeed = randomSeed;
  }
  return settings;
}

/** mulberry32: small, seedable, good enough for fault dice. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultRequest {
  method: string;
  path: string;
  discovery: boolean;
}

export interface FaultState {
  settings: FaultSettings | null;
  /** Remaining deterministic faults when `next` is set. */
  remaining: number | null;
  injected: number;
}

export class FaultInjector {
  private settings: FaultSettings | null = null;
  private remaining: number | null = null;
  private used = 0;
  private random: () => number = Math.random;

  set(settings: FaultSettings | null): void {
    this.settings = settings;
    this.remaining = settings?.next ?? null;
    this.used = 0;
    this.random = mulberry32(settings?.randomSeed ?? Math.floor(Math.random() * 2 ** 32));
  }

  state(): FaultState {
    return { settings: this.settings, remaining: this.remaining, injected: this.used };
  }

  get retryAfterSeconds(): number {
    return this.settings?.retryAfterSeconds ?? 1;
  }

  /** Decides (and consumes) the fault for one request. */
  decide(request: FaultRequest): FaultKind | undefined {
    const s = this.settings;
    if (!s) return undefined;
    if (request.discovery && s.includeDiscovery !== true) return undefined;
    if (s.methods && !s.methods.includes(request.method.toUpperCase())) return undefined;
    if (s.pathIncludes !== undefined && !request.path.toLowerCase().includes(s.pathIncludes.toLowerCase()))
      return undefined;
    const kinds = s.kinds ?? ['503'];
    if (this.remaining !== null) {
      if (this.remaining <= 0) return undefined;
      this.remaining--;
      const kind = kinds[this.used % kinds.length];
      this.used++;
      return kind;
    }
    const probability = s.probability ?? 1;
    if (probability <= 0 || this.random() >= probability) return undefined;
    const kind = kinds[Math.floor(this.random() * kinds.length)];
    this.used++;
    return kind;
  }
}
