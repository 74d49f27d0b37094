import { isStalled, type FlowRecord } from '../core/flow.js';
import type { FlowLedger } from '../ports/flowLedger.js';
import { STALE_AFTER_MS } from './flowEngine.js';

export interface SweepOptions {
  readonly now?: () => Date;
  readonly staleMs?: number;
  /** Look at most at this many of the newest flows. */
  readonly maxFlows?: number;
  /** And none created longer ago than this. */
  readonly maxAgeMs?: number;
}

/**
 * Finds accepted flows whose queue message never got the build started (the output
 * binding failed after the ledger write, a message expired): they are queued again. Reads
 * the newest flows only, through the index, never the whole ledger.
 */
export async function findStalledFlows(
  ledger: FlowLedger,
  options: SweepOptions = {},
): Promise<readonly FlowRecord[]> {
  const nowMs = (options.now ?? (() => new Date()))().getTime();
  const staleMs = options.staleMs ?? STALE_AFTER_MS;
  const maxFlows = options.maxFlows ?? 1000;
  const oldest = nowMs - (options.maxAgeMs ?? 24 * 60 * 60_000);
  const stalled: FlowRecord[] = [];
  let seen = 0;
  let token: string | undefined;
  do {
    const page = await ledger.listFlows({
      limit: 100,
      ...(token === undefined ? {} : { continuationToken: token }),
    });
    for (const flow of page.flows) {
      if (Date.parse(flow.createdAt) < oldest) return stalled;
      if (isStalled(flow, nowMs, staleMs)) stalled.push(flow);
    }
    seen += page.flows.length;
    token = page.continuationToken;
  } while (token !== undefined && seen < maxFlows);
  return stalled;
}
