/**
 * `npm run package` (and `npm run build`, which azd runs): the production package of the app.
 *
 *   dist/app/       what azd deploys (azure.yaml services.api.dist) — zipped by azd as is:
 *     main.js         the app bundled by esbuild from src/main.ts (ESM, minified), @azure/functions
 *                     included, @azure/functions-core left to the Functions Node worker
 *     chunks/*.js     code split off: the adapters and Azure SDKs that src/app/services.ts imports
 *                     lazily stay lazy chunks, loaded on the first invocation, not at cold start
 *     host.json       the repository's
 *     package.json    type module, main: main.js, no dependencies (everything is in the bundle)
 *   dist/app.zip    the same files, zipped: the artefact to inspect, test and deploy by hand
 *                   (`az functionapp deployment source config-zip` / `azd deploy --from-package`)
 *   dist/app.meta.json  esbuild's metafile (which input went into which chunk), for the tests
 *
 * No dev dependencies, tests or sources go in; the zip must stay under MAX_ZIP_BYTES.
 */
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_ZIP_BYTES = 5 * 1024 * 1024;
/** The Node major of the Functions runtime (infra/modules/function-app.bicep). */
const NODE_TARGET = 'node24';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const appDir = join(dist, 'app');
const zipPath = join(dist, 'app.zip');
const metaPath = join(dist, 'app.meta.json');

// CommonJS dependencies bundled into ESM still call require() (node: built-ins, and
// @azure/functions-core, which the worker provides by intercepting Module.prototype.require).
const requireShim = [
  "import { createRequire as __createRequire } from 'node:module';",
  'const require = __createRequire(import.meta.url);',
].join('\n');

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(directory, entry.name);
      return entry.isDirectory() ? filesUnder(path) : [path];
    })
    .sort();
}

async function main(): Promise<void> {
  const started = performance.now();
  rmSync(appDir, { recursive: true, force: true });
  rmSync(zipPath, { force: true });
  mkdirSync(appDir, { recursive: true });

  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/main.ts' },
    outdir: appDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: NODE_TARGET,
    chunkNames: 'chunks/[name]-[hash]',
    external: ['@azure/functions-core'],
    banner: { js: requireShim },
    // Whitespace and syntax minified; identifiers kept, so function and class names stay readable in
    // stack traces and logs without esbuild's keepNames wrappers (which cost ~10 % of the import).
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(metaPath, JSON.stringify(result.metafile));

  const rootPackage: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const engines =
    typeof rootPackage === 'object' && rootPackage !== null && 'engines' in rootPackage
      ? rootPackage.engines
      : undefined;
  writeFileSync(
    join(appDir, 'package.json'),
    `${JSON.stringify({ name: 'ai-app-cicd', private: true, type: 'module', main: 'main.js', engines }, null, 2)}\n`,
  );
  writeFileSync(join(appDir, 'host.json'), readFileSync(join(root, 'host.json')));

  // A fixed timestamp: the same sources give the same zip.
  const mtime = new Date('2026-01-01T00:00:00Z');
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const file of filesUnder(appDir)) {
    entries[relative(appDir, file).split('\\').join('/')] = [readFileSync(file), { mtime }];
  }
  const zip = zipSync(entries, { level: 9 });
  writeFileSync(zipPath, zip);

  const files = Object.keys(entries);
  const unpacked = files.reduce((sum, file) => sum + statSync(join(appDir, file)).size, 0);
  console.log(
    `package: dist/app.zip ${(zip.length / 1024).toFixed(0)} KiB (${String(files.length)} files, ` +
      `${(unpacked / 1024).toFixed(0)} KiB unpacked) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (zip.length > MAX_ZIP_BYTES) {
    throw new Error(`dist/app.zip is ${String(zip.length)} bytes, over the ${String(MAX_ZIP_BYTES)} limit`);
  }
}

await main();
