/** The flow worker's queue, as operators need it: replaying what ended in the poison queue. */
export interface WorkQueue {
  /** Moves up to `limit` messages from the poison queue back to the work queue, unchanged. */
  replayPoison(limit: number): Promise<{ readonly replayed: number; readonly remaining: number }>;
}
