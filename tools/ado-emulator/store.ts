/**
 * In-memory state: organizations (created on first use, keyed case-insensitively), projects from
 * seeds, pipelines, runs-as-builds (one id counter per org, shared by the Pipelines and Build views),
 * classic releases and service hook subscriptions.
 */
import { newGuid, normalizeRef, orgIdFor, projectIdFor, shaForBranch } from './ids.js';
import type { BuildReasonName, BuildResultName, BuildStatusName, ReleaseReasonName } from './enums.js';
import type { EmulatorProjectSeed } from './types.js';

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
  repository: RepositoryRef;
}

export interface ReleaseDefinitionState {
  id: number;
  name: string;
  nextReleaseNumber: number;
}

export interface ProjectState {
  id: string;
  name: string;
  pipelines: Map<number, PipelineState>;
  releaseDefinitions: Map<number, ReleaseDefinitionState>;
  /** ref (refs/heads/x) → commit sha set through the control API. */
  branchHeads: Map<string, string>;
}

export interface VariableValue {
  value?: string;
  isSecret?: boolean;
}

export interface PipelineResourceRef {
  alias: string;
  runId?: number;
  version?: string;
  pipelineId?: number;
  pipelineName?: string;
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
  tags: string[];
  stagesToSkip: string[];
  pipelineResources: PipelineResourceRef[];
  repository: RepositoryRef;
  planId: string;
}

export interface ReleaseArtifactState {
  alias: string;
  versionId: string;
  versionName: string;
  sourceBranch?: string;
  definitionId?: string;
  definitionName?: string;
}

export interface ReleaseState {
  id: number;
  projectId: string;
  definitionId: number;
  name: string;
  description: string;
  createdOn: Date;
  reason: ReleaseReasonName;
  artifacts: ReleaseArtifactState[];
  variables: Record<string, VariableValue>;
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
  nextDefinitionId: number;
  nextReleaseId: number;
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
  stagesToSkip: string[];
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
        nextDefinitionId: 1,
        nextReleaseId: 1,
        buildNumberRevisions: new Map(),
      };
      this.orgs.set(key, org);
    }
    return org;
  }

  clear(): void {
    this.orgs.clear();
  }

  applySeed(seed: EmulatorProjectSeed): ProjectState {
    const org = this.org(seed.org);
    const key = seed.project.toLowerCase();
    let project = org.projects.get(key);
    if (!project) {
      project = {
        id: projectIdFor(seed.org, seed.project),
        name: seed.project,
        pipelines: new Map(),
        releaseDefinitions: new Map(),
        branchHeads: new Map(),
      };
      org.projects.set(key, project);
    }
    for (const p of seed.pipelines ?? []) {
      const existing = project.pipelines.get(p.id);
      if (existing) {
        existing.name = p.name;
      } else {
        project.pipelines.set(p.id, {
          id: p.id,
          name: p.name,
          folder: '\\',
          revision: 1,
          yamlPath: 'azure-pipelines.yml',
          repository: { id: `emulator/${seed.project}`, name: `emulator/${seed.project}`, type: 'GitHub' },
        });
      }
      org.nextDefinitionId = Math.max(org.nextDefinitionId, p.id + 1);
    }
    for (const d of seed.releaseDefinitions ?? []) {
      const existing = project.releaseDefinitions.get(d.id);
      if (existing) existing.name = d.name;
      else project.releaseDefinitions.set(d.id, { id: d.id, name: d.name, nextReleaseNumber: 1 });
    }
    return project;
  }

  /** Project by name (case-insensitive) or id. */
  findProject(org: OrgState, nameOrId: string): ProjectState | undefined {
    const byName = org.projects.get(nameOrId.toLowerCase());
    if (byName) return byName;
    const lower = nameOrId.toLowerCase();
    for (const p of org.projects.values()) if (p.id === lower) return p;
    return undefined;
  }

  projectById(org: OrgState, id: string): ProjectState | undefined {
    for (const p of org.projects.values()) if (p.id === id) return p;
    return undefined;
  }

  addPipeline(
    org: OrgState,
    project: ProjectState,
    input: { name: string; folder: string; yamlPath: string; repository: RepositoryRef },
  ): PipelineState {
    const id = org.nextDefinitionId++;
    const pipeline: PipelineState = { id, revision: 1, ...input };
    project.pipelines.set(id, pipeline);
    return pipeline;
  }

  setBranchHead(project: ProjectState, branch: string, commit: string): void {
    project.branchHeads.set(normalizeRef(branch), commit.toLowerCase());
  }

  resolveCommit(project: ProjectState, ref: string): string {
    return project.branchHeads.get(ref) ?? shaForBranch(ref);
  }

  createRun(org: OrgState, input: CreateRunInput): BuildState {
    const id = org.nextBuildId++;
    const sourceBranch = normalizeRef(input.sourceBranch ?? DEFAULT_BRANCH);
    const sourceVersion = input.sourceVersion ?? this.resolveCommit(input.project, sourceBranch);
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
      sourceVersion,
      templateParameters: input.templateParameters,
      variables: input.variables,
      reason: input.reason,
      tags: [],
      stagesToSkip: input.stagesToSkip,
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
    input: Omit<ReleaseState, 'id' | 'projectId' | 'definitionId' | 'name'>,
  ): ReleaseState {
    const id = org.nextReleaseId++;
    const release: ReleaseState = {
      id,
      projectId: project.id,
      definitionId: definition.id,
      name: `Release-${definition.nextReleaseNumber++}`,
      ...input,
    };
    org.releases.set(id, release);
    return release;
  }
}
