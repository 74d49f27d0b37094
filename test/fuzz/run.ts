/**
 * The long fuzz run: every endpoint's property with FUZZ_RUNS cases (default 10,000), then one
 * summary line per endpoint. `npm run fuzz` (or `tsx test/fuzz/run.ts [vitest args]`);
 * FUZZ_SEED=<n> replays a run. Exits with vitest's status.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const runs = process.env.FUZZ_RUNS ?? '10000';
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const started = Date.now();
const summary: string[] = [];

const child = spawn(process.execPath, [vitest, 'run', 'test/fuzz', ...process.argv.slice(2)], {
  env: { ...process.env, FUZZ_RUNS: runs },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let pending = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  pending += chunk.toString('utf8');
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    // eslint-disable-next-line no-control-regex -- vitest colours its output
    const match = /\[fuzz\] .*/.exec(line.replace(/\u001b\[[0-9;]*m/g, ''));
    if (match !== null) summary.push(match[0]);
  }
});
child.once('exit', (code) => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `\nFuzz summary (FUZZ_RUNS=${runs}${process.env.FUZZ_SEED === undefined ? '' : `, FUZZ_SEED=${process.env.FUZZ_SEED}`}), ${seconds} s in all:`,
  );
  for (const line of summary) console.log(`  ${line}`);
  if (summary.length === 0) console.log('  (no endpoint finished: see the output above)');
  process.exit(code ?? 1);
});
