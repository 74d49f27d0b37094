import type { FlowMessage } from '../core/flowMessage.js';

/** The flow worker's queue, as operators need it: sending work, and replaying what ended in the poison queue. */
export interface WorkQueue {
  /** Moves up to `limit` messages from the poison queue back to the work queue, unchanged. */
  replayPoison(limit: number): Promise<{ readonly replayed: number; readonly remaining: number }>;
  /** Queues messages for the worker as the functions' queue output binding does (the CLI's operator actions). */
  send(messages: readonly FlowMessage[]): Promise<void>;
}
