/**
 * One Node major everywhere: the Function App's runtime (compiled ARM), package.json engines, the
 * Node CI runs the suite on (scripts/node.sh), the bundle's target and @types/node.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { armResources, BICEP_TIMEOUT_MS, compiledArm } from './arm.js';
import { at, readText, record, text } from './support.js';

let runtime: unknown;

beforeAll(() => {
  const sites = armResources(compiledArm('infra/main.bicep')).filter(
    ({ resource }) => resource.type === 'Microsoft.Web/sites',
  );
  expect(sites).toHaveLength(1);
  runtime = at(sites[0]?.resource, ['properties', 'functionAppConfig', 'runtime']);
}, BICEP_TIMEOUT_MS);

function shellVariable(source: string, name: string): string {
  const value = new RegExp(`^${name}=([0-9.]+)$`, 'm').exec(source)?.[1];
  if (value === undefined) throw new Error(`no ${name}= in scripts/node.sh`);
  return value;
}

describe('the Node runtime', () => {
  const manifest: unknown = JSON.parse(readText('package.json'));
  const nodeScript = readText('scripts/node.sh');

  it('is the same major in Azure, in engines, in CI, in the bundle and in the types', () => {
    expect(runtime).toEqual({ name: 'node', version: '24' });
    const major = String(record(runtime, 'runtime').version);
    const engines = text(at(manifest, ['engines', 'node']), 'engines.node');
    expect(engines).toMatch(new RegExp(`^\\^${major}\\.\\d+\\.\\d+$`));
    expect(shellVariable(nodeScript, 'NODE_MAJOR')).toBe(major);
    expect(shellVariable(nodeScript, 'NODE_MINIMUM')).toBe(engines.slice(1));
    expect(shellVariable(nodeScript, 'NODE_VERSION').split('.')[0]).toBe(major);
    expect(readText('scripts/package.ts')).toContain(`const NODE_TARGET = 'node${major}';`);
    expect(text(at(manifest, ['devDependencies', '@types/node']), '@types/node').split('.')[0]).toBe(major);
  });

  it('is the one CI runs the suite on: .ci/run puts scripts/node.sh first on PATH before npm ci', () => {
    const ci = readText('.ci/run');
    const path = ci.indexOf('export PATH="$node_bin:$PATH"');
    expect(ci.indexOf('node_bin=$(bash scripts/node.sh)')).toBeGreaterThan(0);
    expect(path).toBeGreaterThan(0);
    expect(ci.indexOf('npm ci')).toBeGreaterThan(path);
  });

  it('the CI Node satisfies engines when it is fetched: pinned version and integrity', () => {
    const [major, minor, patch] = shellVariable(nodeScript, 'NODE_VERSION').split('.').map(Number);
    const [, minimumMinor, minimumPatch] = shellVariable(nodeScript, 'NODE_MINIMUM').split('.').map(Number);
    expect(major).toBe(24);
    expect((minor ?? 0) * 1000 + (patch ?? 0)).toBeGreaterThanOrEqual(
      (minimumMinor ?? 0) * 1000 + (minimumPatch ?? 0),
    );
    expect(nodeScript.match(/integrity='sha512-[A-Za-z0-9+/]{86}=='/g)).toHaveLength(2);
  });
});
