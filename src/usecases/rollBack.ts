/**
 * The operator's `rollback [--to <flowId>]`: the build of the previously released flow (or of the
 * named one) released again — a new release of a build that exists and succeeded, no rebuild —
 * recorded on that flow as an operator action, and the "last release" pointer moved to it
 * explicitly. Events keep their rules: the ordering guard keeps its mark (`pointToRelease`).
 */
import type { ReleaseSettings } from '../core/buildCompleted.js';
import type { FlowRecord } from '../core/flow.js';
import { isFlowId } from '../core/flowId.js';
import {
  claimForOperator,
  decideRerelease,
  isSafeOperatorName,
  operatorDelivery,
  pointToRelease,
  previousReleasedFlow,
  releaseOperatorClaim,
  rereleasedFlow,
} from '../core/operator.js';
import { InfrastructureError } from '../errors.js';
import type { BuildPipeline } from '../ports/buildPipeline.js';
import type { StartedRelease, Releaser } from '../ports/releaser.js';
import type { DispatchDeps } from './dispatchOnce.js';
import { retryOnConflict, updateFlow, updatePointers } from './ledgerWrites.js';
import { createOnce, withRetries } from './retry.js';

export interface RollbackDeps extends Omit<DispatchDeps, 'claimMs'> {
  readonly builds: BuildPipeline;
  readonly releaser: Releaser;
  readonly settings: ReleaseSettings;
  /** How long the operator holds the flow while the release is started. */
  readonly claimMs?: number;
}

export type RollbackOutcome =
  | { readonly kind: 'refused'; readonly reason: string }
  | {
      readonly kind: 'released';
      readonly flow: FlowRecord;
      readonly release: StartedRelease & { readonly mode: 'pipeline' | 'classic' };
      /** The flow that was current before, if any. */
      readonly from?: FlowRecord;
      /** Its release before this one. */
      readonly previousReleaseId?: number;
    };

/** How many of the newest flows are looked through for the previously released one. */
export const DEFAULT_SCAN = 500;

export async function rollBack(
  deps: RollbackDeps,
  request: { readonly to?: string; readonly by: string; readonly scan?: number },
): Promise<RollbackOutcome> {
  const { by } = request;
  if (!isSafeOperatorName(by))
    return { kind: 'refused', reason: `"${by}" is not a valid operator name (--by)` };
  if (request.to !== undefined && !isFlowId(request.to))
    return { kind: 'refused', reason: `"${request.to}" is not a flow id (20 lower-case hex characters)` };
  const currentFlowId = (await deps.ledger.readPointers())?.value.lastRelease?.flowId;
  const current = currentFlowId === undefined ? undefined : (await deps.ledger.getFlow(currentFlowId))?.value;
  const target =
    request.to ?? (await findPrevious(deps, currentFlowId, request.scan ?? DEFAULT_SCAN))?.flowId;
  if (target === undefined)
    return {
      kind: 'refused',
      reason: `no released flow other than the current one among the newest ${request.scan ?? DEFAULT_SCAN}: name one with --to <flowId>`,
    };
  const stored = await deps.ledger.getFlow(target);
  if (stored === undefined) return { kind: 'refused', reason: `no flow ${target}` };
  const buildId = stored.value.build?.id;
  const build =
    buildId === undefined
      ? undefined
      : await withRetries(
          `get build ${buildId}`,
          ({ abortSignal }) => deps.builds.get(buildId, { abortSignal }),
          deps,
        );
  const decision = decideRerelease(stored.value, build, deps.settings, deps.clock().getTime());
  if (decision.kind === 'refuse') return { kind: 'refused', reason: decision.reason };
  const { candidate } = decision;

  const startedAt = deps.clock();
  const delivery = operatorDelivery('rollback', by, startedAt.toISOString());
  // Held while the release is started: a second operator is refused instead of releasing twice.
  const claimed = await retryOnConflict(`flow ${target}`, async () => {
    const fresh = await deps.ledger.getFlow(target);
    if (fresh === undefined)
      throw new InfrastructureError('LEDGER_CONFLICT', `Flow ${target} vanished`, { transient: true });
    const again = decideRerelease(fresh.value, build, deps.settings, deps.clock().getTime());
    if (again.kind === 'refuse') return again;
    const value = claimForOperator(fresh.value, {
      by: delivery.id,
      at: startedAt.toISOString(),
      until: new Date(startedAt.getTime() + (deps.claimMs ?? 2 * 60_000)).toISOString(),
    });
    const saved = await deps.ledger.replaceFlow(value, fresh.etag);
    return saved === 'conflict' ? 'conflict' : saved;
  });
  if ('kind' in claimed) return { kind: 'refused', reason: claimed.reason };

  const previousReleaseId = claimed.value.release?.id;
  // Only a release newer than the flow's last one, created since this started, is this one.
  const since = new Date(startedAt.getTime() - 60_000).toISOString();
  let release: StartedRelease;
  try {
    ({ value: release } = await createOnce({
      what: `release of build ${candidate.buildId} (rollback)`,
      previouslyDispatched: false,
      findExisting: async (abortSignal) => {
        const found = await deps.releaser.find(candidate, since, { abortSignal });
        return found !== undefined && (previousReleaseId === undefined || found.id > previousReleaseId)
          ? found
          : undefined;
      },
      create: (abortSignal) => deps.releaser.start(candidate, { abortSignal }),
      retry: deps.retry,
      logger: deps.logger,
    }));
  } catch (error) {
    await updateFlow(deps.ledger, claimed, (flow) => releaseOperatorClaim(flow, delivery.id)).catch(
      () => undefined,
    );
    throw error;
  }
  const at = deps.clock().toISOString();
  const reason = [
    `released again by ${by} (rollback`,
    current === undefined || current.flowId === target ? '' : ` from flow ${current.flowId}`,
    previousReleaseId === undefined ? '' : `; release #${previousReleaseId} before`,
    ')',
  ].join('');
  const saved = await updateFlow(deps.ledger, claimed, (flow) =>
    rereleasedFlow(
      flow,
      { mode: deps.releaser.mode, id: release.id, url: release.url },
      delivery,
      at,
      reason,
    ),
  );
  await updatePointers(deps.ledger, (pointers) =>
    pointToRelease(pointers, {
      buildId: candidate.buildId,
      queueTime: build?.queueTime ?? stored.value.build?.queuedAt ?? new Date(0).toISOString(),
      flowId: target,
      at,
    }),
  );
  deps.logger.info('Rolled back', { flowId: target, buildId: candidate.buildId, releaseId: release.id, by });
  return {
    kind: 'released',
    flow: saved.value,
    release: { ...release, mode: deps.releaser.mode },
    ...(current === undefined ? {} : { from: current }),
    ...(previousReleaseId === undefined ? {} : { previousReleaseId }),
  };
}

/** The previously released flow among the newest `scan` flows. */
async function findPrevious(
  deps: RollbackDeps,
  currentFlowId: string | undefined,
  scan: number,
): Promise<FlowRecord | undefined> {
  const flows: FlowRecord[] = [];
  let token: string | undefined;
  do {
    const page = await deps.ledger.listFlows({
      limit: Math.min(100, scan - flows.length),
      ...(token === undefined ? {} : { continuationToken: token }),
    });
    flows.push(...page.flows);
    token = page.continuationToken;
  } while (token !== undefined && flows.length < scan);
  return previousReleasedFlow(flows, currentFlowId);
}
