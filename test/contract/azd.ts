/**
 * What azd puts into each parameter of infra/main.bicep, as azd 1.x computes it
 * (Azure/azure-dev cli/azd/pkg/infra/provisioning/bicep/bicep_provider.go, pkg/password/generator.go,
 * pkg/cmdsubst/secretOrRandomPassword.go):
 *
 * 1. main.parameters.json values are substituted: `${VAR}` / `${VAR=default}` from the azd
 *    environment, `$(secretOrRandomPassword <vault> <secret>)` by the secret or, when the secret does
 *    not exist yet, by password.Generate with 5 lower-case letters, 5 upper-case letters and 5 digits
 *    (15 characters).
 * 2. A string that is empty after substitution counts as "not given" unless the parameter has a
 *    different default (armParameterFileValue).
 * 3. A parameter not given and without default is taken from the environment's config, else
 *    generated when its metadata says `azd: { type: 'generate', config }`, else prompted for.
 */
import { randomInt } from 'node:crypto';
import { isRecord, type Json } from './support.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const SYMBOLS = '-_.{}~()*+!';

/** azd's password.GenerateConfig (the `config` of `azd.type: 'generate'` metadata). */
export interface GenerateConfig {
  readonly length?: number;
  readonly noLower?: boolean;
  readonly noUpper?: boolean;
  readonly noNumeric?: boolean;
  readonly noSpecial?: boolean;
  readonly minLower?: number;
  readonly minUpper?: number;
  readonly minNumeric?: number;
  readonly minSpecial?: number;
}

const CONFIG_KEYS = new Set([
  'length',
  'noLower',
  'noUpper',
  'noNumeric',
  'noSpecial',
  'minLower',
  'minUpper',
  'minNumeric',
  'minSpecial',
]);

/** Reads a `config` object the way azd's JSON decoding does, refusing keys azd would ignore. */
export function generateConfig(value: unknown): GenerateConfig {
  if (!isRecord(value)) throw new Error('azd generate metadata has no config object');
  const unknown = Object.keys(value).filter((key) => !CONFIG_KEYS.has(key));
  if (unknown.length > 0) throw new Error(`azd ignores config keys: ${unknown.join(', ')}`);
  const number = (key: string): number | undefined => {
    const field = value[key];
    if (field === undefined) return undefined;
    if (typeof field !== 'number' || !Number.isInteger(field) || field < 0) throw new Error(key);
    return field;
  };
  const flag = (key: string): boolean | undefined => {
    const field = value[key];
    if (field === undefined) return undefined;
    if (typeof field !== 'boolean') throw new Error(`${key} is not a boolean`);
    return field;
  };
  const config: Record<string, number | boolean> = {};
  for (const key of ['length', 'minLower', 'minUpper', 'minNumeric', 'minSpecial']) {
    const field = number(key);
    if (field !== undefined) config[key] = field;
  }
  for (const key of ['noLower', 'noUpper', 'noNumeric', 'noSpecial']) {
    const field = flag(key);
    if (field !== undefined) config[key] = field;
  }
  return config;
}

function pick(alphabet: string, count: number): string {
  let out = '';
  for (let index = 0; index < count; index += 1) out += alphabet.charAt(randomInt(alphabet.length));
  return out;
}

/** A port of azd's password.Generate: same errors, same length, same character classes. */
export function azdGenerate(config: GenerateConfig): string {
  const clusters: [number, boolean | undefined, string][] = [
    [config.minLower ?? 0, config.noLower, LOWER],
    [config.minUpper ?? 0, config.noUpper, UPPER],
    [config.minNumeric ?? 0, config.noNumeric, DIGITS],
    [config.minSpecial ?? 0, config.noSpecial, SYMBOLS],
  ];
  const clustersLength = clusters.reduce((sum, [minimum]) => sum + minimum, 0);
  const total = config.length === undefined || config.length === 0 ? clustersLength : config.length;
  if (clustersLength > total) {
    throw new Error('the sum of MinLower, MinUpper, MinNumeric, and MinSpecial must be <= the length');
  }
  if (total === 0) throw new Error('either Length or the sum of the minimums must be greater than 0');
  let generated = '';
  for (const [minimum, disallowed, alphabet] of clusters) {
    if (disallowed === true) {
      if (minimum > 0) throw new Error('cluster size is greater than 0 but the condition is false');
      continue;
    }
    generated += pick(alphabet, minimum);
  }
  for (let left = total - clustersLength; left > 0; left -= 1) {
    const combined = clusters
      .filter(([, disallowed]) => disallowed !== true)
      .map(([, , alphabet]) => pick(alphabet, 1))
      .join('');
    if (combined === '') throw new Error("can't generate if all characters are disallowed");
    generated += pick(combined, 1);
  }
  const characters = generated.split(''); // ASCII only
  for (let index = characters.length - 1; index > 0; index -= 1) {
    const other = randomInt(index + 1);
    [characters[index], characters[other]] = [characters[other] ?? '', characters[index] ?? ''];
  }
  return characters.join('');
}

/** azd's secretOrRandomPassword when the secret is not in the vault yet (first provision). */
export function secretOrRandomPassword(): string {
  return azdGenerate({ minLower: 5, minUpper: 5, minNumeric: 5 });
}

export type Substituted =
  | { readonly kind: 'value'; readonly value: string; readonly source: string }
  | { readonly kind: 'from-environment'; readonly variable: string };

/**
 * Substitutes one main.parameters.json string as azd does on a fresh environment: variables take
 * their default (empty when none is written), commands run. A value that is a bare `${VAR}` is
 * reported as coming from the environment (azd prompts for it or the operator sets it).
 */
export function substitute(raw: string): Substituted {
  const bare = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(raw);
  if (bare?.[1] !== undefined) return { kind: 'from-environment', variable: bare[1] };
  const command = /^\$\((\w+)((?: [^ )]+)*)\)$/.exec(raw.replace(/\$\{[^}]*\}/g, 'x'));
  if (command !== null) {
    if (command[1] !== 'secretOrRandomPassword') throw new Error(`unknown azd command: ${raw}`);
    return { kind: 'value', value: secretOrRandomPassword(), source: 'secretOrRandomPassword' };
  }
  const value = raw.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-=])?([^}]*)\}/g, (_, _name, op, fallback) => {
    if (op === undefined) return '';
    return String(fallback);
  });
  if (value.includes('${') || value.includes('$(')) throw new Error(`unsupported substitution: ${raw}`);
  return { kind: 'value', value, source: 'environment default' };
}

export function azdMetadata(metadata: Json): { type?: string; config?: unknown } {
  const azd = metadata.azd;
  if (!isRecord(azd)) return {};
  return {
    ...(typeof azd.type === 'string' ? { type: azd.type } : {}),
    ...('config' in azd ? { config: azd.config } : {}),
  };
}
