/**
 * A tiny path router. Patterns are '/'-separated; `:name` binds one (already decoded) segment and
 * literals match case-insensitively, as Azure DevOps routes do.
 */
import type { HostKind } from './locations.js';

export interface RouteRequest {
  method: string;
  host: HostKind;
  /** Decoded path segments after the host prefix (`/vsrm` is stripped for vsrm requests). */
  segments: readonly string[];
  query: URLSearchParams;
  /** Parsed JSON body; undefined when the request had no body. */
  body: unknown;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Params = Readonly<Record<string, string>>;
export type Handler = (req: RouteRequest, params: Params) => RouteResult;

interface Route {
  host: HostKind;
  methods: readonly string[];
  pattern: readonly string[];
  handler: Handler;
  /** Location discovery requests (exempt from faults unless asked). */
  discovery: boolean;
}

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: Params; discovery: boolean }
  | { kind: 'methodNotAllowed' }
  | { kind: 'notFound' };

export class Router {
  private readonly routes: Route[] = [];

  add(
    host: HostKind,
    methods: string | readonly string[],
    pattern: string,
    handler: Handler,
    options: { discovery?: boolean } = {},
  ): void {
    this.routes.push({
      host,
      methods: (typeof methods === 'string' ? [methods] : methods).map((m) => m.toUpperCase()),
      pattern: pattern.split('/').filter((s) => s !== ''),
      handler,
      discovery: options.discovery ?? false,
    });
  }

  match(host: HostKind, method: string, segments: readonly string[]): RouteMatch {
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.host !== host) continue;
      const params = matchPattern(route.pattern, segments);
      if (!params) continue;
      if (!route.methods.includes(method.toUpperCase())) {
        pathMatched = true;
        continue;
      }
      return { kind: 'found', handler: route.handler, params, discovery: route.discovery };
    }
    return pathMatched ? { kind: 'methodNotAllowed' } : { kind: 'notFound' };
  }
}

function matchPattern(
  pattern: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? '';
    const s = segments[i] ?? '';
    if (p.startsWith(':')) {
      if (s === '') return undefined;
      params[p.slice(1)] = s;
    } else if (p.toLowerCase() !== s.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}
