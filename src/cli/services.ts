/**
 * What the CLI runs on: the app's own adapters and use cases (`loadAdapters`, `composeApp`),
 * and the operator's adapters (storage layout, model publishing, Azure DevOps checks, service
 * hooks), each made on first use so a command pays only for what it touches.
 */
import { FLOW_POISON_QUEUE, FLOW_QUEUE } from '../app/flowQueue.js';
import { composeApp, loadAdapters, modelUploadSettingsOf, releaseSettingsOf } from '../app/compose.js';
import type { Adapters, App } from '../app/services.js';
import type { AppConfig } from '../config.js';
import type { Logger } from '../ports/logger.js';
import type { ModelPublisher } from '../ports/modelPublisher.js';
import { systemClock } from '../ports/clock.js';
import { STALE_AFTER_MS } from '../usecases/acceptBuild.js';
import type { CheckDeps } from '../usecases/checkHealth.js';
import type { PromoteDeps } from '../usecases/promoteVersion.js';
import type { RollbackDeps } from '../usecases/rollBack.js';

export const QUEUES = [FLOW_QUEUE, FLOW_POISON_QUEUE] as const;

export interface CliServices {
  readonly config: AppConfig;
  app(): Promise<{ readonly app: App; readonly adapters: Adapters }>;
  publisher(): Promise<ModelPublisher>;
  /** Setup and checks: storage layout, Azure DevOps project, service hooks, the app probe. */
  operator(): Promise<CheckDeps>;
  promote(): Promise<PromoteDeps>;
  rollback(): Promise<RollbackDeps>;
}

export function cliServices(config: AppConfig, logger: Logger): CliServices {
  let loaded: Promise<{ readonly app: App; readonly adapters: Adapters }> | undefined;
  const app = () =>
    (loaded ??= loadAdapters(config).then(({ adapters }) => ({
      app: composeApp(config, adapters),
      adapters,
    })));
  const blobs = once(async () =>
    (await import('../adapters/storageClients.js')).createBlobServiceClient(config.storage),
  );
  const publisher = once(async () => {
    const { BlobModelPublisher } = await import('../adapters/blobModelPublisher.js');
    return new BlobModelPublisher((await blobs()).getContainerClient(config.storage.modelsContainer));
  });
  return {
    config,
    app,
    publisher,
    operator: once(async () => {
      const [
        { createQueueServiceClient },
        { AzureStorageLayout },
        { AzureDevOpsConnection },
        { AzureDevOpsProjectChecks },
        { AzureDevOpsServiceHooks },
        { HttpAppProbe },
      ] = await Promise.all([
        import('../adapters/storageClients.js'),
        import('../adapters/storageLayout.js'),
        import('../adapters/azureDevOps/connection.js'),
        import('../adapters/azureDevOps/project.js'),
        import('../adapters/azureDevOps/serviceHooks.js'),
        import('../adapters/httpAppProbe.js'),
      ]);
      const connection = new AzureDevOpsConnection({
        orgUrl: config.azureDevOps.orgUrl,
        auth: config.azureDevOps.auth,
        requestTimeoutMs: config.azureDevOps.timeoutSeconds * 1000,
      });
      const { release } = config;
      return {
        config,
        queues: QUEUES,
        poisonQueue: FLOW_POISON_QUEUE,
        storage: new AzureStorageLayout(await blobs(), await createQueueServiceClient(config.storage)),
        project: new AzureDevOpsProjectChecks(
          { connection, project: config.azureDevOps.project },
          {
            buildPipelineId: config.azureDevOps.buildPipelineId,
            ...(release.mode === 'pipeline' ? { releasePipelineId: release.pipelineId } : {}),
            buildResourceAlias: release.mode === 'pipeline' ? release.buildResourceAlias : 'build',
          },
        ),
        hooks: new AzureDevOpsServiceHooks(connection),
        probe: new HttpAppProbe(),
      };
    }),
    promote: async () => {
      const { adapters, app: composed } = await app();
      return {
        // Through the app's ledger: the operator's transitions are published as flow events too.
        ledger: composed.ledger(logger),
        clock: systemClock,
        staleMs: STALE_AFTER_MS,
        models: adapters.models,
        logger,
        settings: modelUploadSettingsOf(config, adapters.blobEndpoint),
        branches: config.github.branches,
        queue: adapters.queue,
        catalog: await publisher(),
      };
    },
    rollback: async () => {
      const { adapters, app: composed } = await app();
      return {
        ledger: composed.ledger(logger),
        clock: systemClock,
        logger,
        builds: adapters.builds,
        releaser: adapters.releaser,
        settings: releaseSettingsOf(config),
      };
    },
  };
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}
