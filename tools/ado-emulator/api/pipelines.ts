/** Pipelines API: pipelines (list/get) and runs (run, incl. preview; list; get). */
import { Errors } from '../errors.js';
import { isSha, normalizeRef } from '../ids.js';
import { isRecord, putOwn, type JsonObject } from '../../json.js';
import {
  PipelineYamlError,
  parsePipelineYaml,
  renderFinalYaml,
  resolveParameters,
  type PipelineYaml,
} from '../pipelineYaml.js';
import type { Router } from '../router.js';
import * as shapes from '../shapes.js';
import type { BuildState, OrgState, PipelineResourceRef, PipelineState, ProjectState } from '../store.js';
import {
  collection,
  ok,
  orgOf,
  param,
  parseTop,
  pipelineOf,
  projectOf,
  readVariables,
  specBody,
  type ApiDeps,
} from './common.js';

function stringRecord(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(input))
    for (const [k, v] of Object.entries(input)) if (typeof v === 'string') putOwn(out, k, v);
  return out;
}

/**
 * `resources.pipelines`: each alias must be declared in the YAML (when it declares any), and its
 * run must exist and, when the YAML names a `source`, be a run of that pipeline.
 */
function pipelineResources(org: OrgState, yaml: PipelineYaml, input: unknown): PipelineResourceRef[] {
  const refs: PipelineResourceRef[] = [];
  for (const [alias, raw] of Object.entries(isRecord(input) ? input : {})) {
    const declared = yaml.resources.find((r) => r.alias.toLowerCase() === alias.toLowerCase());
    if (yaml.resources.length > 0 && !declared)
      throw Errors.pipelineValidation(`Unexpected pipeline resource '${alias}'`);
    const runId = isRecord(raw) && typeof raw.runId === 'number' ? raw.runId : undefined;
    if (runId === undefined) continue;
    const run = org.builds.get(runId);
    const source = declared?.source;
    const sourceId = source === undefined ? undefined : findPipelineByName(org, source)?.id;
    if (!run || (sourceId !== undefined && run.pipelineId !== sourceId))
      throw Errors.pipelineValidation(
        `Pipeline resource ${alias}: run ${runId} could not be found${source === undefined ? '' : ` in pipeline '${source}'`}.`,
      );
    refs.push({ alias, runId, pipelineId: run.pipelineId, version: run.buildNumber });
  }
  return refs;
}

function findPipelineByName(org: OrgState, name: string): PipelineState | undefined {
  for (const p of org.projects.values())
    for (const pipeline of p.pipelines.values())
      if (pipeline.name.toLowerCase() === name.toLowerCase()) return pipeline;
  return undefined;
}

function findPipeline(org: OrgState, id: number): PipelineState | undefined {
  for (const p of org.projects.values()) {
    const pipeline = p.pipelines.get(id);
    if (pipeline) return pipeline;
  }
  return undefined;
}

export function runShape(
  deps: ApiDeps,
  org: OrgState,
  project: ProjectState,
  pipeline: PipelineState,
  build: BuildState,
): shapes.Shape {
  return shapes.run(deps.urls, org, project, pipeline, build, (id) => findPipeline(org, id));
}

/** Run Pipeline: spec check, declared parameters and resources; a preview creates nothing. */
function runPipeline(
  deps: ApiDeps,
  org: OrgState,
  project: ProjectState,
  pipeline: PipelineState,
  body: JsonObject,
) {
  const preview = body.previewRun === true;
  let yaml = pipeline.yaml;
  if (typeof body.yamlOverride === 'string') {
    if (!preview) throw Errors.pipelineValidation('YAML override is only supported for preview runs.');
    try {
      yaml = parsePipelineYaml(body.yamlOverride, 'yamlOverride');
    } catch (err) {
      if (err instanceof PipelineYamlError) throw Errors.pipelineValidation(err.message);
      throw err;
    }
  }
  const templateParameters = stringRecord(body.templateParameters);
  const resolved = resolveParameters(yaml, templateParameters);
  const resources = isRecord(body.resources) ? body.resources : {};
  const refs = pipelineResources(org, yaml, resources.pipelines);
  if (preview) {
    return {
      _links: {},
      pipeline: shapes.pipelineReference(deps.urls, org, project, pipeline),
      templateParameters,
      finalYaml: renderFinalYaml(yaml, resolved),
      state: 'unknown',
      id: -1,
      name: '',
    };
  }
  const self = isRecord(resources.repositories) ? resources.repositories.self : undefined;
  const refName =
    isRecord(self) && typeof self.refName === 'string' && self.refName.trim() !== ''
      ? self.refName
      : undefined;
  const version =
    isRecord(self) && typeof self.version === 'string' && self.version !== '' ? self.version : undefined;
  const build = deps.store.createRun(org, {
    pipeline,
    project,
    ...(refName === undefined ? {} : { sourceBranch: normalizeRef(refName) }),
    ...(version === undefined ? {} : { sourceVersion: isSha(version) ? version.toLowerCase() : version }),
    templateParameters,
    variables: readVariables(body.variables),
    pipelineResources: refs,
    reason: 'manual',
    now: deps.now(),
  });
  return runShape(deps, org, project, pipeline, build);
}

export function registerPipelineRoutes(router: Router, deps: ApiDeps): void {
  const base = ':org/:project/_apis/pipelines';
  const ctx = (params: Readonly<Record<string, string>>) => {
    const org = orgOf(deps, params);
    const project = projectOf(deps, org, params);
    return { org, project };
  };

  router.add('org', 'GET', base, (req, params) => {
    const { org, project } = ctx(params);
    const orderBy = (req.query.get('orderBy') ?? 'name asc').trim().toLowerCase();
    const [field, direction] = orderBy.split(/\s+/);
    const list = [...project.pipelines.values()].sort((a, b) =>
      field === 'id' ? a.id - b.id : a.name.localeCompare(b.name) || a.id - b.id,
    );
    if (direction === 'desc') list.reverse();
    const top = parseTop(req.query.get('$top'), undefined);
    return collection(list.slice(0, top).map((p) => shapes.pipeline(deps.urls, org, project, p)));
  });

  router.add('org', 'GET', `${base}/:pipelineId`, (_req, params) => {
    const { org, project } = ctx(params);
    return ok(shapes.pipeline(deps.urls, org, project, pipelineOf(project, param(params, 'pipelineId'))));
  });

  router.add('org', 'POST', `${base}/:pipelineId/runs`, (req, params) => {
    const { org, project } = ctx(params);
    const pipeline = pipelineOf(project, param(params, 'pipelineId'));
    return ok(runPipeline(deps, org, project, pipeline, specBody(deps, req, 'runPipeline', 'runParameters')));
  });

  router.add('org', 'GET', `${base}/:pipelineId/runs`, (_req, params) => {
    const { org, project } = ctx(params);
    const pipeline = pipelineOf(project, param(params, 'pipelineId'));
    const runs = [...org.builds.values()]
      .filter((b) => b.projectId === project.id && b.pipelineId === pipeline.id)
      .sort((a, b) => b.id - a.id)
      .slice(0, 10000)
      .map((b) => runShape(deps, org, project, pipeline, b));
    return collection(runs);
  });

  router.add('org', 'GET', `${base}/:pipelineId/runs/:runId`, (_req, params) => {
    const { org, project } = ctx(params);
    const pipeline = pipelineOf(project, param(params, 'pipelineId'));
    const runId = param(params, 'runId');
    const build = org.builds.get(Number(runId));
    if (!/^\d+$/.test(runId) || build?.projectId !== project.id || build.pipelineId !== pipeline.id)
      throw Errors.runNotFound(pipeline.id, runId);
    return ok(runShape(deps, org, project, pipeline, build));
  });
}
