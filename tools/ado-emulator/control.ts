/**
 * Control endpoints under `/_emulator/` (no auth, never faulted, never recorded):
 *
 *   GET  /_emulator/health
 *   GET  /_emulator/requests            → { count, value: RecordedRequest[] }
 *   GET  /_emulator/deliveries          → { count, value: HookDelivery[] }
 *   POST /_emulator/reset
 *   GET  /_emulator/faults              → { settings, remaining, injected }
 *   POST /_emulator/faults              body FaultSettings | null | {}
 *   POST /_emulator/seed                body EmulatorProjectSeed
 *   POST /_emulator/branches            body { org, project, branch, commit }
 *   POST /_emulator/runs                body { org, project, pipelineId, branch?, commit?, reason?, templateParameters? }
 *   POST /_emulator/builds/complete     body { org, buildId, result? }
 */
import { completeBuild, buildShape, createRunFrom, type ApiDeps } from './api/index.js';
import { BUILD_REASON, BUILD_RESULT, parseEnum } from './enums.js';
import { AdoError } from './errors.js';
import { FaultSettingsError, parseFaultSettings, type FaultInjector } from './faults.js';
import { isPositiveInt, isRecord, putOwn, stringField, type JsonObject } from './json.js';
import { normalizeRef } from './ids.js';
import type { RouteResult } from './router.js';
import { SeedError, parseSeed } from './seed.js';
import type { EmulatorProjectSeed, FaultSettings, HookDelivery, RecordedRequest } from './types.js';

export interface ControlDeps {
  api: ApiDeps;
  url: string;
  faults: FaultInjector;
  requests(): readonly RecordedRequest[];
  deliveries(): readonly HookDelivery[];
  setFaults(settings: FaultSettings | null): void;
  reset(): void;
  seed(seed: EmulatorProjectSeed): void;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function fail(status: number, message: string): never {
  throw new ControlError(status, message);
}

function objectBody(body: unknown): JsonObject {
  if (!isRecord(body)) fail(400, 'request body must be a JSON object');
  return body;
}

function requiredString(body: JsonObject, key: string): string {
  const value = stringField(body, key);
  if (value === undefined || value.trim() === '') fail(400, `${key} is required`);
  return value;
}

function projectFrom(deps: ControlDeps, body: JsonObject) {
  const org = deps.api.store.org(requiredString(body, 'org'));
  const projectName = requiredString(body, 'project');
  const project = deps.api.store.findProject(org, projectName);
  if (!project) fail(404, `project ${projectName} is not seeded in org ${org.name}`);
  return { org, project };
}

function route(deps: ControlDeps, method: string, path: string, body: unknown): RouteResult {
  const key = `${method} ${path.replace(/\/+$/, '')}`;
  switch (key) {
    case 'GET /_emulator/health':
    case 'GET /_emulator':
      return { status: 200, body: { ok: true, url: deps.url } };
    case 'GET /_emulator/requests': {
      const value = deps.requests();
      return { status: 200, body: { count: value.length, value } };
    }
    case 'GET /_emulator/deliveries': {
      const value = deps.deliveries();
      return { status: 200, body: { count: value.length, value } };
    }
    case 'POST /_emulator/reset':
      deps.reset();
      return { status: 200, body: { ok: true } };
    case 'GET /_emulator/faults':
      return { status: 200, body: deps.faults.state() };
    case 'POST /_emulator/faults': {
      const settings = parseFaultSettings(body);
      deps.setFaults(settings);
      return { status: 200, body: deps.faults.state() };
    }
    case 'POST /_emulator/seed': {
      const seed = parseSeed(body);
      deps.seed(seed);
      const org = deps.api.store.org(seed.org);
      const project = deps.api.store.findProject(org, seed.project);
      return { status: 200, body: { org: org.name, project: { id: project?.id, name: project?.name } } };
    }
    case 'POST /_emulator/branches': {
      const b = objectBody(body);
      const { project } = projectFrom(deps, b);
      const branch = requiredString(b, 'branch');
      const commit = requiredString(b, 'commit');
      if (!/^[0-9a-f]{40}$/i.test(commit)) fail(400, 'commit must be a 40-hex sha');
      deps.api.store.setBranchHead(project, branch, commit);
      return { status: 200, body: { branch: normalizeRef(branch), commit: commit.toLowerCase() } };
    }
    case 'POST /_emulator/runs': {
      const b = objectBody(body);
      const { org, project } = projectFrom(deps, b);
      const pipelineId = b.pipelineId;
      const pipeline = isPositiveInt(pipelineId) ? project.pipelines.get(pipelineId) : undefined;
      if (!pipeline) fail(404, `pipeline ${JSON.stringify(pipelineId)} not found`);
      const reason = b.reason === undefined ? 'individualCI' : parseEnum(BUILD_REASON, b.reason);
      if (reason === undefined) fail(400, 'reason is not a BuildReason');
      const templateParameters: Record<string, string> = {};
      if (b.templateParameters !== undefined) {
        if (!isRecord(b.templateParameters)) fail(400, 'templateParameters must be an object of strings');
        for (const [k, v] of Object.entries(b.templateParameters)) {
          if (typeof v !== 'string') fail(400, `templateParameters.${k} must be a string`);
          putOwn(templateParameters, k, v);
        }
      }
      const branch = stringField(b, 'branch');
      const commit = stringField(b, 'commit');
      const build = createRunFrom(
        deps.api,
        org,
        project,
        pipeline,
        {
          ...(branch ? { refName: normalizeRef(branch) } : {}),
          ...(commit ? { version: commit.toLowerCase() } : {}),
          templateParameters,
          variables: {},
          stagesToSkip: [],
          pipelineResources: [],
        },
        reason,
      );
      return { status: 200, body: buildShape(deps.api, org, project, build) };
    }
    case 'POST /_emulator/builds/complete': {
      const b = objectBody(body);
      const org = deps.api.store.org(requiredString(b, 'org'));
      const buildId = b.buildId;
      const build = isPositiveInt(buildId) ? org.builds.get(buildId) : undefined;
      if (!build) fail(404, `build ${JSON.stringify(buildId)} not found`);
      const result = b.result === undefined ? 'succeeded' : parseEnum(BUILD_RESULT, b.result);
      if (result === undefined || result === 'none')
        fail(400, 'result must be succeeded, partiallySucceeded, failed or canceled');
      const project = deps.api.store.projectById(org, build.projectId);
      if (!project) fail(404, 'project of the build no longer exists');
      const changed = completeBuild(deps.api, org, project, build, result);
      return { status: 200, body: { changed, build: buildShape(deps.api, org, project, build) } };
    }
    default:
      fail(404, `unknown control endpoint ${method} ${path}`);
  }
}

export function handleControl(deps: ControlDeps, method: string, path: string, body: unknown): RouteResult {
  try {
    return route(deps, method, path, body);
  } catch (err) {
    if (err instanceof ControlError) return { status: err.status, body: { message: err.message } };
    if (err instanceof FaultSettingsError || err instanceof SeedError)
      return { status: 400, body: { message: err.message } };
    if (err instanceof AdoError) return { status: err.status, body: err.body() };
    throw err;
  }
}
