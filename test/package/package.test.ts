/**
 * The production package: `npm run package` writes dist/app.zip (and dist/app, which azd deploys).
 * Unzipped into an empty folder, it must load with plain `node` and nothing installed, register
 * every function, and keep the Azure SDK adapters out of the cold start.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFunctions } from '../../src/app/allFunctions.js';
import { at, isRecord, readText, readYaml, record, repoPath, repoRoot } from '../contract/support.js';

const MAX_ZIP_BYTES = 5 * 1024 * 1024;
/** Heavy dependencies that only the adapters use: they must stay out of the cold start. */
const LAZY_PACKAGES = [
  '@azure/storage-blob',
  '@azure/storage-queue',
  '@azure/identity',
  'azure-devops-node-api',
];

let zip: Buffer = Buffer.alloc(0);
let entries: Record<string, Uint8Array> = {};
let unpacked = '';

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** Runs ES module code with plain node in the unpacked folder: no loader, no NODE_OPTIONS. */
function plainNode(code: string) {
  return spawnSync(process.execPath, ['--input-type=module', '--eval', code], {
    cwd: unpacked,
    env: { PATH: '/usr/bin:/bin', HOME: unpacked },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

beforeAll(() => {
  const result = spawnSync('npm', ['run', 'package'], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) throw new Error(`npm run package failed: ${result.stdout}${result.stderr}`);
  zip = readFileSync(repoPath('dist/app.zip'));
  entries = unzipSync(zip);
  unpacked = mkdtempSync(join(tmpdir(), 'app-package-'));
  for (const [name, content] of Object.entries(entries)) {
    if (name.endsWith('/')) continue;
    mkdirSync(dirname(join(unpacked, name)), { recursive: true });
    writeFileSync(join(unpacked, name), content);
  }
}, 240_000);

afterAll(() => {
  if (unpacked !== '') rmSync(unpacked, { recursive: true, force: true });
});

describe('dist/app.zip', () => {
  it('holds the bundle, host.json and a package.json without dependencies: no sources, tests or node_modules', () => {
    const names = Object.keys(entries).sort();
    expect(names).toContain('main.js');
    expect(names).toContain('host.json');
    expect(names).toContain('package.json');
    for (const name of names)
      expect(name).toMatch(/^(main\.js|chunks\/[\w.-]+\.js|host\.json|package\.json)$/);
    const manifest: unknown = JSON.parse(Buffer.from(entries['package.json'] ?? []).toString('utf8'));
    expect(manifest).toMatchObject({ type: 'module', main: 'main.js' });
    expect(isRecord(manifest) && Object.keys(manifest).filter((key) => /dependencies/i.test(key))).toEqual(
      [],
    );
    expect(Buffer.from(entries['host.json'] ?? []).toString('utf8')).toBe(readText('host.json'));
  });

  it(`is at most ${String(MAX_ZIP_BYTES / 1024 / 1024)} MB`, () => {
    expect(zip.length).toBeGreaterThan(10_000);
    expect(zip.length).toBeLessThanOrEqual(MAX_ZIP_BYTES);
  });

  it('is what azd deploys: azure.yaml points at dist/app, whose files are the zip', () => {
    const service = record(at(readYaml('azure.yaml'), ['services', 'api']), 'services.api');
    expect(service).toMatchObject({ language: 'ts', host: 'function', dist: 'dist/app', remoteBuild: false });
    // azd runs `npm run build` for a TypeScript service: it must produce the package.
    const scripts = record(at(JSON.parse(readText('package.json')), ['scripts']), 'scripts');
    expect(scripts.build).toBe('npm run package');
    const deployed = repoPath('dist/app');
    const files = filesUnder(deployed).map((file) => relative(deployed, file).split('\\').join('/'));
    expect(files.sort()).toEqual(Object.keys(entries).sort());
    for (const file of files) {
      expect(Buffer.compare(readFileSync(join(deployed, file)), Buffer.from(entries[file] ?? [])), file).toBe(
        0,
      );
    }
  });

  it('imports with plain node, nothing installed, and registers every function', () => {
    const result = plainNode("await import('./main.js');");
    expect(result.status, result.stderr).toBe(0);
    const output = `${result.stdout}${result.stderr}`;
    const registered = [...output.matchAll(/Skipping call to register function "([^"]+)"/g)].map(
      (match) => match[1],
    );
    expect(registered).toHaveLength(allFunctions.length);
    expect(registered.sort()).toEqual(allFunctions.map((definition) => definition.name).sort());
    expect(output.match(/Skipping call to register appStart hook/g)).toHaveLength(1);
  });

  it('leaves the adapters and the Azure SDKs in lazy chunks that load with plain node', () => {
    const meta = record(JSON.parse(readText('dist/app.meta.json')), 'metafile');
    const outputs = Object.entries(record(meta.outputs, 'outputs')).map(([path, output]) => ({
      file: relative(repoPath('dist/app'), repoPath(path)),
      output: record(output, path),
    }));
    const adapters = outputs.filter(({ output }) => String(output.entryPoint).startsWith('src/adapters/'));
    // Every adapter is imported lazily: by the composition (compose.ts), or (Event Grid's types) by a function.
    const lazyImports = [
      'src/app/compose.ts',
      ...readdirSync(repoPath('src/functions')).map((name) => `src/functions/${name}`),
    ].flatMap((file) => [...readText(file).matchAll(/import\('\.\.\/adapters\//g)]);
    expect(adapters.length).toBe(lazyImports.length);
    const heavy = outputs
      .filter(({ output }) =>
        Object.keys(record(output.inputs, 'inputs')).some((input) =>
          LAZY_PACKAGES.some((name) => input.includes(`node_modules/${name}/`)),
        ),
      )
      .map(({ file }) => file);
    expect(heavy.length).toBeGreaterThan(0);
    expect(heavy).not.toContain('main.js');

    // What `import('./main.js')` actually loads.
    const result = plainNode(`
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
      await import('./main.js');
      console.log('LOADED ' + JSON.stringify(loaded.filter((url) => url.startsWith('file:'))));`);
    expect(result.status, result.stderr).toBe(0);
    const line = /^LOADED (.*)$/m.exec(result.stdout)?.[1] ?? '[]';
    const parsed: unknown = JSON.parse(line);
    const loaded = (Array.isArray(parsed) ? parsed : []).map((url) =>
      relative(unpacked, new URL(String(url)).pathname),
    );
    expect(loaded).toContain('main.js');
    for (const { file } of adapters) expect(loaded).not.toContain(file);
    for (const file of heavy) expect(loaded).not.toContain(file);

    // Every chunk loads on its own with nothing installed (no missing external, no bare require).
    const chunks = Object.keys(entries).filter((name) => name.startsWith('chunks/'));
    const all = plainNode(`for (const chunk of ${JSON.stringify(chunks)}) await import('./' + chunk);`);
    expect(all.status, all.stderr).toBe(0);
  });
});
