import picomatch from 'picomatch';
import type { FlowState, ModelRef } from './flow.js';
import { isFlowId } from './flowId.js';
import { isCommitSha, isSafeModelName, isSafeModelVersion } from './validation.js';

export type BuildStatus = 'notStarted' | 'inProgress' | 'cancelling' | 'postponed' | 'completed' | 'unknown';
export type BuildResult = 'succeeded' | 'partiallySucceeded' | 'failed' | 'canceled' | 'none' | 'unknown';

/**
 * A build (or a deploy-pipeline run: a run is a build) as Azure DevOps reports it when re-read
 * — never as a webhook claims it — with the app's own parameters read back from the run.
 */
export interface BuildFacts {
  readonly id: number;
  readonly buildNumber: string;
  readonly url: string;
  readonly projectName: string;
  readonly projectId: string;
  readonly pipelineId: number;
  readonly status: BuildStatus;
  readonly result: BuildResult;
  /** `refs/heads/<branch>` for a branch build. */
  readonly sourceBranch: string;
  /** The commit built. */
  readonly sourceVersion: string;
  readonly queueTime?: string;
  /** The `flowId` parameter the app started it with; absent for a run started by hand. */
  readonly flowId?: string;
  /** The model parameters the run carries, as given (checked before use). */
  readonly model?: Partial<ModelRef>;
}

export interface ReleaseSettings {
  readonly project: string;
  readonly buildPipelineId: number;
  readonly branches: readonly string[];
  readonly releaseOnPartialSuccess: boolean;
  /** The deploy pipeline (release mode `pipeline`): its runs are builds too, and finish releases. */
  readonly releasePipelineId?: number;
}

export type BuildCompletedDecision =
  | {
      readonly kind: 'ignore';
      readonly reason: 'other-project' | 'other-pipeline' | 'not-completed';
      readonly detail: string;
    }
  | { readonly kind: 'record'; readonly status: 'build-failed' | 'build-canceled'; readonly reason: string }
  | { readonly kind: 'record'; readonly status: 'build-succeeded'; readonly reason: 'not-a-release-branch' }
  | { readonly kind: 'release' }
  /** A run of the deploy pipeline finished: the release it carries is done. */
  | { readonly kind: 'release-completed'; readonly state: ReleaseState };

export function decideBuildCompleted(build: BuildFacts, settings: ReleaseSettings): BuildCompletedDecision {
  const project = settings.project.toLowerCase();
  if (build.projectName.toLowerCase() !== project && build.projectId.toLowerCase() !== project) {
    return { kind: 'ignore', reason: 'other-project', detail: `project ${build.projectName}` };
  }
  const isBuildPipeline = build.pipelineId === settings.buildPipelineId;
  if (!isBuildPipeline && build.pipelineId !== settings.releasePipelineId) {
    return { kind: 'ignore', reason: 'other-pipeline', detail: `pipeline ${build.pipelineId}` };
  }
  if (build.status !== 'completed')
    return { kind: 'ignore', reason: 'not-completed', detail: `status ${build.status}` };
  if (!isBuildPipeline) return { kind: 'release-completed', state: deployRunState(build.result) };
  if (build.result === 'canceled')
    return { kind: 'record', status: 'build-canceled', reason: 'build canceled' };
  const releasable =
    build.result === 'succeeded' ||
    (build.result === 'partiallySucceeded' && settings.releaseOnPartialSuccess);
  if (!releasable) return { kind: 'record', status: 'build-failed', reason: `build result ${build.result}` };
  const branch = branchOf(build.sourceBranch);
  if (branch === undefined || !picomatch.isMatch(branch, [...settings.branches], { dot: true })) {
    return { kind: 'record', status: 'build-succeeded', reason: 'not-a-release-branch' };
  }
  return { kind: 'release' };
}

export function branchOf(sourceBranch: string): string | undefined {
  return sourceBranch.startsWith('refs/heads/') ? sourceBranch.slice('refs/heads/'.length) : undefined;
}

/** A succeeded build on its way to release, every value checked against the build parameters' allow-lists. */
export interface ReleaseCandidate {
  readonly buildId: number;
  readonly buildNumber: string;
  readonly flowId: string;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly commit: string;
}

export function releaseCandidate(
  values: ReleaseCandidate,
):
  | { readonly ok: true; readonly candidate: ReleaseCandidate }
  | { readonly ok: false; readonly problem: string } {
  if (!isSafeModelName(values.modelName))
    return { ok: false, problem: 'model name is not allowed as a parameter' };
  if (!isSafeModelVersion(values.modelVersion))
    return { ok: false, problem: 'model version is not allowed as a parameter' };
  if (!isCommitSha(values.commit)) return { ok: false, problem: 'commit is not a SHA' };
  if (!isFlowId(values.flowId)) return { ok: false, problem: 'flow id is malformed' };
  return { ok: true, candidate: values };
}

/** The model a build ran with, from its parameters, when they are the app's and well-formed. */
export function modelOfBuild(build: BuildFacts): ModelRef | undefined {
  const { name, version, uri = '', sha256 = '' } = build.model ?? {};
  if (name === undefined || version === undefined || !isSafeModelName(name) || !isSafeModelVersion(version))
    return undefined;
  return { name, version, uri, sha256 };
}

/**
 * Where a release stands, whatever its kind: a deploy-pipeline run, or a classic release
 * (summed over its stages: see `classicReleaseState` in the classic adapter).
 */
export type ReleaseState =
  'in-progress' | 'succeeded' | 'partially-succeeded' | 'failed' | 'canceled' | 'rejected';

export function deployRunState(result: BuildResult): ReleaseState {
  switch (result) {
    case 'succeeded':
      return 'succeeded';
    case 'partiallySucceeded':
      return 'partially-succeeded';
    case 'canceled':
      return 'canceled';
    case 'none':
      return 'in-progress';
    default:
      return 'failed';
  }
}

/**
 * What a finished release means for its flow. A partially succeeded deployment did deploy
 * (some steps were allowed to fail): `released`, saying so. Failed, rejected (an approval or
 * a gate said no) and canceled deployments did not: `failed`, which an operator can replay.
 */
export function releaseOutcome(
  state: ReleaseState,
):
  | { readonly kind: 'pending' }
  | { readonly kind: 'released'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly code: string } {
  switch (state) {
    case 'in-progress':
      return { kind: 'pending' };
    case 'succeeded':
      return { kind: 'released', reason: 'deployment succeeded' };
    case 'partially-succeeded':
      return { kind: 'released', reason: 'deployment partially succeeded' };
    case 'rejected':
      return { kind: 'failed', reason: 'deployment rejected', code: 'DEPLOYMENT_REJECTED' };
    case 'canceled':
      return { kind: 'failed', reason: 'deployment canceled', code: 'DEPLOYMENT_CANCELED' };
    case 'failed':
      return { kind: 'failed', reason: 'deployment failed', code: 'DEPLOYMENT_FAILED' };
  }
}

/** The state of a flow whose build just completed with `decision`. */
export function completedBuildState(
  status: 'build-succeeded' | 'build-failed' | 'build-canceled',
  build: BuildFacts,
  model: ModelRef | undefined,
): FlowState {
  return {
    status,
    ...(model === undefined ? {} : { model }),
    build: {
      id: build.id,
      url: build.url,
      result: build.result,
      buildNumber: build.buildNumber,
      ...(build.queueTime === undefined ? {} : { queuedAt: build.queueTime }),
    },
  };
}
