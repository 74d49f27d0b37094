import type { RunPipelineParameters } from 'azure-devops-node-api/interfaces/PipelinesInterfaces.js';
import { deployRunState, type ReleaseCandidate } from '../../core/buildCompleted.js';
import type { ReleaseParameters } from '../../core/pipelineParameters.js';
import type { CallOptions } from '../../ports/buildPipeline.js';
import type { ReleaseFacts, Releaser, StartedRelease } from '../../ports/releaser.js';
import { buildFactsOf, findRuns, getRun, runPipeline, webUrlOf, type PipelineRuns } from './runs.js';

/**
 * What the app sends to run the deploy pipeline for `candidate` (the operator's checks preview
 * exactly this): the template parameters of `ReleaseParameters`, and the build as the pipeline
 * resource `buildResourceAlias`.
 */
export function releaseRunParameters(
  candidate: ReleaseCandidate,
  buildResourceAlias: string,
): RunPipelineParameters {
  const parameters: ReleaseParameters = {
    buildId: String(candidate.buildId),
    imageTag: String(candidate.buildId),
    modelName: candidate.modelName,
    modelVersion: candidate.modelVersion,
    commit: candidate.commit,
    flowId: candidate.flowId,
  };
  return {
    templateParameters: { ...parameters },
    // The deploy pipeline consumes this build's artifacts through its pipeline resource.
    resources: { pipelines: { [buildResourceAlias]: { runId: candidate.buildId } } },
  };
}

/** Releases through the YAML deploy pipeline (infra/pipelines/deploy.yml): one run per release. */
export class PipelineReleaser implements Releaser {
  readonly mode = 'pipeline';

  constructor(
    private readonly runs: PipelineRuns,
    private readonly pipelineId: number,
    /** The alias of the build pipeline resource in the deploy pipeline. */
    private readonly buildResourceAlias: string,
  ) {}

  async start(candidate: ReleaseCandidate, options?: CallOptions): Promise<StartedRelease> {
    const run = await runPipeline(
      this.runs,
      this.pipelineId,
      releaseRunParameters(candidate, this.buildResourceAlias),
      options,
    );
    return { id: run.id, url: webUrlOf(run._links, run.url ?? '') };
  }

  async find(
    candidate: ReleaseCandidate,
    since: string,
    options?: CallOptions,
  ): Promise<StartedRelease | undefined> {
    const runs = await findRuns(
      this.runs,
      this.pipelineId,
      since,
      { name: 'buildId', value: String(candidate.buildId) },
      options,
    );
    const run = runs[0];
    return run?.id === undefined ? undefined : { id: run.id, url: webUrlOf(run._links, run.url ?? '') };
  }

  async get(releaseId: number, options?: CallOptions): Promise<ReleaseFacts | undefined> {
    const run = await getRun(this.runs, releaseId, options);
    if (run === undefined) return undefined;
    const facts = buildFactsOf(run);
    const buildId = Number(run.templateParameters?.buildId);
    return {
      id: facts.id,
      url: facts.url,
      state: facts.status === 'completed' ? deployRunState(facts.result) : 'in-progress',
      ...(Number.isSafeInteger(buildId) && buildId > 0 ? { buildId } : {}),
    };
  }
}
