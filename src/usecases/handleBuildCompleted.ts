import type { ReleaseConfig } from '../config.js';
import {
  branchOf,
  decideBuildCompleted,
  releaseParameters,
  type BuildCompletedNotification,
  type ReleaseSettings,
} from '../core/buildCompleted.js';
import { transition, withTrigger, type DeliveryRef, type FlowRecord, type ModelRef } from '../core/flow.js';
import { manualFlowIdOf } from '../core/flowId.js';
import { releaseOrder } from '../core/pointers.js';
import { isSafeBranchName, isSafeModelName, isSafeModelVersion } from '../core/validation.js';
import { describeError, InfrastructureError } from '../errors.js';
import type { AzureDevOps, BuildSnapshot, StartedRelease } from '../ports/azureDevOps.js';
import type { FlowLedger, Versioned } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import type { FlowEngine } from './flowEngine.js';

export type BuildCompletedOutcome =
  | { readonly kind: 'ignored'; readonly reason: string; readonly detail: string }
  | { readonly kind: 'recorded'; readonly flow: FlowRecord; readonly reason: string }
  | { readonly kind: 'superseded'; readonly flow: FlowRecord; readonly newerBuildId: number }
  | { readonly kind: 'released' | 'already-released' | 'release-in-progress'; readonly flow: FlowRecord }
  | { readonly kind: 'release-failed'; readonly flow: FlowRecord; readonly code: string };

export interface HandleBuildCompletedDeps {
  readonly ledger: FlowLedger;
  readonly devops: AzureDevOps;
  readonly engine: FlowEngine;
  readonly logger: Logger;
  readonly settings: ReleaseSettings;
  readonly release: ReleaseConfig;
  readonly now?: () => Date;
  readonly claimMs?: number;
}

/**
 * A build completed (so says an unsigned service hook). Re-read the build, record its
 * result on its flow, and release it if it succeeded, is of our pipeline and is not older
 * than the last build released. One release per build, whatever the deliveries.
 */
export async function handleBuildCompleted(
  deps: HandleBuildCompletedDeps,
  notification: BuildCompletedNotification,
): Promise<BuildCompletedOutcome> {
  if (notification.eventType !== 'build.complete') {
    return {
      kind: 'ignored',
      reason: 'other-event',
      detail: `event type ${notification.eventType || '(none)'}`,
    };
  }
  if (notification.buildId === undefined)
    return { kind: 'ignored', reason: 'no-build-id', detail: 'the notification names no build' };
  const build = await deps.devops.getBuild(notification.buildId);
  if (build === undefined) {
    return {
      kind: 'ignored',
      reason: 'build-not-found',
      detail: `build ${notification.buildId} does not exist in the project`,
    };
  }
  const decision = decideBuildCompleted(build, deps.settings);
  if (decision.kind === 'ignore') {
    deps.logger.info('Build notification ignored', {
      buildId: build.id,
      reason: decision.reason,
      detail: decision.detail,
    });
    return { kind: 'ignored', reason: decision.reason, detail: decision.detail };
  }
  const now = (): string => (deps.now ?? (() => new Date()))().toISOString();
  const delivery: DeliveryRef = {
    source: 'servicehook',
    id: `${notification.subscriptionId || 'unknown'}:${notification.notificationId || String(build.id)}`,
  };
  let flow = await flowOfBuild(deps, build, delivery, now());

  // Record the build's result once (redeliveries find it there).
  const resultStatus = decision.kind === 'record' ? decision.status : 'build-succeeded';
  if (
    flow.value.status === 'build-queued' ||
    flow.value.status === 'build-started' ||
    flow.value.status === 'failed'
  ) {
    const at = now();
    const value = await deps.engine.update(flow, (current) =>
      transition(withTrigger(current, { kind: current.trigger, delivery, at }), resultStatus, delivery, at, {
        build: buildRefOf(build),
        ...(current.commit === undefined && build.sourceVersion !== ''
          ? { commit: build.sourceVersion }
          : {}),
        ...(decision.kind === 'record' ? { reason: decision.reason } : {}),
      }),
    );
    flow = await reread(deps, value.flowId);
  }
  if (decision.kind === 'record') return { kind: 'recorded', flow: flow.value, reason: decision.reason };

  if (flow.value.release !== undefined) return { kind: 'already-released', flow: flow.value };
  if (flow.value.status === 'superseded') return { kind: 'superseded', flow: flow.value, newerBuildId: 0 };

  // The ordering guard: a build queued before the last released one is never released.
  const queueTime = build.queueTime ?? new Date(0).toISOString();
  const last = await deps.ledger.updateLastRelease((current) =>
    releaseOrder(current, build.id, queueTime) === 'newer'
      ? { buildId: build.id, queueTime, flowId: flow.value.flowId, at: now() }
      : undefined,
  );
  if (last !== undefined && last.buildId !== build.id) {
    const at = now();
    const value = await deps.engine.update(flow, (current) =>
      transition(current, 'superseded', delivery, at, {
        reason: `build ${last.buildId} was queued later and released first`,
      }),
    );
    deps.logger.info('Build superseded: not released', { buildId: build.id, newerBuildId: last.buildId });
    return { kind: 'superseded', flow: value, newerBuildId: last.buildId };
  }
  return releaseOnce(deps, flow, build, delivery, now);
}

async function releaseOnce(
  deps: HandleBuildCompletedDeps,
  start: Versioned<FlowRecord>,
  build: BuildSnapshot,
  delivery: DeliveryRef,
  now: () => string,
): Promise<BuildCompletedOutcome> {
  const claimMs = deps.claimMs ?? 120_000;
  let flow = start;
  // Claim the release: whoever writes the claim first calls Azure DevOps.
  for (;;) {
    const current = flow.value;
    if (current.release !== undefined) return { kind: 'already-released', flow: current };
    const claimed =
      current.claimedUntil !== undefined && Date.parse(current.claimedUntil) > Date.parse(now());
    if (claimed) return { kind: 'release-in-progress', flow: current };
    const saved = await deps.ledger.replaceFlow(
      {
        ...current,
        claimedUntil: new Date(Date.parse(now()) + claimMs).toISOString(),
        attempts: current.attempts + 1,
      },
      flow.etag,
    );
    if (saved !== 'conflict') {
      flow = saved;
      break;
    }
    flow = await reread(deps, current.flowId);
  }

  const model: ModelRef | undefined = flow.value.model;
  const parameters = releaseParameters({
    buildId: build.id,
    modelName: model?.name ?? flow.value.modelName,
    modelVersion: model?.version ?? 'unknown',
    commit: build.sourceVersion,
    flowId: flow.value.flowId,
  });
  if (!parameters.ok) {
    const at = now();
    const value = await deps.engine.update(flow, (current) =>
      transition(current, 'skipped', delivery, at, { reason: `not released: ${parameters.problem}` }),
    );
    deps.logger.warn('Build not released: unsafe parameters', {
      buildId: build.id,
      problem: parameters.problem,
    });
    return { kind: 'recorded', flow: value, reason: parameters.problem };
  }

  let release: StartedRelease;
  try {
    release =
      deps.release.mode === 'pipeline'
        ? await deps.devops.runReleasePipeline({
            pipelineId: deps.release.pipelineId,
            buildResourceAlias: deps.release.buildResourceAlias,
            buildId: build.id,
            parameters: parameters.parameters,
          })
        : await deps.devops.createClassicRelease({
            definitionId: deps.release.definitionId,
            artifactAlias: deps.release.artifactAlias,
            buildId: build.id,
            buildNumber: build.buildNumber,
            parameters: parameters.parameters,
          });
  } catch (error) {
    const code = error instanceof InfrastructureError ? error.code : 'UNEXPECTED';
    const at = now();
    const value = await deps.engine.update(flow, (current) =>
      transition(current, current.status, delivery, at, {
        lastError: { code, message: describeError(error), at },
        reason: 'release-start-failed',
      }),
    );
    deps.logger.warn('Starting the release failed', { flowId: value.flowId, buildId: build.id, code });
    if (error instanceof InfrastructureError && error.transient) throw error;
    return { kind: 'release-failed', flow: value, code };
  }
  const at = now();
  const value = await deps.engine.update(flow, (current) =>
    transition(current, 'releasing', delivery, at, {
      release: { mode: deps.release.mode, id: release.id, url: release.url },
    }),
  );
  deps.logger.info('Release started', {
    flowId: value.flowId,
    buildId: build.id,
    releaseId: release.id,
    mode: deps.release.mode,
  });
  return { kind: 'released', flow: value };
}

/** The flow a build belongs to: by its `flowId` parameter, or a flow of its own for a build started by hand. */
async function flowOfBuild(
  deps: HandleBuildCompletedDeps,
  build: BuildSnapshot,
  delivery: DeliveryRef,
  at: string,
): Promise<Versioned<FlowRecord>> {
  const parameter = build.templateParameters.flowId ?? '';
  const flowId = /^[0-9a-f]{20}$/.test(parameter) ? parameter : manualFlowIdOf(build.id);
  const existing = await deps.ledger.getFlow(flowId);
  if (existing !== undefined) return existing;
  const model = modelFromParameters(build.templateParameters);
  const branch = branchOf(build.sourceBranch);
  const flow: FlowRecord = {
    schemaVersion: 1,
    flowId,
    status: 'build-started',
    ...(model === undefined ? {} : { model }),
    modelName: model?.name ?? build.templateParameters.modelName ?? '',
    ...(build.sourceVersion === '' ? {} : { commit: build.sourceVersion }),
    branch: branch !== undefined && isSafeBranchName(branch) ? branch : '',
    trigger: 'manual',
    triggers: [{ kind: 'manual', delivery, at }],
    build: buildRefOf(build),
    attempts: 0,
    history: [{ status: 'build-started', at, delivery, reason: 'build found through its completion' }],
    createdAt: build.queueTime ?? at,
    updatedAt: at,
  };
  const created = await deps.ledger.createFlow(flow);
  return created === 'exists' ? reread(deps, flowId) : created;
}

function modelFromParameters(parameters: Readonly<Record<string, string>>): ModelRef | undefined {
  const { modelName: name, modelVersion: version, modelUri: uri, modelSha256: sha256 } = parameters;
  if (name === undefined || version === undefined || !isSafeModelName(name) || !isSafeModelVersion(version))
    return undefined;
  return { name, version, uri: uri ?? '', sha256: sha256 ?? '' };
}

function buildRefOf(build: BuildSnapshot): FlowRecord['build'] & object {
  return {
    id: build.id,
    url: build.url,
    result: build.result,
    buildNumber: build.buildNumber,
    ...(build.queueTime === undefined ? {} : { queuedAt: build.queueTime }),
  };
}

async function reread(deps: HandleBuildCompletedDeps, flowId: string): Promise<Versioned<FlowRecord>> {
  const flow = await deps.ledger.getFlow(flowId);
  if (flow === undefined)
    throw new InfrastructureError('LEDGER_CONFLICT', `Flow ${flowId} vanished`, { transient: true });
  return flow;
}
