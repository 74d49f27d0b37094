import { branchFlowIdOf } from '../core/flowId.js';
import { aliasBranchBuild } from '../core/pointers.js';
import { isBuildable, transition, type BuildableFlow } from '../core/flow.js';
import type { BuildPipeline, StartedBuild } from '../ports/buildPipeline.js';
import { dispatchOnce, type DispatchDeps, type DispatchOutcome, type WorkItem } from './dispatchOnce.js';
import { updatePointers } from './ledgerWrites.js';

export interface StartBuildDeps extends DispatchDeps {
  readonly builds: BuildPipeline;
}

/** Starts the flow's build exactly once; for the queue worker. Throws only when the queue should retry. */
export async function startBuild(
  deps: StartBuildDeps,
  flowId: string,
  work: WorkItem,
): Promise<DispatchOutcome<StartedBuild>> {
  const outcome = await dispatchOnce<BuildableFlow, StartedBuild>(deps, {
    phase: 'build',
    flowId,
    work,
    pending: isBuildable,
    find: (_flow, since, abortSignal) => deps.builds.find(flowId, since, { abortSignal }),
    create: (flow, abortSignal) =>
      deps.builds.start(
        {
          flowId,
          model: flow.model,
          branch: flow.branch,
          ...(flow.commit === undefined ? {} : { commit: flow.commit }),
          trigger: flow.trigger,
        },
        { abortSignal },
      ),
    record: (flow, run, adopted, at) =>
      transition(
        flow,
        { status: 'build-started', model: flow.model, build: { id: run.id, url: run.url, queuedAt: at } },
        work.delivery,
        at,
        {
          ...(run.commit === undefined ? {} : { commit: run.commit }),
          ...(adopted ? { reason: 'adopted the run an earlier attempt created' } : {}),
        },
      ),
  });
  if (outcome.kind === 'started' || outcome.kind === 'adopted') {
    const { flow, value: run } = outcome;
    deps.logger.info(outcome.kind === 'adopted' ? 'Build adopted' : 'Build started', {
      flowId,
      runId: run.id,
      commit: flow.commit ?? null,
      model: flow.model === undefined ? null : `${flow.model.name}@${flow.model.version}`,
    });
    // Built on a branch ref: a later push of the commit Azure DevOps chose, with this model, is this flow.
    const model = flow.model;
    const commit = run.commit;
    if (
      model !== undefined &&
      commit !== undefined &&
      flowId === branchFlowIdOf(model.name, model.version, flow.branch)
    )
      await updatePointers(deps.ledger, (pointers) => aliasBranchBuild(pointers, { flowId, model, commit }));
  }
  return outcome;
}
