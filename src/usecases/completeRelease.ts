import { releaseOutcome } from '../core/buildCompleted.js';
import { failedState, modelOf, transition, type FlowRecord } from '../core/flow.js';
import { isFlowId } from '../core/flowId.js';
import type { BuildPipeline } from '../ports/buildPipeline.js';
import type { ReleaseFacts, Releaser } from '../ports/releaser.js';
import type { DispatchDeps, WorkItem } from './dispatchOnce.js';
import { updateFlow } from './ledgerWrites.js';
import { withRetries } from './retry.js';

export type CompleteReleaseOutcome =
  | {
      readonly kind: 'ignored';
      readonly reason: 'release-not-found' | 'unknown-release';
      readonly detail: string;
    }
  | { readonly kind: 'release-pending' | 'release-recorded'; readonly flow: FlowRecord };

export interface CompleteReleaseDeps extends DispatchDeps {
  readonly builds: BuildPipeline;
  readonly releaser: Releaser;
}

/** Azure DevOps said a classic release's deployment completed: re-read the release, record it on its flow. */
export async function completeRelease(
  deps: CompleteReleaseDeps,
  releaseId: number,
  work: WorkItem,
): Promise<CompleteReleaseOutcome> {
  const facts = await withRetries(
    `get release ${releaseId}`,
    ({ abortSignal }) => deps.releaser.get(releaseId, { abortSignal }),
    deps,
  );
  if (facts === undefined)
    return { kind: 'ignored', reason: 'release-not-found', detail: `release ${releaseId} does not exist` };
  return recordReleaseState(deps, facts, undefined, work);
}

/**
 * A release (a deploy run, or a classic release) as Azure DevOps reports it: its flow becomes
 * `released`, or `failed` (replayable) when the deployment did not happen. Only a release the
 * app started for that flow counts; a deployment re-run after a failure may still succeed.
 */
export async function recordReleaseState(
  deps: CompleteReleaseDeps,
  release: ReleaseFacts,
  flowIdHint: string | undefined,
  work: WorkItem,
): Promise<CompleteReleaseOutcome> {
  const flowId = flowIdHint ?? (await flowIdOfBuild(deps, release.buildId));
  const flow = flowId !== undefined && isFlowId(flowId) ? await deps.ledger.getFlow(flowId) : undefined;
  if (
    flow === undefined ||
    flow.value.release?.id !== release.id ||
    flow.value.release.mode !== deps.releaser.mode
  ) {
    return {
      kind: 'ignored',
      reason: 'unknown-release',
      detail: `release ${release.id} is not one this app started`,
    };
  }
  const outcome = releaseOutcome(release.state);
  if (outcome.kind === 'pending') return { kind: 'release-pending', flow: flow.value };
  const at = deps.clock().toISOString();
  const open = (current: FlowRecord): boolean =>
    current.status === 'releasing' || current.status === 'failed';
  const saved = await updateFlow(deps.ledger, flow, (current) => {
    if (!open(current) || current.release?.id !== release.id || current.build === undefined) return current;
    if (outcome.kind === 'released') {
      const state = {
        status: 'released',
        ...modelOf(current),
        build: current.build,
        release: current.release,
      } as const;
      return transition(current, state, work.delivery, at, { reason: outcome.reason });
    }
    return transition(current, failedState(current), work.delivery, at, {
      reason: outcome.reason,
      lastError: { code: outcome.code, message: `release ${release.id}: ${outcome.reason}`, at },
    });
  });
  deps.logger.info('Release completed', {
    flowId: saved.value.flowId,
    releaseId: release.id,
    state: release.state,
  });
  return { kind: 'release-recorded', flow: saved.value };
}

async function flowIdOfBuild(
  deps: CompleteReleaseDeps,
  buildId: number | undefined,
): Promise<string | undefined> {
  if (buildId === undefined) return undefined;
  const build = await withRetries(
    `get build ${buildId}`,
    ({ abortSignal }) => deps.builds.get(buildId, { abortSignal }),
    deps,
  );
  return build?.flowId;
}
