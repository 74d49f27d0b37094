import { isModelRef, type DeliveryRef, type ModelRef } from './flow.js';
import { compareModelVersions } from './modelUpload.js';

/** The newest pushed commit of a release branch, by push order. */
export interface BranchHead {
  readonly branch: string;
  readonly commit: string;
  /** When GitHub says the push happened (`repository.pushed_at`), ISO 8601. */
  readonly pushedAt: string;
  readonly receivedAt: string;
  readonly delivery: DeliveryRef;
}

/** The newest promoted version of the app's model. */
export interface CurrentModel {
  readonly model: ModelRef;
  readonly uploadedAt: string;
  readonly promotedAt: string;
  readonly delivery: DeliveryRef;
}

/** Moves the branch head only forward in push order; ties go to the later delivery. */
export function nextBranchHead(
  current: BranchHead | undefined,
  candidate: BranchHead,
): BranchHead | undefined {
  if (current === undefined) return candidate;
  if (current.commit === candidate.commit) return undefined;
  const order =
    compareInstants(candidate.pushedAt, current.pushedAt) ||
    compareInstants(candidate.receivedAt, current.receivedAt);
  return order > 0 ? candidate : undefined;
}

/**
 * Moves the current model only forward (semver order, else upload time). The same version
 * again — a redelivery, a re-uploaded manifest — keeps the first promotion.
 */
export function nextCurrentModel(
  current: CurrentModel | undefined,
  candidate: CurrentModel,
): CurrentModel | undefined {
  if (current === undefined) return candidate;
  if (current.model.version === candidate.model.version) return undefined;
  const order = compareModelVersions(
    { version: candidate.model.version, uploadedAt: candidate.uploadedAt },
    { version: current.model.version, uploadedAt: current.uploadedAt },
  );
  return order > 0 ? candidate : undefined;
}

function compareInstants(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}

export function isBranchHead(value: unknown): value is BranchHead {
  if (typeof value !== 'object' || value === null) return false;
  const head: Partial<Record<keyof BranchHead, unknown>> = value;
  return (
    typeof head.branch === 'string' &&
    typeof head.commit === 'string' &&
    typeof head.pushedAt === 'string' &&
    typeof head.receivedAt === 'string' &&
    typeof head.delivery === 'object'
  );
}

export function isCurrentModel(value: unknown): value is CurrentModel {
  if (typeof value !== 'object' || value === null) return false;
  const current: Partial<Record<keyof CurrentModel, unknown>> = value;
  return (
    isModelRef(current.model) &&
    typeof current.uploadedAt === 'string' &&
    typeof current.promotedAt === 'string' &&
    typeof current.delivery === 'object'
  );
}

/** The newest build of the build pipeline that was sent to release: the ordering guard for releases. */
export interface LastRelease {
  readonly buildId: number;
  /** When that build was queued: a build queued earlier is never released after it. */
  readonly queueTime: string;
  readonly flowId: string;
  readonly at: string;
}

/**
 * Whether a build may be released, given the last one sent to release: only a build queued
 * at or after it (or the same build again, for a retried release) may go.
 */
export function releaseOrder(
  current: LastRelease | undefined,
  buildId: number,
  queueTime: string,
): 'same' | 'newer' | 'older' {
  if (current === undefined) return 'newer';
  if (current.buildId === buildId) return 'same';
  const order = Date.parse(queueTime) - Date.parse(current.queueTime);
  if (order !== 0) return order > 0 ? 'newer' : 'older';
  return buildId > current.buildId ? 'newer' : 'older';
}

export function isLastRelease(value: unknown): value is LastRelease {
  if (typeof value !== 'object' || value === null) return false;
  const last: Partial<Record<keyof LastRelease, unknown>> = value;
  return (
    typeof last.buildId === 'number' &&
    typeof last.queueTime === 'string' &&
    typeof last.flowId === 'string' &&
    typeof last.at === 'string'
  );
}
