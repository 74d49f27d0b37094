import {
  isClaimed,
  isStalled,
  transition,
  withTrigger,
  type DeliveryRef,
  type FlowRecord,
  type FlowTrigger,
  type ModelRef,
  type TriggerKind,
} from '../core/flow.js';
import { flowIdOf } from '../core/flowId.js';
import type { BuildParameters } from '../core/pipelineParameters.js';
import { describeError, InfrastructureError } from '../errors.js';
import type { AzureDevOps, StartedRun } from '../ports/azureDevOps.js';
import type { FlowLedger, Versioned } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import { createOnce, reconcileSince, type RetryOptions } from './resilience.js';

export interface BuildIntent {
  readonly model: ModelRef;
  /** Absent when no push of the branch was ever seen: Azure DevOps builds the branch head. */
  readonly commit?: string;
  readonly branch: string;
  readonly trigger: TriggerKind;
  readonly delivery: DeliveryRef;
}

/** What accepting an intent did; `enqueue` says whether the worker must be told. */
export type AcceptOutcome =
  | { readonly kind: 'accepted'; readonly flow: FlowRecord; readonly enqueue: true }
  | { readonly kind: 'already-started'; readonly flow: FlowRecord; readonly enqueue: false }
  | { readonly kind: 'in-progress'; readonly flow: FlowRecord; readonly enqueue: boolean };

/** One delivery of a queue message to the worker. */
export interface WorkItem {
  /** The queue message id: stable across redeliveries of the same message. */
  readonly messageId: string;
  readonly dequeueCount: number;
  readonly maxDequeueCount: number;
  readonly delivery: DeliveryRef;
}

export type ProcessOutcome =
  | { readonly kind: 'started' | 'adopted' | 'already-started'; readonly flow: FlowRecord }
  | { readonly kind: 'claimed-elsewhere' | 'nothing-to-do'; readonly flowId: string };

export interface FlowEngineDeps {
  readonly ledger: FlowLedger;
  readonly devops: AzureDevOps;
  readonly logger: Logger;
  readonly buildPipelineId: number;
  readonly now?: () => Date;
  /** How long one worker owns a flow's Azure DevOps call before another may take over. */
  readonly claimMs?: number;
  /** A queued flow with no progress for this long is queued again on its next delivery. */
  readonly staleMs?: number;
  readonly retry?: RetryOptions;
}

/** A queued flow quiet for this long is queued again (its message may never have been written). */
export const STALE_AFTER_MS = 5 * 60_000;

/**
 * The one place that turns a (model, commit) into a build. Accepting records the intent
 * in the ledger (a conditional create: one flow per pair, however many deliveries);
 * processing — in the queue worker — claims the flow, reconciles with what Azure DevOps
 * already has, starts the run with retries, and records it.
 */
export class FlowEngine {
  private readonly now: () => Date;
  private readonly claimMs: number;
  private readonly staleMs: number;

  constructor(private readonly deps: FlowEngineDeps) {
    this.now = deps.now ?? (() => new Date());
    this.claimMs = deps.claimMs ?? 5 * 60_000;
    this.staleMs = deps.staleMs ?? STALE_AFTER_MS;
  }

  flowIdFor(intent: Pick<BuildIntent, 'model' | 'commit' | 'branch'>): string {
    return flowIdOf(intent.model.name, intent.model.version, intent.commit ?? `refs/heads/${intent.branch}`);
  }

  /** Records the intent to build; cheap and idempotent, for the accepting functions. */
  async acceptBuild(intent: BuildIntent): Promise<AcceptOutcome> {
    const flowId = this.flowIdFor(intent);
    const at = this.now().toISOString();
    const created = await this.deps.ledger.createFlow(this.newFlow(flowId, intent, at));
    if (created !== 'exists') return { kind: 'accepted', flow: created.value, enqueue: true };

    const trigger: FlowTrigger = { kind: intent.trigger, delivery: intent.delivery, at };
    for (;;) {
      const current = await this.read(flowId);
      const flow = withTrigger(current.value, trigger);
      if (flow.build !== undefined) {
        return {
          kind: 'already-started',
          flow: await this.saveTrigger(current, flow, trigger),
          enqueue: false,
        };
      }
      if (flow.status === 'failed') {
        // A redelivery of a failed flow is a request to try again.
        const retried = transition(flow, 'build-queued', intent.delivery, at, {
          reason: 'redelivered after a failure',
        });
        const saved = await this.deps.ledger.replaceFlow(retried, current.etag);
        if (saved === 'conflict') continue;
        return { kind: 'accepted', flow: saved.value, enqueue: true };
      }
      // Queued but no sign of life for a while (e.g. the message was never written): queue it again.
      const stale = isStalled(flow, this.now().getTime(), this.staleMs);
      return { kind: 'in-progress', flow: await this.saveTrigger(current, flow, trigger), enqueue: stale };
    }
  }

  /** Starts the flow's build exactly once; for the queue worker. Throws to have the message retried. */
  async processBuild(flowId: string, work: WorkItem): Promise<ProcessOutcome> {
    const claim = await this.claim(
      flowId,
      work,
      'build',
      (flow) => flow.build === undefined && (flow.status === 'build-queued' || flow.status === 'failed'),
    );
    if (claim.kind !== 'claimed')
      return claim.kind === 'done'
        ? { kind: 'already-started', flow: claim.flow }
        : { kind: claim.kind, flowId };
    const flow = claim.flow;
    const model = flow.value.model;
    if (model === undefined) throw new Error(`Flow ${flowId} has no model to build with`);
    const parameters: BuildParameters = {
      commit: flow.value.commit ?? '',
      branch: flow.value.branch,
      modelName: model.name,
      modelVersion: model.version,
      modelUri: model.uri,
      modelSha256: model.sha256,
      flowId,
      trigger: flow.value.trigger,
    };
    const dispatchedAt = flow.value.dispatchedAt ?? this.now().toISOString();
    const findExisting = async (): Promise<StartedRun | undefined> => {
      const runs = await this.deps.devops.findRuns({
        pipelineId: this.deps.buildPipelineId,
        since: reconcileSince(dispatchedAt),
        parameter: { name: 'flowId', value: flowId },
      });
      return runs[0];
    };

    let run: StartedRun;
    let adopted: boolean;
    try {
      ({ value: run, adopted } = await createOnce({
        previouslyDispatched: claim.previouslyDispatched,
        findExisting,
        create: () =>
          this.deps.devops.runBuildPipeline({
            pipelineId: this.deps.buildPipelineId,
            branch: flow.value.branch,
            ...(flow.value.commit === undefined ? {} : { commit: flow.value.commit }),
            parameters,
          }),
        retry: this.deps.retry,
      }));
    } catch (error) {
      await this.recordFailure(flow, work, error);
      throw error;
    }
    const at = this.now().toISOString();
    const started = await this.update(flow, (current) =>
      transition(current, 'build-started', work.delivery, at, {
        build: { id: run.id, url: run.url, queuedAt: at },
        ...(current.commit === undefined && run.commit !== undefined ? { commit: run.commit } : {}),
        ...(adopted ? { reason: 'adopted the run an earlier attempt created' } : {}),
      }),
    );
    this.deps.logger.info(adopted ? 'Build adopted' : 'Build started', {
      flowId,
      runId: run.id,
      commit: parameters.commit,
      model: `${model.name}@${model.version}`,
    });
    return { kind: adopted ? 'adopted' : 'started', flow: started };
  }

  /**
   * Takes ownership of a flow for one queue message. The same message (same id) redelivered
   * after a crash takes its claim back; another message finds it taken and stands down.
   */
  async claim(
    flowId: string,
    work: WorkItem,
    phase: 'build' | 'release',
    pending: (flow: FlowRecord) => boolean,
  ): Promise<
    | {
        readonly kind: 'claimed';
        readonly flow: Versioned<FlowRecord>;
        readonly previouslyDispatched: boolean;
      }
    | { readonly kind: 'done'; readonly flow: FlowRecord }
    | { readonly kind: 'claimed-elsewhere' | 'nothing-to-do' }
  > {
    for (;;) {
      const current = await this.deps.ledger.getFlow(flowId);
      if (current === undefined) return { kind: 'nothing-to-do' };
      const flow = current.value;
      if (!pending(flow))
        return flow.build !== undefined ? { kind: 'done', flow } : { kind: 'nothing-to-do' };
      if (this.isClaimed(flow) && flow.claimedBy !== work.messageId) return { kind: 'claimed-elsewhere' };
      const now = this.now();
      // Whether a request of this phase may already have gone out (then reconcile before sending).
      const dispatchField = phase === 'build' ? 'dispatchedAt' : 'releaseDispatchedAt';
      const previouslyDispatched = flow[dispatchField] !== undefined;
      const claimed: FlowRecord = {
        ...flow,
        claimedBy: work.messageId,
        claimedUntil: new Date(now.getTime() + this.claimMs).toISOString(),
        [dispatchField]: flow[dispatchField] ?? now.toISOString(),
        attempts: flow.attempts + 1,
        updatedAt: now.toISOString(),
      };
      const saved = await this.deps.ledger.replaceFlow(claimed, current.etag);
      if (saved !== 'conflict') return { kind: 'claimed', flow: saved, previouslyDispatched };
    }
  }

  isClaimed(flow: FlowRecord): boolean {
    return isClaimed(flow, this.now().getTime());
  }

  /** Records why the call failed. On the message's last delivery the flow is marked `failed`. */
  async recordFailure(claimed: Versioned<FlowRecord>, work: WorkItem, error: unknown): Promise<void> {
    const at = this.now().toISOString();
    const code = error instanceof InfrastructureError ? error.code : 'UNEXPECTED';
    const lastAttempt = work.dequeueCount >= work.maxDequeueCount;
    this.deps.logger.warn(lastAttempt ? 'Giving up on the flow' : 'Attempt failed; the queue will retry', {
      flowId: claimed.value.flowId,
      code,
      dequeueCount: work.dequeueCount,
      error: describeError(error),
    });
    try {
      await this.update(claimed, (current) => {
        const lastError = { code, message: describeError(error), at };
        // Keep the claim on intermediate failures: only this message may retry before it expires.
        return lastAttempt
          ? transition(current, 'failed', work.delivery, at, {
              lastError,
              reason: `gave up after ${work.dequeueCount} deliveries`,
            })
          : { ...current, lastError, updatedAt: at };
      });
    } catch (recordError) {
      // The original failure matters more; the claim expires on its own.
      this.deps.logger.error('Could not record the failure', {
        flowId: claimed.value.flowId,
        error: describeError(recordError),
      });
    }
  }

  /** Applies `change` to the newest version of the flow, retrying on concurrent writes. */
  async update(start: Versioned<FlowRecord>, change: (flow: FlowRecord) => FlowRecord): Promise<FlowRecord> {
    let current = start;
    for (;;) {
      const saved = await this.deps.ledger.replaceFlow(change(current.value), current.etag);
      if (saved !== 'conflict') return saved.value;
      current = await this.read(current.value.flowId);
    }
  }

  async read(flowId: string): Promise<Versioned<FlowRecord>> {
    const flow = await this.deps.ledger.getFlow(flowId);
    if (flow === undefined)
      throw new InfrastructureError('LEDGER_CONFLICT', `Flow ${flowId} vanished`, { transient: true });
    return flow;
  }

  /** Records one more delivery of an existing flow (redeliveries are already there: no write). */
  private async saveTrigger(
    current: Versioned<FlowRecord>,
    next: FlowRecord,
    trigger: FlowTrigger,
  ): Promise<FlowRecord> {
    if (next === current.value) return next;
    return this.update(current, (flow) => withTrigger(flow, trigger));
  }

  private newFlow(flowId: string, intent: BuildIntent, at: string): FlowRecord {
    return {
      schemaVersion: 1,
      flowId,
      status: 'build-queued',
      model: intent.model,
      modelName: intent.model.name,
      ...(intent.commit === undefined ? {} : { commit: intent.commit }),
      branch: intent.branch,
      trigger: intent.trigger,
      triggers: [{ kind: intent.trigger, delivery: intent.delivery, at }],
      attempts: 0,
      history: [{ status: 'build-queued', at, delivery: intent.delivery }],
      createdAt: at,
      updatedAt: at,
    };
  }
}
