/**
 * Conditional writes to the flow ledger, retried when another writer got there first: a
 * bounded number of times, each after a short random wait, so that writers racing for one
 * record spread out instead of colliding again in lockstep.
 */
import { EMPTY_POINTERS, type PointerDecision, type Pointers } from '../core/pointers.js';
import type { FlowRecord } from '../core/flow.js';
import { InfrastructureError } from '../errors.js';
import type { FlowLedger, Versioned } from '../ports/flowLedger.js';

export interface ConflictRetry {
  /** Tries in all. */
  readonly maxAttempts: number;
  /** The wait before try n+1 is random in [0, baseDelayMs × 2^n], capped at maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_CONFLICT_RETRY: ConflictRetry = { maxAttempts: 30, baseDelayMs: 5, maxDelayMs: 250 };

/** Runs `attempt` until it is not answered `'conflict'`; after the last try, a transient LEDGER_CONFLICT. */
export async function retryOnConflict<T>(
  what: string,
  attempt: () => Promise<T | 'conflict'>,
  retry: ConflictRetry = DEFAULT_CONFLICT_RETRY,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    const outcome = await attempt();
    if (outcome !== 'conflict') return outcome;
    if (tries >= retry.maxAttempts) {
      throw new InfrastructureError(
        'LEDGER_CONFLICT',
        `Gave up updating ${what} after ${tries} conflicting writes`,
        {
          transient: true,
        },
      );
    }
    const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** tries);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
  }
}

/** Read the pointers, decide, write if unchanged; on a lost race decide again. Answers the decision's result. */
export function updatePointers<T>(
  ledger: FlowLedger,
  decide: (pointers: Pointers) => PointerDecision<T>,
  retry?: ConflictRetry,
): Promise<T> {
  return retryOnConflict(
    'the pointers',
    async () => {
      const stored = await ledger.readPointers();
      const decision = decide(stored?.value ?? EMPTY_POINTERS);
      if (decision.pointers === undefined) return decision.result;
      const written = await ledger.writePointers(decision.pointers, stored?.etag);
      return written === 'conflict' ? 'conflict' : decision.result;
    },
    retry,
  );
}

/** The flow as stored now; a flow that vanished is a transient conflict (it is never deleted). */
export async function readFlow(ledger: FlowLedger, flowId: string): Promise<Versioned<FlowRecord>> {
  const flow = await ledger.getFlow(flowId);
  if (flow === undefined)
    throw new InfrastructureError('LEDGER_CONFLICT', `Flow ${flowId} vanished`, { transient: true });
  return flow;
}

/**
 * Applies `change` to the newest version of the flow, reading it again after a concurrent
 * write. `change` answering the flow unchanged writes nothing.
 */
export async function updateFlow(
  ledger: FlowLedger,
  start: Versioned<FlowRecord>,
  change: (flow: FlowRecord) => FlowRecord,
  retry?: ConflictRetry,
): Promise<Versioned<FlowRecord>> {
  let current = start;
  return retryOnConflict(
    `flow ${start.value.flowId}`,
    async () => {
      const next = change(current.value);
      if (next === current.value) return current;
      const saved = await ledger.replaceFlow(next, current.etag);
      if (saved === 'conflict') current = await readFlow(ledger, start.value.flowId);
      return saved;
    },
    retry,
  );
}
