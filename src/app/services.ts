import { loadConfig, type AppConfig } from '../config.js';
import type { AzureDevOps } from '../ports/azureDevOps.js';
import type { FlowLedger } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import type { ModelStore } from '../ports/modelStore.js';
import type { WorkQueue } from '../ports/workQueue.js';
import { FLOW_POISON_QUEUE, FLOW_QUEUE } from './flowQueue.js';
import { FlowEngine } from '../usecases/flowEngine.js';

/** Long-lived collaborators, built once per worker on first use. */
export interface Services {
  readonly config: AppConfig;
  readonly ledger: FlowLedger;
  readonly devops: AzureDevOps;
  readonly models: ModelStore;
  readonly queue: WorkQueue;
}

let current: Promise<Services> | undefined;

export function getServices(): Promise<Services> {
  current ??= buildServices(loadConfig()).catch((error: unknown) => {
    current = undefined;
    throw error;
  });
  return current;
}

/** Test seam: forget the cached services so the next call reads `process.env` again. */
export function resetServices(): void {
  current = undefined;
}

export async function buildServices(config: AppConfig): Promise<Services> {
  // Adapters (and the Azure SDKs behind them) load on first use, not at cold start.
  const [
    { createBlobServiceClient, createQueueServiceClient },
    { BlobFlowLedger },
    { BlobModelStore },
    { AzureDevOpsConnection },
    { AzureDevOpsAdapter },
    { StorageWorkQueue },
  ] = await Promise.all([
    import('../adapters/storageClients.js'),
    import('../adapters/blobFlowLedger.js'),
    import('../adapters/blobModelStore.js'),
    import('../adapters/azureDevOpsClient.js'),
    import('../adapters/azureDevOpsAdapter.js'),
    import('../adapters/storageWorkQueue.js'),
  ]);
  const blobs = await createBlobServiceClient(config.storage);
  const ledger = new BlobFlowLedger(blobs.getContainerClient(config.storage.ledgerContainer));
  const connection = new AzureDevOpsConnection({
    orgUrl: config.azureDevOps.orgUrl,
    auth: config.azureDevOps.auth,
    requestTimeoutMs: config.azureDevOps.timeoutSeconds * 1000,
  });
  const devops = new AzureDevOpsAdapter(connection, config.azureDevOps.project);
  const models = new BlobModelStore(blobs.getContainerClient(config.storage.modelsContainer));
  const queue = new StorageWorkQueue(
    await createQueueServiceClient(config.storage),
    FLOW_QUEUE,
    FLOW_POISON_QUEUE,
  );
  return { config, ledger, devops, models, queue };
}

export function flowEngine(services: Services, logger: Logger): FlowEngine {
  return new FlowEngine({
    ledger: services.ledger,
    devops: services.devops,
    logger,
    buildPipelineId: services.config.azureDevOps.buildPipelineId,
  });
}
