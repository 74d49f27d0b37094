import { isStalled, type FlowRecord } from '../core/flow.js';
import { buildMessage, type FlowMessage } from '../core/flowMessage.js';
import type { Clock } from '../ports/clock.js';
import type { FlowLedger } from '../ports/flowLedger.js';

export interface SweepDeps {
  readonly ledger: FlowLedger;
  readonly clock: Clock;
  readonly staleMs: number;
}

export interface SweepOptions {
  /** Look at most at this many of the newest flows. */
  readonly maxFlows?: number;
  /** And none created longer ago than this. */
  readonly maxAgeMs?: number;
  /** Sees every flow the sweep looked at (the same reads serve the flow events' sweep). */
  readonly onFlow?: (flow: FlowRecord) => void;
}

/**
 * Finds accepted flows whose queue message never got the build started (the output
 * binding failed after the ledger write, a message expired) and answers the messages that
 * queue them again. Reads the newest flows only, through the index, never the whole ledger.
 */
export async function sweepStalledFlows(
  deps: SweepDeps,
  sweepId: string,
  options: SweepOptions = {},
): Promise<readonly FlowMessage[]> {
  const nowMs = deps.clock().getTime();
  const maxFlows = options.maxFlows ?? 1000;
  const oldest = nowMs - (options.maxAgeMs ?? 24 * 60 * 60_000);
  const messages: FlowMessage[] = [];
  let seen = 0;
  let token: string | undefined;
  do {
    const page = await deps.ledger.listFlows({
      limit: 100,
      ...(token === undefined ? {} : { continuationToken: token }),
    });
    for (const flow of page.flows) {
      if (Date.parse(flow.createdAt) < oldest) return messages;
      options.onFlow?.(flow);
      if (isStalled(flow, nowMs, deps.staleMs))
        messages.push(buildMessage(flow.flowId, { source: 'system', id: `sweep-${sweepId}` }));
    }
    seen += page.flows.length;
    token = page.continuationToken;
  } while (token !== undefined && seen < maxFlows);
  return messages;
}
