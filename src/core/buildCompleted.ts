import picomatch from 'picomatch';
import { isObject, numberAt, objectAt, stringAt } from './guards.js';
import type { ReleaseParameters } from './pipelineParameters.js';
import { isCommitSha, isSafeModelName, isSafeModelVersion } from './validation.js';

/**
 * What an Azure DevOps `build.complete` service-hook notification claims. Service hooks
 * are not signed: this is only a hint of which build to re-read from the API.
 */
export interface BuildCompletedNotification {
  readonly eventType: string;
  readonly subscriptionId: string;
  readonly notificationId: string;
  readonly buildId: number | undefined;
}

export function parseBuildCompletedNotification(payload: unknown): BuildCompletedNotification | undefined {
  if (!isObject(payload)) return undefined;
  const resource = objectAt(payload, 'resource');
  const notificationId = payload.notificationId;
  // Current payloads carry resource.id; the oldest ones only resource.url (…/_apis/build/Builds/<id>).
  const buildId =
    (resource === undefined ? undefined : numberAt(resource, 'id')) ??
    buildIdFromUrl(resource === undefined ? undefined : stringAt(resource, 'url'));
  const rawNotificationId =
    typeof notificationId === 'number' || typeof notificationId === 'string'
      ? String(notificationId)
      : (stringAt(payload, 'id') ?? '');
  return {
    eventType: stringAt(payload, 'eventType') ?? '',
    // Both become the delivery's identity: anything but a GUID or a number is dropped, not stored.
    subscriptionId: boundedId(stringAt(payload, 'subscriptionId') ?? ''),
    notificationId: boundedId(rawNotificationId),
    buildId: buildId !== undefined && Number.isSafeInteger(buildId) && buildId > 0 ? buildId : undefined,
  };
}

function boundedId(value: string): string {
  return /^[A-Za-z0-9-]{1,64}$/.test(value) ? value : '';
}

function buildIdFromUrl(url: string | undefined): number | undefined {
  const match = url === undefined ? null : /\/_apis\/build\/builds\/(\d{1,10})(?:$|[/?])/i.exec(url);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** A build as Azure DevOps reports it when re-read, in the terms the release decision needs. */
export interface CompletedBuildFacts {
  readonly id: number;
  readonly projectName: string;
  readonly projectId: string;
  readonly definitionId: number;
  readonly status: string;
  readonly result: string;
  readonly sourceBranch: string;
  readonly sourceVersion: string;
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
  | { readonly kind: 'release-completed'; readonly succeeded: boolean; readonly result: string };

export function decideBuildCompleted(
  build: CompletedBuildFacts,
  settings: ReleaseSettings,
): BuildCompletedDecision {
  const project = settings.project.toLowerCase();
  if (build.projectName.toLowerCase() !== project && build.projectId.toLowerCase() !== project) {
    return { kind: 'ignore', reason: 'other-project', detail: `project ${build.projectName}` };
  }
  if (build.definitionId === settings.releasePipelineId && build.definitionId !== settings.buildPipelineId) {
    if (build.status !== 'completed')
      return { kind: 'ignore', reason: 'not-completed', detail: `status ${build.status}` };
    const succeeded = build.result === 'succeeded' || build.result === 'partiallySucceeded';
    return { kind: 'release-completed', succeeded, result: build.result };
  }
  if (build.definitionId !== settings.buildPipelineId) {
    return { kind: 'ignore', reason: 'other-pipeline', detail: `pipeline ${build.definitionId}` };
  }
  if (build.status !== 'completed')
    return { kind: 'ignore', reason: 'not-completed', detail: `status ${build.status}` };
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

/** Release parameters, each checked against the same allow-lists as the build's, or why not. */
export function releaseParameters(values: {
  readonly buildId: number;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly commit: string;
  readonly flowId: string;
}):
  | { readonly ok: true; readonly parameters: ReleaseParameters }
  | { readonly ok: false; readonly problem: string } {
  if (!isSafeModelName(values.modelName))
    return { ok: false, problem: 'model name is not allowed as a parameter' };
  if (!isSafeModelVersion(values.modelVersion))
    return { ok: false, problem: 'model version is not allowed as a parameter' };
  if (!isCommitSha(values.commit)) return { ok: false, problem: 'commit is not a SHA' };
  if (!/^[0-9a-f]{20}$/.test(values.flowId)) return { ok: false, problem: 'flow id is malformed' };
  return {
    ok: true,
    parameters: {
      buildId: String(values.buildId),
      imageTag: String(values.buildId),
      modelName: values.modelName,
      modelVersion: values.modelVersion,
      commit: values.commit,
      flowId: values.flowId,
    },
  };
}
