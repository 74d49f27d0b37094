/**
 * Build API: builds (list/get/queue/update), tags, definitions. A pipeline run *is* a build with the
 * same id. Completing a build (PATCH status=completed, or cancelling) completes the run and fires
 * `build.complete` service hooks.
 */
import {
  BUILD_QUERY_ORDER,
  BUILD_REASON,
  BUILD_RESULT,
  BUILD_STATUS,
  parseEnum,
  parseFlags,
  type BuildQueryOrderName,
  type BuildResultName,
} from '../enums.js';
import { Errors } from '../errors.js';
import { newGuid, normalizeRef } from '../ids.js';
import { isRecord, isStringArray, parsePositiveInt, putOwn, recordField, stringField } from '../json.js';
import { parseHeaderLines } from '../hooks.js';
import type { RouteRequest, Router } from '../router.js';
import * as shapes from '../shapes.js';
import type { BuildState, OrgState, ProjectState } from '../store.js';
import {
  buildOf,
  collection,
  objectBody,
  ok,
  orgOf,
  param,
  parseDateParam,
  parseIdList,
  parseTop,
  parseVariables,
  pipelineForBuild,
  pipelineOf,
  projectOf,
  type ApiDeps,
} from './common.js';
import { createRunFrom } from './pipelines.js';

const ALL_STATUSES = 47;
const ALL_REASONS = 2031;

export function buildShape(
  deps: ApiDeps,
  org: OrgState,
  project: ProjectState,
  build: BuildState,
): shapes.Shape {
  return shapes.build(deps.urls, org, project, pipelineForBuild(project, build), build);
}

function timeFor(order: BuildQueryOrderName, b: BuildState): Date | undefined {
  if (order.startsWith('finish')) return b.finishTime;
  if (order.startsWith('start')) return b.startTime;
  return b.queueTime;
}

function listBuilds(deps: ApiDeps, req: RouteRequest, org: OrgState, project: ProjectState): shapes.Shape[] {
  const q = req.query;
  let builds = [...org.builds.values()].filter((b) => b.projectId === project.id);

  const definitions = parseIdList(q.get('definitions'), 'definitions');
  if (definitions) builds = builds.filter((b) => definitions.includes(b.pipelineId));
  const buildIds = parseIdList(q.get('buildIds'), 'buildIds');
  if (buildIds) builds = builds.filter((b) => buildIds.includes(b.id));

  const statusRaw = q.get('statusFilter');
  if (statusRaw !== null && statusRaw !== '') {
    const mask = parseFlags(BUILD_STATUS, statusRaw, ALL_STATUSES);
    if (mask === undefined) throw Errors.badRequest(`statusFilter is not a valid BuildStatus: ${statusRaw}`);
    builds = builds.filter((b) => (BUILD_STATUS[b.status] & mask) !== 0);
  }
  const resultRaw = q.get('resultFilter');
  if (resultRaw !== null && resultRaw !== '') {
    const mask = parseFlags(BUILD_RESULT, resultRaw);
    if (mask === undefined) throw Errors.badRequest(`resultFilter is not a valid BuildResult: ${resultRaw}`);
    builds = builds.filter((b) => b.result !== undefined && (BUILD_RESULT[b.result] & mask) !== 0);
  }
  const reasonRaw = q.get('reasonFilter');
  if (reasonRaw !== null && reasonRaw !== '') {
    const mask = parseFlags(BUILD_REASON, reasonRaw, ALL_REASONS);
    if (mask === undefined) throw Errors.badRequest(`reasonFilter is not a valid BuildReason: ${reasonRaw}`);
    builds = builds.filter((b) => (BUILD_REASON[b.reason] & mask) !== 0);
  }
  const tagFilters = (q.get('tagFilters') ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
  if (tagFilters.length > 0) {
    builds = builds.filter((b) => {
      const tags = new Set(b.tags.map((t) => t.toLowerCase()));
      return tagFilters.every((t) => tags.has(t));
    });
  }
  const branchName = q.get('branchName');
  if (branchName !== null && branchName.trim() !== '') {
    const ref = normalizeRef(branchName);
    builds = builds.filter((b) => b.sourceBranch.toLowerCase() === ref.toLowerCase());
  }
  const buildNumber = q.get('buildNumber');
  if (buildNumber !== null && buildNumber !== '') {
    const lower = buildNumber.toLowerCase();
    builds = builds.filter((b) =>
      lower.endsWith('*')
        ? b.buildNumber.toLowerCase().startsWith(lower.slice(0, -1))
        : b.buildNumber.toLowerCase() === lower,
    );
  }
  const repositoryId = q.get('repositoryId');
  if (repositoryId !== null && repositoryId !== '')
    builds = builds.filter((b) => b.repository.id.toLowerCase() === repositoryId.toLowerCase());
  const repositoryType = q.get('repositoryType');
  if (repositoryType !== null && repositoryType !== '')
    builds = builds.filter((b) => b.repository.type.toLowerCase() === repositoryType.toLowerCase());

  const orderRaw = q.get('queryOrder');
  let order: BuildQueryOrderName = 'queueTimeDescending';
  if (orderRaw !== null && orderRaw !== '') {
    const parsed = parseEnum(BUILD_QUERY_ORDER, orderRaw);
    if (parsed === undefined)
      throw Errors.badRequest(`queryOrder is not a valid BuildQueryOrder: ${orderRaw}`);
    order = parsed;
  }
  const minTime = parseDateParam(q.get('minTime'), 'minTime');
  const maxTime = parseDateParam(q.get('maxTime'), 'maxTime');
  if (minTime || maxTime) {
    builds = builds.filter((b) => {
      const t = timeFor(order, b);
      if (!t) return false;
      if (minTime && t.getTime() < minTime.getTime()) return false;
      if (maxTime && t.getTime() > maxTime.getTime()) return false;
      return true;
    });
  }
  const descending = order.endsWith('Descending');
  builds.sort((a, b) => {
    const ta = timeFor(order, a)?.getTime() ?? (descending ? -Infinity : Infinity);
    const tb = timeFor(order, b)?.getTime() ?? (descending ? -Infinity : Infinity);
    const diff = descending ? tb - ta : ta - tb;
    if (diff !== 0 && !Number.isNaN(diff)) return diff;
    return descending ? b.id - a.id : a.id - b.id;
  });

  const perDefinition = parsePositiveInt(q.get('maxBuildsPerDefinition') ?? undefined);
  if (perDefinition !== undefined) {
    const seen = new Map<number, number>();
    builds = builds.filter((b) => {
      const n = (seen.get(b.pipelineId) ?? 0) + 1;
      seen.set(b.pipelineId, n);
      return n <= perDefinition;
    });
  }
  const top = parseTop(q.get('$top'), 1000);
  return builds.slice(0, top).map((b) => buildShape(deps, org, project, b));
}

/** Marks a build completed (if it is not already) and fires build.complete hooks. */
export function completeBuild(
  deps: ApiDeps,
  org: OrgState,
  project: ProjectState,
  build: BuildState,
  result: BuildResultName,
): boolean {
  if (build.status === 'completed') return false;
  const now = deps.now();
  build.status = 'completed';
  build.result = result;
  build.startTime ??= build.queueTime;
  build.finishTime = now;
  build.lastChangedDate = now;
  fireBuildComplete(deps, org, project, build, now);
  return true;
}

function subscriptionMatches(
  s: { status: string; publisherId: string; eventType: string; publisherInputs: Record<string, string> },
  project: ProjectState,
  pipelineName: string,
  result: BuildResultName | undefined,
): boolean {
  if (s.status !== 'enabled') return false;
  if (s.publisherId.toLowerCase() !== 'tfs' || s.eventType.toLowerCase() !== 'build.complete') return false;
  const projectId = s.publisherInputs.projectId?.trim().toLowerCase();
  if (projectId && projectId !== project.id && projectId !== project.name.toLowerCase()) return false;
  const definitionName = s.publisherInputs.definitionName?.trim().toLowerCase();
  if (definitionName && definitionName !== pipelineName.toLowerCase()) return false;
  const wanted = s.publisherInputs.buildStatus?.trim().toLowerCase();
  if (wanted) {
    const actual = shapes.hookBuildStatus(result).toLowerCase();
    const alias = wanted === 'canceled' || wanted === 'cancelled' ? 'stopped' : wanted;
    if (alias !== actual) return false;
  }
  return true;
}

function fireBuildComplete(
  deps: ApiDeps,
  org: OrgState,
  project: ProjectState,
  build: BuildState,
  now: Date,
): void {
  const pipeline = pipelineForBuild(project, build);
  for (const s of org.subscriptions.values()) {
    if (!subscriptionMatches(s, project, pipeline.name, build.result)) continue;
    const url = s.consumerInputs.url;
    if (!url) continue;
    const notificationId = ++s.lastNotificationId;
    const payload = shapes.buildCompleteEvent(
      deps.urls,
      org,
      project,
      pipeline,
      build,
      s,
      notificationId,
      newGuid(),
      now,
    );
    const headers: Record<string, string> = {
      ...parseHeaderLines(s.consumerInputs.httpHeaders),
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'VSServices/16.255.35525.5 (ado-emulator)',
    };
    const user = s.consumerInputs.basicAuthUsername;
    const password = s.consumerInputs.basicAuthPassword;
    if (user || password) {
      headers.Authorization = `Basic ${Buffer.from(`${user ?? ''}:${password ?? ''}`, 'utf8').toString('base64')}`;
    }
    deps.hooks.dispatch({
      subscriptionId: s.id,
      url,
      eventType: 'build.complete',
      notificationId,
      resourceId: build.id,
      headers,
      body: JSON.stringify(payload),
    });
  }
}

function updateBuild(
  deps: ApiDeps,
  req: RouteRequest,
  org: OrgState,
  project: ProjectState,
  build: BuildState,
) {
  const body = objectBody(req, 'build');
  const statusRaw = body.status;
  const resultRaw = body.result;
  let result: BuildResultName | undefined;
  if (resultRaw !== undefined && resultRaw !== null) {
    result = parseEnum(BUILD_RESULT, resultRaw);
    if (result === undefined)
      throw Errors.badRequest(`result is not a valid BuildResult: ${JSON.stringify(resultRaw)}`);
  }
  if (statusRaw !== undefined && statusRaw !== null) {
    const status = parseEnum(BUILD_STATUS, statusRaw);
    if (status === undefined)
      throw Errors.badRequest(`status is not a valid BuildStatus: ${JSON.stringify(statusRaw)}`);
    if (status === 'completed') {
      completeBuild(
        deps,
        org,
        project,
        build,
        result === undefined || result === 'none' ? 'succeeded' : result,
      );
    } else if (status === 'cancelling') {
      completeBuild(deps, org, project, build, 'canceled');
    } else if (build.status !== 'completed') {
      build.status = status;
      build.lastChangedDate = deps.now();
    } else {
      throw Errors.badRequest(
        `Build ${build.id} is already completed; its status cannot change to ${status}.`,
      );
    }
  }
  if (body.keepForever !== undefined && typeof body.keepForever !== 'boolean')
    throw Errors.badRequest('keepForever must be a boolean.');
  return ok(buildShape(deps, org, project, build));
}

function addTags(build: BuildState, tags: readonly string[]): void {
  for (const raw of tags) {
    const tag = raw.trim();
    if (tag === '') continue;
    if (!build.tags.some((t) => t.toLowerCase() === tag.toLowerCase())) build.tags.push(tag);
  }
}

function removeTags(build: BuildState, tags: readonly string[]): void {
  const drop = new Set(tags.map((t) => t.trim().toLowerCase()));
  build.tags = build.tags.filter((t) => !drop.has(t.toLowerCase()));
}

export function registerBuildRoutes(router: Router, deps: ApiDeps): void {
  const base = ':org/:project/_apis/build';
  const ctx = (params: Readonly<Record<string, string>>) => {
    const org = orgOf(deps, params);
    return { org, project: projectOf(deps, org, params) };
  };

  router.add('org', 'GET', `${base}/builds`, (req, params) => {
    const { org, project } = ctx(params);
    return collection(listBuilds(deps, req, org, project));
  });

  router.add('org', 'POST', `${base}/builds`, (req, params) => {
    const { org, project } = ctx(params);
    const body = isRecord(req.body) ? req.body : {};
    const definitionId =
      (isRecord(body.definition) && typeof body.definition.id === 'number'
        ? String(body.definition.id)
        : undefined) ??
      req.query.get('definitionId') ??
      undefined;
    if (definitionId === undefined) throw Errors.argumentNull('build.Definition');
    const pipeline = pipelineOf(project, definitionId);
    const templateParameters: Record<string, string> = {};
    const tp = recordField(body, 'templateParameters');
    for (const [k, v] of Object.entries(tp ?? {})) {
      if (typeof v !== 'string')
        throw Errors.pipelineValidation(`Template parameter '${k}' must be a string.`);
      putOwn(templateParameters, k, v);
    }
    let variables = {};
    const parametersJson = stringField(body, 'parameters');
    if (parametersJson !== undefined && parametersJson !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(parametersJson);
      } catch {
        throw Errors.badRequest('parameters must be a JSON object string.');
      }
      if (!isRecord(parsed)) throw Errors.badRequest('parameters must be a JSON object string.');
      variables = parseVariables(
        Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, { value: v }])),
        'parameters',
      );
    }
    const sourceBranch = stringField(body, 'sourceBranch');
    const sourceVersion = stringField(body, 'sourceVersion');
    const build = createRunFrom(
      deps,
      org,
      project,
      pipeline,
      {
        ...(sourceBranch ? { refName: normalizeRef(sourceBranch) } : {}),
        ...(sourceVersion ? { version: sourceVersion } : {}),
        templateParameters,
        variables,
        stagesToSkip: [],
        pipelineResources: [],
      },
      'manual',
    );
    return ok(buildShape(deps, org, project, build));
  });

  router.add('org', 'GET', `${base}/builds/:buildId`, (_req, params) => {
    const { org, project } = ctx(params);
    return ok(buildShape(deps, org, project, buildOf(org, project, param(params, 'buildId'))));
  });

  router.add('org', 'PATCH', `${base}/builds/:buildId`, (req, params) => {
    const { org, project } = ctx(params);
    return updateBuild(deps, req, org, project, buildOf(org, project, param(params, 'buildId')));
  });

  const tagsResult = (build: BuildState) => collection([...build.tags]);
  router.add('org', 'GET', `${base}/builds/:buildId/tags`, (_req, params) => {
    const { org, project } = ctx(params);
    return tagsResult(buildOf(org, project, param(params, 'buildId')));
  });
  router.add('org', 'POST', `${base}/builds/:buildId/tags`, (req, params) => {
    const { org, project } = ctx(params);
    const build = buildOf(org, project, param(params, 'buildId'));
    if (!isStringArray(req.body)) throw Errors.badRequest('The request body must be an array of tags.');
    addTags(build, req.body);
    return tagsResult(build);
  });
  router.add('org', 'PATCH', `${base}/builds/:buildId/tags`, (req, params) => {
    const { org, project } = ctx(params);
    const build = buildOf(org, project, param(params, 'buildId'));
    const body = objectBody(req, 'updateParameters');
    const add = body.tagsToAdd ?? [];
    const remove = body.tagsToRemove ?? [];
    if (!isStringArray(add) || !isStringArray(remove))
      throw Errors.badRequest('tagsToAdd and tagsToRemove must be arrays of strings.');
    addTags(build, add);
    removeTags(build, remove);
    return tagsResult(build);
  });
  router.add('org', 'PUT', `${base}/builds/:buildId/tags/:tag`, (_req, params) => {
    const { org, project } = ctx(params);
    const build = buildOf(org, project, param(params, 'buildId'));
    addTags(build, [param(params, 'tag')]);
    return tagsResult(build);
  });
  router.add('org', 'DELETE', `${base}/builds/:buildId/tags/:tag`, (_req, params) => {
    const { org, project } = ctx(params);
    const build = buildOf(org, project, param(params, 'buildId'));
    removeTags(build, [param(params, 'tag')]);
    return tagsResult(build);
  });

  router.add('org', 'GET', `${base}/definitions`, (req, params) => {
    const { org, project } = ctx(params);
    const name = req.query.get('name');
    const list = [...project.pipelines.values()]
      .filter((p) => name === null || name === '' || p.name.toLowerCase() === name.toLowerCase())
      .sort((a, b) => a.name.localeCompare(b.name));
    return collection(list.map((p) => shapes.definitionReference(deps.urls, org, project, p)));
  });
  router.add('org', 'GET', `${base}/definitions/:definitionId`, (_req, params) => {
    const { org, project } = ctx(params);
    const pipeline = pipelineOf(project, param(params, 'definitionId'));
    return ok(shapes.buildDefinition(deps.urls, org, project, pipeline));
  });
}
