/**
 * What accepting a model upload did, and the queue messages it asks for. A module of types and one
 * small function, so the modelUploaded function can read an outcome without loading the use case.
 */
import type { FlowRecord } from '../core/flow.js';
import type { ModelUploadSkipReason } from '../core/modelUpload.js';
import type { AcceptOutcome } from './acceptBuild.js';

export type ModelUploadOutcome =
  | {
      readonly kind: 'skipped';
      readonly reason: ModelUploadSkipReason | 'manifest-invalid' | 'manifest-incomplete' | 'blob-missing';
      readonly detail: string;
    }
  | { readonly kind: 'older-than-current'; readonly flow: FlowRecord; readonly current: string }
  | {
      readonly kind: 'build';
      readonly build: AcceptOutcome;
      readonly waitingBuilt: readonly AcceptOutcome[];
    };

/** The queue messages a model upload's outcome asks for. */
export function messagesOf(outcome: ModelUploadOutcome): AcceptOutcome['messages'] {
  return outcome.kind === 'build'
    ? [outcome.build, ...outcome.waitingBuilt].flatMap((accepted) => accepted.messages)
    : [];
}
