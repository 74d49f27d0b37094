/** The Azure DevOps project as the operator's setup and checks see it: identity, pipelines, previews. */
import type { RunPipelineParameters } from 'azure-devops-node-api/interfaces/PipelinesInterfaces.js';
import type { ReleaseCandidate } from '../../core/buildCompleted.js';
import { InfrastructureError } from '../../errors.js';
import type {
  AzureDevOpsProject,
  PipelineInfo,
  PreviewOutcome,
  ReleaseDefinitionInfo,
} from '../../ports/azureDevOpsProject.js';
import type { BuildRequest } from '../../ports/buildPipeline.js';
import { buildRunParameters } from './buildPipeline.js';
import { toAzureDevOpsError } from './connection.js';
import { releaseRunParameters } from './pipelineReleaser.js';
import { listRuns, orNull, type PipelineRuns } from './runs.js';

/** Azure DevOps' anonymous identity: what a request without valid credentials may be answered as. */
const ANONYMOUS_ID = 'aa000000-0000-0000-0000-000000000000';
/** A pipeline's URL names its project by id: `{org}/{projectId}/_apis/pipelines/{id}`. */
const PROJECT_ID_IN_URL =
  /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/_apis\/pipelines\//i;

export class AzureDevOpsProjectChecks implements AzureDevOpsProject {
  constructor(
    private readonly target: PipelineRuns,
    private readonly settings: {
      readonly buildPipelineId: number;
      readonly releasePipelineId?: number;
      readonly buildResourceAlias: string;
    },
  ) {}

  async whoAmI(): Promise<{ readonly id: string; readonly displayName: string }> {
    const operation = 'read the connection data';
    let user: { id?: string; providerDisplayName?: string } | undefined;
    try {
      const api = await this.target.connection.api();
      user = (await api.connect()).authenticatedUser;
    } catch (error) {
      throw toAzureDevOpsError(error, operation, false);
    }
    if (user?.id === undefined || user.id === ANONYMOUS_ID)
      throw new InfrastructureError('ADO_AUTH_FAILED', `${operation}: Azure DevOps sees an anonymous user`, {
        transient: false,
        status: 401,
      });
    return { id: user.id, displayName: user.providerDisplayName ?? user.id };
  }

  async pipeline(pipelineId: number): Promise<PipelineInfo | undefined> {
    const operation = `get pipeline ${pipelineId}`;
    try {
      const pipelines = await this.target.connection.pipelines();
      const pipeline = await orNull(pipelines.getPipeline(this.target.project, pipelineId));
      if (pipeline?.id === undefined) return undefined;
      const projectId = PROJECT_ID_IN_URL.exec(pipeline.url ?? '')?.[1];
      return {
        id: pipeline.id,
        name: pipeline.name ?? String(pipeline.id),
        ...(projectId === undefined ? {} : { projectId }),
      };
    } catch (error) {
      const mapped = toAzureDevOpsError(error, operation, false);
      if (mapped.code === 'ADO_NOT_FOUND') return undefined;
      throw mapped;
    }
  }

  async latestRunId(pipelineId: number): Promise<number | undefined> {
    const operation = `list runs of pipeline ${pipelineId}`;
    try {
      const [latest] = await listRuns(this.target, pipelineId, { top: 1 });
      return latest?.id;
    } catch (error) {
      throw toAzureDevOpsError(error, operation, false);
    }
  }

  previewBuild(request: BuildRequest): Promise<PreviewOutcome> {
    return this.preview(this.settings.buildPipelineId, buildRunParameters(request));
  }

  previewRelease(candidate: ReleaseCandidate, withBuildResource: boolean): Promise<PreviewOutcome> {
    const pipelineId = this.settings.releasePipelineId;
    if (pipelineId === undefined)
      return Promise.resolve({
        ok: false,
        problem: 'no deploy pipeline is configured (RELEASE_PIPELINE_ID)',
      });
    const parameters = releaseRunParameters(candidate, this.settings.buildResourceAlias);
    // Without a run of the build pipeline to name, the resource is left out (it cannot be checked).
    const { resources: _resources, ...withoutResource } = parameters;
    return this.preview(pipelineId, withBuildResource ? parameters : withoutResource);
  }

  async releaseDefinition(definitionId: number): Promise<ReleaseDefinitionInfo | undefined> {
    const operation = `get release definition ${definitionId}`;
    try {
      const releases = await this.target.connection.releases();
      const definition = await orNull(releases.getReleaseDefinition(this.target.project, definitionId));
      if (definition?.id === undefined) return undefined;
      return {
        id: definition.id,
        name: definition.name ?? String(definition.id),
        artifactAliases: (definition.artifacts ?? []).flatMap((artifact) =>
          artifact.alias === undefined ? [] : [artifact.alias],
        ),
      };
    } catch (error) {
      const mapped = toAzureDevOpsError(error, operation, false);
      if (mapped.code === 'ADO_NOT_FOUND') return undefined;
      throw mapped;
    }
  }

  /** A preview run: Azure DevOps checks everything a run would need and creates nothing. */
  private async preview(pipelineId: number, parameters: RunPipelineParameters): Promise<PreviewOutcome> {
    const operation = `preview a run of pipeline ${pipelineId}`;
    try {
      const pipelines = await this.target.connection.pipelines();
      const run = await orNull(
        pipelines.runPipeline({ ...parameters, previewRun: true }, this.target.project, pipelineId),
      );
      return run === null ? { ok: false, problem: `pipeline ${pipelineId} does not exist` } : { ok: true };
    } catch (error) {
      // The service's own words say what it refused (an undeclared parameter, a value not allowed…).
      if (statusOf(error) === 400 && error instanceof Error) return { ok: false, problem: error.message };
      throw toAzureDevOpsError(error, operation, false);
    }
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status: unknown = Reflect.get(error, 'statusCode');
  return typeof status === 'number' ? status : undefined;
}
