/**
 * The whole app on one machine, no cloud account: Azurite (blob + queue), the Azure DevOps
 * emulator seeded with the app's project and pipelines, the local Functions host serving the
 * app's functions configured against both, a build.complete service hook pointing at the host,
 * a blob watcher standing in for Event Grid, and (optionally) automatic completion of runs.
 *
 * `startSandbox()` is used by `npm run sandbox` (cli.ts), `npm run demo` (demo.ts) and the tests.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { FunctionDefinition } from '../../src/app/functionDefinition.js';
import { resetApp } from '../../src/app/services.js';
import { loadConfig, SETTING_SPECS } from '../../src/config.js';
import { startAdoEmulator, type AdoEmulator } from '../ado-emulator/server.js';
import { startLocalTopic, type LocalTopic } from '../event-grid-topic/server.js';
import { freePort, startAzurite, type RunningAzurite } from '../azurite.js';
import { startLocalHost, type LocalHost } from '../local-host/server.js';
import { hideTestModeNotices } from '../local-host/testModeNotices.js';
import { orgUrl, subscribe, type AdoTarget } from './ado.js';
import { startAutoCompleter, type AutoCompleter } from './autoComplete.js';
import { startBlobWatcher, type BlobWatcher } from './blobWatcher.js';
import { errorMessage } from '../json.js';
import {
  appSettings,
  port,
  SANDBOX,
  SandboxSettingError,
  sandboxKnobs,
  setting,
  type Env,
  type SandboxKnobs,
} from './settings.js';

export interface SandboxOptions {
  /**
   * Where app settings, ports and sandbox knobs are read from (default: `process.env`).
   * Pass `{}` for the plain defaults whatever the shell has set.
   */
  readonly env?: Env;
  /** Any free port for everything, instead of the defaults and the *_PORT variables (demo, tests). */
  readonly freePorts?: boolean;
  /** Sandbox lines (watcher, auto-completion). Default: stdout. */
  readonly log?: (line: string) => void;
  /** Function log lines from the local host. Default: same as `log`. */
  readonly hostLog?: (line: string) => void;
  /** Whether a blob watcher plays Event Grid (default true; tests deliver their own events). */
  readonly watcher?: boolean;
  /** How often the blob watcher lists the models container (default 300 ms). */
  readonly watchIntervalMs?: number;
  /** Whether the emulator must check requests against the specs (tests), or may go on without them (default). */
  readonly specs?: 'required' | 'when-available';
  /** How long a received queue message stays hidden while the worker runs (the crash test wants it short). */
  readonly queueLeaseSeconds?: number;
}

export interface SandboxUrls {
  /** The local Functions host, e.g. http://127.0.0.1:7071 */
  readonly host: string;
  readonly github: string;
  readonly flows: string;
  readonly serviceHook: string;
  readonly eventGrid: string;
  /** The emulator's base URL and the organization URL the app uses. */
  readonly emulator: string;
  readonly organization: string;
  readonly emulatorControl: string;
  readonly blob: string;
  readonly queue: string;
  readonly modelsContainer: string;
  /** The local Event Grid topic flow events are published to (FLOW_EVENTS_TOPIC_ENDPOINT). */
  readonly flowEvents: string;
  /** Its control API: GET events, POST fail / heal. */
  readonly flowEventsControl: string;
}

export interface SandboxSecrets {
  readonly webhookSecret: string;
  readonly pat: string;
  readonly serviceHookUsername: string;
  readonly serviceHookPassword: string;
  readonly storageConnectionString: string;
}

export interface Sandbox {
  readonly urls: SandboxUrls;
  /** The app settings in effect (also applied to `process.env` until `stop()`). */
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: SandboxSecrets;
  readonly ports: {
    readonly host: number;
    readonly adoEmulator: number;
    readonly azuriteBlob: number;
    readonly azuriteQueue: number;
    readonly azuriteTable: number;
    readonly eventGridTopic: number;
  };
  /** The local stand-in for the flow events' Event Grid topic: every event it took, fault switches. */
  readonly topic: LocalTopic;
  /** How to reach the emulator as the app does (org, project, PAT). */
  readonly ado: AdoTarget;
  readonly knobs: SandboxKnobs;
  readonly subscriptionId: string;
  readonly watcher: BlobWatcher | undefined;
  readonly autoCompleter: AutoCompleter | undefined;
  /** The running parts, in this process. */
  readonly azurite: RunningAzurite;
  readonly emulator: AdoEmulator;
  readonly host: LocalHost;
  /** Stops everything (idempotent): watcher, auto-completion, host, emulator, Azurite; restores `process.env`. */
  stop(): Promise<void>;
}

/** A pipeline seeded with its YAML from this repository (the emulator parses its parameters). */
function seededPipeline(id: number, pipeline: { readonly name: string; readonly yamlPath: string }) {
  const yaml = readFileSync(new URL(`../../${pipeline.yamlPath}`, import.meta.url), 'utf8');
  return { id, name: pipeline.name, yamlPath: pipeline.yamlPath, yaml };
}

/**
 * The Azure DevOps emulator with the sandbox's project: the build and release pipelines of
 * infra/pipelines (their YAML declares the parameters) and a classic release definition deploying
 * the build pipeline's artifact to one stage.
 */
export function startSandboxEmulator(
  knobs: SandboxKnobs,
  options: { readonly port?: number; readonly specs?: 'required' | 'when-available' } = {},
): Promise<AdoEmulator> {
  return startAdoEmulator({
    specs: options.specs ?? 'when-available',
    port: options.port ?? 0,
    pat: knobs.pat,
    seed: [
      {
        org: knobs.org,
        project: knobs.project,
        pipelines: [
          seededPipeline(knobs.buildPipelineId, SANDBOX.buildPipeline),
          seededPipeline(knobs.releasePipelineId, SANDBOX.releasePipeline),
        ],
        releaseDefinitions: [
          {
            id: knobs.releaseDefinitionId,
            name: SANDBOX.releaseDefinition.name,
            artifacts: [
              { alias: SANDBOX.releaseDefinition.artifactAlias, pipelineId: knobs.buildPipelineId },
            ],
            environments: [{ id: 1, name: SANDBOX.releaseDefinition.stage }],
          },
        ],
      },
    ],
  });
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const hostLog = options.hostLog ?? log;
  const knobs = sandboxKnobs(env);
  const wanted = {
    azuriteBlob: options.freePorts === true ? 0 : port(env, 'AZURITE_BLOB_PORT', SANDBOX.ports.azuriteBlob),
    azuriteQueue:
      options.freePorts === true ? 0 : port(env, 'AZURITE_QUEUE_PORT', SANDBOX.ports.azuriteQueue),
    azuriteTable: options.freePorts === true ? 0 : port(env, 'AZURITE_TABLE_PORT', 0),
    adoEmulator: options.freePorts === true ? 0 : port(env, 'ADO_EMULATOR_PORT', SANDBOX.ports.adoEmulator),
    host: options.freePorts === true ? 0 : port(env, 'PORT', SANDBOX.ports.host),
    eventGridTopic:
      options.freePorts === true ? 0 : port(env, 'EVENT_GRID_TOPIC_PORT', SANDBOX.ports.eventGridTopic),
  };

  // Everything started so far, stopped in reverse order on failure or stop().
  const stops: { readonly what: string; readonly stop: () => Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      const errors: string[] = [];
      for (const item of stops.reverse()) {
        try {
          await item.stop();
        } catch (error) {
          errors.push(`${item.what}: ${errorMessage(error)}`);
        }
      }
      stops.length = 0;
      if (errors.length > 0) throw new Error(`Stopping the sandbox: ${errors.join('; ')}`);
    })();
    return stopping;
  };

  try {
    const free = await distinctFreePorts(3);
    const azuritePorts = {
      blob: wanted.azuriteBlob === 0 ? (free[0] ?? 0) : wanted.azuriteBlob,
      queue: wanted.azuriteQueue === 0 ? (free[1] ?? 0) : wanted.azuriteQueue,
      table: wanted.azuriteTable === 0 ? (free[2] ?? 0) : wanted.azuriteTable,
    };
    const fixed: readonly { readonly name: string; readonly value: number }[] = [
      { name: 'AZURITE_BLOB_PORT', value: wanted.azuriteBlob },
      { name: 'AZURITE_QUEUE_PORT', value: wanted.azuriteQueue },
      { name: 'AZURITE_TABLE_PORT', value: wanted.azuriteTable },
      { name: 'ADO_EMULATOR_PORT', value: wanted.adoEmulator },
      { name: 'PORT', value: wanted.host },
      { name: 'EVENT_GRID_TOPIC_PORT', value: wanted.eventGridTopic },
    ];
    await Promise.all(
      fixed.map(async ({ name, value }) => {
        if (value !== 0 && !(await isPortFree(value)))
          throw new SandboxSettingError(
            name,
            `is ${value}, a port already in use: stop what uses it, or choose another port with ${name} (0 = any free port)`,
          );
      }),
    );

    const azurite: RunningAzurite = await startAzurite({
      blobPort: azuritePorts.blob,
      queuePort: azuritePorts.queue,
      tablePort: azuritePorts.table,
      ...(knobs.dataDir === undefined ? {} : { dataDir: knobs.dataDir }),
    });
    stops.push({ what: 'Azurite', stop: () => azurite.stop() });

    const emulator = await startSandboxEmulator(knobs, {
      port: wanted.adoEmulator,
      specs: options.specs ?? 'when-available',
    });
    stops.push({ what: 'Azure DevOps emulator', stop: () => emulator.close() });
    const ado: AdoTarget = { baseUrl: emulator.url, org: knobs.org, project: knobs.project, pat: knobs.pat };

    // Flow events go to a local stand-in for an Event Grid topic; each one it takes is a log line.
    const topic: LocalTopic = await startLocalTopic({
      key: setting(env, 'FLOW_EVENTS_TOPIC_KEY', SANDBOX.topicKey),
      port: wanted.eventGridTopic,
      log,
    });
    stops.push({ what: 'Event Grid topic', stop: () => topic.close() });

    const settings = appSettings(env, {
      orgUrl: orgUrl(ado),
      connectionString: azurite.connectionString,
      knobs,
      flowEvents: { endpoint: topic.endpoint, key: topic.key },
    });
    // Fail here, with the setting's name, rather than at the first event.
    const config = loadConfig(settings);

    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const models = blobs.getContainerClient(config.storage.modelsContainer);
    await models.createIfNotExists();
    await blobs.getContainerClient(config.storage.ledgerContainer).createIfNotExists();

    // The app reads process.env lazily (loadConfig on first use): set it before the first invocation.
    const restoreEnv = applyEnv(settings);
    stops.push({
      what: 'settings',
      stop: () => {
        restoreEnv();
        return Promise.resolve();
      },
    });

    const host: LocalHost = await startLocalHost({
      definitions: await loadFunctions(),
      port: wanted.host,
      log: hostLog,
      ...(options.queueLeaseSeconds === undefined ? {} : { queueLeaseSeconds: options.queueLeaseSeconds }),
    });
    stops.push({ what: 'local host', stop: () => host.close() });

    const urls: SandboxUrls = {
      host: host.url,
      github: `${host.url}/api/github`,
      flows: `${host.url}/api/flows`,
      serviceHook: `${host.url}/api/devops/service-hook`,
      eventGrid: `${host.url}/runtime/webhooks/eventgrid?functionName=modelUploaded`,
      emulator: emulator.url,
      organization: orgUrl(ado),
      emulatorControl: `${emulator.url}/_emulator`,
      blob: azurite.blobEndpoint,
      queue: azurite.queueEndpoint,
      modelsContainer: models.url,
      flowEvents: topic.endpoint,
      flowEventsControl: `${topic.url}/_topic`,
    };

    const hook = {
      url: urls.serviceHook,
      username: config.serviceHook.username,
      password: config.serviceHook.password,
    };
    const subscriptionId = await subscribe(ado, {
      ...hook,
      event: { kind: 'build.complete', definitionName: SANDBOX.buildPipeline.name },
    });
    // Deploy runs are builds too, and classic deployments raise their own event: both mark flows released.
    await subscribe(ado, {
      ...hook,
      event: { kind: 'build.complete', definitionName: SANDBOX.releasePipeline.name },
    });
    await subscribe(ado, {
      ...hook,
      event: { kind: 'deployment-completed', releaseDefinitionId: knobs.releaseDefinitionId },
    });

    let watcher: BlobWatcher | undefined;
    if (options.watcher ?? true) {
      const started = await startBlobWatcher({
        container: models,
        topic: config.model.storageResourceId,
        endpoint: urls.eventGrid,
        intervalMs: options.watchIntervalMs ?? 300,
        log,
      });
      watcher = started;
      stops.push({ what: 'blob watcher', stop: () => started.stop() });
    }

    let autoCompleter: AutoCompleter | undefined;
    if (knobs.buildSeconds !== undefined) {
      autoCompleter = startAutoCompleter({
        target: ado,
        pipelineIds: [knobs.buildPipelineId, knobs.releasePipelineId],
        seconds: knobs.buildSeconds,
        result: knobs.buildResult,
        log,
      });
      const started = autoCompleter;
      stops.push({ what: 'auto-completion', stop: () => started.stop() });
    }

    return {
      urls,
      env: settings,
      secrets: {
        webhookSecret: config.github.webhookSecrets[0] ?? '',
        pat: knobs.pat,
        serviceHookUsername: config.serviceHook.username,
        serviceHookPassword: config.serviceHook.password,
        storageConnectionString: azurite.connectionString,
      },
      ports: {
        host: host.port,
        adoEmulator: emulator.port,
        azuriteBlob: azuritePorts.blob,
        azuriteQueue: azuritePorts.queue,
        azuriteTable: azuritePorts.table,
        eventGridTopic: topic.port,
      },
      topic,
      ado,
      knobs,
      subscriptionId,
      watcher,
      autoCompleter,
      azurite,
      emulator,
      host,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/** The app's functions, without @azure/functions' test-mode notices (expected outside the Functions host). */
async function loadFunctions(): Promise<readonly FunctionDefinition[]> {
  const showNotices = hideTestModeNotices();
  try {
    return (await import('../../src/app/allFunctions.js')).allFunctions;
  } finally {
    showNotices();
  }
}

/** Makes `settings` the app's settings in process.env (other app settings removed); returns the undo. */
function applyEnv(settings: Readonly<Record<string, string>>): () => void {
  const names = new Set([...Object.keys(SETTING_SPECS), ...Object.keys(settings)]);
  const previous = new Map<string, string | undefined>();
  for (const name of names) {
    previous.set(name, process.env[name]);
    const value = settings[name];
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
  resetApp();
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
    resetApp();
  };
}

/** `count` different free ports (asked one at a time, the system could hand out one twice). */
async function distinctFreePorts(count: number): Promise<readonly number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Whether nothing listens on 127.0.0.1:`port` (by trying to listen there). */
export function isPortFree(portNumber: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen({ port: portNumber, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}
