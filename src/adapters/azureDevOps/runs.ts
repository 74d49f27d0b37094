/** What the build pipeline and the deploy pipeline adapters share: running a pipeline, finding and reading runs. */
import { BuildQueryOrder, type Build } from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import type { Run, RunPipelineParameters } from 'azure-devops-node-api/interfaces/PipelinesInterfaces.js';
import type { BuildFacts, BuildResult, BuildStatus } from '../../core/buildCompleted.js';
import { InfrastructureError, throwIfAborted } from '../../errors.js';
import type { CallOptions } from '../../ports/buildPipeline.js';
import { toAzureDevOpsError, type AzureDevOpsConnection } from './connection.js';

// The client deserializes enums to numbers; these are Azure DevOps' documented values.
const BUILD_STATUS: Readonly<Record<number, BuildStatus>> = {
  1: 'inProgress',
  2: 'completed',
  4: 'cancelling',
  8: 'postponed',
  32: 'notStarted',
};
const BUILD_RESULT: Readonly<Record<number, BuildResult>> = {
  0: 'none',
  2: 'succeeded',
  4: 'partiallySucceeded',
  8: 'failed',
  32: 'canceled',
};

export interface PipelineRuns {
  readonly connection: AzureDevOpsConnection;
  readonly project: string;
}

/** Runs a pipeline; every failure comes out typed, and a failed POST is marked as possibly carried out. */
export async function runPipeline(
  target: PipelineRuns,
  pipelineId: number,
  parameters: RunPipelineParameters,
  options: CallOptions = {},
): Promise<Run & { readonly id: number }> {
  const operation = `run pipeline ${pipelineId}`;
  throwIfAborted(options.abortSignal, operation);
  try {
    const pipelines = await target.connection.pipelines();
    const run = await orNull(pipelines.runPipeline(parameters, target.project, pipelineId));
    if (run === null) throw notFound(operation);
    if (run.id === undefined)
      throw new InfrastructureError('ADO_REJECTED', `${operation}: no run id in the answer`, {
        transient: false,
      });
    return { ...run, id: run.id };
  } catch (error) {
    throw toAzureDevOpsError(error, operation, true);
  }
}

/**
 * Runs of a pipeline queued at or after `since` whose template parameter `name` is `value`,
 * oldest first. Builds List filters `minTime` on the time `queryOrder` selects: queue time,
 * the only one a still-queued run has. It lists without template parameters, so each
 * candidate (few: minutes of one pipeline) is read on its own.
 */
export async function findRuns(
  target: PipelineRuns,
  pipelineId: number,
  since: string,
  parameter: { readonly name: string; readonly value: string },
  options: CallOptions = {},
): Promise<readonly Build[]> {
  const operation = `find runs of pipeline ${pipelineId}`;
  throwIfAborted(options.abortSignal, operation);
  try {
    const builds = await target.connection.builds();
    const candidates = await listRuns(target, pipelineId, { since });
    const matching: Build[] = [];
    for (const candidate of candidates) {
      throwIfAborted(options.abortSignal, operation);
      const build =
        candidate.templateParameters === undefined && candidate.id !== undefined
          ? await orNull(builds.getBuild(target.project, candidate.id))
          : candidate;
      const value: unknown = build?.templateParameters?.[parameter.name];
      if (build?.id !== undefined && value === parameter.value) matching.push(build);
    }
    return matching.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  } catch (error) {
    throw toAzureDevOpsError(error, operation, false);
  }
}

/**
 * Runs of a pipeline, newest queued first (`queryOrder` always sent: `minTime` filters on the time
 * it selects, and a still-queued run has only a queue time).
 */
export async function listRuns(
  target: PipelineRuns,
  pipelineId: number,
  options: { readonly since?: string; readonly top?: number } = {},
): Promise<readonly Build[]> {
  const builds = await target.connection.builds();
  return builds.getBuilds(
    target.project,
    [pipelineId],
    undefined, // queues
    undefined, // buildNumber
    options.since === undefined ? undefined : new Date(options.since),
    undefined, // maxTime
    undefined, // requestedFor
    undefined, // reasonFilter
    undefined, // statusFilter
    undefined, // resultFilter
    undefined, // tagFilters
    undefined, // properties
    options.top,
    undefined, // continuationToken
    undefined, // maxBuildsPerDefinition
    undefined, // deletedFilter
    BuildQueryOrder.QueueTimeDescending,
  );
}

/** A build or run as Azure DevOps reports it now; `undefined` when it does not exist. */
export async function getRun(
  target: PipelineRuns,
  buildId: number,
  options: CallOptions = {},
): Promise<Build | undefined> {
  const operation = `get build ${buildId}`;
  throwIfAborted(options.abortSignal, operation);
  let build: Build | null;
  try {
    const builds = await target.connection.builds();
    build = await orNull(builds.getBuild(target.project, buildId));
  } catch (error) {
    const mapped = toAzureDevOpsError(error, operation, false);
    if (mapped.code === 'ADO_NOT_FOUND') return undefined;
    throw mapped;
  }
  // The client answers null for 404.
  return build ?? undefined;
}

/** A build in the app's terms, with the app's own parameters read back from it. */
export function buildFactsOf(build: Build): BuildFacts {
  const parameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(build.templateParameters ?? {}))
    if (typeof value === 'string') parameters[name] = value;
  const { flowId, modelName, modelVersion, modelUri, modelSha256 } = parameters;
  const model = {
    ...(modelName === undefined ? {} : { name: modelName }),
    ...(modelVersion === undefined ? {} : { version: modelVersion }),
    ...(modelUri === undefined ? {} : { uri: modelUri }),
    ...(modelSha256 === undefined ? {} : { sha256: modelSha256 }),
  };
  return {
    id: build.id ?? 0,
    buildNumber: build.buildNumber ?? '',
    url: webUrlOf(build._links, build.url ?? ''),
    projectName: build.project?.name ?? '',
    projectId: build.project?.id ?? '',
    pipelineId: build.definition?.id ?? 0,
    status: build.status === undefined ? 'unknown' : (BUILD_STATUS[build.status] ?? 'unknown'),
    result: build.result === undefined ? 'none' : (BUILD_RESULT[build.result] ?? 'unknown'),
    sourceBranch: build.sourceBranch ?? '',
    sourceVersion: build.sourceVersion ?? '',
    ...(build.queueTime === undefined ? {} : { queueTime: isoOf(build.queueTime) }),
    ...(flowId === undefined ? {} : { flowId }),
    ...(Object.keys(model).length === 0 ? {} : { model }),
  };
}

/** The web link people click, from `_links.web.href` when Azure DevOps gives one. */
export function webUrlOf(links: unknown, fallback: string): string {
  if (typeof links !== 'object' || links === null || !('web' in links)) return fallback;
  const web: unknown = links.web;
  if (typeof web !== 'object' || web === null || !('href' in web)) return fallback;
  return typeof web.href === 'string' ? web.href : fallback;
}

function isoOf(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** The pipeline, definition or project does not exist (the client answers a 404 with null). */
export function notFound(operation: string): InfrastructureError {
  return new InfrastructureError('ADO_NOT_FOUND', `${operation}: not found in Azure DevOps (404)`, {
    transient: false,
    status: 404,
  });
}

/** The client's typings omit it, but it resolves requests that answer 404 with null. */
export async function orNull<T>(pending: Promise<T>): Promise<T | null> {
  return pending;
}
