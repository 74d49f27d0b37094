import type { ReleaseConfig } from '../config.js';
import {
  branchOf,
  decideBuildCompleted,
  releaseParameters,
  type ReleaseSettings,
} from '../core/buildCompleted.js';
import { transition, withTrigger, type FlowRecord, type ModelRef } from '../core/flow.js';
import { manualFlowIdOf } from '../core/flowId.js';
import { releaseOrder } from '../core/pointers.js';
import { isSafeBranchName, isSafeModelName, isSafeModelVersion } from '../core/validation.js';
import type { AzureDevOps, BuildSnapshot, StartedRelease } from '../ports/azureDevOps.js';
import type { FlowLedger, Versioned } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import type { FlowEngine, WorkItem } from './flowEngine.js';
import { createOnce, reconcileSince, withRetries, type RetryOptions } from './resilience.js';

export type BuildCompletedOutcome =
  | { readonly kind: 'ignored'; readonly reason: string; readonly detail: string }
  | { readonly kind: 'recorded'; readonly flow: FlowRecord; readonly reason: string }
  | { readonly kind: 'superseded'; readonly flow: FlowRecord; readonly newerBuildId: number }
  | { readonly kind: 'released' | 'adopted' | 'already-released'; readonly flow: FlowRecord }
  | { readonly kind: 'claimed-elsewhere'; readonly flowId: string };

export interface HandleBuildCompletedDeps {
  readonly ledger: FlowLedger;
  readonly devops: AzureDevOps;
  readonly engine: FlowEngine;
  readonly logger: Logger;
  readonly settings: ReleaseSettings;
  readonly release: ReleaseConfig;
  readonly now?: () => Date;
  readonly retry?: RetryOptions;
}

/**
 * A build completed (so said an unsigned service hook; the worker now acts on it). Re-read
 * the build, record its result on its flow, and release it if it succeeded, is of our
 * pipeline and is not older than the last build released. One release per build, whatever
 * the deliveries: the flow is claimed first, and a retry looks for the release it may
 * already have created before creating one.
 */
export async function processBuildCompleted(
  deps: HandleBuildCompletedDeps,
  buildId: number,
  work: WorkItem,
): Promise<BuildCompletedOutcome> {
  const build = await withRetries(() => deps.devops.getBuild(buildId), deps.retry);
  if (build === undefined) {
    return {
      kind: 'ignored',
      reason: 'build-not-found',
      detail: `build ${buildId} does not exist in the project`,
    };
  }
  const decision = decideBuildCompleted(build, deps.settings);
  if (decision.kind === 'ignore') {
    deps.logger.info('Build notification ignored', {
      buildId,
      reason: decision.reason,
      detail: decision.detail,
    });
    return { kind: 'ignored', reason: decision.reason, detail: decision.detail };
  }
  if (decision.kind === 'release-completed') return recordReleaseCompleted(deps, build, decision, work);
  const now = (): string => (deps.now ?? (() => new Date()))().toISOString();
  const delivery = work.delivery;
  let flow = await flowOfBuild(deps, build, now());

  // Record the build's result once (redeliveries find it there).
  const status = flow.value.status;
  if (
    status === 'build-queued' ||
    status === 'build-started' ||
    (status === 'failed' && flow.value.build === undefined)
  ) {
    const at = now();
    await deps.engine.update(flow, (current) =>
      transition(
        withTrigger(current, { kind: current.trigger, delivery, at }),
        decision.kind === 'record' ? decision.status : 'build-succeeded',
        delivery,
        at,
        {
          build: buildRefOf(build),
          ...(current.commit === undefined && build.sourceVersion !== ''
            ? { commit: build.sourceVersion }
            : {}),
          ...(decision.kind === 'record' ? { reason: decision.reason } : {}),
        },
      ),
    );
    flow = await deps.engine.read(flow.value.flowId);
  }
  if (decision.kind === 'record') return { kind: 'recorded', flow: flow.value, reason: decision.reason };
  if (flow.value.release !== undefined) return { kind: 'already-released', flow: flow.value };

  // The ordering guard: a build queued before the last released one is never released.
  const queueTime = build.queueTime ?? new Date(0).toISOString();
  const flowId = flow.value.flowId;
  const last = await deps.ledger.updateLastRelease((current) =>
    releaseOrder(current, build.id, queueTime) === 'newer'
      ? { buildId: build.id, queueTime, flowId, at: now() }
      : undefined,
  );
  if (last !== undefined && last.buildId !== build.id) {
    const at = now();
    const value = await deps.engine.update(flow, (current) =>
      current.release !== undefined
        ? current
        : transition(current, 'superseded', delivery, at, {
            reason: `build ${last.buildId} was queued later and released first`,
          }),
    );
    deps.logger.info('Build superseded: not released', { buildId: build.id, newerBuildId: last.buildId });
    return { kind: 'superseded', flow: value, newerBuildId: last.buildId };
  }
  return releaseOnce(deps, flowId, build, work, now);
}

async function releaseOnce(
  deps: HandleBuildCompletedDeps,
  flowId: string,
  build: BuildSnapshot,
  work: WorkItem,
  now: () => string,
): Promise<BuildCompletedOutcome> {
  const releasable = (flow: FlowRecord): boolean =>
    flow.release === undefined &&
    (flow.status === 'build-succeeded' || (flow.status === 'failed' && flow.build?.id === build.id));
  const claim = await deps.engine.claim(flowId, work, 'release', releasable);
  if (claim.kind === 'claimed-elsewhere') return { kind: 'claimed-elsewhere', flowId };
  if (claim.kind !== 'claimed') {
    const current = (await deps.engine.read(flowId)).value;
    return current.release === undefined
      ? { kind: 'recorded', flow: current, reason: `not releasable in status ${current.status}` }
      : { kind: 'already-released', flow: current };
  }
  const flow = claim.flow;
  const model: ModelRef | undefined = flow.value.model;
  const parameters = releaseParameters({
    buildId: build.id,
    modelName: model?.name ?? flow.value.modelName,
    modelVersion: model?.version ?? 'unknown',
    commit: build.sourceVersion,
    flowId,
  });
  if (!parameters.ok) {
    const at = now();
    const value = await deps.engine.update(flow, (current) =>
      transition(current, 'skipped', work.delivery, at, { reason: `not released: ${parameters.problem}` }),
    );
    deps.logger.warn('Build not released: unsafe parameters', {
      buildId: build.id,
      problem: parameters.problem,
    });
    return { kind: 'recorded', flow: value, reason: parameters.problem };
  }

  const since = reconcileSince(flow.value.releaseDispatchedAt ?? now());
  const release = deps.release;
  const findExisting = async (): Promise<StartedRelease | undefined> => {
    const found =
      release.mode === 'pipeline'
        ? await deps.devops.findRuns({
            pipelineId: release.pipelineId,
            since,
            parameter: { name: 'buildId', value: String(build.id) },
          })
        : await deps.devops.findClassicReleases({
            definitionId: release.definitionId,
            since,
            buildId: build.id,
          });
    return found[0];
  };
  let started: StartedRelease;
  let adopted: boolean;
  try {
    ({ value: started, adopted } = await createOnce({
      previouslyDispatched: claim.previouslyDispatched,
      findExisting,
      create: () =>
        release.mode === 'pipeline'
          ? deps.devops.runReleasePipeline({
              pipelineId: release.pipelineId,
              buildResourceAlias: release.buildResourceAlias,
              buildId: build.id,
              parameters: parameters.parameters,
            })
          : deps.devops.createClassicRelease({
              definitionId: release.definitionId,
              artifactAlias: release.artifactAlias,
              buildId: build.id,
              buildNumber: build.buildNumber,
              parameters: parameters.parameters,
            }),
      retry: deps.retry,
    }));
  } catch (error) {
    await deps.engine.recordFailure(flow, work, error);
    throw error;
  }
  const at = now();
  const value = await deps.engine.update(flow, (current) =>
    transition(current, 'releasing', work.delivery, at, {
      release: { mode: release.mode, id: started.id, url: started.url },
      ...(adopted ? { reason: 'adopted the release an earlier attempt created' } : {}),
    }),
  );
  deps.logger.info(adopted ? 'Release adopted' : 'Release started', {
    flowId,
    buildId: build.id,
    releaseId: started.id,
    mode: release.mode,
  });
  return { kind: adopted ? 'adopted' : 'released', flow: value };
}

/** A deploy-pipeline run finished: its flow is `released`, or `failed` (replayable) if the deployment failed. */
async function recordReleaseCompleted(
  deps: HandleBuildCompletedDeps,
  run: BuildSnapshot,
  completion: { readonly succeeded: boolean; readonly result: string },
  work: WorkItem,
): Promise<BuildCompletedOutcome> {
  const flowId = run.templateParameters.flowId ?? '';
  const flow = /^[0-9a-f]{20}$/.test(flowId) ? await deps.ledger.getFlow(flowId) : undefined;
  if (flow?.value.release?.id !== run.id) {
    return {
      kind: 'ignored',
      reason: 'unknown-release',
      detail: `deploy run ${run.id} is not a release this app started`,
    };
  }
  // A deployment re-run after a failure (same run id) may still succeed.
  const open = (status: FlowRecord['status']): boolean => status === 'releasing' || status === 'failed';
  if (!open(flow.value.status))
    return { kind: 'recorded', flow: flow.value, reason: 'release completion already recorded' };
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const value = await deps.engine.update(flow, (current) => {
    if (!open(current.status)) return current;
    if (completion.succeeded)
      return transition(current, 'released', work.delivery, at, { reason: `release ${completion.result}` });
    return transition(current, 'failed', work.delivery, at, {
      reason: `deployment ${completion.result}`,
      lastError: {
        code: 'DEPLOYMENT_FAILED',
        message: `deploy run ${run.id} ended ${completion.result}`,
        at,
      },
    });
  });
  deps.logger.info('Release completed', { flowId, runId: run.id, result: completion.result });
  return { kind: 'recorded', flow: value, reason: `release ${completion.result}` };
}

/** The flow a build belongs to: by its `flowId` parameter, or a flow of its own for a build started by hand. */
async function flowOfBuild(
  deps: HandleBuildCompletedDeps,
  build: BuildSnapshot,
  at: string,
): Promise<Versioned<FlowRecord>> {
  const parameter = build.templateParameters.flowId ?? '';
  const flowId = /^[0-9a-f]{20}$/.test(parameter) ? parameter : manualFlowIdOf(build.id);
  const existing = await deps.ledger.getFlow(flowId);
  if (existing !== undefined) return existing;
  const model = modelFromParameters(build.templateParameters);
  const branch = branchOf(build.sourceBranch);
  const delivery = { source: 'system', id: `build-${build.id}` } as const;
  const flow: FlowRecord = {
    schemaVersion: 1,
    flowId,
    status: 'build-started',
    ...(model === undefined ? {} : { model }),
    modelName: model?.name ?? '',
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
  return created === 'exists' ? deps.engine.read(flowId) : created;
}

function modelFromParameters(parameters: Readonly<Record<string, string>>): ModelRef | undefined {
  const { modelName: name, modelVersion: version, modelUri: uri, modelSha256: sha256 } = parameters;
  if (name === undefined || version === undefined || !isSafeModelName(name) || !isSafeModelVersion(version))
    return undefined;
  return { name, version, uri: uri ?? '', sha256: sha256 ?? '' };
}

function buildRefOf(build: BuildSnapshot): NonNullable<FlowRecord['build']> {
  return {
    id: build.id,
    url: build.url,
    result: build.result,
    buildNumber: build.buildNumber,
    ...(build.queueTime === undefined ? {} : { queuedAt: build.queueTime }),
  };
}
