import type { RunPipelineParameters } from 'azure-devops-node-api/interfaces/PipelinesInterfaces.js';
import type { BuildFacts } from '../../core/buildCompleted.js';
import type { BuildRequest, BuildPipeline, CallOptions, StartedBuild } from '../../ports/buildPipeline.js';
import type { BuildParameters } from '../../core/pipelineParameters.js';
import { buildFactsOf, findRuns, getRun, runPipeline, webUrlOf, type PipelineRuns } from './runs.js';

/**
 * What the app sends to run the build pipeline for `request` (the operator's checks preview
 * exactly this): the template parameters of `BuildParameters`, and the commit pinned.
 */
export function buildRunParameters(request: BuildRequest): RunPipelineParameters {
  const refName = `refs/heads/${request.branch}`;
  const parameters: BuildParameters = {
    commit: request.commit ?? '',
    branch: request.branch,
    modelName: request.model.name,
    modelVersion: request.model.version,
    modelUri: request.model.uri,
    modelSha256: request.model.sha256,
    flowId: request.flowId,
    trigger: request.trigger,
  };
  return {
    templateParameters: { ...parameters },
    // Pins the commit (or, without one, the branch whose head Azure DevOps then reports).
    resources: {
      repositories: {
        self: request.commit === undefined ? { refName } : { refName, version: request.commit },
      },
    },
  };
}

/** The AI app's build pipeline (infra/pipelines/build.yml), started through Run Pipeline. */
export class AzureDevOpsBuildPipeline implements BuildPipeline {
  constructor(
    private readonly runs: PipelineRuns,
    private readonly pipelineId: number,
  ) {}

  async start(request: BuildRequest, options?: CallOptions): Promise<StartedBuild> {
    const run = await runPipeline(this.runs, this.pipelineId, buildRunParameters(request), options);
    const commit = run.resources?.repositories?.self?.version;
    return {
      id: run.id,
      url: webUrlOf(run._links, run.url ?? ''),
      ...(commit === undefined ? {} : { commit }),
    };
  }

  async find(flowId: string, since: string, options?: CallOptions): Promise<StartedBuild | undefined> {
    const runs = await findRuns(
      this.runs,
      this.pipelineId,
      since,
      { name: 'flowId', value: flowId },
      options,
    );
    const run = runs[0];
    if (run?.id === undefined) return undefined;
    return {
      id: run.id,
      url: webUrlOf(run._links, run.url ?? ''),
      ...(run.sourceVersion === undefined ? {} : { commit: run.sourceVersion }),
    };
  }

  async get(buildId: number, options?: CallOptions): Promise<BuildFacts | undefined> {
    const build = await getRun(this.runs, buildId, options);
    return build === undefined ? undefined : buildFactsOf(build);
  }
}
