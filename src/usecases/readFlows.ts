import type { FlowRecord } from '../core/flow.js';
import type { FlowLedger, FlowPage } from '../ports/flowLedger.js';

/** The flows as people read them: the API and the lineage page. */
export interface FlowReader {
  /** Newest first, a page at a time. */
  list(limit: number, continuationToken?: string): Promise<FlowPage>;
  get(flowId: string): Promise<FlowRecord | undefined>;
  /** The flow of the build last sent to release: what is live, or about to be. */
  current(): Promise<FlowRecord | undefined>;
}

export function flowReader(ledger: Pick<FlowLedger, 'getFlow' | 'listFlows' | 'readPointers'>): FlowReader {
  const get = async (flowId: string): Promise<FlowRecord | undefined> =>
    (await ledger.getFlow(flowId))?.value;
  return {
    list: (limit, continuationToken) =>
      ledger.listFlows({ limit, ...(continuationToken === undefined ? {} : { continuationToken }) }),
    get,
    current: async () => {
      const last = (await ledger.readPointers())?.value.lastRelease;
      return last === undefined ? undefined : get(last.flowId);
    },
  };
}
