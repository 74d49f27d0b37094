/**
 * Wires the use cases over the adapters: loaded with them on first use (`getApp`), so neither
 * the use cases nor their libraries (semver, picomatch, cockatiel) are paid at cold start.
 * Pure over its adapters, so tests and the operator CLI compose it over their own.
 */
import type { AppConfig } from '../config.js';
import { describeError } from '../errors.js';
import type { ReleaseSettings } from '../core/buildCompleted.js';
import type { ModelUploadSettings } from '../core/modelUpload.js';
import type { FlowLedger } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import { systemClock } from '../ports/clock.js';
import { flowEventSource } from '../core/flowEvents.js';
import { FlowEventPublishing } from '../usecases/flowEvents.js';
import { STALE_AFTER_MS } from '../usecases/acceptBuild.js';
import { acceptModelUpload } from '../usecases/acceptModelUpload.js';
import { acceptPush } from '../usecases/acceptPush.js';
import { processMessage } from '../usecases/processMessage.js';
import { flowReader } from '../usecases/readFlows.js';
import { sweepStalledFlows } from '../usecases/sweepStalledFlows.js';
import { FLOW_POISON_QUEUE, FLOW_QUEUE } from './flowQueue.js';
import type { Adapters, App, ComposeOptions } from './services.js';

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
