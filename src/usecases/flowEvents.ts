/**
 * Publishing flow events (docs/events.md): at least once, never lost, never in the flow's way.
 *
 * - **After every ledger write.** When events are on, the use cases run over a ledger that,
 *   once a flow write succeeded, publishes the transitions the flow has not published yet and
 *   records how many it has (`eventsPublished`) with one more conditional write. The flow's
 *   own write is done by then: a publication that fails is logged and left pending, never thrown.
 * - **Bounded.** One publication may take `deadlineMs` (the SDK's own retries included); after
 *   a failure, publishing from the flow's work pauses for `pauseMs`, so a topic that is down
 *   costs one wait per instance per pause, not one per transition.
 * - **Caught up later.** Pending transitions go out with the flow's next write (the worker's
 *   next touch), or with the sweep (the every-5-minutes `stalledFlowSweeper`) once the flow
 *   has been quiet for `sweepGraceMs`.
 * - **Same ids.** An event's id is (flow id, history index): a second publication of a
 *   transition, by whoever, is the same event. Consumers dedupe on the id.
 */
import {
  pendingEventCount,
  pendingFlowEvents,
  withEventsPublished,
  withEventsTracked,
} from '../core/flowEvents.js';
import type { FlowRecord } from '../core/flow.js';
import { describeError, isInfrastructureError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { FlowEventPublisher } from '../ports/flowEvents.js';
import type { FlowLedger, Versioned } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import { updateFlow } from './ledgerWrites.js';

export interface FlowEventsOptions {
  /** How long a publication from the flow's work may take before the work goes on without it. */
  readonly deadlineMs?: number;
  /** After a failed publication, publishing from the flow's work pauses this long (the sweep catches up). */
  readonly pauseMs?: number;
  /** The sweep publishes a flow's pending transitions once the flow has been quiet this long. */
  readonly sweepGraceMs?: number;
  /** How long one of the sweep's publications may take. */
  readonly sweepDeadlineMs?: number;
}

export interface FlowEventsDeps {
  readonly publisher: FlowEventPublisher;
  readonly clock: Clock;
  /** The events' `source`: this app (core/flowEvents.ts, flowEventSource). */
  readonly source: string;
  readonly options?: FlowEventsOptions;
}

export interface EventSweepResult {
  /** Flows whose pending transitions the sweep published. */
  readonly flows: number;
  readonly events: number;
  /** The sweep stopped at a publication that failed (the rest wait for the next sweep). */
  readonly stoppedBy?: string;
}

type Publication =
  | { readonly kind: 'none' }
  | { readonly kind: 'published'; readonly count: number }
  | { readonly kind: 'failed'; readonly error: string };

/** How many recorded versions are remembered (see `carry`). */
const REMEMBERED_VERSIONS = 1000;

/**
 * One per app (per worker process): the publisher, the pause after a failure, and the flow
 * versions this process wrote its own progress into.
 */
export class FlowEventPublishing {
  private readonly deadlineMs: number;
  private readonly pauseMs: number;
  private readonly sweepGraceMs: number;
  private readonly sweepDeadlineMs: number;
  private pausedUntilMs = 0;
  /** `<flowId> <etag>` → the `eventsPublished` this process wrote with that version. */
  private readonly recorded = new Map<string, number>();

  constructor(private readonly deps: FlowEventsDeps) {
    this.deadlineMs = deps.options?.deadlineMs ?? 3_000;
    this.pauseMs = deps.options?.pauseMs ?? 30_000;
    this.sweepGraceMs = deps.options?.sweepGraceMs ?? 60_000;
    this.sweepDeadlineMs = deps.options?.sweepDeadlineMs ?? 20_000;
  }

  /**
   * The ledger the use cases run on when events are on: `inner`, plus publication after every
   * flow write. New flows are created with their events tracked (`eventsPublished: 0`).
   */
  ledger(inner: FlowLedger, logger: Logger): FlowLedger {
    return {
      getFlow: (flowId) => inner.getFlow(flowId),
      listFlows: (options) => inner.listFlows(options),
      readPointers: () => inner.readPointers(),
      writePointers: (pointers, etag) => inner.writePointers(pointers, etag),
      createFlow: async (flow) => {
        const created = await inner.createFlow(withEventsTracked(flow));
        if (!created.created) return created;
        return { created: true, flow: await this.afterWrite(inner, created.flow, logger) };
      },
      replaceFlow: async (flow, etag) => {
        const saved = await inner.replaceFlow(this.carry(flow, etag), etag);
        if (saved === 'conflict') return saved;
        return this.afterWrite(inner, saved, logger);
      },
    };
  }

  /** Whether the sweep should publish this flow's pending transitions now. */
  isDue(flow: FlowRecord): boolean {
    return (
      pendingEventCount(flow) > 0 &&
      Date.parse(flow.updatedAt) + this.sweepGraceMs <= this.deps.clock().getTime()
    );
  }

  /**
   * Publishes the pending transitions of the flows the sweeper found due, one flow at a time,
   * and stops at the first publication that fails (the topic is down: the next sweep retries).
   */
  async sweep(ledger: FlowLedger, flowIds: readonly string[], logger: Logger): Promise<EventSweepResult> {
    let flows = 0;
    let events = 0;
    for (const flowId of flowIds) {
      const stored = await ledger.getFlow(flowId);
      if (stored === undefined || pendingEventCount(stored.value) === 0) continue;
      const publication = await this.publish(stored.value, this.sweepDeadlineMs);
      if (publication.kind === 'failed') {
        logger.warn('Flow events still not published: the next sweep tries again', {
          flowId,
          pending: pendingEventCount(stored.value),
          error: publication.error,
        });
        return { flows, events, stoppedBy: flowId };
      }
      if (publication.kind === 'published') {
        await updateFlow(ledger, stored, (current) => withEventsPublished(current, publication.count));
        flows += 1;
        events += publication.count - (stored.value.eventsPublished ?? 0);
      }
    }
    return { flows, events };
  }

  /**
   * After a successful write: publish what the flow has not published, then record it. Never
   * throws; answers the newest version this process knows of the flow.
   */
  private async afterWrite(
    inner: FlowLedger,
    saved: Versioned<FlowRecord>,
    logger: Logger,
  ): Promise<Versioned<FlowRecord>> {
    const flow = saved.value;
    if (pendingEventCount(flow) === 0 || this.deps.clock().getTime() < this.pausedUntilMs) return saved;
    const publication = await this.publish(flow, this.deadlineMs);
    if (publication.kind === 'failed') {
      logger.warn(
        'Flow events not published: the flow goes on, its next write or the sweeper publishes them',
        {
          flowId: flow.flowId,
          pending: pendingEventCount(flow),
          error: publication.error,
        },
      );
      return saved;
    }
    if (publication.kind === 'none') return saved;
    const recorded = withEventsPublished(flow, publication.count);
    try {
      // One try: a conflict means another writer moved the flow on, and publishes with its write.
      const written = await inner.replaceFlow(recorded, saved.etag);
      if (written === 'conflict') return saved;
      this.remember(flow.flowId, written.etag, recorded.eventsPublished ?? 0);
      return written;
    } catch (error) {
      logger.warn('Flow events published but not recorded: they may be published again', {
        flowId: flow.flowId,
        error: describeError(error),
      });
      return saved;
    }
  }

  /** Publishes the flow's pending transitions: answers how many of its transitions are published then. */
  private async publish(flow: FlowRecord, deadlineMs: number): Promise<Publication> {
    const events = pendingFlowEvents(flow, this.deps.source);
    if (events.length === 0) return { kind: 'none' };
    try {
      await this.deps.publisher.publish(events, { abortSignal: AbortSignal.timeout(deadlineMs) });
    } catch (error) {
      this.pausedUntilMs = this.deps.clock().getTime() + this.pauseMs;
      return { kind: 'failed', error: isInfrastructureError(error) ? error.message : describeError(error) };
    }
    this.pausedUntilMs = 0;
    return { kind: 'published', count: flow.history.length };
  }

  /**
   * A caller writing over a version this process recorded progress into may hold the flow as
   * it was before that (it wrote, then this recorded): keep the recorded progress.
   */
  private carry(flow: FlowRecord, etag: string): FlowRecord {
    const count = this.recorded.get(`${flow.flowId} ${etag}`);
    return count === undefined ? flow : withEventsPublished(withEventsTracked(flow), count);
  }

  private remember(flowId: string, etag: string, count: number): void {
    this.recorded.set(`${flowId} ${etag}`, count);
    if (this.recorded.size > REMEMBERED_VERSIONS) {
      const oldest = this.recorded.keys().next().value;
      if (oldest !== undefined) this.recorded.delete(oldest);
    }
  }
}
