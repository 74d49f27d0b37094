import type { FlowMessage } from '../core/flowMessage.js';
import { completeBuild, type CompleteBuildDeps } from './completeBuild.js';
import { completeRelease } from './completeRelease.js';
import type { WorkItem } from './dispatchOnce.js';
import { startBuild } from './startBuild.js';

/** What the worker did with a message, for its log line. */
export interface WorkOutcome {
  readonly kind: string;
  readonly flowId?: string;
}

/**
 * The flow worker's one entry: does the Azure DevOps work a message names. Throws only what
 * the queue should retry (see `isRetryable`); everything else is an outcome.
 */
export async function processMessage(
  deps: CompleteBuildDeps,
  message: FlowMessage,
  work: WorkItem,
): Promise<WorkOutcome> {
  switch (message.kind) {
    case 'build':
      return summary(await startBuild(deps, message.flowId, work));
    case 'build-completed':
      return summary(await completeBuild(deps, message.buildId, work));
    case 'release-completed':
      return summary(await completeRelease(deps, message.releaseId, work));
  }
}

function summary(outcome: {
  readonly kind: string;
  readonly flow?: { readonly flowId: string };
  readonly flowId?: string;
}): WorkOutcome {
  const flowId = outcome.flow?.flowId ?? outcome.flowId;
  return { kind: outcome.kind, ...(flowId === undefined ? {} : { flowId }) };
}
