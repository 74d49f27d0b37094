import type { ReleaseCandidate } from '../core/buildCompleted.js';
import type { BuildRequest } from './buildPipeline.js';

/** Whether a pipeline accepts a run as the app would start it (`previewRun`: nothing is created). */
export type PreviewOutcome =
  | { readonly ok: true }
  /** Azure DevOps refused the run, with its own words (e.g. `Unexpected parameter 'flowId'`). */
  | { readonly ok: false; readonly problem: string };

export interface PipelineInfo {
  readonly id: number;
  readonly name: string;
  /** The project's id, when Azure DevOps' answer shows it (service-hook inputs name projects by id). */
  readonly projectId?: string;
}

export interface ReleaseDefinitionInfo {
  readonly id: number;
  readonly name: string;
  readonly artifactAliases: readonly string[];
}

/** The Azure DevOps project as the operator's setup and checks see it. */
export interface AzureDevOpsProject {
  /** Who the app's credentials authenticate as; throws ADO_AUTH_FAILED when they are refused. */
  whoAmI(): Promise<{ readonly id: string; readonly displayName: string }>;
  pipeline(pipelineId: number): Promise<PipelineInfo | undefined>;
  /** The newest run of a pipeline, if it has any (a deploy preview consumes one). */
  latestRunId(pipelineId: number): Promise<number | undefined>;
  /** Runs the build pipeline as a preview with exactly what the app would send. */
  previewBuild(request: BuildRequest): Promise<PreviewOutcome>;
  /**
   * Runs the deploy pipeline as a preview with exactly what the app would send for `candidate`;
   * without a build to consume, the pipeline resource is left out.
   */
  previewRelease(candidate: ReleaseCandidate, withBuildResource: boolean): Promise<PreviewOutcome>;
  releaseDefinition(definitionId: number): Promise<ReleaseDefinitionInfo | undefined>;
}
