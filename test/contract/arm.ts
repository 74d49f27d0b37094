/**
 * The ARM JSON the real Bicep CLI compiles infra/*.bicep to (scripts/bicep.sh fetches the CLI into
 * .tools/ the first time), and helpers to read it: parameter definitions and the resources of nested
 * module deployments. Constraints are read from what Azure and azd see, not from Bicep source text.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord, record, repoPath, repoRoot, type Json } from './support.js';

/** Fetching the CLI from NuGet takes a while the first time; compiling takes a few seconds. */
export const BICEP_TIMEOUT_MS = 240_000;

const compiled = new Map<string, Json>();

/** Hash of every input of a compilation: infra/'s Bicep files, its bicepconfig.json, the CLI version. */
function sourcesHash(): string {
  const hash = createHash('sha256').update(readFileSync(repoPath('scripts/bicep.sh')));
  const walk = (folder: string): void => {
    for (const entry of readdirSync(repoPath(folder), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const relative = `${folder}/${entry.name}`;
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.bicep') || entry.name === 'bicepconfig.json') {
        hash.update(relative).update(readFileSync(repoPath(relative)));
      }
    }
  };
  walk('infra');
  return hash.digest('hex').slice(0, 16);
}

/**
 * The compiled template of `bicepFile`. Test files run in separate processes: the JSON is cached
 * under .tools/arm-cache by a hash of the sources, so the CLI runs once per change, not per file.
 */
export function compiledArm(bicepFile: string): Json {
  const cached = compiled.get(bicepFile);
  if (cached !== undefined) return cached;
  const cacheDir = repoPath(`.tools/arm-cache/${sourcesHash()}`);
  const cacheFile = join(cacheDir, `${bicepFile.replace(/[^\w.-]/g, '_')}.json`);
  let text: string;
  if (existsSync(cacheFile)) {
    text = readFileSync(cacheFile, 'utf8');
  } else {
    const result = spawnSync('bash', [repoPath('scripts/bicep.sh'), 'build', bicepFile, '--stdout'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: BICEP_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) {
      throw new Error(`bicep build ${bicepFile} failed (${String(result.status)}): ${result.stderr}`);
    }
    text = result.stdout;
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${cacheFile}.${String(process.pid)}.tmp`;
    writeFileSync(partial, text);
    renameSync(partial, cacheFile);
  }
  const template = record(JSON.parse(text), `${bicepFile} compiled`);
  compiled.set(bicepFile, template);
  return template;
}

export interface ArmParameter {
  readonly name: string;
  readonly type: string;
  readonly defaultValue?: unknown;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minValue?: number;
  readonly maxValue?: number;
  readonly allowedValues?: readonly unknown[];
  readonly metadata: Json;
}

function optionalNumber(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new Error(`${what} is not a number`);
  return value;
}

export function armParameters(template: Json): ArmParameter[] {
  return Object.entries(record(template.parameters, 'parameters')).map(([name, raw]) => {
    const definition = record(raw, `parameters.${name}`);
    if (typeof definition.type !== 'string') throw new Error(`parameters.${name}.type is not a string`);
    const allowed = definition.allowedValues;
    if (allowed !== undefined && !Array.isArray(allowed)) throw new Error(`${name}.allowedValues`);
    const minLength = optionalNumber(definition.minLength, `${name}.minLength`);
    const maxLength = optionalNumber(definition.maxLength, `${name}.maxLength`);
    const minValue = optionalNumber(definition.minValue, `${name}.minValue`);
    const maxValue = optionalNumber(definition.maxValue, `${name}.maxValue`);
    return {
      name,
      type: definition.type.toLowerCase(),
      ...('defaultValue' in definition ? { defaultValue: definition.defaultValue } : {}),
      ...(minLength === undefined ? {} : { minLength }),
      ...(maxLength === undefined ? {} : { maxLength }),
      ...(minValue === undefined ? {} : { minValue }),
      ...(maxValue === undefined ? {} : { maxValue }),
      ...(allowed === undefined ? {} : { allowedValues: allowed }),
      metadata: isRecord(definition.metadata) ? definition.metadata : {},
    };
  });
}

/** Every resource of a template and of the templates of its nested (module) deployments. */
export function armResources(template: Json, path = ''): { path: string; resource: Json }[] {
  const raw = template.resources;
  const entries: [string, unknown][] = Array.isArray(raw)
    ? raw.map((resource, index) => [String(index), resource])
    : Object.entries(record(raw, 'resources'));
  return entries.flatMap(([key, value]) => {
    const resource = record(value, `${path}resources.${key}`);
    const here = { path: `${path}${key}`, resource };
    const nested = isRecord(resource.properties) ? resource.properties.template : undefined;
    return isRecord(nested) ? [here, ...armResources(nested, `${path}${key}/`)] : [here];
  });
}
