/**
 * A small stand-in for the Azure Functions host (Core Tools cannot be installed here).
 * It serves the very same function definitions that `src/functions` registers with
 * `app.*`, at the host's URLs:
 *   HTTP triggers         /api/<route>
 *   Event Grid triggers   POST /runtime/webhooks/eventgrid?functionName=<name>
 *   Queue triggers        polled from the storage account named by the binding's `connection`
 *   Queue outputs         written when the function returns successfully
 * It holds no behaviour of its own: parsing, auth and decisions live in the functions.
 * Like `func start`, it does not check function keys.
 */
import functions from '@azure/functions';
import type { EventGridEvent, FunctionOutput, HttpResponseInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FunctionDefinition } from '../../src/app/functionDefinition.js';
import { QueueBindings, readQueueSettings } from './queues.js';
import { readLimitedBody } from '../http.js';

const { HttpRequest, HttpResponse, InvocationContext } = functions;

/** The Functions host refuses request bodies over 100 MB (`maxRequestBodySize`). */
const HOST_MAX_BODY_BYTES = 100 * 1024 * 1024;

export interface LocalHostOptions {
  readonly definitions: readonly FunctionDefinition[];
  readonly port?: number;
  readonly host?: string;
  /** Where function log lines go (default: stdout). */
  readonly log?: (line: string) => void;
  /** host.json to read queue settings from (default: the repository's). */
  readonly hostJsonPath?: string;
  /** How long a received queue message stays hidden while its function runs (default 30 s). */
  readonly queueLeaseSeconds?: number;
  /** App settings that name storage connections (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface LocalHost {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

type HttpDefinition = Extract<FunctionDefinition, { kind: 'http' }>;
type EventGridDefinition = Extract<FunctionDefinition, { kind: 'eventGrid' }>;
type QueueDefinition = Extract<FunctionDefinition, { kind: 'storageQueue' }>;

const DEFAULT_HOST_JSON = fileURLToPath(new URL('../../host.json', import.meta.url));

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  // Like the Functions host (ASP.NET Core routing), the most specific route is tried first:
  // `flows/view/{flowId?}` answers `/api/flows/view` although `flows/{flowId?}` matches it too.
  const routes = options.definitions
    .filter((definition): definition is HttpDefinition => definition.kind === 'http')
    .map((definition) => ({ definition, pattern: routePattern(definition.options.route) }))
    .sort((a, b) => compareRoutePrecedence(a.definition.options.route, b.definition.options.route));
  const eventGrid = new Map(
    options.definitions
      .filter((definition): definition is EventGridDefinition => definition.kind === 'eventGrid')
      .map((definition) => [definition.name.toLowerCase(), definition]),
  );

  const env = options.env ?? process.env;
  const queueSettings = readQueueSettings(
    options.hostJsonPath ?? DEFAULT_HOST_JSON,
    options.queueLeaseSeconds ?? 30,
  );
  const bindings = new QueueBindings(queueSettings, (connection) => {
    const value = env[connection];
    if (value === undefined || value === '')
      throw new Error(`The app setting ${connection} (a storage connection string) is not set`);
    return value;
  });

  /** Writes the invocation's queue outputs, as the host does after the function returns. */
  async function writeOutputs(
    definition: FunctionDefinition,
    context: InstanceType<typeof InvocationContext>,
  ): Promise<void> {
    const outputs: readonly FunctionOutput[] = definition.options.extraOutputs ?? [];
    for (const output of outputs) {
      const value = context.extraOutputs.get(output);
      if (value === undefined || output.type !== 'queue') continue;
      const queueName = output.queueName;
      const connection = output.connection;
      if (typeof queueName !== 'string' || typeof connection !== 'string') continue;
      await bindings.send(connection, queueName, value);
    }
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`[local-host] unhandled: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  /** A function threw: the real host answers 500 with no details; the log has them. */
  function failed(response: ServerResponse, functionName: string, error: unknown): void {
    log(
      `[${functionName}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    send(response, 500, undefined);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
    const method = (request.method ?? 'GET').toUpperCase();
    if (url.pathname === '/runtime/webhooks/eventgrid' && method === 'POST') {
      await handleEventGrid(request, response, url);
      return;
    }
    if (url.pathname === '/' || url.pathname === '/admin/host/status') {
      send(response, 200, {
        state: 'Running',
        functions: options.definitions.map((definition) => definition.name),
      });
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      send(response, 404, undefined);
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname.slice('/api/'.length)).replace(/\/+$/, '');
    } catch {
      send(response, 400, { error: 'Malformed percent-encoding in the path' });
      return;
    }
    for (const { definition, pattern } of routes) {
      const params = pattern(path);
      const methods = definition.options.methods ?? ['GET', 'POST'];
      if (params === undefined || !methods.some((allowed) => allowed.toUpperCase() === method)) continue;
      const body = await readLimitedBody(request, HOST_MAX_BODY_BYTES);
      if (body === 'too-large') {
        send(response, 413, undefined);
        return;
      }
      const httpRequest = new HttpRequest({
        method,
        url: url.href,
        headers: headersOf(request),
        query: Object.fromEntries(url.searchParams),
        params,
        ...(body.length === 0 ? {} : { body: { bytes: body } }),
      });
      const context = invocationContext(definition.name, log);
      let result: HttpResponseInit | InstanceType<typeof HttpResponse>;
      try {
        result = await definition.options.handler(httpRequest, context);
        await writeOutputs(definition, context);
      } catch (error) {
        failed(response, definition.name, error);
        return;
      }
      await writeHttpResponse(response, result);
      return;
    }
    send(response, 404, undefined);
  }

  async function handleEventGrid(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> {
    const name = url.searchParams.get('functionName')?.toLowerCase() ?? '';
    const definition = eventGrid.get(name);
    if (definition === undefined) {
      send(response, 404, {
        error: `No Event Grid function named ${url.searchParams.get('functionName') ?? ''}`,
      });
      return;
    }
    const body = await readLimitedBody(request, HOST_MAX_BODY_BYTES);
    if (body === 'too-large') {
      send(response, 413, undefined);
      return;
    }
    let events: unknown;
    try {
      events = JSON.parse(body.toString('utf8'));
    } catch {
      send(response, 400, { error: 'Body is not JSON' });
      return;
    }
    const batch = Array.isArray(events) ? events : [events];
    const eventType = request.headers['aeg-event-type'];
    if (eventType === 'SubscriptionValidation') {
      const first: unknown = batch[0];
      const code = validationCodeOf(first);
      if (code === undefined) {
        send(response, 400, { error: 'No validationCode in the validation event' });
        return;
      }
      send(response, 200, { validationResponse: code });
      return;
    }
    if (eventType !== 'Notification') {
      send(response, 400, { error: 'Missing or unknown aeg-event-type header' });
      return;
    }
    for (const event of batch) {
      if (!isEventGridEvent(event)) {
        send(response, 400, { error: 'Not an Event Grid schema event' });
        return;
      }
      try {
        const context = invocationContext(definition.name, log);
        await definition.options.handler(event, context);
        await writeOutputs(definition, context);
      } catch (error) {
        // A failure status makes Event Grid redeliver the event later.
        failed(response, definition.name, error);
        return;
      }
    }
    send(response, 200, undefined);
  }

  const stopPolling = new AbortController();
  const pollers = options.definitions
    .filter((definition): definition is QueueDefinition => definition.kind === 'storageQueue')
    .map((definition) =>
      bindings.poll(
        definition.options.connection,
        definition.options.queueName,
        async (body, metadata) => {
          const context = invocationContext(definition.name, log, metadata);
          try {
            await definition.options.handler(body, context);
          } catch (error) {
            log(
              `[${definition.name}] failed (dequeue count ${String(metadata.dequeueCount)}): ${error instanceof Error ? error.message : String(error)}`,
            );
            throw error;
          }
          await writeOutputs(definition, context);
        },
        stopPolling.signal,
        (error) => {
          log(`[${definition.name}] queue: ${error instanceof Error ? error.message : String(error)}`);
        },
        (outage) => {
          log(
            outage.kind === 'unreachable'
              ? `[${definition.name}] queue ${outage.queueName} unreachable, polling on until it answers: ${outage.error instanceof Error ? outage.error.message : String(outage.error)}`
              : `[${definition.name}] queue ${outage.queueName} reachable again after ${(outage.downMs / 1000).toFixed(1)} s`,
          );
        },
      ),
    );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = isAddressInfo(address) ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      stopPolling.abort();
      await new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      });
      // Let running queue invocations finish, as the host does on shutdown.
      await Promise.allSettled(pollers);
    },
  };
}

function invocationContext(
  functionName: string,
  log: (line: string) => void,
  triggerMetadata: Record<string, unknown> = {},
): InstanceType<typeof InvocationContext> {
  const invocationId = randomUUID();
  return new InvocationContext({
    invocationId,
    functionName,
    triggerMetadata,
    logHandler: (level, ...args) => {
      log(
        `[${functionName}] ${level}: ${args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ')}`,
      );
    },
  });
}

async function writeHttpResponse(
  response: ServerResponse,
  result: HttpResponseInit | InstanceType<typeof HttpResponse>,
): Promise<void> {
  const httpResponse = result instanceof HttpResponse ? result : new HttpResponse(result);
  const headers: Record<string, string> = {};
  httpResponse.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const bytes = Buffer.from(await httpResponse.arrayBuffer());
  response.writeHead(httpResponse.status, { ...headers, 'content-length': String(bytes.length) });
  response.end(bytes);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    response.writeHead(status, { 'content-length': '0' });
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * Inbound route precedence as ASP.NET Core routing computes it, segment by segment from the
 * left: a literal segment (1) before a constrained parameter (2) before a parameter (3) before
 * a catch-all (4); a route with no segment left sorts before one that has more. Ties keep the
 * order of registration (the sort is stable).
 */
export function compareRoutePrecedence(left: string, right: string): number {
  const a = routeSegments(left).map(segmentRank);
  const b = routeSegments(right).map(segmentRank);
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function routeSegments(route: string): string[] {
  return route
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((segment) => segment !== '');
}

function segmentRank(segment: string): number {
  const parameter = /^\{(\*{0,2})[A-Za-z_][A-Za-z0-9_]*\??(:[^}]*)?\}$/.exec(segment);
  if (parameter === null) return 1;
  if (parameter[1] !== '') return 4;
  return parameter[2] === undefined ? 3 : 2;
}

/** `flows/{flowId}` or `flows/{flowId?}` → a matcher answering the route parameters. */
function routePattern(route: string): (path: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const source = route
    .replace(/\/+$/, '')
    .split('/')
    .map((segment) => {
      const match = /^\{([A-Za-z_][A-Za-z0-9_]*)(\?)?(?::[^}]*)?\}$/.exec(segment);
      if (match?.[1] === undefined) return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
      names.push(match[1]);
      return match[2] === '?' ? '(?:/([^/]+))?' : '/([^/]+)';
    })
    .join('');
  const regex = new RegExp(`^${source.slice(1)}$`, 'i');
  return (path) => {
    const match = regex.exec(path);
    if (match === null) return undefined;
    const params: Record<string, string> = {};
    names.forEach((name, index) => {
      const value = match[index + 1];
      if (value !== undefined) params[name] = value;
    });
    return params;
  };
}

function validationCodeOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || !('data' in event)) return undefined;
  const data = event.data;
  if (typeof data !== 'object' || data === null || !('validationCode' in data)) return undefined;
  return typeof data.validationCode === 'string' ? data.validationCode : undefined;
}

function isEventGridEvent(value: unknown): value is EventGridEvent {
  if (typeof value !== 'object' || value === null) return false;
  return (
    'id' in value &&
    typeof value.id === 'string' &&
    'eventType' in value &&
    typeof value.eventType === 'string' &&
    'subject' in value &&
    typeof value.subject === 'string'
  );
}

function isAddressInfo(address: string | AddressInfo | null): address is AddressInfo {
  return typeof address === 'object' && address !== null;
}
