import { createHash } from 'node:crypto';

/**
 * A flow is one model version joined with one commit. Its id is a short stable hash of
 * that pair, so every route to the same pair (push, upload, redelivery) lands on the
 * same record and gets at most one build.
 */
export function flowIdOf(modelName: string, modelVersion: string, commit: string): string {
  return shortHash(['flow', modelName, modelVersion, commit.toLowerCase()]);
}

/** The flow of a model built on a branch whose head commit is not known yet (Azure DevOps picks it). */
export function branchFlowIdOf(modelName: string, modelVersion: string, branch: string): string {
  return flowIdOf(modelName, modelVersion, `refs/heads/${branch}`);
}

/** A push seen before any model was promoted waits under this id until one is. */
export function waitingFlowIdOf(modelName: string, commit: string): string {
  return shortHash(['waiting', modelName, commit.toLowerCase()]);
}

/** A build started by hand (no flowId parameter) gets a flow of its own. */
export function manualFlowIdOf(buildId: number): string {
  return shortHash(['manual-build', String(buildId)]);
}

const FLOW_ID = /^[0-9a-f]{20}$/;

export function isFlowId(value: string): boolean {
  return FLOW_ID.test(value);
}

function shortHash(parts: readonly string[]): string {
  // NUL cannot appear in any part (all are validated names or hex), so the join is unambiguous.
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 20);
}
