/**
 * Control endpoints under `/_emulator/` (no auth, never faulted, never recorded):
 *
 *   GET  /_emulator/health
 *   GET  /_emulator/requests            → { count, value: RecordedRequest[] }
 *   GET  /_emulator/deliveries          → { count, value: HookDelivery[] }
 *   POST /_emulator/reset
 *   GET  /_emulator/faults              → { settings, remaining, injected }
 *   POST /_emulator/faults              body FaultSettings | null | {}
 *   POST /_emulator/builds/complete     body { org, buildId, result? }
 *   POST /_emulator/releases/complete   body { org, releaseId, status, environment? }
 */
import { completeBuild, buildShape, completeDeployments, releaseShape, type ApiDeps } from './api/index.js';
import { BUILD_RESULT, parseEnum } from './enums.js';
import { AdoError } from './errors.js';
import { FaultSettingsError, parseFaultSettings, type FaultInjector } from './faults.js';
import { isPositiveInt, isRecord, stringAt, type JsonObject } from '../json.js';
import type { RouteResult } from './router.js';
import type { FaultSettings, HookDelivery, RecordedRequest } from './types.js';

const DEPLOYMENT_RESULTS = ['succeeded', 'rejected', 'canceled', 'partiallySucceeded'] as const;

export interface ControlDeps {
  api: ApiDeps;
  url: string;
  faults: FaultInjector;
  requests(): readonly RecordedRequest[];
  deliveries(): readonly HookDelivery[];
  setFaults(settings: FaultSettings | null): void;
  reset(): void;
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
  const value = stringAt(body, key);
  if (value === undefined || value.trim() === '') fail(400, `${key} is required`);
  return value;
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
    case 'POST /_emulator/builds/complete': {
      const b = objectBody(body);
      const org = deps.api.store.org(requiredString(b, 'org'));
      const buildId = b.buildId;
      const build = isPositiveInt(buildId) ? org.builds.get(buildId) : undefined;
      if (!build) fail(404, `build ${JSON.stringify(buildId)} not found`);
      const result = b.result === undefined ? 'succeeded' : parseEnum(BUILD_RESULT, b.result);
      if (result === undefined || result === 'none')
        fail(400, 'result must be succeeded, partiallySucceeded, failed or canceled');
      const project = [...org.projects.values()].find((p) => p.id === build.projectId);
      if (!project) fail(404, 'project of the build no longer exists');
      const changed = completeBuild(deps.api, org, project, build, result);
      return { status: 200, body: { changed, build: buildShape(deps.api, org, project, build) } };
    }
    case 'POST /_emulator/releases/complete': {
      const b = objectBody(body);
      const org = deps.api.store.org(requiredString(b, 'org'));
      const release = isPositiveInt(b.releaseId) ? org.releases.get(b.releaseId) : undefined;
      if (!release) fail(404, `release ${JSON.stringify(b.releaseId)} not found`);
      const status = DEPLOYMENT_RESULTS.find((s) => s === b.status);
      if (!status) fail(400, `status must be ${DEPLOYMENT_RESULTS.join(', ')}`);
      const wanted = b.environment;
      if (wanted !== undefined && typeof wanted !== 'string' && !isPositiveInt(wanted))
        fail(400, 'environment must be a stage name or id');
      const environments = release.environments.filter((env) =>
        wanted === undefined
          ? env.status === 'inProgress'
          : typeof wanted === 'string'
            ? env.name.toLowerCase() === wanted.toLowerCase()
            : env.id === wanted || env.definitionEnvironmentId === wanted,
      );
      if (environments.length === 0)
        fail(
          409,
          `release ${release.id} has no ${wanted === undefined ? 'deployment in progress' : `environment ${String(wanted)}`}`,
        );
      const { project, changed } = completeDeployments(deps.api, org, release, environments, status);
      return { status: 200, body: { changed, release: releaseShape(deps.api, org, project, release) } };
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
    if (err instanceof FaultSettingsError) return { status: 400, body: { message: err.message } };
    if (err instanceof AdoError) return { status: err.status, body: err.body() };
    throw err;
  }
}
