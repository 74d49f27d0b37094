/**
 * Requests checked against Microsoft's published REST 7.2 specs (Swagger 2.0, read at start from the
 * conformance corpus and compiled once per process with Ajv). Swagger schemas are translated to
 * JSON Schema with the rules the real service (.NET, Json.NET) follows:
 *
 * - reference types (string, array, object, `$ref`) may be null; value types (integer, number,
 *   boolean, enums) may not — Microsoft's own example requests send `"name": null`;
 * - `{ "type": "object" }` with nothing else is .NET `System.Object`: any JSON value;
 * - `format: byte` on a string is .NET `System.Byte` (a number 0..255), not base64;
 * - in requests, enum members match case-insensitively and also as integers (Json.NET's
 *   StringEnumConverter); in responses they must be the spec's names;
 * - query strings: integers, booleans and dates must parse, enums are names or numbers, comma
 *   separated (ASP.NET model binding); dates are whatever .NET parses (the client sends RFC 1123).
 *
 * Properties the spec does not list are allowed (the specs do not close their objects, and the
 * service ignores unknown members). A keyword the translator does not know stops the emulator at
 * start instead of being skipped.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { readConformanceJson } from './conformance.js';
import { isRecord, type JsonObject } from '../json.js';

export const SPEC_FILES = {
  pipelines: 'specs/vsts-rest-api-specs-pipelines-7.2-pipelines.json',
  builds: 'specs/vsts-rest-api-specs-build-7.2-Builds_List-Builds_Get.fragment.json',
  releases: 'specs/vsts-rest-api-specs-release-7.2-Releases_Create-Releases_List.fragment.json',
  hooks: 'specs/vsts-rest-api-specs-hooks-7.2-Subscriptions.fragment.json',
  buildFull: 'specs/full/vsts-rest-api-specs-build-7.2-build.json',
  releaseFull: 'specs/full/vsts-rest-api-specs-release-7.2-release.json',
} as const;

export interface SpecOperation {
  readonly spec: string;
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  readonly path: string;
}

/** The requests the emulator validates. */
export const VALIDATED_OPERATIONS = {
  runPipeline: {
    spec: SPEC_FILES.pipelines,
    method: 'post',
    path: '/{organization}/{project}/_apis/pipelines/{pipelineId}/runs',
  },
  listBuilds: {
    spec: SPEC_FILES.builds,
    method: 'get',
    path: '/{organization}/{project}/_apis/build/builds',
  },
  createRelease: {
    spec: SPEC_FILES.releases,
    method: 'post',
    path: '/{organization}/{project}/_apis/release/releases',
  },
  createSubscription: {
    spec: SPEC_FILES.hooks,
    method: 'post',
    path: '/{organization}/_apis/hooks/subscriptions',
  },
  replaceSubscription: {
    spec: SPEC_FILES.hooks,
    method: 'put',
    path: '/{organization}/_apis/hooks/subscriptions/{subscriptionId}',
  },
} as const satisfies Record<string, SpecOperation>;

export type ValidatedOperation = keyof typeof VALIDATED_OPERATIONS;

export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

/** What the spec does not allow: the field (dotted path, `$top` for a query) and why. */
export interface SpecViolation {
  readonly where: 'body' | 'query';
  readonly schema: string;
  readonly field: string;
  readonly value: unknown;
  readonly message: string;
}

type Mode = 'request' | 'response';
type Schema = Record<string, unknown>;

const UNDERSTOOD = new Set([
  '$ref',
  'type',
  'format',
  'enum',
  'properties',
  'additionalProperties',
  'items',
  'allOf',
  'required',
]);
const ANNOTATIONS = new Set(['description', 'title', 'readOnly', 'example', 'default']);
const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });
/** The top of a response or a request body is never null. */
const nonNull = (schema: Schema): Schema =>
  Array.isArray(schema.anyOf) && isRecord(schema.anyOf[0]) ? schema.anyOf[0] : schema;

function specId(file: string): string {
  return `https://ado-emulator.invalid/${file}`;
}

function translate(node: unknown, at: string, mode: Mode, id: string): Schema {
  if (!isRecord(node)) throw new SpecError(`${at}: a schema must be an object`);
  for (const key of Object.keys(node)) {
    if (!UNDERSTOOD.has(key) && !ANNOTATIONS.has(key) && !key.startsWith('x-'))
      throw new SpecError(`${at}: the emulator does not translate the keyword '${key}'`);
  }
  const sub = (value: unknown, where: string): Schema => translate(value, where, mode, id);
  if (typeof node.$ref === 'string') {
    if (!node.$ref.startsWith('#/definitions/')) throw new SpecError(`${at}: unsupported $ref ${node.$ref}`);
    return nullable({ $ref: `${id}${node.$ref}` });
  }
  if (Array.isArray(node.enum)) {
    const names = node.enum.map(String);
    return mode === 'request' ? { adoEnum: names } : { enum: names };
  }
  const type =
    node.type ?? (node.properties !== undefined || node.allOf !== undefined ? 'object' : undefined);
  const format = typeof node.format === 'string' ? node.format : undefined;
  switch (type) {
    case 'object': {
      if (
        node.properties === undefined &&
        node.additionalProperties === undefined &&
        node.allOf === undefined
      )
        return {}; // System.Object
      const out: Schema = { type: ['object', 'null'] };
      if (isRecord(node.properties)) {
        const properties: Record<string, Schema> = {};
        for (const [name, value] of Object.entries(node.properties))
          Object.defineProperty(properties, name, {
            value: sub(value, `${at}.${name}`),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        out.properties = properties;
      }
      if (typeof node.additionalProperties === 'boolean')
        out.additionalProperties = node.additionalProperties;
      else if (node.additionalProperties !== undefined)
        out.additionalProperties = sub(node.additionalProperties, `${at}[*]`);
      if (Array.isArray(node.allOf)) out.allOf = node.allOf.map((s, i) => sub(s, `${at}.allOf[${i}]`));
      if (Array.isArray(node.required)) out.required = node.required.map(String);
      return out;
    }
    case 'array':
      return { type: ['array', 'null'], items: sub(node.items ?? {}, `${at}[]`) };
    case 'string':
      if (format === 'byte') return { type: 'integer', minimum: 0, maximum: 255 }; // System.Byte
      if (format === 'T') return {}; // an unbound .NET generic parameter
      if (format === 'date-time' || format === 'uuid') return { type: ['string', 'null'], format };
      return { type: ['string', 'null'] };
    case 'integer': {
      const [minimum, maximum] = INT_RANGES[format ?? 'int32'] ?? INT_RANGES.int64 ?? [0, 0];
      return { type: 'integer', minimum, maximum };
    }
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    default:
      throw new SpecError(`${at}: unsupported type ${JSON.stringify(type)}`);
  }
}

function enumMatches(names: readonly string[], text: string): boolean {
  const lower = text.trim().toLowerCase();
  return /^[+-]?\d+$/.test(lower) || names.some((n) => n.toLowerCase() === lower);
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const QUERY_INT = /^\s*[+-]?\d{1,10}\s*$/;

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function newAjv(mode: Mode): Ajv {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: mode === 'response', verbose: true });
  ajv.addFormat('date-time', {
    type: 'string',
    validate:
      mode === 'response'
        ? (s: string) => ISO_DATE_TIME.test(s) && !Number.isNaN(Date.parse(s))
        : (s: string) => !Number.isNaN(Date.parse(s)),
  });
  ajv.addFormat('uuid', { type: 'string', validate: (s: string) => UUID.test(s) });
  // Query-string forms (ASP.NET model binding of the Builds List parameters).
  ajv.addFormat('query-int32', {
    type: 'string',
    validate: (s: string) => QUERY_INT.test(s) && Math.abs(Number(s)) <= 2147483647,
  });
  ajv.addFormat('query-boolean', {
    type: 'string',
    validate: (s: string) => /^\s*(true|false)\s*$/i.test(s),
  });
  ajv.addFormat('array (int32)', {
    type: 'string',
    validate: (s: string) => s.split(',').every((part) => part.trim() === '' || QUERY_INT.test(part)),
  });
  ajv.addKeyword({
    keyword: 'adoEnum',
    schemaType: 'array',
    errors: false,
    validate: (names: unknown, data: unknown) =>
      (typeof data === 'number' && Number.isInteger(data)) ||
      (typeof data === 'string' && !data.includes(',') && enumMatches(stringArray(names), data)),
  });
  ajv.addKeyword({
    keyword: 'adoEnumList',
    type: 'string',
    schemaType: 'array',
    errors: false,
    validate: (names: unknown, data: unknown) =>
      typeof data === 'string' && data.split(',').every((part) => enumMatches(stringArray(names), part)),
  });
  return ajv;
}

function get(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = isRecord(current) ? current[key] : undefined;
  return current;
}

/** One Ajv per mode, holding every spec file it has translated. */
class SpecCompiler {
  private readonly ajv: Ajv;
  private readonly docs = new Map<string, JsonObject>();

  constructor(private readonly mode: Mode) {
    this.ajv = newAjv(mode);
  }

  private doc(file: string): JsonObject {
    let doc = this.docs.get(file);
    if (!doc) {
      const raw = readConformanceJson(file);
      if (!isRecord(raw) || !isRecord(raw.definitions) || !isRecord(raw.paths))
        throw new SpecError(`${file} is not a Swagger document with paths and definitions`);
      const definitions: Record<string, Schema> = {};
      for (const [name, schema] of Object.entries(raw.definitions))
        definitions[name] = translate(schema, `${file}#/definitions/${name}`, this.mode, specId(file));
      this.ajv.addSchema({ $id: specId(file), definitions });
      doc = raw;
      this.docs.set(file, doc);
    }
    return doc;
  }

  operation(op: SpecOperation): JsonObject {
    const operation = get(this.doc(op.spec), 'paths', op.path, op.method);
    if (!isRecord(operation)) throw new SpecError(`${op.spec} has no ${op.method.toUpperCase()} ${op.path}`);
    return operation;
  }

  parameters(op: SpecOperation): JsonObject[] {
    const doc = this.doc(op.spec);
    const list = this.operation(op).parameters;
    return (Array.isArray(list) ? list : []).map((p: unknown) => {
      const ref = get(p, '$ref');
      const resolved = typeof ref === 'string' ? get(doc, ...ref.replace(/^#\//, '').split('/')) : p;
      if (!isRecord(resolved)) throw new SpecError(`${op.spec} ${op.path}: unreadable parameter`);
      return resolved;
    });
  }

  compile(schema: Schema, op: SpecOperation): ValidateFunction {
    this.doc(op.spec);
    return this.ajv.compile(schema);
  }

  translate(node: unknown, at: string, op: SpecOperation): Schema {
    return translate(node, at, this.mode, specId(op.spec));
  }
}

const compilers = new Map<Mode, SpecCompiler>();

/** One compiler per mode and process: each spec file is read and translated once. */
function compilerFor(mode: Mode): SpecCompiler {
  let compiler = compilers.get(mode);
  if (!compiler) {
    compiler = new SpecCompiler(mode);
    compilers.set(mode, compiler);
  }
  return compiler;
}

function definitionName(schema: unknown): string {
  const ref = get(schema, '$ref');
  return typeof ref === 'string' ? (ref.split('/').pop() ?? ref) : 'body';
}

function fieldOf(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string')
    segments.push(error.params.missingProperty);
  return segments.reduce(
    (path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path === '' ? s : `${path}.${s}`),
    '',
  );
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'adoEnum' || error.keyword === 'adoEnumList')
    return `must be one of ${stringArray(error.schema).join(', ')}`;
  if (error.keyword === 'type') return `must be ${String(error.params.type).replace(',null', '')}`;
  return error.message ?? `fails ${error.keyword}`;
}

/** The most telling error: not the `anyOf` wrapper of a nullable reference, nor its `null` branch. */
function firstViolation(errors: readonly ErrorObject[] | null | undefined): ErrorObject | undefined {
  const list = errors ?? [];
  return list.find((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.schema === 'null')) ?? list[0];
}

function queryParameterSchema(p: JsonObject): Schema {
  if (Array.isArray(p.enum)) return { type: 'string', adoEnumList: p.enum.map(String) };
  if (p.type === 'integer') return { type: 'string', format: 'query-int32' };
  if (p.type === 'boolean') return { type: 'string', format: 'query-boolean' };
  if (p.format === 'date-time' || p.format === 'array (int32)') return { type: 'string', format: p.format };
  return { type: 'string' };
}

/** Compiled request validators (built once per process, at the first emulator's start). */
export class RequestValidator {
  private static instance: RequestValidator | undefined;
  private readonly bodies = new Map<ValidatedOperation, { validate: ValidateFunction; schema: string }>();
  private readonly queries = new Map<ValidatedOperation, ValidateFunction>();

  private constructor() {
    const compiler = compilerFor('request');
    for (const [name, op] of Object.entries(VALIDATED_OPERATIONS)) {
      if (!isValidatedOperation(name)) continue;
      const params = compiler.parameters(op);
      const body = params.find((p) => p.in === 'body');
      if (body) {
        const schema = nonNull(compiler.translate(body.schema, `${op.path} body`, op));
        this.bodies.set(name, {
          validate: compiler.compile(schema, op),
          schema: definitionName(body.schema),
        });
      }
      const query = params.filter((p) => p.in === 'query' && p.name !== 'api-version');
      if (query.length > 0) {
        const properties: Record<string, Schema> = {};
        for (const p of query) properties[String(p.name)] = queryParameterSchema(p);
        this.queries.set(name, compiler.compile({ type: 'object', properties }, op));
      }
    }
  }

  static load(): RequestValidator {
    RequestValidator.instance ??= new RequestValidator();
    return RequestValidator.instance;
  }

  body(operation: ValidatedOperation, body: unknown): SpecViolation | undefined {
    const entry = this.bodies.get(operation);
    if (!entry || entry.validate(body)) return undefined;
    const error = firstViolation(entry.validate.errors);
    if (!error) return undefined;
    return {
      where: 'body',
      schema: entry.schema,
      field: fieldOf(error),
      value: error.data,
      message: describe(error),
    };
  }

  query(operation: ValidatedOperation, query: URLSearchParams): SpecViolation | undefined {
    const validate = this.queries.get(operation);
    if (!validate) return undefined;
    const values: Record<string, string> = {};
    for (const [name, value] of query) {
      if (!Object.hasOwn(values, name))
        Object.defineProperty(values, name, { value, enumerable: true, writable: true, configurable: true });
    }
    if (validate(values)) return undefined;
    const error = firstViolation(validate.errors);
    if (!error) return undefined;
    return {
      where: 'query',
      schema: operation,
      field: fieldOf(error),
      value: error.data,
      message: describe(error),
    };
  }
}

function isValidatedOperation(name: string): name is ValidatedOperation {
  return Object.hasOwn(VALIDATED_OPERATIONS, name);
}

function report(validate: ValidateFunction): (value: unknown) => string[] {
  return (value) =>
    validate(value)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${fieldOf(e) || '(root)'} ${describe(e)} (got ${JSON.stringify(e.data)})`,
        );
}

/**
 * A validator of an operation's 200 response, for the emulator's own tests. List operations
 * (an array in the spec) are checked inside the `{ count, value }` envelope the service sends.
 * Returns the violations, one line each; empty when the body conforms.
 */
export function responseValidator(op: SpecOperation): (body: unknown) => string[] {
  const compiler = compilerFor('response');
  const schema = get(compiler.operation(op), 'responses', '200', 'schema');
  let translated = nonNull(compiler.translate(schema ?? {}, `${op.path} 200`, op));
  if (get(schema, 'type') === 'array')
    translated = {
      type: 'object',
      required: ['count', 'value'],
      properties: { count: { type: 'integer' }, value: translated },
    };
  return report(compiler.compile(translated, op));
}

/** A validator of one definition of a spec file, as a response (tests). */
export function definitionValidator(spec: string, definition: string): (value: unknown) => string[] {
  const compiler = compilerFor('response');
  const op: SpecOperation = { spec, method: 'get', path: '' };
  return report(compiler.compile({ $ref: `${specId(spec)}#/definitions/${definition}` }, op));
}

/** A validator of a request body against an operation's body schema (tests: Microsoft's examples). */
export function requestBodyValidator(op: SpecOperation): (body: unknown) => string[] {
  const compiler = compilerFor('request');
  const body = compiler.parameters(op).find((p) => p.in === 'body');
  if (!body) throw new SpecError(`${op.path} has no body`);
  return report(compiler.compile(nonNull(compiler.translate(body.schema, `${op.path} body`, op)), op));
}
