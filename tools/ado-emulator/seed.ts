/** Validation of project seeds (programmatic and CLI) into the store's form. */
import { isPositiveInt, isRecord } from '../json.js';
import { PipelineYamlError, parseParameters, parsePipelineYaml, type PipelineYaml } from './pipelineYaml.js';

export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

export interface DefinitionVariable {
  value: string;
  allowOverride: boolean;
  isSecret: boolean;
}

export interface ParsedPipelineSeed {
  id: number;
  name: string;
  yamlPath: string;
  yaml: PipelineYaml;
}

export interface ParsedReleaseDefinitionSeed {
  id: number;
  name: string;
  artifacts: { alias: string; pipelineId: number }[];
  variables: Map<string, DefinitionVariable>;
  environments: { id: number; name: string }[];
}

export interface ParsedSeed {
  org: string;
  project: string;
  pipelines: ParsedPipelineSeed[];
  releaseDefinitions: ParsedReleaseDefinitionSeed[];
}

const NAME = /^[^/\\?#%*:|"<>]{1,64}$/;

function validName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '' || !NAME.test(value) || value.trim() !== value)
    throw new SeedError(
      `${what} must be a non-empty name without / \\ ? # % * : | " < > or surrounding spaces`,
    );
  return value;
}

function idName(item: unknown, what: string): { id: number; name: string; item: Record<string, unknown> } {
  if (!isRecord(item) || !isPositiveInt(item.id) || typeof item.name !== 'string' || item.name.trim() === '')
    throw new SeedError(`${what} must be { id: positive integer, name: non-empty string, … }`);
  return { id: item.id, name: item.name, item };
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SeedError(`${what} must be an array`);
  return value;
}

function pipelineSeed(raw: unknown, i: number): ParsedPipelineSeed {
  const { id, name, item } = idName(raw, `pipelines[${i}]`);
  const where = `pipeline ${id} (${name})`;
  if (item.yaml !== undefined && item.parameters !== undefined)
    throw new SeedError(`${where}: give its yaml or its parameters, not both`);
  if (item.yaml !== undefined && typeof item.yaml !== 'string')
    throw new SeedError(`${where}: yaml must be text`);
  if (item.yamlPath !== undefined && typeof item.yamlPath !== 'string')
    throw new SeedError(`${where}: yamlPath must be a string`);
  try {
    const yaml =
      typeof item.yaml === 'string'
        ? parsePipelineYaml(item.yaml, where)
        : { parameters: parseParameters(item.parameters, where), resources: [] };
    return { id, name, yamlPath: item.yamlPath ?? 'azure-pipelines.yml', yaml };
  } catch (err) {
    if (err instanceof PipelineYamlError) throw new SeedError(err.message);
    throw err;
  }
}

function releaseDefinitionSeed(raw: unknown, i: number): ParsedReleaseDefinitionSeed {
  const { id, name, item } = idName(raw, `releaseDefinitions[${i}]`);
  const where = `release definition ${id} (${name})`;
  const artifacts = list(item.artifacts, `${where}: artifacts`).map((a, j) => {
    if (!isRecord(a) || typeof a.alias !== 'string' || a.alias.trim() === '' || !isPositiveInt(a.pipelineId))
      throw new SeedError(`${where}: artifacts[${j}] must be { alias, pipelineId }`);
    return { alias: a.alias, pipelineId: a.pipelineId };
  });
  const variables = new Map<string, DefinitionVariable>();
  if (item.variables !== undefined) {
    if (!isRecord(item.variables)) throw new SeedError(`${where}: variables must be an object`);
    for (const [key, v] of Object.entries(item.variables)) {
      if (!isRecord(v) || (v.value !== undefined && typeof v.value !== 'string'))
        throw new SeedError(`${where}: variables.${key} must be { value?, allowOverride?, isSecret? }`);
      variables.set(key, {
        value: v.value ?? '',
        allowOverride: v.allowOverride === true,
        isSecret: v.isSecret === true,
      });
    }
  }
  const environments = list(item.environments, `${where}: environments`).map((e, j) => {
    const env = idName(e, `${where}: environments[${j}]`);
    return { id: env.id, name: env.name };
  });
  return {
    id,
    name,
    artifacts,
    variables,
    environments: environments.length > 0 ? environments : [{ id: 1, name: 'Stage 1' }],
  };
}

export function parseSeed(input: unknown): ParsedSeed {
  if (!isRecord(input))
    throw new SeedError('seed must be an object { org, project, pipelines?, releaseDefinitions? }');
  const org = validName(input.org, 'org');
  if (['vsrm', '_emulator', '_apis'].includes(org.toLowerCase()))
    throw new SeedError(`org name '${org}' is reserved by the emulator`);
  const project = validName(input.project, 'project');
  if (project.toLowerCase() === '_apis') throw new SeedError(`project name '${project}' is reserved`);
  return {
    org,
    project,
    pipelines: list(input.pipelines, 'pipelines').map(pipelineSeed),
    releaseDefinitions: list(input.releaseDefinitions, 'releaseDefinitions').map(releaseDefinitionSeed),
  };
}
