/** Pipelines API: pipelines (list/get/create), runs (run/get/list) and preview. */
import { CONFIGURATION_TYPE, parseEnum } from '../enums.js';
import { Errors } from '../errors.js';
import { isSha, normalizeRef } from '../ids.js';
import {
  isPositiveInt,
  isRecord,
  isStringArray,
  putOwn,
  recordField,
  stringField,
  type JsonObject,
} from '../json.js';
import type { Router } from '../router.js';
import * as shapes from '../shapes.js';
import type { BuildState, OrgState, PipelineResourceRef, PipelineState, ProjectState } from '../store.js';
import {
  collection,
  objectBody,
  ok,
  orgOf,
  param,
  parseTop,
  parseVariables,
  pipelineOf,
  projectOf,
  type ApiDeps,
} from './common.js';

export interface ParsedRunParameters {
  previewRun: boolean;
  yamlOverride?: string;
  refName?: string;
  version?: string;
  templateParameters: Record<string, string>;
  variables: ReturnType<typeof parseVariables>;
  stagesToSkip: string[];
  pipelineResources: PipelineResourceRef[];
}

/** Validates RunPipelineParameters the way the service does (template parameters are strings). */
export function parseRunParameters(org: OrgState, body: unknown): ParsedRunParameters {
  if (body !== undefined && body !== null && !isRecord(body))
    throw Errors.badRequest('runParameters must be a JSON object.');
  const input: JsonObject = isRecord(body) ? body : {};
  const parsed: ParsedRunParameters = {
    previewRun: false,
    templateParameters: {},
    variables: parseVariables(input.variables, 'variables'),
    stagesToSkip: [],
    pipelineResources: [],
  };
  if (input.previewRun !== undefined && input.previewRun !== null) {
    if (typeof input.previewRun !== 'boolean') throw Errors.badRequest('previewRun must be a boolean.');
    parsed.previewRun = input.previewRun;
  }
  const yamlOverride = input.yamlOverride;
  if (yamlOverride !== undefined && yamlOverride !== null) {
    if (typeof yamlOverride !== 'string') throw Errors.badRequest('yamlOverride must be a string.');
    if (!parsed.previewRun)
      throw Errors.pipelineValidation('YAML override is only supported for preview runs.');
    parsed.yamlOverride = yamlOverride;
  }
  const tp = input.templateParameters;
  if (tp !== undefined && tp !== null) {
    if (!isRecord(tp))
      throw Errors.pipelineValidation('templateParameters must be an object of string values.');
    for (const [name, value] of Object.entries(tp)) {
      if (typeof value !== 'string')
        throw Errors.pipelineValidation(
          `Unable to convert the value of template parameter '${name}' to a string: template parameters passed to the run must be strings (got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}).`,
        );
      putOwn(parsed.templateParameters, name, value);
    }
  }
  const stages = input.stagesToSkip;
  if (stages !== undefined && stages !== null) {
    if (!isStringArray(stages)) throw Errors.badRequest('stagesToSkip must be an array of stage names.');
    parsed.stagesToSkip = [...stages];
  }
  const resources = input.resources;
  if (resources !== undefined && resources !== null) {
    if (!isRecord(resources)) throw Errors.badRequest('resources must be an object.');
    const repositories = resources.repositories;
    if (repositories !== undefined && repositories !== null) {
      if (!isRecord(repositories)) throw Errors.badRequest('resources.repositories must be an object.');
      const self = repositories.self;
      if (self !== undefined && self !== null) {
        if (!isRecord(self)) throw Errors.badRequest('resources.repositories.self must be an object.');
        const refName = self.refName;
        if (refName !== undefined && refName !== null) {
          if (typeof refName !== 'string' || refName.trim() === '')
            throw Errors.badRequest('resources.repositories.self.refName must be a non-empty string.');
          parsed.refName = normalizeRef(refName);
        }
        const version = self.version;
        if (version !== undefined && version !== null && version !== '') {
          if (typeof version !== 'string')
            throw Errors.badRequest('resources.repositories.self.version must be a string.');
          parsed.version = isSha(version) ? version.toLowerCase() : version;
        }
      }
    }
    const pipelines = resources.pipelines;
    if (pipelines !== undefined && pipelines !== null) {
      if (!isRecord(pipelines)) throw Errors.badRequest('resources.pipelines must be an object.');
      for (const [alias, raw] of Object.entries(pipelines)) {
        if (!isRecord(raw)) throw Errors.badRequest(`resources.pipelines.${alias} must be an object.`);
        const ref: PipelineResourceRef = { alias };
        if (raw.runId !== undefined && raw.runId !== null) {
          if (!isPositiveInt(raw.runId))
            throw Errors.badRequest(`resources.pipelines.${alias}.runId must be a positive integer.`);
          const referenced = org.builds.get(raw.runId);
          if (!referenced)
            throw Errors.pipelineValidation(
              `Pipeline resource ${alias}: run ${raw.runId} could not be found in this organization.`,
            );
          ref.runId = raw.runId;
          ref.pipelineId = referenced.pipelineId;
          ref.version = referenced.buildNumber;
        }
        const version = stringField(raw, 'version');
        if (version !== undefined && ref.version === undefined) ref.version = version;
        parsed.pipelineResources.push(ref);
      }
    }
  }
  return parsed;
}

function finalYaml(pipeline: PipelineState, parameters: Record<string, string>, override?: string): string {
  if (override !== undefined) return override;
  const lines = [
    `# Emulated final YAML for pipeline '${pipeline.name}' (${pipeline.yamlPath})`,
    'parameters:',
  ];
  const names = Object.keys(parameters);
  if (names.length === 0) lines[1] = 'parameters: []';
  for (const name of names) {
    lines.push(`- name: ${name}`, '  type: string', `  default: ${JSON.stringify(parameters[name])}`);
  }
  lines.push(
    'trigger: none',
    'stages:',
    '- stage: __default',
    '  jobs:',
    '  - job: Job',
    '    steps:',
    '    - script: echo emulated',
  );
  return `${lines.join('\n')}\n`;
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

export function registerPipelineRoutes(router: Router, deps: ApiDeps): void {
  router.add('org', 'GET', ':org/:project/_apis/pipelines', (req, params) => {
    const org = orgOf(deps, params);
    const project = projectOf(deps, org, params);
    const orderBy = (req.query.get('orderBy') ?? 'name asc').trim().toLowerCase();
    const [field, direction] = orderBy.split(/\s+/);
    const list = [...project.pipelines.values()].sort((a, b) =>
      field === 'id' ? a.id - b.id : a.name.localeCompare(b.name) || a.id - b.id,
    );
    if (direction === 'desc') list.reverse();
    const top = parseTop(req.query.get('$top'), undefined);
    return collection(list.slice(0, top).map((p) => shapes.pipeline(deps.urls, org, project, p)));
  });

  router.add('org', 'GET', ':org/:project/_apis/pipelines/:pipelineId', (_req, params) => {
    const org = orgOf(deps, params);
    const project = projectOf(deps, org, params);
    const pipeline = pipelineOf(project, param(params, 'pipelineId'));
    return ok(shapes.pipeline(deps.urls, org, project, pipeline));
  });

  router.add('org', 'POST', ':org/:project/_apis/pipelines', (req, params) => {
    const org = orgOf(deps, params);
    const project = projectOf(deps, org, params);
    const body = objectBody(req, 'inputParameters');
    const name = stringField(body, 'name')?.trim();
    if (!name) throw Errors.badRequest('name is required.');
    const folder = stringField(body, 'folder') ?? '\\';
    const configuration = recordField(body, 'configuration');
    if (!configuration) throw Errors.argumentNull('configuration');
    const type = parseEnum(CONFIGURATION_TYPE, configuration.type);
    if (type !== 'yaml')
      throw Errors.badRequest(
        `Configuration type ${JSON.stringify(configuration.type)} is not supported; use 'yaml'.`,
      );
    const path = stringField(configuration, 'path');
    if (!path) throw Errors.badRequest('configuration.path is required for YAML pipelines.');
    const repo = recordField(configuration, 'repository');
    if (!repo) throw Errors.argumentNull('configuration.repository');
    const repoType = stringField(repo, 'type') ?? 'gitHub';
    const repoName = stringField(repo, 'fullName') ?? stringField(repo, 'name') ?? stringField(repo, 'id');
    if (!repoName) throw Errors.badRequest('configuration.repository needs an id, name or fullName.');
    for (const existing of project.pipelines.values()) {
      if (existing.folder === folder && existing.name.toLowerCase() === name.toLowerCase())
        throw Errors.pipelineExists(name, folder);
    }
    const pipeline = deps.store.addPipeline(org, project, {
      name,
      folder,
      yamlPath: path,
      repository: {
        id: stringField(repo, 'id') ?? repoName,
        name: repoName,
        type: repoType.toLowerCase() === 'azurereposgit' ? 'TfsGit' : 'GitHub',
      },
    });
    return ok(shapes.pipeline(deps.urls, org, project, pipeline));
  });

  router.add('org', 'POST', ':org/:project/_apis/pipelines/:pipelineId/runs', (req, params) => {
    const org = orgOf(deps, params);
    const project = projectOf(deps, org, params);
    const pipeline = pipelineOf(project, param(params, 'pipelineId'));
    const parsed = parseRunParameters(org, req.body);
    if (parsed.previewRun) return ok(previewShape(deps, org, project, pipeline, parsed));
    const build = createRunFrom(deps, org, project, pipeline, parsed, 'manual');
    return ok(runShape(deps, org, project, pipeline, build));
  });

  router.add('org', 'POST', ':org/:project/_apis/pipelines/:pipelineId/preview', (req, params) => {
    const org = orgOf(deps, params);
    const project = projectOf(deps, org, params);
    const pipeline = pipelineOf(project, param(params, 'pipelineId'));
    const parsed = parseRunParameters(org, req.body);
    return ok({ finalYaml: finalYaml(pipeline, parsed.templateParameters, parsed.yamlOverride) });
  });

  router.add('org', 'GET', ':org/:project/_apis/pipelines/:pipelineId/runs', (_req, params) => {
    const org = orgOf(deps, params);
    const project = projectOf(deps, org, params);
    const pipeline = pipelineOf(project, param(params, 'pipelineId'));
    const runs = [...org.builds.values()]
      .filter((b) => b.projectId === project.id && b.pipelineId === pipeline.id)
      .sort((a, b) => b.id - a.id)
      .slice(0, 10000)
      .map((b) => runShape(deps, org, project, pipeline, b));
    return collection(runs);
  });

  router.add('org', 'GET', ':org/:project/_apis/pipelines/:pipelineId/runs/:runId', (_req, params) => {
    const org = orgOf(deps, params);
    const project = projectOf(deps, org, params);
    const pipeline = pipelineOf(project, param(params, 'pipelineId'));
    const runId = param(params, 'runId');
    const build = org.builds.get(Number(runId));
    if (!/^\d+$/.test(runId) || build?.projectId !== project.id || build.pipelineId !== pipeline.id)
      throw Errors.runNotFound(pipeline.id, runId);
    return ok(runShape(deps, org, project, pipeline, build));
  });
}

function previewShape(
  deps: ApiDeps,
  org: OrgState,
  project: ProjectState,
  pipeline: PipelineState,
  parsed: ParsedRunParameters,
): shapes.Shape {
  return {
    _links: {},
    pipeline: shapes.pipelineReference(deps.urls, org, project, pipeline),
    templateParameters: { ...parsed.templateParameters },
    finalYaml: finalYaml(pipeline, parsed.templateParameters, parsed.yamlOverride),
    state: 'unknown',
    id: -1,
    name: '',
  };
}

export function createRunFrom(
  deps: ApiDeps,
  org: OrgState,
  project: ProjectState,
  pipeline: PipelineState,
  parsed: Pick<
    ParsedRunParameters,
    'refName' | 'version' | 'templateParameters' | 'variables' | 'stagesToSkip' | 'pipelineResources'
  >,
  reason: BuildState['reason'],
): BuildState {
  return deps.store.createRun(org, {
    pipeline,
    project,
    ...(parsed.refName === undefined ? {} : { sourceBranch: parsed.refName }),
    ...(parsed.version === undefined ? {} : { sourceVersion: parsed.version }),
    templateParameters: parsed.templateParameters,
    variables: parsed.variables,
    stagesToSkip: parsed.stagesToSkip,
    pipelineResources: parsed.pipelineResources,
    reason,
    now: deps.now(),
  });
}
