import type { BuildParameters, ReleaseParameters } from '../core/pipelineParameters.js';

export interface BuildRunRequest {
  readonly pipelineId: number;
  readonly branch: string;
  /** Exact commit to build; absent → Azure DevOps builds the branch head and reports the commit it chose. */
  readonly commit?: string;
  readonly parameters: BuildParameters;
}

export interface StartedRun {
  readonly id: number;
  readonly url: string;
  /** The commit the run builds, when Azure DevOps reported it. */
  readonly commit?: string;
}

export type BuildStatus = 'notStarted' | 'inProgress' | 'cancelling' | 'postponed' | 'completed' | 'unknown';
export type BuildResult = 'succeeded' | 'partiallySucceeded' | 'failed' | 'canceled' | 'none' | 'unknown';

/** A build as Azure DevOps reports it now (never as a webhook claims it). */
export interface BuildSnapshot {
  readonly id: number;
  readonly buildNumber: string;
  readonly url: string;
  readonly projectName: string;
  readonly projectId: string;
  readonly definitionId: number;
  readonly status: BuildStatus;
  readonly result: BuildResult;
  readonly sourceBranch: string;
  readonly sourceVersion: string;
  readonly queueTime?: string;
  readonly finishTime?: string;
  readonly templateParameters: Readonly<Record<string, string>>;
}

export interface ReleaseRunRequest {
  readonly pipelineId: number;
  readonly buildResourceAlias: string;
  readonly buildId: number;
  readonly parameters: ReleaseParameters;
}

export interface ClassicReleaseRequest {
  readonly definitionId: number;
  readonly artifactAlias: string;
  readonly buildId: number;
  readonly buildNumber: string;
  readonly parameters: ReleaseParameters;
}

export interface StartedRelease {
  readonly id: number;
  readonly url: string;
}

/** A look for runs that an earlier, unanswered request may have created. */
export interface RunSearch {
  readonly pipelineId: number;
  /** Only runs queued at or after this instant (ISO 8601). */
  readonly since: string;
  /** The template parameter that identifies the run, e.g. `flowId` = this flow's id. */
  readonly parameter: { readonly name: string; readonly value: string };
}

export interface ReleaseSearch {
  readonly definitionId: number;
  readonly since: string;
  readonly buildId: number;
}

/** What the app needs from Azure DevOps, in its own words. */
export interface AzureDevOps {
  runBuildPipeline(request: BuildRunRequest): Promise<StartedRun>;
  /** Runs of a pipeline carrying a template parameter value, oldest first. */
  findRuns(search: RunSearch): Promise<readonly StartedRun[]>;
  /** Classic releases of a definition made from a build, oldest first. */
  findClassicReleases(search: ReleaseSearch): Promise<readonly StartedRelease[]>;
  getBuild(buildId: number): Promise<BuildSnapshot | undefined>;
  runReleasePipeline(request: ReleaseRunRequest): Promise<StartedRelease>;
  createClassicRelease(request: ClassicReleaseRequest): Promise<StartedRelease>;
}
