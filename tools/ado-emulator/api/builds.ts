/**
 * Build API: builds (list/get/update). A pipeline run *is* a build with the same id. Completing a
 * build (PATCH status=completed, or cancelling) completes the run and fires `build.complete`
 * service hooks.
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
import { notifySubscribers } from '../hooks.js';
import { normalizeRef } from '../ids.js';
import { parsePositiveInt } from '../../json.js';
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
  pipelineForBuild,
  projectOf,
  specQuery,
  type ApiDeps,
} from './common.js';

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

/** The time field a queryOrder selects; without one, minTime/maxTime filter on the finish time. */
function timeFor(order: BuildQueryOrderName | undefined, b: BuildState): Date | undefined {
  if (order === undefined || order.startsWith('finish')) return b.finishTime;
  if (order.startsWith('start')) return b.startTime;
  return b.queueTime;
}

function listBuilds(deps: ApiDeps, req: RouteRequest, org: OrgState, project: ProjectState): shapes.Shape[] {
  const q = specQuery(deps, req, 'listBuilds');
  let builds = [...org.builds.values()].filter((b) => b.projectId === project.id);

  const definitions = parseIdList(q.get('definitions'), 'definitions');
  if (definitions) builds = builds.filter((b) => definitions.includes(b.pipelineId));
  const buildIds = parseIdList(q.get('buildIds'), 'buildIds');
  if (buildIds) builds = builds.filter((b) => buildIds.includes(b.id));

  // Names and numbers were checked against the spec; a flags filter keeps builds with a common bit.
  const mask = (name: string, table: Record<string, number>, all?: number): number | undefined => {
    const raw = q.get(name);
    return raw === null || raw === '' ? undefined : (parseFlags(table, raw, all) ?? 0);
  };
  const status = mask('statusFilter', BUILD_STATUS, ALL_STATUSES);
  if (status !== undefined) builds = builds.filter((b) => (BUILD_STATUS[b.status] & status) !== 0);
  const result = mask('resultFilter', BUILD_RESULT);
  if (result !== undefined)
    builds = builds.filter((b) => b.result !== undefined && (BUILD_RESULT[b.result] & result) !== 0);
  const reason = mask('reasonFilter', BUILD_REASON, ALL_REASONS);
  if (reason !== undefined) builds = builds.filter((b) => (BUILD_REASON[b.reason] & reason) !== 0);
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
  const order = orderRaw === null || orderRaw === '' ? undefined : parseEnum(BUILD_QUERY_ORDER, orderRaw);
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
  // Without a queryOrder the list is newest queued first.
  const sortOrder = order ?? 'queueTimeDescending';
  const descending = sortOrder.endsWith('Descending');
  builds.sort((a, b) => {
    const ta = timeFor(sortOrder, a)?.getTime() ?? (descending ? -Infinity : Infinity);
    const tb = timeFor(sortOrder, b)?.getTime() ?? (descending ? -Infinity : Infinity);
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

function fireBuildComplete(
  deps: ApiDeps,
  org: OrgState,
  project: ProjectState,
  build: BuildState,
  now: Date,
): void {
  const pipeline = pipelineForBuild(project, build);
  notifySubscribers(deps.hooks, org, {
    publisherId: 'tfs',
    eventType: 'build.complete',
    project,
    resourceId: build.id,
    matches: (inputs) => {
      const definitionName = inputs.definitionName?.trim().toLowerCase();
      if (definitionName && definitionName !== pipeline.name.toLowerCase()) return false;
      const wanted = inputs.buildStatus?.trim().toLowerCase();
      const alias = wanted === 'canceled' || wanted === 'cancelled' ? 'stopped' : wanted;
      return !alias || alias === shapes.hookBuildStatus(build.result).toLowerCase();
    },
    body: (s, notificationId, eventId) =>
      shapes.buildCompleteEvent(deps.urls, org, project, pipeline, build, s, notificationId, eventId, now),
  });
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

  router.add('org', 'GET', `${base}/builds/:buildId`, (_req, params) => {
    const { org, project } = ctx(params);
    return ok(buildShape(deps, org, project, buildOf(org, project, param(params, 'buildId'))));
  });

  router.add('org', 'PATCH', `${base}/builds/:buildId`, (req, params) => {
    const { org, project } = ctx(params);
    return updateBuild(deps, req, org, project, buildOf(org, project, param(params, 'buildId')));
  });
}
