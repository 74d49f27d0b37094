import { BuildQueryOrder, type Build } from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import type { Run, RunPipelineParameters } from 'azure-devops-node-api/interfaces/PipelinesInterfaces.js';
import { ReleaseExpands, type Release } from 'azure-devops-node-api/interfaces/ReleaseInterfaces.js';
import type {
  AzureDevOps,
  BuildResult,
  BuildRunRequest,
  BuildSnapshot,
  BuildStatus,
  ClassicReleaseRequest,
  ReleaseRunRequest,
  ReleaseSearch,
  RunSearch,
  StartedRelease,
  StartedRun,
} from '../ports/azureDevOps.js';
import { InfrastructureError } from '../errors.js';
import { type AzureDevOpsConnection, toAzureDevOpsError } from './azureDevOpsClient.js';

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

export class AzureDevOpsAdapter implements AzureDevOps {
  constructor(
    private readonly connection: AzureDevOpsConnection,
    private readonly project: string,
  ) {}

  async runBuildPipeline(request: BuildRunRequest): Promise<StartedRun> {
    const refName = `refs/heads/${request.branch}`;
    const self = request.commit === undefined ? { refName } : { refName, version: request.commit };
    const run = await this.runPipeline(`run build pipeline ${request.pipelineId}`, request.pipelineId, {
      templateParameters: { ...request.parameters },
      resources: { repositories: { self } },
    });
    const commit = run.resources?.repositories?.self?.version;
    return {
      id: run.id,
      url: webUrlOf(run._links, run.url ?? ''),
      ...(commit === undefined ? {} : { commit }),
    };
  }

  async findRuns(search: RunSearch): Promise<readonly StartedRun[]> {
    try {
      const builds = await this.connection.builds();
      // Builds list without template parameters unless asked for one by one: filter by time
      // and pipeline first, then read each candidate (few: minutes of one pipeline). `minTime`
      // filters on the time `queryOrder` selects: queue time, the only one a queued run has.
      const candidates = await builds.getBuilds(
        this.project,
        [search.pipelineId],
        undefined,
        undefined,
        new Date(search.since),
        undefined, // maxTime
        undefined, // requestedFor
        undefined, // reasonFilter
        undefined, // statusFilter
        undefined, // resultFilter
        undefined, // tagFilters
        undefined, // properties
        undefined, // top
        undefined, // continuationToken
        undefined, // maxBuildsPerDefinition
        undefined, // deletedFilter
        BuildQueryOrder.QueueTimeDescending,
      );
      const matching: StartedRun[] = [];
      for (const candidate of candidates) {
        let build: Build | null = candidate;
        if (candidate.templateParameters === undefined && candidate.id !== undefined) {
          build = await orNull(builds.getBuild(this.project, candidate.id));
        }
        if (build?.id === undefined) continue;
        const value: unknown = build.templateParameters?.[search.parameter.name];
        if (value !== search.parameter.value) continue;
        matching.push({
          id: build.id,
          url: webUrlOf(build._links, build.url ?? ''),
          ...(build.sourceVersion === undefined ? {} : { commit: build.sourceVersion }),
        });
      }
      return matching.sort((a, b) => a.id - b.id);
    } catch (error) {
      throw toAzureDevOpsError(error, `find runs of pipeline ${search.pipelineId}`, false);
    }
  }

  async findClassicReleases(search: ReleaseSearch): Promise<readonly StartedRelease[]> {
    try {
      const releases = await this.connection.releases();
      const found = await releases.getReleases(
        this.project,
        search.definitionId,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        new Date(search.since),
        undefined,
        undefined,
        100,
        undefined,
        ReleaseExpands.Artifacts,
        undefined,
        undefined,
        String(search.buildId),
      );
      // Trust the filter only as far as it is checked: the release must be made from this build.
      const fromThisBuild = (release: Release): boolean =>
        (release.artifacts ?? []).some(
          (artifact) => artifact.definitionReference?.version?.id === String(search.buildId),
        );
      return found
        .filter(fromThisBuild)
        .filter((release): release is typeof release & { id: number } => release.id !== undefined)
        .map((release) => ({ id: release.id, url: webUrlOf(release._links, release.url ?? '') }))
        .sort((a, b) => a.id - b.id);
    } catch (error) {
      throw toAzureDevOpsError(error, `find releases of definition ${search.definitionId}`, false);
    }
  }

  async getBuild(buildId: number): Promise<BuildSnapshot | undefined> {
    let build: Build | null;
    try {
      const builds = await this.connection.builds();
      build = await orNull(builds.getBuild(this.project, buildId));
    } catch (error) {
      const mapped = toAzureDevOpsError(error, `get build ${buildId}`, false);
      if (mapped.code === 'ADO_NOT_FOUND') return undefined;
      throw mapped;
    }
    // The client answers null for 404.
    return build === null ? undefined : toSnapshot(build);
  }

  async runReleasePipeline(request: ReleaseRunRequest): Promise<StartedRelease> {
    const run = await this.runPipeline(`run release pipeline ${request.pipelineId}`, request.pipelineId, {
      templateParameters: { ...request.parameters },
      // The deploy pipeline consumes this build's artifacts through its pipeline resource.
      resources: { pipelines: { [request.buildResourceAlias]: { runId: request.buildId } } },
    });
    return { id: run.id, url: webUrlOf(run._links, run.url ?? '') };
  }

  /** Runs a pipeline; every failure comes out typed, and a POST is marked as possibly carried out. */
  private async runPipeline(
    operation: string,
    pipelineId: number,
    parameters: RunPipelineParameters,
  ): Promise<Run & { readonly id: number }> {
    try {
      const pipelines = await this.connection.pipelines();
      const run = await orNull(pipelines.runPipeline(parameters, this.project, pipelineId));
      if (run === null) throw notFound(operation);
      const id = run.id;
      if (id === undefined) {
        throw new InfrastructureError('ADO_REJECTED', `${operation}: no run id in the answer`, {
          transient: false,
        });
      }
      return { ...run, id };
    } catch (error) {
      throw toAzureDevOpsError(error, operation, true);
    }
  }

  async createClassicRelease(request: ClassicReleaseRequest): Promise<StartedRelease> {
    const operation = `create release of definition ${request.definitionId}`;
    try {
      const releases = await this.connection.releases();
      // No variables: Azure DevOps refuses any the definition does not declare settable at
      // release time. The release reads model, commit and flow from the build's artifact.
      const release = await orNull(
        releases.createRelease(
          {
            definitionId: request.definitionId,
            description: `Build ${request.buildNumber} (flow ${request.parameters.flowId})`,
            artifacts: [
              {
                alias: request.artifactAlias,
                instanceReference: { id: String(request.buildId), name: request.buildNumber },
              },
            ],
          },
          this.project,
        ),
      );
      if (release === null) throw notFound(operation);
      if (release.id === undefined) {
        throw new InfrastructureError('ADO_REJECTED', `${operation}: no release id in the answer`, {
          transient: false,
        });
      }
      return { id: release.id, url: webUrlOf(release._links, release.url ?? '') };
    } catch (error) {
      throw toAzureDevOpsError(error, operation, true);
    }
  }
}

function toSnapshot(build: Build): BuildSnapshot {
  const status = build.status === undefined ? 'unknown' : (BUILD_STATUS[build.status] ?? 'unknown');
  const result = build.result === undefined ? 'none' : (BUILD_RESULT[build.result] ?? 'unknown');
  const templateParameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(build.templateParameters ?? {})) {
    if (typeof value === 'string') templateParameters[name] = value;
  }
  return {
    id: build.id ?? 0,
    buildNumber: build.buildNumber ?? '',
    url: webUrlOf(build._links, build.url ?? ''),
    projectName: build.project?.name ?? '',
    projectId: build.project?.id ?? '',
    definitionId: build.definition?.id ?? 0,
    status,
    result,
    sourceBranch: build.sourceBranch ?? '',
    sourceVersion: build.sourceVersion ?? '',
    ...(build.queueTime === undefined ? {} : { queueTime: isoOf(build.queueTime) }),
    ...(build.finishTime === undefined ? {} : { finishTime: isoOf(build.finishTime) }),
    templateParameters,
  };
}

/** The web link people click, from `_links.web.href` when Azure DevOps gives one. */
function webUrlOf(links: unknown, fallback: string): string {
  if (typeof links !== 'object' || links === null || !('web' in links)) return fallback;
  const web: unknown = links.web;
  if (typeof web !== 'object' || web === null || !('href' in web)) return fallback;
  return typeof web.href === 'string' ? web.href : fallback;
}

function isoOf(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** The pipeline, definition or project does not exist (the client answers a 404 with null). */
function notFound(operation: string): InfrastructureError {
  return new InfrastructureError('ADO_NOT_FOUND', `${operation}: not found in Azure DevOps (404)`, {
    transient: false,
    status: 404,
  });
}

/** The client's typings omit it, but it resolves requests that answer 404 with null. */
async function orNull<T>(pending: Promise<T>): Promise<T | null> {
  return pending;
}
