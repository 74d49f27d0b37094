/** Shared lookups and helpers for the ADO route handlers. */
import { Errors } from '../errors.js';
import type { HookDispatcher } from '../hooks.js';
import { isRecord, parsePositiveInt, putOwn, type JsonObject } from '../../json.js';
import type { RouteRequest, RouteResult, Params } from '../router.js';
import type { UrlContext } from '../shapes.js';
import type { RequestValidator, ValidatedOperation } from '../spec.js';
import type {
  BuildState,
  EmulatorStore,
  OrgState,
  PipelineState,
  ProjectState,
  VariableValue,
} from '../store.js';

export interface ApiDeps {
  store: EmulatorStore;
  hooks: HookDispatcher;
  urls: UrlContext;
  now: () => Date;
  /** Absent when the sandbox runs without the conformance corpus: requests are then not checked against the specs. */
  spec: RequestValidator | undefined;
}

export function ok(body: unknown, status = 200): RouteResult {
  return { status, body };
}

export function collection(items: readonly unknown[]): RouteResult {
  return { status: 200, body: { count: items.length, value: items } };
}

export function param(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined) throw Errors.internal(`route parameter ${name} missing`);
  return value;
}

export function orgOf(deps: ApiDeps, params: Params): OrgState {
  return deps.store.org(param(params, 'org'));
}

export function projectOf(deps: ApiDeps, org: OrgState, params: Params): ProjectState {
  const name = param(params, 'project');
  const project = deps.store.findProject(org, name);
  if (!project) throw Errors.projectNotFound(name);
  return project;
}

export function pipelineOf(project: ProjectState, idText: string): PipelineState {
  const id = parsePositiveInt(idText);
  const pipeline = id === undefined ? undefined : project.pipelines.get(id);
  if (!pipeline) throw Errors.pipelineNotFound(idText);
  return pipeline;
}

export function buildOf(org: OrgState, project: ProjectState, idText: string): BuildState {
  const id = parsePositiveInt(idText);
  const build = id === undefined ? undefined : org.builds.get(id);
  if (build?.projectId !== project.id) throw Errors.buildNotFound(idText);
  return build;
}

/** The pipeline a build belongs to (synthesized if it vanished, which seeds never do). */
export function pipelineForBuild(project: ProjectState, build: BuildState): PipelineState {
  return (
    project.pipelines.get(build.pipelineId) ?? {
      id: build.pipelineId,
      name: `pipeline-${build.pipelineId}`,
      folder: '\\',
      revision: 1,
      yamlPath: 'azure-pipelines.yml',
      yaml: { parameters: [], resources: [] },
      repository: build.repository,
    }
  );
}

/** The request body as an object; a missing body is ArgumentNullException like the real service. */
export function objectBody(req: RouteRequest, parameterName: string): JsonObject {
  if (req.body === undefined || req.body === null) throw Errors.argumentNull(parameterName);
  if (!isRecord(req.body))
    throw Errors.badRequest(`The request body for ${parameterName} must be a JSON object.`);
  return req.body;
}

/** The request body, checked against the operation's published spec. */
export function specBody(
  deps: ApiDeps,
  req: RouteRequest,
  operation: ValidatedOperation,
  parameterName: string,
): JsonObject {
  const body = objectBody(req, parameterName);
  const violation = deps.spec?.body(operation, body);
  if (violation) throw Errors.specViolation(violation);
  return body;
}

export function specQuery(deps: ApiDeps, req: RouteRequest, operation: ValidatedOperation): URLSearchParams {
  const violation = deps.spec?.query(operation, req.query);
  if (violation) throw Errors.specViolation(violation);
  return req.query;
}

/** `{ name: { value, isSecret } }`, already checked against the spec (values are strings). */
export function readVariables(input: unknown): Record<string, VariableValue> {
  const out: Record<string, VariableValue> = {};
  if (!isRecord(input)) return out;
  for (const [name, raw] of Object.entries(input)) {
    if (!isRecord(raw)) continue;
    putOwn(out, name, {
      ...(typeof raw.value === 'string' ? { value: raw.value } : {}),
      ...(raw.isSecret === true ? { isSecret: true } : {}),
    });
  }
  return out;
}

export function parseIdList(raw: string | null, what: string): number[] | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  const ids: number[] = [];
  for (const part of raw.split(',')) {
    const id = parsePositiveInt(part.trim());
    if (id === undefined) throw Errors.badRequest(`${what} must be a comma-separated list of ids: ${raw}`);
    ids.push(id);
  }
  return ids;
}

export function parseTop(raw: string | null, fallback: number | undefined): number | undefined {
  if (raw === null || raw.trim() === '') return fallback;
  const n = parsePositiveInt(raw.trim());
  if (n === undefined) throw Errors.badRequest(`$top must be a positive integer: ${raw}`);
  return n;
}

export function parseDateParam(raw: string | null, name: string): Date | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw Errors.badRequest(`${name} is not a valid date: ${raw}`);
  return d;
}
