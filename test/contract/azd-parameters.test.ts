/**
 * Every value azd puts into infra/main.bicep on a fresh environment — main.parameters.json
 * substitutions, defaults and `azd.type: 'generate'` metadata — satisfies the constraints Azure
 * Resource Manager checks (minLength, maxLength, minValue, maxValue, allowedValues, type), read from
 * the ARM JSON the real Bicep CLI compiles. azd's `$(secretOrRandomPassword …)` makes 15 characters:
 * fed into a `@minLength(16)` parameter, the first `azd provision` failed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { armParameters, BICEP_TIMEOUT_MS, compiledArm, type ArmParameter } from './arm.js';
import { azdGenerate, azdMetadata, generateConfig, substitute } from './azd.js';
import { isRecord, readJson, readText, record } from './support.js';

type Produced =
  | { readonly kind: 'value'; readonly value: unknown; readonly how: string }
  | { readonly kind: 'operator'; readonly variable: string }
  | { readonly kind: 'prompt' };

/** azd's armParameterFileValue: a parameters-file string converted to the parameter's type. */
function fileValue(parameter: ArmParameter, raw: string): unknown {
  switch (parameter.type) {
    case 'int':
      return /^-?\d+$/.test(raw) ? Number(raw) : undefined;
    case 'bool':
      return raw === 'true' ? true : raw === 'false' ? false : undefined;
    case 'string':
    case 'securestring': {
      if (raw !== '') return raw;
      const fallback = parameter.defaultValue;
      return typeof fallback === 'string' && fallback !== raw ? raw : undefined;
    }
    default:
      return raw;
  }
}

/** What azd deploys for one parameter on a fresh environment (one draw, for generated values). */
function produce(parameter: ArmParameter, fileEntry: unknown): Produced {
  if (isRecord(fileEntry) && 'value' in fileEntry) {
    const raw = fileEntry.value;
    if (typeof raw !== 'string') return { kind: 'value', value: raw, how: 'parameters file' };
    const substituted = substitute(raw);
    if (substituted.kind === 'from-environment') return { kind: 'operator', variable: substituted.variable };
    const value = fileValue(parameter, substituted.value);
    if (value !== undefined) return { kind: 'value', value, how: substituted.source };
  }
  if ('defaultValue' in parameter) return { kind: 'value', value: parameter.defaultValue, how: 'default' };
  const metadata = azdMetadata(parameter.metadata);
  if (metadata.type === 'generate') {
    return { kind: 'value', value: azdGenerate(generateConfig(metadata.config)), how: 'azd generate' };
  }
  return { kind: 'prompt' };
}

/** The constraints ARM checks that `value` breaks (empty: none). */
function violations(parameter: ArmParameter, value: unknown): string[] {
  const broken: string[] = [];
  // A default that is an ARM expression is evaluated by ARM; nothing to check here.
  if (typeof value === 'string' && value.startsWith('[')) return broken;
  if (parameter.type === 'string' || parameter.type === 'securestring') {
    if (typeof value !== 'string') return [`is ${typeof value}, not a string`];
    if (parameter.minLength !== undefined && value.length < parameter.minLength)
      broken.push(`has ${String(value.length)} characters, minLength is ${String(parameter.minLength)}`);
    if (parameter.maxLength !== undefined && value.length > parameter.maxLength)
      broken.push(`has ${String(value.length)} characters, maxLength is ${String(parameter.maxLength)}`);
  } else if (parameter.type === 'int') {
    if (typeof value !== 'number' || !Number.isInteger(value)) return [`is not an integer`];
    if (parameter.minValue !== undefined && value < parameter.minValue)
      broken.push(`is below minValue ${String(parameter.minValue)}`);
    if (parameter.maxValue !== undefined && value > parameter.maxValue)
      broken.push(`is above maxValue ${String(parameter.maxValue)}`);
  } else if (parameter.type === 'bool') {
    if (typeof value !== 'boolean') return ['is not a boolean'];
  }
  if (parameter.allowedValues !== undefined && !parameter.allowedValues.includes(value))
    broken.push(`is not one of ${JSON.stringify(parameter.allowedValues)}`);
  return broken;
}

const SAMPLES = 200; // generated values are random: many draws of each

let parameters: ArmParameter[] = [];
const file = record(
  record(readJson('infra/main.parameters.json'), 'parameters file').parameters,
  'parameters',
);

beforeAll(() => {
  parameters = armParameters(compiledArm('infra/main.bicep'));
}, BICEP_TIMEOUT_MS);

describe('azd -> infra/main.bicep parameters', () => {
  it('main.parameters.json names only parameters main.bicep declares', () => {
    const declared = new Set(parameters.map((parameter) => parameter.name));
    expect(parameters.length).toBeGreaterThan(20);
    expect(Object.keys(file).filter((name) => !declared.has(name))).toEqual([]);
  });

  it('every value azd fills in satisfies the constraints of the compiled template', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const parameter of parameters) {
      for (let draw = 0; draw < SAMPLES; draw += 1) {
        const produced = produce(parameter, file[parameter.name]);
        if (produced.kind !== 'value') break;
        checked += 1;
        for (const problem of violations(parameter, produced.value)) {
          problems.push(`${parameter.name} (${produced.how}) ${problem}`);
        }
        if (produced.how !== 'azd generate' && produced.how !== 'secretOrRandomPassword') break;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect([...new Set(problems)]).toEqual([]);
  });

  it('generates the two secrets with metadata azd reads: 32 letters and digits', () => {
    for (const name of ['serviceHookPassword', 'githubWebhookSecret']) {
      const parameter = parameters.find((candidate) => candidate.name === name);
      expect(parameter?.type, name).toBe('securestring');
      if (parameter === undefined) continue;
      const metadata = azdMetadata(parameter.metadata);
      expect(metadata.type, name).toBe('generate');
      // Empty unless the operator points azd at Key Vault (akvs://…): then azd generates.
      expect(record(file[name], name).value, name).toMatch(/^\$\{[A-Z_]+=\}$/);
      const value = produce(parameter, file[name]);
      expect(value.kind === 'value' && value.how, name).toBe('azd generate');
      for (let draw = 0; draw < SAMPLES; draw += 1) {
        const secret = azdGenerate(generateConfig(metadata.config));
        expect(secret, name).toMatch(/^[A-Za-z0-9]{32}$/);
        expect(violations(parameter, secret), name).toEqual([]);
      }
    }
  });

  it('would have refused the old setting: secretOrRandomPassword (15 characters) into @minLength(16)', () => {
    const old: ArmParameter = {
      name: 'githubWebhookSecret',
      type: 'securestring',
      minLength: 16,
      metadata: {},
    };
    const produced = produce(old, {
      value: '$(secretOrRandomPassword ${AZURE_KEY_VAULT_NAME} github-webhook-secret)',
    });
    expect(produced).toMatchObject({ kind: 'value', how: 'secretOrRandomPassword' });
    expect(produced.kind === 'value' ? violations(old, produced.value) : []).toEqual([
      'has 15 characters, minLength is 16',
    ]);
  });

  it('prompts only for what docs/deploy.md tells the operator to set', () => {
    const deployDoc = readText('docs/deploy.md');
    const azdSets = new Set(['AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_PRINCIPAL_ID']);
    const prompted: string[] = [];
    for (const parameter of parameters) {
      const produced = produce(parameter, file[parameter.name]);
      if (produced.kind === 'prompt') prompted.push(parameter.name);
      if (produced.kind === 'operator' && !azdSets.has(produced.variable)) {
        expect(deployDoc, produced.variable).toContain(`azd env set ${produced.variable} `);
      }
    }
    expect(prompted).toEqual([]);
  });
});
