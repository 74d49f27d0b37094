import type { ReleaseCandidate, ReleaseState } from '../core/buildCompleted.js';
import type { CallOptions } from './buildPipeline.js';

export interface StartedRelease {
  readonly id: number;
  readonly url: string;
}

/** A release as Azure DevOps reports it now. */
export interface ReleaseFacts {
  readonly id: number;
  readonly url: string;
  readonly state: ReleaseState;
  /** The build it deploys, when Azure DevOps says. */
  readonly buildId?: number;
}

/**
 * Releases a build: a run of the YAML deploy pipeline, or a classic release. One adapter per
 * mode, chosen where the app is composed; the use cases never know which.
 */
export interface Releaser {
  readonly mode: 'pipeline' | 'classic';
  /** Starts a release of the build: not idempotent, so callers `find` first. */
  start(candidate: ReleaseCandidate, options?: CallOptions): Promise<StartedRelease>;
  /** The release an earlier, unanswered `start` of this build may have created (at or after `since`). */
  find(
    candidate: ReleaseCandidate,
    since: string,
    options?: CallOptions,
  ): Promise<StartedRelease | undefined>;
  /** Where a release stands now; `undefined` when it does not exist. */
  get(releaseId: number, options?: CallOptions): Promise<ReleaseFacts | undefined>;
}
