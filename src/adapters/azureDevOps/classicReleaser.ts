import {
  EnvironmentStatus,
  ReleaseExpands,
  type Release,
} from 'azure-devops-node-api/interfaces/ReleaseInterfaces.js';
import type { ReleaseCandidate, ReleaseState } from '../../core/buildCompleted.js';
import { InfrastructureError, throwIfAborted } from '../../errors.js';
import type { CallOptions } from '../../ports/buildPipeline.js';
import type { ReleaseFacts, Releaser, StartedRelease } from '../../ports/releaser.js';
import { toAzureDevOpsError } from './connection.js';
import { notFound, orNull, webUrlOf, type PipelineRuns } from './runs.js';

/**
 * Releases through a classic release definition. The release carries the build as its only
 * input (artifact `artifactAlias`): Azure DevOps refuses variables a definition does not
 * declare settable at release time, and the release reads model, commit and flow from the
 * build's own artifact (`build-info.json`, see docs/deploy.md).
 */
export class ClassicReleaser implements Releaser {
  readonly mode = 'classic';

  constructor(
    private readonly target: PipelineRuns,
    private readonly definitionId: number,
    private readonly artifactAlias: string,
  ) {}

  async start(candidate: ReleaseCandidate, options: CallOptions = {}): Promise<StartedRelease> {
    const operation = `create release of definition ${this.definitionId}`;
    throwIfAborted(options.abortSignal, operation);
    try {
      const releases = await this.target.connection.releases();
      const release = await orNull(
        releases.createRelease(
          {
            definitionId: this.definitionId,
            description: `Build ${candidate.buildNumber} (flow ${candidate.flowId})`,
            artifacts: [
              {
                alias: this.artifactAlias,
                instanceReference: { id: String(candidate.buildId), name: candidate.buildNumber },
              },
            ],
          },
          this.target.project,
        ),
      );
      if (release === null) throw notFound(operation);
      if (release.id === undefined)
        throw new InfrastructureError('ADO_REJECTED', `${operation}: no release id in the answer`, {
          transient: false,
        });
      return { id: release.id, url: webUrlOf(release._links, release.url ?? '') };
    } catch (error) {
      throw toAzureDevOpsError(error, operation, true);
    }
  }

  async find(
    candidate: ReleaseCandidate,
    since: string,
    options: CallOptions = {},
  ): Promise<StartedRelease | undefined> {
    const operation = `find releases of definition ${this.definitionId}`;
    throwIfAborted(options.abortSignal, operation);
    try {
      const releases = await this.target.connection.releases();
      const found = await releases.getReleases(
        this.target.project,
        this.definitionId,
        undefined, // definitionEnvironmentId
        undefined, // searchText
        undefined, // createdBy
        undefined, // statusFilter
        undefined, // environmentStatusFilter
        new Date(since),
        undefined, // maxCreatedTime
        undefined, // queryOrder
        100,
        undefined, // continuationToken
        ReleaseExpands.Artifacts,
        undefined, // artifactTypeId
        undefined, // sourceId
        String(candidate.buildId),
      );
      // Trust the filter only as far as it is checked: the release must be made from this build.
      const fromThisBuild = found
        .filter((release) => this.buildIdOf(release) === candidate.buildId)
        .sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
      const release = fromThisBuild[0];
      return release?.id === undefined
        ? undefined
        : { id: release.id, url: webUrlOf(release._links, release.url ?? '') };
    } catch (error) {
      throw toAzureDevOpsError(error, operation, false);
    }
  }

  async get(releaseId: number, options: CallOptions = {}): Promise<ReleaseFacts | undefined> {
    const operation = `get release ${releaseId}`;
    throwIfAborted(options.abortSignal, operation);
    let release: Release | null;
    try {
      const releases = await this.target.connection.releases();
      release = await orNull(releases.getRelease(this.target.project, releaseId));
    } catch (error) {
      const mapped = toAzureDevOpsError(error, operation, false);
      if (mapped.code === 'ADO_NOT_FOUND') return undefined;
      throw mapped;
    }
    if (release?.id === undefined) return undefined;
    const buildId = this.buildIdOf(release);
    return {
      id: release.id,
      url: webUrlOf(release._links, release.url ?? ''),
      state: classicReleaseState((release.environments ?? []).map((environment) => environment.status)),
      ...(buildId === undefined ? {} : { buildId }),
    };
  }

  /** The build the release deploys: its artifact of our alias. */
  private buildIdOf(release: Release): number | undefined {
    const artifact = (release.artifacts ?? []).find((candidate) => candidate.alias === this.artifactAlias);
    const id = Number(artifact?.definitionReference?.version?.id);
    return Number.isSafeInteger(id) && id > 0 ? id : undefined;
  }
}

/**
 * A classic release is done when every stage is: released when all succeeded (some perhaps
 * partially), failed as soon as one was rejected (a failed deployment or a refused approval)
 * or canceled. A stage never deployed (manual trigger) keeps the release in progress.
 */
export function classicReleaseState(stages: readonly (EnvironmentStatus | undefined)[]): ReleaseState {
  if (stages.includes(EnvironmentStatus.Rejected)) return 'rejected';
  if (stages.includes(EnvironmentStatus.Canceled)) return 'canceled';
  const done = (status: EnvironmentStatus | undefined): boolean =>
    status === EnvironmentStatus.Succeeded || status === EnvironmentStatus.PartiallySucceeded;
  if (stages.length === 0 || !stages.every(done)) return 'in-progress';
  return stages.includes(EnvironmentStatus.PartiallySucceeded) ? 'partially-succeeded' : 'succeeded';
}
