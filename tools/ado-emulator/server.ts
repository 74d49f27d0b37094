/**
 * Azure DevOps emulator: a plain `node:http` server that the real `azure-devops-node-api` client
 * talks to unmodified. See README.md for the endpoints, control API and fault semantics.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createAdoRouter, type ApiDeps } from './api/index.js';
import { handleControl } from './control.js';
import { AdoError, Errors } from './errors.js';
import { FaultInjector, parseFaultSettings } from './faults.js';
import { HookDispatcher, type HookDispatcherOptions } from './hooks.js';
import {
  BodyTooLargeError,
  apiVersionOf,
  checkApiVersion,
  isAuthorized,
  readBody,
  sendJson,
} from './http.js';
import { parseJson } from '../json.js';
import type { HostKind } from './locations.js';
import type { Router, RouteResult } from './router.js';
import { parseSeed, type ParsedSeed } from './seed.js';
import { ConformanceError } from './conformance.js';
import { RequestValidator } from './spec.js';
import { EmulatorStore } from './store.js';
import type {
  AdoEmulator,
  AdoEmulatorOptions,
  FaultKind,
  FaultSettings,
  HookDelivery,
  RecordedRequest,
} from './types.js';

export type {
  AdoEmulator,
  AdoEmulatorOptions,
  EmulatorProjectSeed,
  FaultKind,
  FaultSettings,
  HookDelivery,
  RecordedRequest,
} from './types.js';
export { projectIdFor, orgIdFor, shaForBranch } from './ids.js';
export type { HookDispatcherOptions } from './hooks.js';

const CONTROL_PREFIX = '/_emulator';

/** Internal knobs for tests of the emulator itself; not part of the public options. */
export interface AdoEmulatorInternals {
  hooks?: HookDispatcherOptions;
}

class Emulator implements AdoEmulator {
  readonly url: string;
  readonly port: number;
  private readonly store = new EmulatorStore();
  private readonly faults = new FaultInjector();
  private readonly hooks: HookDispatcher;
  private readonly router: Router;
  private readonly api: ApiDeps;
  private readonly recorded: RecordedRequest[] = [];
  private readonly seeds: ParsedSeed[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly server: http.Server,
    private readonly pat: string,
    port: number,
    displayHost: string,
    internals: AdoEmulatorInternals,
    spec: RequestValidator | undefined,
  ) {
    this.port = port;
    this.url = `http://${displayHost}:${port}`;
    this.hooks = new HookDispatcher(internals.hooks);
    this.api = {
      store: this.store,
      hooks: this.hooks,
      urls: { baseUrl: this.url },
      now: () => new Date(),
      spec,
    };
    this.router = createAdoRouter(this.api);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        console.error('[ado-emulator] unhandled error', err);
        if (!res.headersSent && !res.destroyed) sendJson(res, 500, Errors.internal('unhandled').body());
        else res.destroy();
      });
    });
  }

  orgUrl(org: string): string {
    return `${this.url}/${encodeURIComponent(org)}`;
  }

  seed(seed: ParsedSeed): void {
    this.store.applySeed(seed);
    this.seeds.push(seed);
  }

  requests(): readonly RecordedRequest[] {
    return this.recorded.map((r) => ({ ...r, query: { ...r.query } }));
  }

  deliveries(): readonly HookDelivery[] {
    return this.hooks.deliveries();
  }

  deliveriesSettled(): Promise<void> {
    return this.hooks.settled();
  }

  setFaults(faults: FaultSettings | null): void {
    this.faults.set(parseFaultSettings(faults));
  }

  reset(): void {
    this.hooks.clear();
    this.faults.set(null);
    this.recorded.length = 0;
    this.store.clear();
    for (const seed of this.seeds) this.store.applySeed(seed);
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.hooks.cancelAll();
      this.server.close(() => {
        resolve();
      });
      for (const res of this.held) res.destroy();
      this.held.clear();
      for (const socket of this.sockets) socket.destroy();
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://emulator.invalid');
    } catch {
      sendJson(res, 400, Errors.badRequest('Malformed request URL.').body());
      return;
    }
    const path = url.pathname;
    const isControl = path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`);
    let raw: string;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        if (!isControl) this.record(method, url, undefined, 413, { responded: true });
        sendJson(res, 413, Errors.payloadTooLarge().body(), { Connection: 'close' });
      } else {
        res.destroy();
      }
      return;
    }
    if (isControl) {
      this.handleControl(res, method, path, raw);
      return;
    }
    this.handleAdo(req, res, method, url, raw);
  }

  private handleControl(res: ServerResponse, method: string, path: string, raw: string): void {
    let body: unknown;
    if (raw.trim() !== '') {
      const parsed = parseJson(raw);
      if (!parsed.ok) {
        sendJson(res, 400, { message: `invalid JSON: ${parsed.error}` });
        return;
      }
      body = parsed.value;
    }
    const result = handleControl(
      {
        api: this.api,
        url: this.url,
        faults: this.faults,
        requests: () => this.requests(),
        deliveries: () => this.deliveries(),
        setFaults: (s) => {
          this.setFaults(s);
        },
        reset: () => {
          this.reset();
        },
      },
      method,
      path,
      body,
    );
    sendJson(res, result.status, result.body, result.headers);
  }

  private record(
    method: string,
    url: URL,
    body: unknown,
    status: number,
    extra: Partial<Pick<RecordedRequest, 'fault' | 'responded' | 'apiVersion'>> = {},
  ): RecordedRequest {
    const entry: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      status,
      at: new Date().toISOString(),
      ...extra,
    };
    this.recorded.push(entry);
    return entry;
  }

  private handleAdo(req: IncomingMessage, res: ServerResponse, method: string, url: URL, raw: string): void {
    const parsedBody = raw.trim() === '' ? undefined : parseJson(raw);
    const recordedBody = parsedBody === undefined ? undefined : parsedBody.ok ? parsedBody.value : raw;
    const apiVersion = apiVersionOf(req, url.searchParams);
    const entry = this.record(method, url, recordedBody, 0, apiVersion === undefined ? {} : { apiVersion });

    if (!isAuthorized(req.headers.authorization, this.pat)) {
      entry.status = 401;
      entry.responded = true;
      const error = Errors.unauthorized();
      sendJson(res, 401, error.body(), {
        'WWW-Authenticate': ['Bearer', `Basic realm="${this.url}/"`, 'TFS-Federated'],
        'X-TFS-ProcessId': '00000000-0000-0000-0000-000000000000',
      });
      return;
    }

    let segments: string[];
    try {
      segments = url.pathname
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
    } catch {
      entry.status = 400;
      entry.responded = true;
      sendJson(res, 400, Errors.badRequest('Malformed percent-encoding in the request path.').body());
      return;
    }
    let host: HostKind = 'org';
    if (segments[0]?.toLowerCase() === 'vsrm') {
      host = 'vsrm';
      segments = segments.slice(1);
    }
    const match = this.router.match(host, method, segments);
    const fault = this.faults.decide({
      method,
      path: url.pathname,
      discovery: match.kind === 'found' && match.discovery,
    });
    if (fault !== undefined) entry.fault = fault;
    if (fault !== undefined && this.rejectWithFault(req, res, fault, entry)) return;

    let result: RouteResult;
    try {
      if (match.kind === 'notFound') throw Errors.routeNotFound(url.pathname);
      if (match.kind === 'methodNotAllowed') throw Errors.methodNotAllowed(method, url.pathname);
      if (apiVersion !== undefined && method !== 'OPTIONS') checkApiVersion(apiVersion);
      if (parsedBody !== undefined && !parsedBody.ok) throw Errors.invalidJson(parsedBody.error);
      result = match.handler(
        { method, host, segments, query: url.searchParams, body: parsedBody?.value },
        match.params,
      );
    } catch (err) {
      if (err instanceof AdoError) {
        result = { status: err.status, body: err.body(), headers: { ...err.headers } };
      } else {
        console.error('[ado-emulator] handler error', err);
        result = {
          status: 500,
          body: Errors.internal(err instanceof Error ? err.message : String(err)).body(),
        };
      }
    }
    entry.status = result.status;

    if (fault === 'timeout') {
      // Processed, but the client never hears back: hold the socket until it gives up or we close.
      entry.responded = false;
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    if (fault === 'reset-after') {
      entry.responded = false;
      req.socket.destroy();
      return;
    }
    entry.responded = true;
    sendJson(res, result.status, result.body, result.headers, apiVersion);
  }

  /** Applies faults that stop the request before processing. Returns true when it did. */
  private rejectWithFault(
    req: IncomingMessage,
    res: ServerResponse,
    fault: FaultKind,
    entry: RecordedRequest,
  ): boolean {
    const retryAfter = this.faults.retryAfterSeconds;
    switch (fault) {
      case '429': {
        entry.status = 429;
        entry.responded = true;
        const reset = Math.ceil(Date.now() / 1000) + retryAfter;
        sendJson(res, 429, Errors.throttled(retryAfter).body(), {
          'Retry-After': String(retryAfter),
          'X-RateLimit-Resource': 'ATCPU',
          'X-RateLimit-Delay': '0.5',
          'X-RateLimit-Limit': '200',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(reset),
        });
        return true;
      }
      case '500':
      case '502':
      case '503': {
        const status = Number(fault);
        entry.status = status;
        entry.responded = true;
        sendJson(
          res,
          status,
          Errors.serverFault(status).body(),
          status === 503 ? { 'Retry-After': String(retryAfter) } : {},
        );
        return true;
      }
      case 'reset':
        entry.status = 0;
        entry.responded = false;
        req.socket.destroy();
        return true;
      case 'timeout':
      case 'reset-after':
        return false;
    }
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * The request validator. Tests and CI require the conformance corpus; the sandbox, run from a
 * clone without it, goes on without spec checks and says so.
 */
function loadSpecs(mode: 'required' | 'when-available'): RequestValidator | undefined {
  try {
    return RequestValidator.load();
  } catch (error) {
    if (mode === 'required' || !(error instanceof ConformanceError)) throw error;
    console.warn(`[ado-emulator] ${error.message} Requests are not checked against the specs.`);
    return undefined;
  }
}

export async function startAdoEmulator(
  options: AdoEmulatorOptions,
  internals: AdoEmulatorInternals = {},
): Promise<AdoEmulator> {
  if (typeof options.pat !== 'string' || options.pat === '')
    throw new Error('startAdoEmulator: pat is required');
  // Seeds and specs first: a bad seed or a missing conformance corpus fails before anything listens.
  const seeds = (options.seed ?? []).map(parseSeed);
  const spec = loadSpecs(options.specs ?? 'required');
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer({ requestTimeout: 0 });
  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await listen(server, options.port ?? 0, host);
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error('startAdoEmulator: server has no TCP address');
  }
  const displayHost =
    host === '0.0.0.0' || host === '::'
      ? '127.0.0.1'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : host;
  const emulator = new Emulator(server, options.pat, address.port, displayHost, internals, spec);
  for (const seed of seeds) emulator.seed(seed);
  return emulator;
}
