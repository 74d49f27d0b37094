import {
  branchOf,
  completedBuildState,
  decideBuildCompleted,
  modelOfBuild,
  releaseCandidate,
  type BuildFacts,
  type ReleaseCandidate,
  type ReleaseSettings,
} from '../core/buildCompleted.js';
import { modelOf, newFlow, transition, withTrigger, type FlowRecord } from '../core/flow.js';
import { isFlowId, manualFlowIdOf } from '../core/flowId.js';
import { sendToRelease } from '../core/pointers.js';
import { isSafeBranchName } from '../core/validation.js';
import type { BuildPipeline } from '../ports/buildPipeline.js';
import type { FlowLedger, Versioned } from '../ports/flowLedger.js';
import type { Releaser, StartedRelease } from '../ports/releaser.js';
import { recordReleaseState, type CompleteReleaseOutcome } from './completeRelease.js';
import { dispatchOnce, type DispatchDeps, type WorkItem } from './dispatchOnce.js';
import { updateFlow, updatePointers } from './ledgerWrites.js';
import { withRetries } from './retry.js';

export type CompleteBuildOutcome =
  | { readonly kind: 'ignored'; readonly reason: string; readonly detail: string }
  | { readonly kind: 'recorded'; readonly flow: FlowRecord; readonly reason: string }
  | { readonly kind: 'superseded'; readonly flow: FlowRecord; readonly newerBuildId: number }
  | { readonly kind: 'released' | 'adopted' | 'already-released'; readonly flow: FlowRecord }
  | { readonly kind: 'refused'; readonly flow: FlowRecord; readonly code: string }
  | { readonly kind: 'claimed-elsewhere'; readonly flowId: string }
  | CompleteReleaseOutcome;

export interface CompleteBuildDeps extends DispatchDeps {
  readonly builds: BuildPipeline;
  readonly releaser: Releaser;
  readonly settings: ReleaseSettings;
}

/**
 * Azure DevOps said a build completed (an unsigned service hook; the worker now acts on it).
 * Re-read the build, record its result on its flow, and release it if it succeeded, is of our
 * pipeline and is not older than the last build sent to release. A completed deploy run
 * finishes its flow's release instead.
 */
export async function completeBuild(
  deps: CompleteBuildDeps,
  buildId: number,
  work: WorkItem,
): Promise<CompleteBuildOutcome> {
  const build = await withRetries(
    `get build ${buildId}`,
    ({ abortSignal }) => deps.builds.get(buildId, { abortSignal }),
    deps,
  );
  if (build === undefined)
    return {
      kind: 'ignored',
      reason: 'build-not-found',
      detail: `build ${buildId} does not exist in the project`,
    };
  const decision = decideBuildCompleted(build, deps.settings);
  switch (decision.kind) {
    case 'ignore':
      deps.logger.info('Build notification ignored', {
        buildId,
        reason: decision.reason,
        detail: decision.detail,
      });
      return { kind: 'ignored', reason: decision.reason, detail: decision.detail };
    case 'release-completed':
      return recordReleaseState(
        deps,
        { id: build.id, url: build.url, state: decision.state },
        build.flowId,
        work,
      );
    case 'record':
    case 'release':
      break;
  }
  const status = decision.kind === 'record' ? decision.status : 'build-succeeded';
  const flow = await recordBuildResult(
    deps,
    build,
    status,
    decision.kind === 'record' ? decision.reason : undefined,
    work,
  );
  if (decision.kind === 'record') return { kind: 'recorded', flow: flow.value, reason: decision.reason };
  if (flow.value.release !== undefined) return { kind: 'already-released', flow: flow.value };
  return release(deps, flow, build, work);
}

/** Records the build's result on its flow once (redeliveries find it there). */
async function recordBuildResult(
  deps: CompleteBuildDeps,
  build: BuildFacts,
  status: 'build-succeeded' | 'build-failed' | 'build-canceled',
  reason: string | undefined,
  work: WorkItem,
): Promise<Versioned<FlowRecord>> {
  const at = deps.clock().toISOString();
  const flow = await flowOfBuild(deps.ledger, build, at);
  return updateFlow(deps.ledger, flow, (current) => {
    const open =
      current.status === 'build-queued' ||
      current.status === 'build-started' ||
      (current.status === 'failed' && current.build === undefined);
    if (!open) return current;
    return transition(
      withTrigger(current, { kind: current.trigger, delivery: work.delivery, at }),
      completedBuildState(status, build, current.model ?? modelOfBuild(build)),
      work.delivery,
      at,
      {
        ...(build.sourceVersion === '' ? {} : { commit: build.sourceVersion }),
        ...(reason === undefined ? {} : { reason }),
      },
    );
  });
}

/** Releases a succeeded build unless a build queued later was sent to release first. */
async function release(
  deps: CompleteBuildDeps,
  flow: Versioned<FlowRecord>,
  build: BuildFacts,
  work: WorkItem,
): Promise<CompleteBuildOutcome> {
  const { flowId } = flow.value;
  const model = flow.value.model ?? modelOfBuild(build);
  const checked = releaseCandidate({
    buildId: build.id,
    buildNumber: build.buildNumber,
    flowId,
    modelName: model?.name ?? flow.value.modelName,
    modelVersion: model?.version ?? '',
    commit: build.sourceVersion,
  });
  if (!checked.ok) {
    const at = deps.clock().toISOString();
    const saved = await updateFlow(deps.ledger, flow, (current) =>
      transition(
        current,
        { status: 'skipped', ...modelOf(current), ...buildOf(current) },
        work.delivery,
        at,
        {
          reason: `not released: ${checked.problem}`,
        },
      ),
    );
    deps.logger.warn('Build not released: unsafe parameters', {
      buildId: build.id,
      problem: checked.problem,
    });
    return { kind: 'recorded', flow: saved.value, reason: checked.problem };
  }
  // The ordering guard: a build queued before the last one sent to release is never released.
  const last = await updatePointers(deps.ledger, (pointers) =>
    sendToRelease(pointers, {
      buildId: build.id,
      queueTime: build.queueTime ?? new Date(0).toISOString(),
      flowId,
      at: deps.clock().toISOString(),
    }),
  );
  if (last.buildId !== build.id) {
    const at = deps.clock().toISOString();
    const saved = await updateFlow(deps.ledger, flow, (current) =>
      current.status !== 'build-succeeded'
        ? current
        : transition(
            current,
            { status: 'superseded', ...modelOf(current), build: current.build },
            work.delivery,
            at,
            {
              reason: `build ${last.buildId} was queued later and sent to release first`,
            },
          ),
    );
    deps.logger.info('Build superseded: not released', { buildId: build.id, newerBuildId: last.buildId });
    return { kind: 'superseded', flow: saved.value, newerBuildId: last.buildId };
  }
  return releaseOnce(deps, checked.candidate, work);
}

/** Starts the release of the build exactly once, whatever the deliveries. */
async function releaseOnce(
  deps: CompleteBuildDeps,
  candidate: ReleaseCandidate,
  work: WorkItem,
): Promise<CompleteBuildOutcome> {
  type Releasable = FlowRecord & { readonly build: NonNullable<FlowRecord['build']> };
  const outcome = await dispatchOnce<Releasable, StartedRelease>(deps, {
    phase: 'release',
    flowId: candidate.flowId,
    work,
    pending: (flow): flow is Releasable =>
      flow.release === undefined &&
      flow.build?.id === candidate.buildId &&
      (flow.status === 'build-succeeded' || flow.status === 'failed'),
    find: (_flow, since, abortSignal) => deps.releaser.find(candidate, since, { abortSignal }),
    create: (_flow, abortSignal) => deps.releaser.start(candidate, { abortSignal }),
    record: (flow, started, adopted, at) =>
      transition(
        flow,
        {
          status: 'releasing',
          ...modelOf(flow),
          build: flow.build,
          release: { mode: deps.releaser.mode, id: started.id, url: started.url },
        },
        work.delivery,
        at,
        adopted ? { reason: 'adopted the release an earlier attempt created' } : {},
      ),
  });
  switch (outcome.kind) {
    case 'started':
    case 'adopted':
      deps.logger.info(outcome.kind === 'adopted' ? 'Release adopted' : 'Release started', {
        flowId: candidate.flowId,
        buildId: candidate.buildId,
        releaseId: outcome.value.id,
        mode: deps.releaser.mode,
      });
      return { kind: outcome.kind === 'adopted' ? 'adopted' : 'released', flow: outcome.flow };
    case 'not-pending':
      return outcome.flow.release === undefined
        ? { kind: 'recorded', flow: outcome.flow, reason: `not releasable in status ${outcome.flow.status}` }
        : { kind: 'already-released', flow: outcome.flow };
    case 'no-such-flow':
      return { kind: 'ignored', reason: 'no-flow', detail: `flow ${candidate.flowId} does not exist` };
    case 'claimed-elsewhere':
      return { kind: 'claimed-elsewhere', flowId: outcome.flowId };
    case 'refused':
      return outcome;
  }
}

/** The flow a build belongs to: by its `flowId` parameter, or a flow of its own for a build started by hand. */
async function flowOfBuild(
  ledger: FlowLedger,
  build: BuildFacts,
  at: string,
): Promise<Versioned<FlowRecord>> {
  const flowId =
    build.flowId !== undefined && isFlowId(build.flowId) ? build.flowId : manualFlowIdOf(build.id);
  const existing = await ledger.getFlow(flowId);
  if (existing !== undefined) return existing;
  const model = modelOfBuild(build);
  const branch = branchOf(build.sourceBranch);
  const { flow } = await ledger.createFlow(
    newFlow({
      flowId,
      modelName: model?.name ?? '',
      commit: build.sourceVersion === '' ? undefined : build.sourceVersion,
      branch: branch !== undefined && isSafeBranchName(branch) ? branch : '',
      trigger: 'manual',
      delivery: { source: 'system', id: `build-${build.id}` },
      at,
      state: {
        status: 'build-started',
        ...(model === undefined ? {} : { model }),
        build: { id: build.id, url: build.url, buildNumber: build.buildNumber },
      },
      reason: 'build found through its completion',
    }),
  );
  return flow;
}

function buildOf(flow: FlowRecord): { readonly build?: NonNullable<FlowRecord['build']> } {
  return flow.build === undefined ? {} : { build: flow.build };
}
