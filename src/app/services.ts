/**
 * The composition root: the adapters and use cases, wired once per worker process on first
 * use. Function files ask for `getApp()` and see only the use cases and the few settings
 * (credentials to check requests with) they need.
 */
import { loadConfig, type AppConfig } from '../config.js';
import { describeError } from '../errors.js';
import type { ReleaseSettings } from '../core/buildCompleted.js';
import type { BlobCreatedEvent, ModelUploadSettings } from '../core/modelUpload.js';
import type { FlowMessage } from '../core/flowMessage.js';
import type { FlowLedger } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { BuildPipeline } from '../ports/buildPipeline.js';
import type { Releaser } from '../ports/releaser.js';
import type { ModelStore } from '../ports/modelStore.js';
import type { WorkQueue } from '../ports/workQueue.js';
import type { FlowEventPublisher } from '../ports/flowEvents.js';
import { flowEventSource } from '../core/flowEvents.js';
import { FlowEventPublishing, type FlowEventsOptions } from '../usecases/flowEvents.js';
import { STALE_AFTER_MS } from '../usecases/acceptBuild.js';
import { acceptModelUpload, type ModelUploadOutcome } from '../usecases/acceptModelUpload.js';
import { acceptPush, type PushDelivery, type PushOutcome } from '../usecases/acceptPush.js';
import type { WorkItem } from '../usecases/dispatchOnce.js';
import { processMessage, type WorkOutcome } from '../usecases/processMessage.js';
import { flowReader, type FlowReader } from '../usecases/readFlows.js';
import type { RetryOptions } from '../usecases/retry.js';
import { sweepStalledFlows } from '../usecases/sweepStalledFlows.js';
import { FLOW_POISON_QUEUE, FLOW_QUEUE } from './flowQueue.js';

/** The adapters the use cases run on. */
export interface Adapters {
  readonly ledger: FlowLedger;
  readonly builds: BuildPipeline;
  readonly releaser: Releaser;
  readonly models: ModelStore;
  readonly queue: WorkQueue;
  /** The models account's blob endpoint, which model-upload events must name. */
  readonly blobEndpoint: string;
  /** Where flow events go; absent when FLOW_EVENTS_TOPIC_ENDPOINT is not set (events off). */
  readonly flowEvents?: FlowEventPublisher;
}

/** What the functions can do, in the app's words. */
export interface App {
  readonly github: { readonly webhookSecrets: readonly string[] };
  readonly serviceHook: { readonly username: string; readonly password: string };
  acceptPush(push: PushDelivery, logger: Logger): Promise<PushOutcome>;
  acceptModelUpload(event: BlobCreatedEvent, logger: Logger): Promise<ModelUploadOutcome>;
  processMessage(message: FlowMessage, work: WorkItem, logger: Logger): Promise<WorkOutcome>;
  /** Also publishes the flow events still pending on quiet flows, when events are on. */
  sweepStalledFlows(sweepId: string, logger?: Logger): Promise<readonly FlowMessage[]>;
  /** The flows as people read them (API, lineage page). */
  readonly flows: FlowReader;
  /** The ledger use cases write through: with flow events on, each transition is published after its write. */
  ledger(logger: Logger): FlowLedger;
  replayPoison(limit: number): ReturnType<WorkQueue['replayPoison']>;
}

export interface ComposeOptions {
  readonly clock?: Clock;
  readonly retry?: RetryOptions;
  /** How long one worker owns a flow's Azure DevOps call before another may take over. */
  readonly claimMs?: number;
  readonly staleMs?: number;
  readonly flowEvents?: FlowEventsOptions;
}

let current: Promise<App> | undefined;

export function getApp(): Promise<App> {
  current ??= loadAdapters(loadConfig())
    .then(({ config, adapters }) => composeApp(config, adapters))
    .catch((error: unknown) => {
      current = undefined;
      throw error;
    });
  return current;
}

/** Test seam: forget the composed app so the next call reads `process.env` again. */
export function resetApp(): void {
  current = undefined;
}

/** Wires the use cases over the adapters; pure, so tests can compose over in-memory adapters. */
export function composeApp(config: AppConfig, adapters: Adapters, options: ComposeOptions = {}): App {
  const { ledger, builds, releaser, models, queue } = adapters;
  const clock = options.clock ?? systemClock;
  const staleMs = options.staleMs ?? STALE_AFTER_MS;
  const accepting = { ledger, clock, staleMs };
  // With events on, the use cases write through a ledger that publishes after each flow write.
  const publishing =
    adapters.flowEvents === undefined
      ? undefined
      : new FlowEventPublishing({
          publisher: adapters.flowEvents,
          clock,
          source: flowEventSource(config.github.repository, config.model.name),
          ...(options.flowEvents === undefined ? {} : { options: options.flowEvents }),
        });
  const ledgerFor = (logger: Logger): FlowLedger =>
    publishing === undefined ? ledger : publishing.ledger(ledger, logger);
  const working = {
    ledger,
    clock,
    builds,
    releaser,
    claimMs: options.claimMs ?? 5 * 60_000,
    retry: options.retry,
    settings: releaseSettingsOf(config),
  };
  return {
    ledger: ledgerFor,
    github: { webhookSecrets: config.github.webhookSecrets },
    serviceHook: config.serviceHook,
    acceptPush: (push, logger) =>
      acceptPush(
        {
          ...accepting,
          ledger: ledgerFor(logger),
          logger,
          filter: {
            repository: config.github.repository,
            branches: config.github.branches,
            pathsInclude: config.github.pathsInclude,
            pathsExclude: config.github.pathsExclude,
          },
          modelName: config.model.name,
        },
        push,
      ),
    acceptModelUpload: (event, logger) =>
      acceptModelUpload(
        {
          ...accepting,
          ledger: ledgerFor(logger),
          logger,
          models,
          settings: modelUploadSettingsOf(config, adapters.blobEndpoint),
          branches: config.github.branches,
        },
        event,
      ),
    processMessage: (message, work, logger) =>
      processMessage({ ...working, ledger: ledgerFor(logger), logger }, message, work),
    sweepStalledFlows: async (sweepId, logger = CONSOLE_LOGGER) => {
      if (publishing === undefined) return sweepStalledFlows(accepting, sweepId);
      const due: string[] = [];
      const messages = await sweepStalledFlows(accepting, sweepId, {
        onFlow: (flow) => {
          if (publishing.isDue(flow)) due.push(flow.flowId);
        },
      });
      try {
        const swept = await publishing.sweep(ledger, due, logger);
        if (swept.flows > 0 || swept.stoppedBy !== undefined)
          logger.info('Pending flow events swept', { ...swept, due: due.length });
      } catch (error) {
        // The stalled flows' messages matter more: the next sweep publishes what is left.
        logger.error('Sweeping flow events failed', { error: describeError(error) });
      }
      return messages;
    },
    flows: flowReader(ledger),
    replayPoison: (limit) => queue.replayPoison(limit),
  };
}

/** What releasing needs of the settings (the worker, and an operator's rollback). */
export function releaseSettingsOf(config: AppConfig): ReleaseSettings {
  return {
    project: config.azureDevOps.project,
    buildPipelineId: config.azureDevOps.buildPipelineId,
    branches: config.github.branches,
    releaseOnPartialSuccess: config.release.onPartialSuccess,
    ...(config.release.mode === 'pipeline' ? { releasePipelineId: config.release.pipelineId } : {}),
  };
}

/** What accepting a model version needs of the settings (uploads, and an operator's promotion). */
export function modelUploadSettingsOf(config: AppConfig, blobEndpoint: string): ModelUploadSettings {
  return {
    storageResourceId: config.model.storageResourceId,
    blobEndpoint,
    modelsContainer: config.storage.modelsContainer,
    modelName: config.model.name,
    trigger: config.model.trigger,
  };
}

/** The Azure adapters, and the SDKs behind them, load on first use, not at cold start. */
export async function loadAdapters(
  config: AppConfig,
): Promise<{ readonly config: AppConfig; readonly adapters: Adapters }> {
  const [
    { createBlobServiceClient, createQueueServiceClient },
    { BlobFlowLedger },
    { BlobModelStore },
    { AzureDevOpsConnection },
    { AzureDevOpsBuildPipeline },
    { PipelineReleaser },
    { ClassicReleaser },
    { StorageWorkQueue },
  ] = await Promise.all([
    import('../adapters/storageClients.js'),
    import('../adapters/blobFlowLedger.js'),
    import('../adapters/blobModelStore.js'),
    import('../adapters/azureDevOps/connection.js'),
    import('../adapters/azureDevOps/buildPipeline.js'),
    import('../adapters/azureDevOps/pipelineReleaser.js'),
    import('../adapters/azureDevOps/classicReleaser.js'),
    import('../adapters/storageWorkQueue.js'),
  ]);
  const blobs = await createBlobServiceClient(config.storage);
  const runs = {
    connection: new AzureDevOpsConnection({
      orgUrl: config.azureDevOps.orgUrl,
      auth: config.azureDevOps.auth,
      requestTimeoutMs: config.azureDevOps.timeoutSeconds * 1000,
    }),
    project: config.azureDevOps.project,
  };
  const { release } = config;
  // The Event Grid SDK loads only when events are on.
  const flowEvents =
    config.flowEvents === undefined
      ? undefined
      : await (
          await import('../adapters/eventGridFlowEvents.js')
        ).createFlowEventPublisher(config.flowEvents);
  return {
    config,
    adapters: {
      ledger: new BlobFlowLedger(blobs.getContainerClient(config.storage.ledgerContainer)),
      builds: new AzureDevOpsBuildPipeline(runs, config.azureDevOps.buildPipelineId),
      releaser:
        release.mode === 'pipeline'
          ? new PipelineReleaser(runs, release.pipelineId, release.buildResourceAlias)
          : new ClassicReleaser(runs, release.definitionId, release.artifactAlias),
      models: new BlobModelStore(blobs.getContainerClient(config.storage.modelsContainer)),
      queue: new StorageWorkQueue(
        await createQueueServiceClient(config.storage),
        FLOW_QUEUE,
        FLOW_POISON_QUEUE,
      ),
      // The SDK reads the endpoint from the connection string (or was given it): never parsed here.
      blobEndpoint: blobs.url.replace(/\/+$/, ''),
      ...(flowEvents === undefined ? {} : { flowEvents }),
    },
  };
}

/** For a sweep invoked without an invocation's logger. */
const CONSOLE_LOGGER: Logger = {
  info: (message, properties) => {
    console.warn(message, properties ?? {});
  },
  warn: (message, properties) => {
    console.warn(message, properties ?? {});
  },
  error: (message, properties) => {
    console.error(message, properties ?? {});
  },
};
