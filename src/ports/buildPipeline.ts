import type { BuildFacts } from '../core/buildCompleted.js';
import type { ModelRef, TriggerKind } from '../core/flow.js';

/** Options every remote call takes: the caller's deadline, passed through to the request. */
export interface CallOptions {
  readonly abortSignal?: AbortSignal;
}

/** What a flow's build is started with. */
export interface BuildRequest {
  readonly flowId: string;
  readonly model: ModelRef;
  readonly branch: string;
  /** Exact commit to build; absent → Azure DevOps builds the branch head and reports the commit it chose. */
  readonly commit?: string;
  readonly trigger: TriggerKind;
}

export interface StartedBuild {
  readonly id: number;
  readonly url: string;
  /** The commit the run builds, when Azure DevOps reported it. */
  readonly commit?: string;
}

/** The AI app's build pipeline, in the app's words. */
export interface BuildPipeline {
  /** Starts a build: not idempotent (a retry may start a second one), so callers `find` first. */
  start(request: BuildRequest, options?: CallOptions): Promise<StartedBuild>;
  /** The build an earlier, unanswered `start` of this flow may have created (queued at or after `since`). */
  find(flowId: string, since: string, options?: CallOptions): Promise<StartedBuild | undefined>;
  /** A build or deploy run as Azure DevOps reports it now; `undefined` when it does not exist. */
  get(buildId: number, options?: CallOptions): Promise<BuildFacts | undefined>;
}
