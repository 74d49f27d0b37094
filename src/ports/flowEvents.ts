import type { FlowEvent } from '../core/flowEvents.js';
import type { CallOptions } from './buildPipeline.js';

/**
 * Where flow events go: an Event Grid custom topic (CloudEvents 1.0 input schema), or the
 * sandbox's stand-in for one. Sends one batch; resolves when the topic accepted all of it,
 * rejects otherwise (the caller keeps the events pending and tries again later).
 */
export interface FlowEventPublisher {
  publish(events: readonly FlowEvent[], options?: CallOptions): Promise<void>;
}
