/**
 * Helpers for the contract tests: reading repository files, walking parsed YAML without casts,
 * and reading the few things the tests need out of Bicep source text (no Bicep CLI, no network).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { isRecord, record, type JsonObject } from '../../tools/json.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function repoPath(relative: string): string {
  return `${repoRoot}${relative}`;
}

export function readText(relative: string): string {
  return readFileSync(repoPath(relative), 'utf8');
}

export function readYaml(relative: string): unknown {
  const value: unknown = parse(readText(relative));
  return value;
}

/** Every document of a multi-document YAML file; throws on the first parse error. */
export function readYamlDocuments(relative: string): unknown[] {
  return parseYamlDocuments(readText(relative));
}

export function parseYamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text).map((document) => {
    const [error] = document.errors;
    if (error !== undefined) throw error;
    const value: unknown = document.toJS();
    return value;
  });
}

export function readJson(relative: string): unknown {
  const value: unknown = JSON.parse(readText(relative));
  return value;
}

// --- Walking untyped data ------------------------------------------------------------------------

export type Json = JsonObject;
export { isRecord, record };

export function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

export function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string`);
  return value;
}

export function at(value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[key];
    } else {
      if (!isRecord(current)) return undefined;
      current = current[key];
    }
  }
  return current;
}

/** Every mapping in a tree, with its path (for pipelines: steps, jobs, inputs...). */
export function mappings(value: unknown, path: readonly string[] = []): { path: string[]; node: Json }[] {
  const found: { path: string[]; node: Json }[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, index) => found.push(...mappings(item, [...path, String(index)])));
  } else if (isRecord(value)) {
    found.push({ path: [...path], node: value });
    for (const [key, child] of Object.entries(value)) found.push(...mappings(child, [...path, key]));
  }
  return found;
}

/** Every string in a tree, with its path. */
export function strings(value: unknown, path: readonly string[] = []): { path: string[]; value: string }[] {
  if (typeof value === 'string') return [{ path: [...path], value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, [...path, String(index)]));
  if (isRecord(value)) return Object.entries(value).flatMap(([key, child]) => strings(child, [...path, key]));
  return [];
}

// --- Azure Pipelines ------------------------------------------------------------------------------

export interface PipelineParameter {
  readonly name: string;
  readonly type: unknown;
  readonly hasDefault: boolean;
}

export function pipelineParameters(pipeline: unknown): PipelineParameter[] {
  return list(at(pipeline, ['parameters']), 'parameters').map((entry, index) => {
    const parameter = record(entry, `parameters[${index}]`);
    return {
      name: text(parameter.name, `parameters[${index}].name`),
      type: parameter.type,
      hasDefault: 'default' in parameter,
    };
  });
}

/** Steps are the mappings that hold a step keyword. */
const STEP_KEYWORDS = ['bash', 'script', 'pwsh', 'powershell', 'task', 'checkout', 'download', 'publish'];

export function pipelineSteps(pipeline: unknown): Json[] {
  return mappings(pipeline)
    .filter(({ path, node }) => path.at(-2) === 'steps' && STEP_KEYWORDS.some((keyword) => keyword in node))
    .map(({ node }) => node);
}

/** The script bodies of a step: inline scripts and the inline scripts of script-running tasks. */
export function scriptBodies(step: Json): string[] {
  const bodies: string[] = [];
  for (const keyword of ['bash', 'script', 'pwsh', 'powershell']) {
    const body = step[keyword];
    if (typeof body === 'string') bodies.push(body);
  }
  const inputs = step.inputs;
  if (isRecord(inputs)) {
    for (const key of ['inlineScript', 'script', 'Inline', 'arguments', 'scriptArguments']) {
      const body = inputs[key];
      if (typeof body === 'string') bodies.push(body);
    }
  }
  return bodies;
}

export function stepByDisplayName(pipeline: unknown, displayName: string): Json {
  const step = pipelineSteps(pipeline).find((candidate) => candidate.displayName === displayName);
  if (step === undefined) throw new Error(`no step "${displayName}"`);
  return step;
}

export function tasks(pipeline: unknown, name: string): Json[] {
  return pipelineSteps(pipeline).filter((step) => step.task === name);
}

/** Runs a pipeline script body with bash, as an agent would, with exactly the given environment. */
export function runScript(
  script: string,
  env: Readonly<Record<string, string>>,
  cwd: string = repoRoot,
): { status: number | null; stdout: string; stderr: string; variables: Map<string, string> } {
  const result = spawnSync('bash', ['-c', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const variables = new Map<string, string>();
  for (const match of result.stdout.matchAll(/^##vso\[task\.setvariable variable=([^;\]]+)[^\]]*\](.*)$/gm)) {
    const [, name, value] = match;
    if (name !== undefined && value !== undefined) variables.set(name, value);
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, variables };
}

// --- Bicep source text ------------------------------------------------------------------------------

/** Lines of a top-level `var <name> = <opener>` ... closing line at column 0 (bicep format layout). */
function topLevelBlock(source: string, name: string, opener: '{' | 'union(', closer: '}' | ')'): string[] {
  const lines = source.split('\n');
  const start = lines.findIndex((line) => line.trimEnd() === `var ${name} = ${opener}`);
  if (start < 0) throw new Error(`no "var ${name} = ${opener}" in the Bicep source`);
  const end = lines.findIndex((line, index) => index > start && line.trimEnd() === closer);
  if (end < 0) throw new Error(`var ${name} is not closed by "${closer}" at column 0`);
  return lines.slice(start + 1, end);
}

const KEY_AT_LINE_START = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/;
const KEY_AFTER_BRACE = /\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/g;

function withoutComment(line: string): string {
  const index = line.indexOf('//');
  return index < 0 ? line : line.slice(0, index);
}

/** Keys of a multi-line object literal assigned to a top-level var (one key per line). */
export function bicepObjectKeys(source: string, name: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const raw of topLevelBlock(source, name, '{', '}')) {
    const line = withoutComment(raw);
    const match = KEY_AT_LINE_START.exec(line);
    if (match?.[1] !== undefined) keys.set(match[1], line.slice(line.indexOf(':') + 1).trim());
  }
  return keys;
}

/** Keys of the one-line objects inside a top-level `var <name> = union(...)`. */
export function bicepUnionKeys(source: string, name: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const raw of topLevelBlock(source, name, 'union(', ')')) {
    const line = withoutComment(raw);
    for (const match of line.matchAll(KEY_AFTER_BRACE)) {
      if (match[1] !== undefined) keys.set(match[1], line.slice(match.index + match[0].length).trim());
    }
  }
  return keys;
}

/** Top-level parameters of a Bicep file and whether each has a default value. */
export function bicepParams(source: string): Map<string, { type: string; hasDefault: boolean }> {
  const params = new Map<string, { type: string; hasDefault: boolean }>();
  for (const match of source.matchAll(/^param ([A-Za-z_][A-Za-z0-9_]*) ([A-Za-z]+)( = .*)?$/gm)) {
    const [, name, type, initializer] = match;
    if (name !== undefined && type !== undefined)
      params.set(name, { type, hasDefault: initializer !== undefined });
  }
  return params;
}

/** The string value of a top-level `var <name> = '<value>'`. */
export function bicepStringVar(source: string, name: string): string {
  const match = new RegExp(`^var ${name} = '([^']*)'`, 'm').exec(source);
  if (match?.[1] === undefined) throw new Error(`no string var ${name}`);
  return match[1];
}

/** The default of a top-level `param <name> <type> = '<value>'`. */
export function bicepStringParamDefault(source: string, name: string): string {
  const match = new RegExp(`^param ${name} string = '([^']*)'`, 'm').exec(source);
  if (match?.[1] === undefined) throw new Error(`no string param ${name} with a default`);
  return match[1];
}
