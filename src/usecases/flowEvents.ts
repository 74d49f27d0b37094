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

/** How many flows `publishedHere` remembers. */
const REMEMBERED_FLOWS = 1000;

/**
 * One per app (per worker process): the publisher, the pause after a failure, and what this
 * process has published (so that racing writes of one flow send each transition once).
 */
export class FlowEventPublishing {
  private readonly deadlineMs: number;
  private readonly pauseMs: number;
  private readonly sweepGraceMs: number;
  private readonly sweepDeadlineMs: number;
  private pausedUntilMs = 0;
  /**
   * flowId → how many of its transitions this process has seen the topic take: a write that
   * lost the race to record them (a storm of deliveries on one flow) does not send them again.
   */
  private readonly publishedHere = new Map<string, number>();
  /** flowId → this process's publication of it in flight: the next one waits for it, then sends only the rest. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

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
        const saved = await inner.replaceFlow(flow, etag);
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
      return written === 'conflict' ? saved : written;
    } catch (error) {
      logger.warn('Flow events published but not recorded: they may be published again', {
        flowId: flow.flowId,
        error: describeError(error),
      });
      return saved;
    }
  }

  /**
   * Publishes the flow's pending transitions: answers how many of its transitions are published
   * then. One publication per flow at a time in this process, so concurrent writes of one flow
   * do not send the same transition twice.
   */
  private publish(flow: FlowRecord, deadlineMs: number): Promise<Publication> {
    const previous = this.inFlight.get(flow.flowId) ?? Promise.resolve();
    const publication = previous.then(() => this.publishNow(flow, deadlineMs));
    this.inFlight.set(flow.flowId, publication);
    void publication.then(() => {
      if (this.inFlight.get(flow.flowId) === publication) this.inFlight.delete(flow.flowId);
    });
    return publication;
  }

  private async publishNow(flow: FlowRecord, deadlineMs: number): Promise<Publication> {
    const pending = pendingFlowEvents(flow, this.deps.source);
    if (pending.length === 0) return { kind: 'none' };
    const sentHere = this.publishedHere.get(flow.flowId) ?? 0;
    const events = pending.filter((event) => event.data.sequence >= sentHere);
    const count = flow.history.length;
    if (events.length === 0) return { kind: 'published', count };
    try {
      await this.deps.publisher.publish(events, { abortSignal: AbortSignal.timeout(deadlineMs) });
    } catch (error) {
      this.pausedUntilMs = this.deps.clock().getTime() + this.pauseMs;
      return { kind: 'failed', error: isInfrastructureError(error) ? error.message : describeError(error) };
    }
    this.pausedUntilMs = 0;
    bounded(this.publishedHere).set(flow.flowId, Math.max(sentHere, count));
    return { kind: 'published', count };
  }
}

/** The map, its oldest entry dropped when it holds REMEMBERED_FLOWS already. */
function bounded<K, V>(map: Map<K, V>): Map<K, V> {
  if (map.size >= REMEMBERED_FLOWS) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  return map;
}
