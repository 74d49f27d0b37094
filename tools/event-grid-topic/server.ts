/**
 * A stand-in for an Event Grid custom topic with the CloudEvents 1.0 input schema, on
 * 127.0.0.1, for the sandbox and the tests. It takes what `EventGridPublisherClient` sends
 * and answers as Event Grid does (learn.microsoft.com, "Publish events to Azure Event Grid
 * custom topics using access keys"):
 *
 *   POST /api/events?api-version=2018-01-01
 *   content-type: application/cloudevents-batch+json; charset=utf-8   (a JSON array of events)
 *   aeg-sas-key: <key>
 *
 *   200  accepted (empty body)         401  missing or wrong key
 *   400  not CloudEvents 1.0, wrong content type, no api-version
 *   404  another path                  413  more than 1 MB
 *
 * Every event must carry the CloudEvents 1.0 required attributes (`specversion` "1.0", `id`,
 * `source`, `type`) and well-formed optional ones. Accepted events are recorded, and each is
 * handed to `log` as one line. It can be told to answer 503 (or any status) instead, and be
 * stopped and started again on the same port, to play an outage.
 *
 * Control (no key; local only): GET /_topic/events, POST /_topic/fail {"status":503,"count":2},
 * POST /_topic/heal.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readLimitedBody } from '../http.js';

export const TOPIC_PATH = '/api/events';
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json; charset=utf-8';
/** Event Grid's limit for one publication (the whole array). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export interface LocalTopicOptions {
  /** The access key publishers must send as `aeg-sas-key`. */
  readonly key: string;
  /** 0 (default): any free port. */
  readonly port?: number;
  /** One line per accepted event (default: none). */
  readonly log?: (line: string) => void;
}

/** An accepted event, as parsed from the request (CloudEvents 1.0 JSON format). */
export interface ReceivedEvent {
  readonly event: Readonly<Record<string, unknown>>;
  readonly receivedAt: string;
  /** Index of the request that carried it in `requests()`. */
  readonly request: number;
}

/** What a publisher sent (never the key itself). */
export interface TopicRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly auth: 'key' | 'wrong-key' | 'none';
  readonly userAgent: string | undefined;
  readonly status: number;
  readonly events: number;
  readonly problem?: string;
}

export interface LocalTopic {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** What FLOW_EVENTS_TOPIC_ENDPOINT is set to: `<url>/api/events`. */
  readonly endpoint: string;
  readonly port: number;
  readonly key: string;
  events(): readonly ReceivedEvent[];
  requests(): readonly TopicRequest[];
  /** Answer the next `count` publications (every one when omitted) with `status` instead of accepting them. */
  fail(status: number, count?: number): void;
  /** Accept publications again. */
  heal(): void;
  /** Stop listening (connection refused), keeping what was received. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
  readonly listening: boolean;
  close(): Promise<void>;
}

export async function startLocalTopic(options: LocalTopicOptions): Promise<LocalTopic> {
  const topic = new Topic(options);
  await topic.start();
  return topic;
}

class Topic implements LocalTopic {
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly received: ReceivedEvent[] = [];
  private readonly recorded: TopicRequest[] = [];
  private failure: { readonly status: number; remaining: number | undefined } | undefined;
  private boundPort: number;

  constructor(private readonly options: LocalTopicOptions) {
    this.boundPort = options.port ?? 0;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get endpoint(): string {
    return `${this.url}${TOPIC_PATH}`;
  }

  get key(): string {
    return this.options.key;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  events(): readonly ReceivedEvent[] {
    return [...this.received];
  }

  requests(): readonly TopicRequest[] {
    return [...this.recorded];
  }

  fail(status: number, count?: number): void {
    this.failure = { status, remaining: count };
  }

  heal(): void {
    this.failure = undefined;
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, errorBody('InternalServerError', String(error)));
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.boundPort, host: '127.0.0.1' }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') this.boundPort = address.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  close(): Promise<void> {
    return this.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    if (url.pathname.startsWith('/_topic/')) return this.control(request, response, url.pathname);
    const query = Object.fromEntries(url.searchParams);
    const sentKey = request.headers['aeg-sas-key'];
    const base = {
      method: request.method ?? '',
      path: url.pathname,
      query,
      contentType: request.headers['content-type'],
      auth: sentKey === undefined ? 'none' : sentKey === this.options.key ? 'key' : 'wrong-key',
      userAgent: request.headers['user-agent'],
    } as const;
    const answer = (status: number, events: number, problem?: string, body?: string): void => {
      this.recorded.push({ ...base, status, events, ...(problem === undefined ? {} : { problem }) });
      send(response, status, body ?? (problem === undefined ? '' : errorBody(codeOf(status), problem)));
    };

    if (url.pathname !== TOPIC_PATH) {
      answer(404, 0, `No topic at ${url.pathname}: publish to ${TOPIC_PATH}`);
      return;
    }
    if (request.method !== 'POST') {
      answer(405, 0, `${request.method ?? ''} is not allowed: POST events`);
      return;
    }
    if (base.auth !== 'key') {
      // Event Grid answers the same for a missing and a wrong key; it never echoes the key.
      answer(401, 0, 'The request authorization key is not authorized for this topic.');
      return;
    }
    const body = await readLimitedBody(request, MAX_REQUEST_BYTES);
    if (body === 'too-large') {
      answer(413, 0, `The request is larger than ${MAX_REQUEST_BYTES} bytes.`);
      return;
    }
    if (query['api-version'] === undefined || query['api-version'] === '') {
      answer(400, 0, 'The api-version query parameter is missing.');
      return;
    }
    const contentType = (base.contentType ?? '').toLowerCase().replace(/\s+/g, '');
    const batch = contentType.startsWith('application/cloudevents-batch+json');
    if (!batch && !contentType.startsWith('application/cloudevents+json')) {
      answer(
        400,
        0,
        `This topic's input schema is CloudEventSchemaV1_0: content type ${base.contentType ?? '(none)'} is not a CloudEvent or a batch of them.`,
      );
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      answer(400, 0, 'The request body is not JSON.');
      return;
    }
    const events = batch ? parsed : [parsed];
    if (!Array.isArray(events) || events.length === 0) {
      answer(400, 0, 'A batch is a non-empty JSON array of CloudEvents.');
      return;
    }
    const problems = events.flatMap((event, index) =>
      cloudEventProblems(event).map((problem) => `event ${index}: ${problem}`),
    );
    if (problems.length > 0) {
      answer(400, events.length, problems.join('; '));
      return;
    }
    if (this.failure !== undefined) {
      const { status } = this.failure;
      if (this.failure.remaining !== undefined) {
        this.failure.remaining -= 1;
        if (this.failure.remaining <= 0) this.failure = undefined;
      }
      answer(status, events.length, `Failing on purpose with ${status}.`);
      return;
    }
    const request_ = this.recorded.length;
    const receivedAt = new Date().toISOString();
    for (const event of events) {
      if (!isRecord(event)) continue;
      this.received.push({ event, receivedAt, request: request_ });
      this.options.log?.(describeEvent(event));
    }
    answer(200, events.length, undefined, '');
  }

  private async control(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    if (path === '/_topic/events' && request.method === 'GET') {
      send(response, 200, JSON.stringify({ count: this.received.length, value: this.received }));
      return;
    }
    if (path === '/_topic/fail' && request.method === 'POST') {
      const body = await readLimitedBody(request, 4096);
      let status = 503;
      let count: number | undefined;
      if (body !== 'too-large' && body.length > 0) {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (isRecord(parsed) && typeof parsed.status === 'number') status = parsed.status;
        if (isRecord(parsed) && typeof parsed.count === 'number') count = parsed.count;
      }
      this.fail(status, count);
      send(response, 200, JSON.stringify({ failing: status, count: count ?? null }));
      return;
    }
    if (path === '/_topic/heal' && request.method === 'POST') {
      this.heal();
      send(response, 200, JSON.stringify({ failing: null }));
      return;
    }
    send(response, 404, errorBody('NotFound', `No control endpoint ${path}`));
  }
}

/**
 * What keeps a JSON value from being a CloudEvents 1.0 event (JSON format): the required
 * attributes and the types of the optional ones. Empty: it is one.
 */
export function cloudEventProblems(value: unknown): string[] {
  if (!isRecord(value)) return ['not a JSON object'];
  const problems: string[] = [];
  if (value.specversion !== '1.0') problems.push('specversion must be "1.0"');
  for (const name of ['id', 'source', 'type'] as const) {
    const attribute = value[name];
    if (typeof attribute !== 'string' || attribute === '')
      problems.push(`${name} must be a non-empty string`);
  }
  if (typeof value.source === 'string' && !isUriReference(value.source))
    problems.push('source must be a URI-reference');
  if (value.subject !== undefined && (typeof value.subject !== 'string' || value.subject === ''))
    problems.push('subject must be a non-empty string');
  if (value.time !== undefined && (typeof value.time !== 'string' || !RFC3339.test(value.time)))
    problems.push('time must be an RFC 3339 timestamp');
  if (value.datacontenttype !== undefined && typeof value.datacontenttype !== 'string')
    problems.push('datacontenttype must be a string');
  if (
    value.dataschema !== undefined &&
    (typeof value.dataschema !== 'string' || !isAbsoluteUri(value.dataschema))
  )
    problems.push('dataschema must be an absolute URI');
  if (value.data !== undefined && value.data_base64 !== undefined)
    problems.push('data and data_base64 are mutually exclusive');
  for (const name of Object.keys(value)) {
    if (!/^[a-z0-9]+$/.test(name) && name !== 'data_base64')
      problems.push(`attribute name ${name} is not lower-case letters and digits`);
  }
  return problems;
}

/** One line for a received event: what the sandbox and the demo print. */
export function describeEvent(event: Readonly<Record<string, unknown>>): string {
  const data = isRecord(event.data) ? event.data : {};
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  const model = isRecord(data.model) ? data.model : {};
  const build = isRecord(data.build) ? data.build : undefined;
  const release = isRecord(data.release) ? data.release : undefined;
  const parts = [
    text(model.name) + (typeof model.version === 'string' ? ` ${model.version}` : ''),
    typeof data.commit === 'string' ? `commit ${data.commit.slice(0, 7)}` : '',
    build === undefined
      ? ''
      : `build #${String(build.id)}${typeof build.result === 'string' ? ` ${build.result}` : ''}`,
    release === undefined ? '' : `release #${String(release.id)}`,
    typeof data.reason === 'string' ? `(${data.reason})` : '',
  ].filter((part) => part !== '');
  return `event ${text(event.type).padEnd(34)} ${text(event.subject)} id=${text(event.id)}  ${parts.join(', ')}`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function isUriReference(value: string): boolean {
  try {
    new URL(value, 'http://base.invalid/');
    return !/\s/.test(value);
  } catch {
    return false;
  }
}

function isAbsoluteUri(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ERROR_CODES = new Map([
  [400, 'BadRequest'],
  [401, 'Unauthorized'],
  [404, 'NotFound'],
  [405, 'MethodNotAllowed'],
  [413, 'PayloadTooLarge'],
]);

function codeOf(status: number): string {
  return ERROR_CODES.get(status) ?? (status >= 500 ? 'ServiceUnavailable' : 'Error');
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}
