import {
  failedState,
  isClaimed,
  transition,
  withClaim,
  type DeliveryRef,
  type FlowRecord,
} from '../core/flow.js';
import { describeError, InfrastructureError, isRetryable } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { FlowLedger, Versioned } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import { retryOnConflict, updateFlow } from './ledgerWrites.js';
import { createOnce, reconcileSince, type RetryOptions } from './retry.js';

/** One delivery of a queue message to the worker. */
export interface WorkItem {
  /** The queue message id: stable across redeliveries of the same message. */
  readonly messageId: string;
  readonly dequeueCount: number;
  readonly maxDequeueCount: number;
  readonly delivery: DeliveryRef;
}

export interface DispatchDeps {
  readonly ledger: FlowLedger;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long one worker owns a flow's Azure DevOps call before another may take over. */
  readonly claimMs: number;
  readonly retry?: RetryOptions | undefined;
}

export type DispatchOutcome<T> =
  | { readonly kind: 'started' | 'adopted'; readonly flow: FlowRecord; readonly value: T }
  /** Nothing of this phase is pending any more (done by an earlier delivery, or never due). */
  | { readonly kind: 'not-pending'; readonly flow: FlowRecord }
  | { readonly kind: 'claimed-elsewhere' | 'no-such-flow'; readonly flowId: string }
  /** Azure DevOps refused for good: the flow is `failed` with the reason, and nothing is retried. */
  | { readonly kind: 'refused'; readonly flow: FlowRecord; readonly code: string };

export interface Dispatch<F extends FlowRecord, T> {
  readonly phase: 'build' | 'release';
  readonly flowId: string;
  readonly work: WorkItem;
  /** Whether the flow still waits for this phase's call, narrowing it to what the call needs. */
  readonly pending: (flow: FlowRecord) => flow is F;
  /** What an earlier, unanswered request may have created since `since`. */
  readonly find: (flow: F, since: string, abortSignal: AbortSignal) => Promise<T | undefined>;
  readonly create: (flow: F, abortSignal: AbortSignal) => Promise<T>;
  /** The flow once the call is done (`adopted`: found, not created, by this attempt). */
  readonly record: (flow: F, value: T, adopted: boolean, at: string) => FlowRecord;
}

/**
 * Makes one Azure DevOps call that must happen exactly once for a flow (start its build,
 * start its release): claim the flow for this queue message, reconcile with what an earlier
 * attempt may have created, call with retries, record. The same message redelivered after a
 * crash takes its claim back; another message finds it taken and stands down.
 *
 * Failures follow one policy (`isRetryable`): a permanent one marks the flow `failed` at
 * once and returns; a transient one is recorded and thrown, so the queue retries — and on the
 * message's last delivery the flow is marked `failed` before it goes to the poison queue.
 */
export async function dispatchOnce<F extends FlowRecord, T>(
  deps: DispatchDeps,
  dispatch: Dispatch<F, T>,
): Promise<DispatchOutcome<T>> {
  const claim = await claimFlow(deps, dispatch);
  if (claim.kind !== 'claimed') return claim;
  const { flow, previouslyDispatched } = claim;
  const dispatchedAt =
    (dispatch.phase === 'build' ? flow.value.dispatchedAt : flow.value.releaseDispatchedAt) ?? '';
  let result: { readonly value: T; readonly adopted: boolean };
  try {
    result = await createOnce({
      what: `${dispatch.phase} of flow ${dispatch.flowId}`,
      previouslyDispatched,
      findExisting: (abortSignal) => dispatch.find(flow.value, reconcileSince(dispatchedAt), abortSignal),
      create: (abortSignal) => dispatch.create(flow.value, abortSignal),
      retry: deps.retry,
      logger: deps.logger,
    });
  } catch (error) {
    const failed = await recordFailure(deps, flow, dispatch.work, error);
    if (!isRetryable(error) && failed !== undefined)
      return { kind: 'refused', flow: failed, code: codeOf(error) };
    throw error;
  }
  const at = deps.clock().toISOString();
  const saved = await updateFlow(deps.ledger, flow, (current) =>
    // A faster path (e.g. the build's completion) may have moved the flow on: never step it back.
    dispatch.pending(current) ? dispatch.record(current, result.value, result.adopted, at) : current,
  );
  return { kind: result.adopted ? 'adopted' : 'started', flow: saved.value, value: result.value };
}

async function claimFlow<F extends FlowRecord, T>(
  deps: DispatchDeps,
  dispatch: Dispatch<F, T>,
): Promise<
  | { readonly kind: 'claimed'; readonly flow: Versioned<F>; readonly previouslyDispatched: boolean }
  | Exclude<DispatchOutcome<T>, { readonly kind: 'started' | 'adopted' | 'refused' }>
> {
  const { flowId, work, phase } = dispatch;
  return retryOnConflict(`flow ${flowId}`, async () => {
    const current = await deps.ledger.getFlow(flowId);
    if (current === undefined) return { kind: 'no-such-flow', flowId };
    const flow = current.value;
    if (!dispatch.pending(flow)) return { kind: 'not-pending', flow };
    const now = deps.clock();
    if (isClaimed(flow, now.getTime()) && flow.claimedBy !== work.messageId)
      return { kind: 'claimed-elsewhere', flowId };
    // Whether a request of this phase may already have gone out (then reconcile before sending).
    const previouslyDispatched =
      (phase === 'build' ? flow.dispatchedAt : flow.releaseDispatchedAt) !== undefined;
    const claimed = withClaim(flow, {
      by: work.messageId,
      until: new Date(now.getTime() + deps.claimMs).toISOString(),
      phase,
      at: now.toISOString(),
    });
    if (!dispatch.pending(claimed)) return { kind: 'not-pending', flow };
    const saved = await deps.ledger.replaceFlow(claimed, current.etag);
    if (saved === 'conflict') return 'conflict';
    return { kind: 'claimed', flow: { value: claimed, etag: saved.etag }, previouslyDispatched };
  });
}

/**
 * Records why the call failed: at once as `failed` when retrying cannot help or this was the
 * message's last delivery; else as the flow's last error, keeping the claim so that only this
 * message retries before it expires. Answers the failed flow when it was marked `failed`.
 */
async function recordFailure(
  deps: DispatchDeps,
  claimed: Versioned<FlowRecord>,
  work: WorkItem,
  error: unknown,
): Promise<FlowRecord | undefined> {
  const at = deps.clock().toISOString();
  const code = codeOf(error);
  const lastError = { code, message: describeError(error), at };
  const permanent = !isRetryable(error);
  const lastAttempt = work.dequeueCount >= work.maxDequeueCount;
  const giveUp = permanent || lastAttempt;
  deps.logger.warn(giveUp ? 'Giving up on the flow' : 'Attempt failed; the queue will retry', {
    flowId: claimed.value.flowId,
    code,
    dequeueCount: work.dequeueCount,
    error: lastError.message,
  });
  try {
    const saved = await updateFlow(deps.ledger, claimed, (current) =>
      giveUp
        ? transition(current, failedState(current), work.delivery, at, {
            lastError,
            reason: permanent
              ? `refused by Azure DevOps: ${lastError.message}`
              : `gave up after ${work.dequeueCount} deliveries`,
          })
        : { ...current, lastError, updatedAt: at },
    );
    return giveUp ? saved.value : undefined;
  } catch (recordError) {
    // The original failure matters more; the claim expires on its own.
    deps.logger.error('Could not record the failure', {
      flowId: claimed.value.flowId,
      error: describeError(recordError),
    });
    return undefined;
  }
}

function codeOf(error: unknown): string {
  return error instanceof InfrastructureError ? error.code : 'UNEXPECTED';
}
