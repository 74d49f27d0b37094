/**
 * What the service knows of a YAML pipeline: its declared runtime `parameters` (name, type,
 * default, allowed `values`) and its `resources.pipelines`. Run Pipeline checks the run's
 * templateParameters against them with the service's messages, and a preview renders the YAML
 * with the parameters resolved.
 */
import { parse, stringify } from 'yaml';
import { Errors } from './errors.js';
import { isRecord } from '../json.js';

export interface PipelineParameter {
  readonly name: string;
  /** string (default), number, boolean, object, step, stepList, … */
  readonly type: string;
  readonly hasDefault: boolean;
  readonly default?: unknown;
  readonly values?: readonly string[];
}

export interface PipelineResource {
  readonly alias: string;
  /** Name of the pipeline whose runs the resource takes. */
  readonly source?: string;
}

export interface PipelineYaml {
  /** The YAML text, when the pipeline was seeded from one. */
  readonly text?: string;
  readonly parameters: readonly PipelineParameter[];
  readonly resources: readonly PipelineResource[];
}

export class PipelineYamlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineYamlError';
  }
}

function scalarText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The `parameters` block: a sequence of `{ name, type?, default?, values? }` (or the old mapping form). */
export function parseParameters(input: unknown, where: string): PipelineParameter[] {
  if (input === undefined || input === null) return [];
  if (isRecord(input))
    return Object.entries(input).map(([name, value]) => ({
      name,
      type: 'object',
      hasDefault: true,
      default: value,
    }));
  if (!Array.isArray(input)) throw new PipelineYamlError(`${where}: parameters must be a sequence`);
  const seen = new Set<string>();
  return input.map((item: unknown, i) => {
    if (!isRecord(item) || typeof item.name !== 'string' || item.name.trim() === '')
      throw new PipelineYamlError(`${where}: parameters[${i}] needs a name`);
    if (seen.has(item.name.toLowerCase()))
      throw new PipelineYamlError(`${where}: parameter '${item.name}' is declared twice`);
    seen.add(item.name.toLowerCase());
    if (item.type !== undefined && typeof item.type !== 'string')
      throw new PipelineYamlError(`${where}: parameters[${i}].type must be a string`);
    if (item.values !== undefined && !Array.isArray(item.values))
      throw new PipelineYamlError(`${where}: parameters[${i}].values must be a sequence`);
    const parameter: PipelineParameter = {
      name: item.name,
      type: item.type ?? 'string',
      hasDefault: Object.hasOwn(item, 'default'),
      ...(Object.hasOwn(item, 'default') ? { default: item.default } : {}),
      ...(Array.isArray(item.values) ? { values: item.values.map(scalarText) } : {}),
    };
    return parameter;
  });
}

export function parsePipelineYaml(text: string, where: string): PipelineYaml {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new PipelineYamlError(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isRecord(doc)) throw new PipelineYamlError(`${where}: the YAML is not a mapping`);
  const pipelines = isRecord(doc.resources) ? doc.resources.pipelines : undefined;
  const resources = (Array.isArray(pipelines) ? pipelines : []).flatMap((r: unknown): PipelineResource[] =>
    isRecord(r) && typeof r.pipeline === 'string'
      ? [{ alias: r.pipeline, ...(typeof r.source === 'string' ? { source: r.source } : {}) }]
      : [],
  );
  return { text, parameters: parseParameters(doc.parameters, where), resources };
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Checks a run's templateParameters against the declared ones; answers the resolved values
 * (given, else default) or throws a 400 PipelineValidationException naming the parameter.
 */
export function resolveParameters(
  yaml: PipelineYaml,
  given: Readonly<Record<string, string>>,
): Map<string, unknown> {
  for (const name of Object.keys(given)) {
    if (!yaml.parameters.some((p) => same(p.name, name)))
      throw Errors.pipelineValidation(`Unexpected parameter '${name}'`);
  }
  const resolved = new Map<string, unknown>();
  for (const p of yaml.parameters) {
    const key = Object.keys(given).find((name) => same(name, p.name));
    const value = key === undefined ? undefined : given[key];
    if (value === undefined) {
      if (!p.hasDefault)
        throw Errors.pipelineValidation(`A value for the '${p.name}' parameter must be provided.`);
      resolved.set(p.name, p.default);
      continue;
    }
    if (p.type === 'boolean' && !/^(true|false)$/i.test(value))
      throw Errors.pipelineValidation(`The '${p.name}' parameter value '${value}' is not a valid boolean.`);
    if (p.type === 'number' && (value.trim() === '' || !Number.isFinite(Number(value))))
      throw Errors.pipelineValidation(`The '${p.name}' parameter value '${value}' is not a valid number.`);
    if (p.values !== undefined && !p.values.includes(value))
      throw Errors.pipelineValidation(`The '${p.name}' parameter value '${value}' is not a valid value.`);
    resolved.set(
      p.name,
      p.type === 'boolean' ? /^true$/i.test(value) : p.type === 'number' ? Number(value) : value,
    );
  }
  return resolved;
}

const EXPRESSION = /\$\{\{\s*parameters\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

function substitute(node: unknown, values: ReadonlyMap<string, unknown>): unknown {
  const lookup = (name: string): unknown => {
    for (const [key, value] of values) if (same(key, name)) return value;
    return undefined;
  };
  if (typeof node === 'string') {
    const whole = /^\$\{\{\s*parameters\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(node.trim());
    if (whole?.[1] !== undefined && lookup(whole[1]) !== undefined) return lookup(whole[1]);
    return node.replace(EXPRESSION, (match, name: string) => {
      const value = lookup(name);
      return value === undefined ? match : scalarText(value);
    });
  }
  if (Array.isArray(node)) return node.map((item: unknown) => substitute(item, values));
  if (isRecord(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node))
      Object.defineProperty(out, key, { value: substitute(value, values), enumerable: true, writable: true });
    return out;
  }
  return node;
}

/** The YAML with `parameters` removed and `${{ parameters.x }}` replaced by the resolved values. */
export function renderFinalYaml(yaml: PipelineYaml, values: ReadonlyMap<string, unknown>): string {
  const doc: unknown = yaml.text === undefined ? {} : parse(yaml.text);
  if (!isRecord(doc)) return yaml.text ?? '';
  const rest = Object.fromEntries(Object.entries(doc).filter(([key]) => key !== 'parameters'));
  const rendered = substitute(rest, values);
  if (yaml.text === undefined) return stringify({ parameters: Object.fromEntries(values) });
  return stringify(rendered, { lineWidth: 0 });
}
