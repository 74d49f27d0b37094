/**
 * In-memory state: organizations (created on first use, keyed case-insensitively), projects from
 * seeds, pipelines, runs-as-builds (one id counter per org, shared by the Pipelines and Build views),
 * classic releases with their environments, and service hook subscriptions.
 */
import { newGuid, normalizeRef, orgIdFor, projectIdFor, shaForBranch } from './ids.js';
import type {
  BuildReasonName,
  BuildResultName,
  BuildStatusName,
  EnvironmentStatusName,
  ReleaseReasonName,
} from './enums.js';
import type { PipelineYaml } from './pipelineYaml.js';
import type { DefinitionVariable, ParsedSeed } from './seed.js';

export interface RepositoryRef {
  id: string;
  name: string;
  type: string;
}

export interface PipelineState {
  id: number;
  name: string;
  folder: string;
  revision: number;
  yamlPath: string;
  yaml: PipelineYaml;
  repository: RepositoryRef;
}

export interface ReleaseDefinitionState {
  id: number;
  name: string;
  nextReleaseNumber: number;
  artifacts: { alias: string; pipelineId: number }[];
  variables: Map<string, DefinitionVariable>;
  environments: { id: number; name: string }[];
}

export interface ProjectState {
  id: string;
  name: string;
  pipelines: Map<number, PipelineState>;
  releaseDefinitions: Map<number, ReleaseDefinitionState>;
}

export interface VariableValue {
  value?: string;
  isSecret?: boolean;
}

export interface PipelineResourceRef {
  alias: string;
  runId: number;
  pipelineId: number;
  version: string;
}

export interface BuildState {
  id: number;
  projectId: string;
  pipelineId: number;
  buildNumber: string;
  buildNumberRevision: number;
  status: BuildStatusName;
  result?: BuildResultName;
  queueTime: Date;
  startTime?: Date;
  finishTime?: Date;
  lastChangedDate: Date;
  sourceBranch: string;
  sourceVersion: string;
  templateParameters: Record<string, string>;
  variables: Record<string, VariableValue>;
  reason: BuildReasonName;
  pipelineResources: PipelineResourceRef[];
  repository: RepositoryRef;
  planId: string;
}

export interface ReleaseArtifactState {
  alias: string;
  pipelineId: number;
  pipelineName: string;
  buildId: string;
  buildNumber: string;
  sourceBranch: string;
}

/** The deployment of a release to one environment (a deploy step, attempt 1). */
export interface DeploymentState {
  id: number;
  status: 'inProgress' | 'succeeded' | 'partiallySucceeded' | 'failed' | 'notDeployed';
  queuedOn: Date;
  completedOn?: Date;
}

export interface ReleaseEnvironmentState {
  id: number;
  definitionEnvironmentId: number;
  name: string;
  rank: number;
  status: EnvironmentStatusName;
  createdOn: Date;
  modifiedOn: Date;
  deployment?: DeploymentState;
}

export interface ReleaseState {
  id: number;
  projectId: string;
  definitionId: number;
  name: string;
  description: string;
  createdOn: Date;
  modifiedOn: Date;
  reason: ReleaseReasonName;
  artifacts: ReleaseArtifactState[];
  variables: Record<string, VariableValue>;
  environments: ReleaseEnvironmentState[];
  isDraft: boolean;
}

export interface SubscriptionState {
  id: string;
  publisherId: string;
  eventType: string;
  resourceVersion: string;
  consumerId: string;
  consumerActionId: string;
  publisherInputs: Record<string, string>;
  consumerInputs: Record<string, string>;
  status: string;
  createdDate: Date;
  modifiedDate: Date;
  lastNotificationId: number;
}

export interface OrgState {
  /** Name as first seen (seed or request). */
  name: string;
  id: string;
  projects: Map<string, ProjectState>;
  builds: Map<number, BuildState>;
  releases: Map<number, ReleaseState>;
  subscriptions: Map<string, SubscriptionState>;
  nextBuildId: number;
  nextReleaseId: number;
  /** Release environments and deployments share one counter. */
  nextReleaseItemId: number;
  /** `${pipelineId}:${yyyymmdd}` → last revision used in a build number. */
  buildNumberRevisions: Map<string, number>;
}

export interface CreateRunInput {
  pipeline: PipelineState;
  project: ProjectState;
  sourceBranch?: string;
  sourceVersion?: string;
  templateParameters: Record<string, string>;
  variables: Record<string, VariableValue>;
  pipelineResources: PipelineResourceRef[];
  reason: BuildReasonName;
  now: Date;
}

export const DEFAULT_BRANCH = 'refs/heads/main';

export class EmulatorStore {
  private readonly orgs = new Map<string, OrgState>();

  org(name: string): OrgState {
    const key = name.toLowerCase();
    let org = this.orgs.get(key);
    if (!org) {
      org = {
        name,
        id: orgIdFor(name),
        projects: new Map(),
        builds: new Map(),
        releases: new Map(),
        subscriptions: new Map(),
        nextBuildId: 1,
        nextReleaseId: 1,
        nextReleaseItemId: 1,
        buildNumberRevisions: new Map(),
      };
      this.orgs.set(key, org);
    }
    return org;
  }

  clear(): void {
    this.orgs.clear();
  }

  applySeed(seed: ParsedSeed): void {
    const org = this.org(seed.org);
    const key = seed.project.toLowerCase();
    let project = org.projects.get(key);
    if (!project) {
      project = {
        id: projectIdFor(seed.org, seed.project),
        name: seed.project,
        pipelines: new Map(),
        releaseDefinitions: new Map(),
      };
      org.projects.set(key, project);
    }
    for (const p of seed.pipelines) {
      project.pipelines.set(p.id, {
        ...p,
        folder: '\\',
        revision: 1,
        repository: { id: `emulator/${seed.project}`, name: `emulator/${seed.project}`, type: 'GitHub' },
      });
    }
    for (const d of seed.releaseDefinitions)
      project.releaseDefinitions.set(d.id, { ...d, nextReleaseNumber: 1 });
  }

  /** Project by name (case-insensitive) or id. */
  findProject(org: OrgState, nameOrId: string): ProjectState | undefined {
    const lower = nameOrId.toLowerCase();
    return org.projects.get(lower) ?? [...org.projects.values()].find((p) => p.id === lower);
  }

  createRun(org: OrgState, input: CreateRunInput): BuildState {
    const id = org.nextBuildId++;
    const sourceBranch = normalizeRef(input.sourceBranch ?? DEFAULT_BRANCH);
    const day = input.now.toISOString().slice(0, 10).replaceAll('-', '');
    const revisionKey = `${input.pipeline.id}:${day}`;
    const revision = (org.buildNumberRevisions.get(revisionKey) ?? 0) + 1;
    org.buildNumberRevisions.set(revisionKey, revision);
    const build: BuildState = {
      id,
      projectId: input.project.id,
      pipelineId: input.pipeline.id,
      buildNumber: `${day}.${revision}`,
      buildNumberRevision: revision,
      status: 'inProgress',
      queueTime: input.now,
      startTime: input.now,
      lastChangedDate: input.now,
      sourceBranch,
      sourceVersion: input.sourceVersion ?? shaForBranch(sourceBranch),
      templateParameters: input.templateParameters,
      variables: input.variables,
      reason: input.reason,
      pipelineResources: input.pipelineResources,
      repository: input.pipeline.repository,
      planId: newGuid(),
    };
    org.builds.set(id, build);
    return build;
  }

  createRelease(
    org: OrgState,
    project: ProjectState,
    definition: ReleaseDefinitionState,
    input: Pick<ReleaseState, 'description' | 'createdOn' | 'reason' | 'artifacts' | 'variables' | 'isDraft'>,
  ): ReleaseState {
    const id = org.nextReleaseId++;
    const now = input.createdOn;
    const release: ReleaseState = {
      id,
      projectId: project.id,
      definitionId: definition.id,
      name: `Release-${definition.nextReleaseNumber++}`,
      modifiedOn: now,
      ...input,
      // Every stage deploys on creation ("After release"); a draft deploys nothing.
      environments: definition.environments.map((env, index) => ({
        id: org.nextReleaseItemId++,
        definitionEnvironmentId: env.id,
        name: env.name,
        rank: index + 1,
        status: input.isDraft ? 'notStarted' : 'inProgress',
        createdOn: now,
        modifiedOn: now,
        ...(input.isDraft
          ? {}
          : { deployment: { id: org.nextReleaseItemId++, status: 'inProgress', queuedOn: now } }),
      })),
    };
    org.releases.set(id, release);
    return release;
  }
}
