/** Classic Release API (served on the vsrm host): releases create/get/list, definitions get/list. */
import { RELEASE_QUERY_ORDER, RELEASE_REASON, parseEnum, type ReleaseReasonName } from '../enums.js';
import { Errors } from '../errors.js';
import { isPositiveInt, isRecord, parsePositiveInt, stringField } from '../json.js';
import type { Router } from '../router.js';
import * as shapes from '../shapes.js';
import type {
  OrgState,
  ProjectState,
  ReleaseArtifactState,
  ReleaseDefinitionState,
  ReleaseState,
} from '../store.js';
import {
  collection,
  objectBody,
  ok,
  orgOf,
  param,
  parseDateParam,
  parseIdList,
  parseTop,
  parseVariables,
  projectOf,
  type ApiDeps,
} from './common.js';

function definitionOf(project: ProjectState, idText: string): ReleaseDefinitionState {
  const id = parsePositiveInt(idText);
  const definition = id === undefined ? undefined : project.releaseDefinitions.get(id);
  if (!definition) throw Errors.releaseDefinitionNotFound(idText);
  return definition;
}

function releaseShape(deps: ApiDeps, org: OrgState, project: ProjectState, r: ReleaseState): shapes.Shape {
  const definition = project.releaseDefinitions.get(r.definitionId) ?? {
    id: r.definitionId,
    name: `definition-${r.definitionId}`,
    nextReleaseNumber: 1,
  };
  return shapes.release(deps.urls, org, project, definition, r);
}

function parseArtifacts(org: OrgState, input: unknown): ReleaseArtifactState[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input))
    throw Errors.invalidReleaseRequest('artifacts must be an array of { alias, instanceReference }.');
  const artifacts: ReleaseArtifactState[] = [];
  for (const raw of input) {
    if (!isRecord(raw))
      throw Errors.invalidReleaseRequest('Each artifact must be an object { alias, instanceReference }.');
    const alias = stringField(raw, 'alias');
    if (!alias)
      throw Errors.invalidReleaseRequest(
        'VS402880: Artifact alias is required. Specify an alias and try again.',
      );
    const ref = raw.instanceReference;
    if (!isRecord(ref))
      throw Errors.invalidReleaseRequest(
        `VS402881: No artifact version is specified corresponding to artifact source '${alias}'. Specify a valid value and try again.`,
      );
    const versionId = typeof ref.id === 'number' ? String(ref.id) : stringField(ref, 'id');
    if (!versionId)
      throw Errors.invalidReleaseRequest(
        `VS402881: No artifact version is specified corresponding to artifact source '${alias}'. Specify a valid value and try again.`,
      );
    const artifact: ReleaseArtifactState = {
      alias,
      versionId,
      versionName: stringField(ref, 'name') ?? versionId,
    };
    const buildId = parsePositiveInt(versionId);
    const build = buildId === undefined ? undefined : org.builds.get(buildId);
    if (build) {
      artifact.versionName = stringField(ref, 'name') ?? build.buildNumber;
      artifact.sourceBranch = build.sourceBranch;
      artifact.definitionId = String(build.pipelineId);
    }
    const sourceBranch = stringField(ref, 'sourceBranch');
    if (sourceBranch !== undefined) artifact.sourceBranch = sourceBranch;
    const definitionId = stringField(ref, 'definitionId');
    if (definitionId !== undefined) artifact.definitionId = definitionId;
    const definitionName = stringField(ref, 'definitionName');
    if (definitionName !== undefined) artifact.definitionName = definitionName;
    artifacts.push(artifact);
  }
  return artifacts;
}

export function registerReleaseRoutes(router: Router, deps: ApiDeps): void {
  const base = ':org/:project/_apis/Release';
  const ctx = (params: Readonly<Record<string, string>>) => {
    const org = orgOf(deps, params);
    return { org, project: projectOf(deps, org, params) };
  };

  router.add('vsrm', 'POST', `${base}/releases`, (req, params) => {
    const { org, project } = ctx(params);
    const body = objectBody(req, 'releaseStartMetadata');
    const definitionId = body.definitionId;
    if (!isPositiveInt(definitionId))
      throw Errors.invalidReleaseRequest(
        'VS402882: Release pipeline id is required. Specify a valid definitionId and try again.',
      );
    const definition = definitionOf(project, String(definitionId));
    let reason: ReleaseReasonName = 'manual';
    if (body.reason !== undefined && body.reason !== null) {
      const parsed = parseEnum(RELEASE_REASON, body.reason);
      if (parsed === undefined)
        throw Errors.invalidReleaseRequest(
          `reason is not a valid ReleaseReason: ${JSON.stringify(body.reason)}`,
        );
      reason = parsed === 'none' ? 'manual' : parsed;
    }
    const description = body.description;
    if (description !== undefined && description !== null && typeof description !== 'string')
      throw Errors.invalidReleaseRequest('description must be a string.');
    if (body.isDraft !== undefined && body.isDraft !== null && typeof body.isDraft !== 'boolean')
      throw Errors.invalidReleaseRequest('isDraft must be a boolean.');
    const release = deps.store.createRelease(org, project, definition, {
      description: typeof description === 'string' ? description : '',
      createdOn: deps.now(),
      reason,
      artifacts: parseArtifacts(org, body.artifacts),
      variables: parseVariables(body.variables, 'variables'),
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
    // Like Azure DevOps: releases made from a given artifact version (a build id for build artifacts).
    const artifactVersionId = q.get('artifactVersionId');
    if (artifactVersionId !== null && artifactVersionId !== '')
      list = list.filter((r) => r.artifacts.some((artifact) => artifact.versionId === artifactVersionId));
    const ids = parseIdList(q.get('releaseIdFilter'), 'releaseIdFilter');
    if (ids) list = list.filter((r) => ids.includes(r.id));
    const search = q.get('searchText');
    if (search !== null && search !== '')
      list = list.filter((r) => r.name.toLowerCase().includes(search.toLowerCase()));
    const min = parseDateParam(q.get('minCreatedTime'), 'minCreatedTime');
    const max = parseDateParam(q.get('maxCreatedTime'), 'maxCreatedTime');
    if (min) list = list.filter((r) => r.createdOn.getTime() >= min.getTime());
    if (max) list = list.filter((r) => r.createdOn.getTime() <= max.getTime());
    const orderRaw = q.get('queryOrder');
    const order =
      orderRaw === null || orderRaw === '' ? 'descending' : parseEnum(RELEASE_QUERY_ORDER, orderRaw);
    if (order === undefined) throw Errors.invalidReleaseRequest(`queryOrder is not valid: ${orderRaw ?? ''}`);
    list.sort((a, b) => (order === 'ascending' ? a.id - b.id : b.id - a.id));
    const top = parseTop(q.get('$top'), 50);
    return collection(list.slice(0, top).map((r) => releaseShape(deps, org, project, r)));
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
