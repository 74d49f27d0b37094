import type { Build } from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import type {
  AzureDevOps,
  BuildResult,
  BuildRunRequest,
  BuildSnapshot,
  BuildStatus,
  ClassicReleaseRequest,
  ReleaseRunRequest,
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
    const operation = `run build pipeline ${request.pipelineId}`;
    const self =
      request.commit === undefined
        ? { refName: `refs/heads/${request.branch}` }
        : { refName: `refs/heads/${request.branch}`, version: request.commit };
    try {
      const pipelines = await (await this.connection.api()).getPipelinesApi();
      const run = await pipelines.runPipeline(
        { templateParameters: { ...request.parameters }, resources: { repositories: { self } } },
        this.project,
        request.pipelineId,
      );
      const id = run.id;
      if (id === undefined)
        throw new InfrastructureError('ADO_REJECTED', `${operation}: no run id in the answer`, {
          transient: false,
        });
      const commit = run.resources?.repositories?.self?.version;
      return { id, url: webUrlOf(run._links, run.url ?? ''), ...(commit === undefined ? {} : { commit }) };
    } catch (error) {
      throw toAzureDevOpsError(error, operation, true);
    }
  }

  async getBuild(buildId: number): Promise<BuildSnapshot | undefined> {
    let build: Build | null;
    try {
      const builds = await (await this.connection.api()).getBuildApi();
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
    const operation = `run release pipeline ${request.pipelineId}`;
    try {
      const pipelines = await (await this.connection.api()).getPipelinesApi();
      const run = await pipelines.runPipeline(
        {
          templateParameters: { ...request.parameters },
          resources: { pipelines: { [request.buildResourceAlias]: { runId: request.buildId } } },
        },
        this.project,
        request.pipelineId,
      );
      if (run.id === undefined) {
        throw new InfrastructureError('ADO_REJECTED', `${operation}: no run id in the answer`, {
          transient: false,
        });
      }
      return { id: run.id, url: webUrlOf(run._links, run.url ?? '') };
    } catch (error) {
      throw toAzureDevOpsError(error, operation, true);
    }
  }

  async createClassicRelease(request: ClassicReleaseRequest): Promise<StartedRelease> {
    const operation = `create release of definition ${request.definitionId}`;
    try {
      const releases = await (await this.connection.api()).getReleaseApi();
      const variables = Object.fromEntries(
        Object.entries(request.parameters).map(([name, value]) => [name, { value }]),
      );
      const release = await releases.createRelease(
        {
          definitionId: request.definitionId,
          description: `Build ${request.buildNumber} (flow ${request.parameters.flowId})`,
          artifacts: [
            {
              alias: request.artifactAlias,
              instanceReference: { id: String(request.buildId), name: request.buildNumber },
            },
          ],
          variables,
        },
        this.project,
      );
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

/** The client's typings omit it, but it resolves GETs that answer 404 with null. */
async function orNull<T>(pending: Promise<T>): Promise<T | null> {
  return pending;
}
