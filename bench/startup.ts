/**
 * `npm run bench` (first part; not a test) — what the Functions host pays to load the app, measured
 * in one run on this machine, in fresh `node` processes taken in turn (ROUNDS each):
 *
 *   packaged   import of dist/app/main.js, unzipped from dist/app.zip into an empty folder
 *   bare       import of @azure/functions alone: the floor any app of this kind pays
 *   unbundled  import of every function file as tsc compiles them (node_modules resolution)
 *   eager      bare + a naive eager import of the SDKs the adapters use
 *
 * Prints medians of the whole process (what a cold start pays: node itself, then the imports) and of
 * the import alone, as ratios to `bare` (goal: packaged <= 1.3x bare per process), then the zip size.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';

const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 15);
const GOAL = 1.3;
const root = fileURLToPath(new URL('..', import.meta.url));

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** One fresh process: milliseconds spent in the imports, and in the whole process. */
function measure(imports: readonly string[], cwd: string): { importMs: number; processMs: number } {
  const code = [
    'const started = performance.now();',
    ...imports.map((specifier) => `await import(${JSON.stringify(specifier)});`),
    'process.stdout.write(`IMPORT_MS ${performance.now() - started}\\n`);',
  ].join('\n');
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '--eval', code], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd },
    encoding: 'utf8',
  });
  const processMs = performance.now() - started;
  const importMs = Number(/^IMPORT_MS (\S+)$/m.exec(result.stdout)?.[1]);
  if (result.status !== 0 || !Number.isFinite(importMs)) {
    throw new Error(`import of ${imports.join(', ')} failed:\n${result.stderr}`);
  }
  return { importMs, processMs };
}

function main(): void {
  console.log(`startup: packaging and compiling (npm run package, tsc) on node ${process.version} ...`);
  run('npm', ['run', 'package', '--silent']);
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);

  const unpacked = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  const zip = readFileSync(join(root, 'dist/app.zip'));
  for (const [name, content] of Object.entries(unzipSync(zip))) {
    if (name.endsWith('/')) continue;
    mkdirSync(dirname(join(unpacked, name)), { recursive: true });
    writeFileSync(join(unpacked, name), content);
  }

  const moduleUrl = (path: string) => pathToFileURL(join(root, path)).href;
  const variants = {
    packaged: { cwd: unpacked, imports: [pathToFileURL(join(unpacked, 'main.js')).href] },
    bare: { cwd: root, imports: ['@azure/functions'] },
    unbundled: { cwd: root, imports: [moduleUrl('dist/src/main.js')] },
    eager: {
      cwd: root,
      imports: [
        '@azure/functions',
        '@azure/storage-blob',
        '@azure/storage-queue',
        '@azure/identity',
        '@azure/eventgrid',
        'azure-devops-node-api',
      ],
    },
  } as const;
  type Variant = keyof typeof variants;
  const names = Object.keys(variants).filter((name): name is Variant => name in variants);
  const samples = new Map<Variant, { importMs: number[]; processMs: number[] }>(
    names.map((name) => [name, { importMs: [], processMs: [] }]),
  );
  // One warm-up of each (file system cache), then rounds taken in turn so drift hits all alike.
  for (const name of names) measure(variants[name].imports, variants[name].cwd);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const name of names) {
      const { importMs, processMs } = measure(variants[name].imports, variants[name].cwd);
      samples.get(name)?.importMs.push(importMs);
      samples.get(name)?.processMs.push(processMs);
    }
  }
  rmSync(unpacked, { recursive: true, force: true });

  const bare = samples.get('bare');
  const bareImport = median(bare?.importMs ?? []);
  const bareProcess = median(bare?.processMs ?? []);
  console.log(`startup: medians of ${String(ROUNDS)} fresh processes each (import | whole process)`);
  for (const name of names) {
    const sample = samples.get(name);
    const importMs = median(sample?.importMs ?? []);
    const processMs = median(sample?.processMs ?? []);
    console.log(
      `  ${name.padEnd(10)} ${importMs.toFixed(0).padStart(5)} ms  ${(importMs / bareImport).toFixed(2)}x bare` +
        `  | ${processMs.toFixed(0).padStart(5)} ms  ${(processMs / bareProcess).toFixed(2)}x bare`,
    );
  }
  const packagedProcess = median(samples.get('packaged')?.processMs ?? []) / bareProcess;
  const packagedImport = median(samples.get('packaged')?.importMs ?? []) / bareImport;
  console.log(
    `startup: packaged entry = ${packagedProcess.toFixed(2)}x bare @azure/functions per cold process ` +
      `(goal <= ${String(GOAL)}x: ${packagedProcess <= GOAL ? 'met' : 'NOT met'}), ` +
      `${packagedImport.toFixed(2)}x on the import alone`,
  );
  console.log(
    `package: dist/app.zip ${(statSync(join(root, 'dist/app.zip')).size / 1024 / 1024).toFixed(2)} MB (limit 5 MB)`,
  );
}

main();
