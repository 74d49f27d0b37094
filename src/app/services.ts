/**
 * The composition root: the adapters and use cases (`compose.ts`), wired once per worker process
 * on first use. Function files ask for `getApp()` and see only the use cases and the few settings
 * (credentials to check requests with) they need.
 */
import { loadConfig } from '../config.js';
import type { BlobCreatedEvent } from '../core/modelUpload.js';
import type { FlowMessage } from '../core/flowMessage.js';
import type { FlowLedger } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import type { Clock } from '../ports/clock.js';
import type { BuildPipeline } from '../ports/buildPipeline.js';
import type { Releaser } from '../ports/releaser.js';
import type { ModelStore } from '../ports/modelStore.js';
import type { WorkQueue } from '../ports/workQueue.js';
import type { FlowEventPublisher } from '../ports/flowEvents.js';
import type { FlowEventsOptions } from '../usecases/flowEvents.js';
import type { ModelUploadOutcome } from '../usecases/modelUploadOutcome.js';
import type { PushDelivery, PushOutcome } from '../usecases/acceptPush.js';
import type { WorkItem } from '../usecases/dispatchOnce.js';
import type { WorkOutcome } from '../usecases/processMessage.js';
import type { FlowReader } from '../usecases/readFlows.js';
import type { RetryOptions } from '../usecases/retry.js';

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
  current ??= compose().catch((error: unknown) => {
    current = undefined;
    throw error;
  });
  return current;
}

/** The use cases and the adapters (and the SDKs behind them) load on first use, not at cold start. */
async function compose(): Promise<App> {
  const config = loadConfig();
  const { loadAdapters, composeApp } = await import('./compose.js');
  const { adapters } = await loadAdapters(config);
  return composeApp(config, adapters);
}

/** Test seam: forget the composed app so the next call reads `process.env` again. */
export function resetApp(): void {
  current = undefined;
}

/** Wires the use cases over the adapters; pure, so tests can compose over in-memory adapters. */
