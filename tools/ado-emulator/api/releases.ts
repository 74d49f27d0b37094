/**
 * Classic Release API (served on the vsrm host): releases create/get/list, definitions get/list.
 * A release deploys to every stage of its definition at once; the control API completes those
 * deployments, which fires `ms.vss-release.deployment-completed-event` service hooks.
 */
import {
  ENVIRONMENT_STATUS,
  RELEASE_EXPANDS,
  RELEASE_QUERY_ORDER,
  RELEASE_REASON,
  parseEnum,
  parseFlags,
} from '../enums.js';
import { Errors } from '../errors.js';
import { notifySubscribers } from '../hooks.js';
import { isPositiveInt, isRecord, parsePositiveInt, putOwn } from '../../json.js';
import type { Router } from '../router.js';
import * as shapes from '../shapes.js';
import type {
  OrgState,
  ProjectState,
  ReleaseArtifactState,
  ReleaseDefinitionState,
  ReleaseEnvironmentState,
  ReleaseState,
  VariableValue,
} from '../store.js';
import {
  collection,
  ok,
  orgOf,
  param,
  parseDateParam,
  parseTop,
  projectOf,
  readVariables,
  specBody,
  type ApiDeps,
} from './common.js';

function definitionOf(project: ProjectState, idText: string): ReleaseDefinitionState {
  const id = parsePositiveInt(idText);
  const definition = id === undefined ? undefined : project.releaseDefinitions.get(id);
  if (!definition) throw Errors.releaseDefinitionNotFound(idText);
  return definition;
}

function definitionFor(project: ProjectState, r: ReleaseState): ReleaseDefinitionState {
  return (
    project.releaseDefinitions.get(r.definitionId) ?? {
      id: r.definitionId,
      name: `definition-${r.definitionId}`,
      nextReleaseNumber: 1,
      artifacts: [],
      variables: new Map(),
      environments: [],
    }
  );
}

export function releaseShape(
  deps: ApiDeps,
  org: OrgState,
  project: ProjectState,
  r: ReleaseState,
  parts?: shapes.ReleaseParts,
): shapes.Shape {
  return shapes.release(deps.urls, org, project, definitionFor(project, r), r, parts);
}

/**
 * The artifacts of a new release: every alias must be one of the definition's artifact sources,
 * with a build of that source's pipeline; a source the request leaves out takes its latest
 * succeeded build (default version "Latest").
 */
function releaseArtifacts(
  org: OrgState,
  project: ProjectState,
  definition: ReleaseDefinitionState,
  input: unknown,
): ReleaseArtifactState[] {
  const given = new Map<string, string | undefined>();
  for (const raw of Array.isArray(input) ? input : []) {
    const alias = isRecord(raw) && typeof raw.alias === 'string' ? raw.alias : '';
    const source = definition.artifacts.find((a) => a.alias.toLowerCase() === alias.toLowerCase());
    if (!source)
      throw Errors.invalidReleaseRequest(
        `Artifact source with alias '${alias}' is not linked to release pipeline '${definition.name}'. Specify a valid alias and try again.`,
      );
    const ref = isRecord(raw) ? raw.instanceReference : undefined;
    given.set(
      source.alias,
      isRecord(ref) && typeof ref.id === 'string' && ref.id !== '' ? ref.id : undefined,
    );
  }
  return definition.artifacts.map((source) => {
    const pipeline = project.pipelines.get(source.pipelineId);
    const pipelineName = pipeline?.name ?? `pipeline-${source.pipelineId}`;
    const versionId = given.has(source.alias)
      ? given.get(source.alias)
      : [...org.builds.values()]
          .filter(
            (b) =>
              b.pipelineId === source.pipelineId &&
              (b.result === 'succeeded' || b.result === 'partiallySucceeded'),
          )
          .sort((a, b) => b.id - a.id)[0]
          ?.id.toString();
    if (versionId === undefined)
      throw Errors.invalidReleaseRequest(
        `VS402962: No artifact version id is specified corresponding to artifact source '${source.alias}'. Specify a valid value and try again.`,
      );
    const buildId = parsePositiveInt(versionId);
    const build = buildId === undefined ? undefined : org.builds.get(buildId);
    if (build?.projectId !== project.id || build.pipelineId !== source.pipelineId)
      throw Errors.invalidReleaseRequest(
        `Version '${versionId}' of artifact source '${source.alias}' is not a build of pipeline '${pipelineName}'. Specify a valid value and try again.`,
      );
    return {
      alias: source.alias,
      pipelineId: source.pipelineId,
      pipelineName,
      buildId: versionId,
      buildNumber: build.buildNumber,
      sourceBranch: build.sourceBranch,
    };
  });
}

/**
 * Release-scope variables: only the definition's own, and only those settable at release time
 * (`allowOverride`), may be given a value.
 */
function releaseVariables(definition: ReleaseDefinitionState, input: unknown): Record<string, VariableValue> {
  const given = readVariables(input);
  const declared = (name: string) =>
    [...definition.variables.entries()].find(([key]) => key.toLowerCase() === name.toLowerCase());
  const unknown = Object.keys(given).filter((name) => !declared(name));
  if (unknown.length > 0)
    throw Errors.invalidReleaseRequest(
      `Variable(s) ${unknown.join(', ')} do not exist in the release pipeline at scope: Release. New variables cannot be added while creating a release. Check the scope of the variable(s) or remove them and try again.`,
    );
  const locked = Object.keys(given).filter((name) => declared(name)?.[1].allowOverride !== true);
  if (locked.length > 0)
    throw Errors.invalidReleaseRequest(
      `Variable(s) ${locked.join(', ')} cannot be overridden while creating a release: they are not settable at release time in the release pipeline. Mark them settable at release time or remove them and try again.`,
    );
  const out: Record<string, VariableValue> = {};
  for (const [name, v] of definition.variables) {
    const override = Object.entries(given).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
    putOwn(out, name, v.isSecret ? { isSecret: true } : { value: override?.value ?? v.value });
  }
  return out;
}

const DEPLOYMENT_STATUS = {
  succeeded: 'succeeded',
  partiallySucceeded: 'partiallySucceeded',
  rejected: 'failed',
  canceled: 'notDeployed',
} as const;

/** Completes deployments of a release and notifies `rm` deployment-completed subscribers. */
export function completeDeployments(
  deps: ApiDeps,
  org: OrgState,
  release: ReleaseState,
  environments: readonly ReleaseEnvironmentState[],
  status: keyof typeof DEPLOYMENT_STATUS,
): { project: ProjectState; changed: number } {
  const project = [...org.projects.values()].find((p) => p.id === release.projectId);
  if (!project) throw Errors.internal(`project of release ${release.id} is gone`);
  const definition = definitionFor(project, release);
  const now = deps.now();
  let changed = 0;
  for (const env of environments) {
    if (env.status === status) continue;
    changed++;
    env.status = status;
    env.modifiedOn = now;
    env.deployment ??= { id: org.nextReleaseItemId++, status: 'inProgress', queuedOn: now };
    env.deployment.status = DEPLOYMENT_STATUS[status];
    env.deployment.completedOn = now;
    release.modifiedOn = now;
    notifySubscribers(deps.hooks, org, {
      publisherId: 'rm',
      eventType: 'ms.vss-release.deployment-completed-event',
      project,
      resourceId: release.id,
      matches: (inputs) =>
        (!inputs.releaseDefinitionId || Number(inputs.releaseDefinitionId) === definition.id) &&
        (!inputs.releaseEnvironmentId ||
          Number(inputs.releaseEnvironmentId) === env.definitionEnvironmentId) &&
        (!inputs.releaseEnvironmentStatus ||
          Number(inputs.releaseEnvironmentStatus) === ENVIRONMENT_STATUS[status]),
      body: (s, notificationId, eventId) =>
        shapes.deploymentCompletedEvent(
          deps.urls,
          org,
          project,
          definition,
          release,
          env,
          s,
          notificationId,
          eventId,
          now,
        ),
    });
  }
  return { project, changed };
}

export function registerReleaseRoutes(router: Router, deps: ApiDeps): void {
  const base = ':org/:project/_apis/Release';
  const ctx = (params: Readonly<Record<string, string>>) => {
    const org = orgOf(deps, params);
    return { org, project: projectOf(deps, org, params) };
  };

  router.add('vsrm', 'POST', `${base}/releases`, (req, params) => {
    const { org, project } = ctx(params);
    const body = specBody(deps, req, 'createRelease', 'releaseStartMetadata');
    if (!isPositiveInt(body.definitionId))
      throw Errors.invalidReleaseRequest(
        'VS402882: Release pipeline id is required. Specify a valid definitionId and try again.',
      );
    const definition = definitionOf(project, String(body.definitionId));
    const reason =
      body.reason === undefined ? 'manual' : (parseEnum(RELEASE_REASON, body.reason) ?? 'manual');
    const release = deps.store.createRelease(org, project, definition, {
      description: typeof body.description === 'string' ? body.description : '',
      createdOn: deps.now(),
      reason: reason === 'none' ? 'manual' : reason,
      artifacts: releaseArtifacts(org, project, definition, body.artifacts),
      variables: releaseVariables(definition, body.variables),
      isDraft: body.isDraft === true,
    });
    return ok(releaseShape(deps, org, project, release));
  });

  router.add('vsrm', 'GET', `${base}/releases`, (req, params) => {
    const { org, project } = ctx(params);
    const q = req.query;
    let list = [...org.releases.values()].filter((r) => r.projectId === project.id);
    const definitionRaw = q.get('definitionId');
    if (definitionRaw !== null && definitionRaw !== '') {
      const id = parsePositiveInt(definitionRaw);
      if (id === undefined)
        throw Errors.invalidReleaseRequest(`definitionId must be a positive integer: ${definitionRaw}`);
      list = list.filter((r) => r.definitionId === id);
    }
    // Releases made from a given artifact version (a build id for build artifacts).
    const artifactVersionId = q.get('artifactVersionId');
    if (artifactVersionId !== null && artifactVersionId !== '')
      list = list.filter((r) => r.artifacts.some((artifact) => artifact.buildId === artifactVersionId));
    const min = parseDateParam(q.get('minCreatedTime'), 'minCreatedTime');
    const max = parseDateParam(q.get('maxCreatedTime'), 'maxCreatedTime');
    if (min) list = list.filter((r) => r.createdOn.getTime() >= min.getTime());
    if (max) list = list.filter((r) => r.createdOn.getTime() <= max.getTime());
    const orderRaw = q.get('queryOrder');
    const order =
      orderRaw === null || orderRaw === '' ? 'descending' : parseEnum(RELEASE_QUERY_ORDER, orderRaw);
    if (order === undefined) throw Errors.invalidReleaseRequest(`queryOrder is not valid: ${orderRaw ?? ''}`);
    list.sort((a, b) => (order === 'ascending' ? a.id - b.id : b.id - a.id));
    // Like the service, the list leaves out environments and artifacts unless $expand asks for them.
    const expand = parseFlags(RELEASE_EXPANDS, q.get('$expand') ?? '') ?? 0;
    const parts = {
      environments: (expand & RELEASE_EXPANDS.environments) !== 0,
      artifacts: (expand & RELEASE_EXPANDS.artifacts) !== 0,
    };
    const top = parseTop(q.get('$top'), 50);
    return collection(list.slice(0, top).map((r) => releaseShape(deps, org, project, r, parts)));
  });

  router.add('vsrm', 'GET', `${base}/releases/:releaseId`, (_req, params) => {
    const { org, project } = ctx(params);
    const idText = param(params, 'releaseId');
    const id = parsePositiveInt(idText);
    const release = id === undefined ? undefined : org.releases.get(id);
    if (release?.projectId !== project.id) throw Errors.releaseNotFound(idText);
    return ok(releaseShape(deps, org, project, release));
  });

  router.add('vsrm', 'GET', `${base}/definitions`, (_req, params) => {
    const { org, project } = ctx(params);
    const list = [...project.releaseDefinitions.values()].sort((a, b) => a.name.localeCompare(b.name));
    return collection(list.map((d) => shapes.releaseDefinitionReference(deps.urls, org, project, d)));
  });

  router.add('vsrm', 'GET', `${base}/definitions/:definitionId`, (_req, params) => {
    const { org, project } = ctx(params);
    const definition = definitionOf(project, param(params, 'definitionId'));
    return ok(shapes.releaseDefinition(deps.urls, org, project, definition));
  });
}
