/**
 * For the flow events tests: the app composed over the real adapters (Azurite through a
 * request-counting proxy, the Azure DevOps emulator, the Event Grid adapter to a local topic),
 * and a flow driven through its use cases, from a push to `released`.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { composeApp, loadAdapters } from '../../src/app/compose.js';
import type { Adapters, App } from '../../src/app/services.js';
import { loadConfig, type AppConfig } from '../../src/config.js';
import type { FlowRecord, ModelRef } from '../../src/core/flow.js';
import type { FlowMessage } from '../../src/core/flowMessage.js';
import { parsePushEvent } from '../../src/core/githubPush.js';
import { EMPTY_POINTERS } from '../../src/core/pointers.js';
import type { FlowLedger } from '../../src/ports/flowLedger.js';
import type { Logger } from '../../src/ports/logger.js';
import type { FlowEventsOptions } from '../../src/usecases/flowEvents.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import { pushPayload, randomSha } from '../../tools/github/webhooks.js';
import { appEnv, TEST_SECRETS } from '../support/appEnv.js';
import { completeBuild, type AdoTarget } from '../../tools/sandbox/ado.js';
import { ORG, PROJECT } from '../support/stack.js';

/** Requests to Azurite's blob service, counted on their way (shared-key signatures do not cover the host). */
export interface CountingProxy {
  readonly port: number;
  /** Requests forwarded so far. */
  count(): number;
  readonly requests: { readonly method: string; readonly path: string }[];
  close(): Promise<void>;
}

export async function startCountingProxy(targetEndpoint: string): Promise<CountingProxy> {
  const target = new URL(targetEndpoint);
  const requests: { method: string; path: string }[] = [];
  const server = http.createServer((request, response) => {
    requests.push({ method: request.method ?? '', path: request.url ?? '' });
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      response.destroy();
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : 0;
  return {
    port,
    count: () => requests.length,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Azurite's connection string with the blob endpoint through the proxy. */
export function proxiedConnectionString(connectionString: string, proxyPort: number): string {
  return connectionString.replace(
    /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\//,
    `BlobEndpoint=http://127.0.0.1:${proxyPort}/`,
  );
}

export interface Composed {
  readonly app: App;
  readonly config: AppConfig;
  readonly adapters: Adapters;
  readonly ledger: FlowLedger;
}

/** The app as the Functions host composes it, over the real adapters, with `overrides` for some of them. */
export async function composed(input: {
  readonly connectionString: string;
  readonly emulator: AdoEmulator;
  readonly settings?: Readonly<Record<string, string | undefined>>;
  readonly ledgerContainer?: string;
  readonly adapters?: Partial<Adapters>;
  readonly flowEvents?: FlowEventsOptions;
}): Promise<Composed> {
  const env = appEnv({
    azurite: { connectionString: input.connectionString },
    orgUrl: input.emulator.orgUrl(ORG),
    overrides: {
      ...input.settings,
      ...(input.ledgerContainer === undefined ? {} : { LEDGER_CONTAINER: input.ledgerContainer }),
    },
  });
  const config = loadConfig(env);
  const loaded = await loadAdapters(config);
  const adapters: Adapters = { ...loaded.adapters, ...input.adapters };
  return {
    app: composeApp(config, adapters, {
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      ...(input.flowEvents === undefined ? {} : { flowEvents: input.flowEvents }),
    }),
    config,
    adapters,
    ledger: adapters.ledger,
  };
}

export const MODEL: ModelRef = {
  name: 'fraud',
  version: '1.0.0',
  uri: 'http://127.0.0.1:10000/devstoreaccount1/models/fraud/1.0.0/model.json',
  sha256: 'a'.repeat(64),
};

/** Makes `model` the current model, as a promoted upload would. */
export async function promote(ledger: FlowLedger, model: ModelRef = MODEL): Promise<void> {
  const stored = await ledger.readPointers();
  const at = new Date().toISOString();
  const written = await ledger.writePointers(
    {
      ...(stored?.value ?? EMPTY_POINTERS),
      models: {
        [model.name]: {
          model,
          uploadedAt: at,
          promotedAt: at,
          delivery: { source: 'eventgrid', id: randomUUID() },
        },
      },
    },
    stored?.etag,
  );
  if (written === 'conflict') throw new Error('pointers changed while promoting');
}

export function lines(into: string[]): Logger {
  const line =
    (level: string) =>
    (message: string, properties?: Readonly<Record<string, unknown>>): void => {
      into.push(`${level} ${message}${properties === undefined ? '' : ` ${JSON.stringify(properties)}`}`);
    };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

function work(message: FlowMessage) {
  return { messageId: randomUUID(), dequeueCount: 1, maxDequeueCount: 5, delivery: message.delivery };
}

/** What the flow worker does with one queue message. */
export async function runMessage(app: App, message: FlowMessage, logger: Logger): Promise<void> {
  await app.processMessage(message, work(message), logger);
}

/** A signed push's accepted outcome: the flow and the message the function would queue. */
export async function push(
  app: App,
  logger: Logger,
  commit = randomSha(),
): Promise<{ readonly flow: FlowRecord; readonly message: FlowMessage }> {
  const parsed = parsePushEvent(pushPayload({ after: commit, pushedAt: Math.floor(Date.now() / 1000) }));
  if (!parsed.ok) throw new Error(parsed.problem);
  const outcome = await app.acceptPush({ event: parsed.event, deliveryId: randomUUID() }, logger);
  if (outcome.kind !== 'accepted') throw new Error(`push not accepted: ${outcome.kind}`);
  const [message] = outcome.messages;
  if (message === undefined) throw new Error('no message queued');
  return { flow: outcome.flow, message };
}

/**
 * A pushed commit all the way: accepted, its build started, succeeded, released, deployed
 * (pipeline mode), through the use cases and the emulator. Answers the flow id.
 */
export async function pushToReleased(
  app: App,
  emulator: AdoEmulator,
  ledger: FlowLedger,
  logger: Logger,
): Promise<string> {
  const { flow, message } = await push(app, logger);
  await runMessage(app, message, logger);
  const buildId = (await ledger.getFlow(flow.flowId))?.value.build?.id;
  if (buildId === undefined) throw new Error(`flow ${flow.flowId} has no build`);
  await completeBuild(adoTarget(emulator), buildId, 'succeeded');
  await runMessage(app, completed(buildId), logger);
  const releaseId = (await ledger.getFlow(flow.flowId))?.value.release?.id;
  if (releaseId === undefined) throw new Error(`flow ${flow.flowId} was not released`);
  await completeBuild(adoTarget(emulator), releaseId, 'succeeded');
  await runMessage(app, completed(releaseId), logger);
  return flow.flowId;
}

function completed(buildId: number): FlowMessage {
  return { v: 1, kind: 'build-completed', buildId, delivery: { source: 'servicehook', id: randomUUID() } };
}

/** The emulator as the sandbox's Azure DevOps helpers address it. */
function adoTarget(emulator: AdoEmulator): AdoTarget {
  return { baseUrl: emulator.url, org: ORG, project: PROJECT, pat: TEST_SECRETS.pat };
}
