/**
 * `npm run bench:cli` — what each `ai-app-cicd` command costs in requests, counted on the wire:
 * every CLI process runs with bench/countRequests.mjs preloaded, against a sandbox on free ports
 * (127.0.0.1 only), and its requests are sorted by where they went (blob, queue, Azure DevOps,
 * the app). Prints one line per command and the requests themselves with BENCH_VERBOSE=1.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { completeBuild, listBuilds } from '../tools/sandbox/ado.js';
import { listFlows } from '../tools/sandbox/flows.js';
import { sendPush } from '../tools/sandbox/push.js';
import { startSandbox, type Sandbox } from '../tools/sandbox/sandbox.js';
import { waitFor } from '../tools/wait.js';

const BIN = fileURLToPath(new URL('../bin/ai-app-cicd.mjs', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./countRequests.mjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bench-cli-'));

interface Count {
  readonly command: string;
  readonly code: number | null;
  readonly blob: number;
  readonly queue: number;
  readonly devops: number;
  readonly app: number;
  readonly lines: readonly string[];
}

async function run(sandbox: Sandbox, args: readonly string[]): Promise<Count> {
  const file = join(work, `${randomBytes(4).toString('hex')}.txt`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, BIN, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: work, ...sandbox.env, COUNT_REQUESTS_FILE: file },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  const port = (value: number): RegExp => new RegExp(`^\\S+ (https?://)?127\\.0\\.0\\.1:${value}[/]`);
  const count = (value: number): number => lines.filter((line) => port(value).test(line)).length;
  return {
    command: args.join(' '),
    code,
    blob: count(sandbox.ports.azuriteBlob),
    queue: count(sandbox.ports.azuriteQueue),
    devops: count(sandbox.ports.adoEmulator),
    app: count(sandbox.ports.host),
    lines,
  };
}

function folder(): string {
  const dir = mkdtempSync(join(work, 'model-'));
  writeFileSync(join(dir, 'model.onnx'), randomBytes(100_000));
  writeFileSync(join(dir, 'labels.txt'), 'cat\ndog\n');
  return dir;
}

async function released(sandbox: Sandbox, version: string): Promise<void> {
  const build = await waitFor(
    async () =>
      (await listBuilds(sandbox.ado, sandbox.knobs.buildPipelineId)).find(
        (item) => item.templateParameters.modelVersion === version,
      ),
    { what: `a build of ${version}` },
  );
  await completeBuild(sandbox.ado, build.id, 'succeeded');
  const flowId = build.templateParameters.flowId ?? '';
  const releasing = await waitFor(
    async () =>
      (await listFlows(sandbox.urls.host)).find(
        (flow) => flow.flowId === flowId && flow.releaseId !== undefined,
      ),
    { what: `the release of ${version}` },
  );
  await completeBuild(sandbox.ado, releasing.releaseId ?? 0, 'succeeded');
  await waitFor(
    async () =>
      (await listFlows(sandbox.urls.host)).some(
        (flow) => flow.flowId === flowId && flow.status === 'released',
      ),
    { what: `${version} released` },
  );
}

const sandbox = await startSandbox({ env: {}, freePorts: true, log: () => undefined, watchIntervalMs: 100 });
const counts: Count[] = [];
try {
  await fetch(`${sandbox.urls.emulatorControl}/reset`, { method: 'POST' });
  counts.push(await run(sandbox, ['doctor', '--app-url', sandbox.urls.host]));
  counts.push(await run(sandbox, ['setup', '--app-url', sandbox.urls.host]));
  counts.push(await run(sandbox, ['setup', '--app-url', sandbox.urls.host]));
  counts.push(await run(sandbox, ['doctor', '--app-url', sandbox.urls.host]));
  counts.push(await run(sandbox, ['publish-model', folder(), '--version', '1.0.0']));
  counts.push(await run(sandbox, ['publish-model', folder(), '--version', '1.0.0']));
  await released(sandbox, '1.0.0');
  counts.push(await run(sandbox, ['publish-model', folder(), '--version', '2.0.0']));
  await released(sandbox, '2.0.0');
  counts.push(await run(sandbox, ['flows', '--limit', '20']));
  counts.push(await run(sandbox, ['flows', 'current']));
  // A push moves the branch head: promoting 1.0.0 builds it there (then again: the flow exists).
  await sendPush(sandbox.urls.host, sandbox.secrets.webhookSecret, { branch: 'main' });
  counts.push(await run(sandbox, ['promote', '1.0.0', '--by', 'bench']));
  counts.push(await run(sandbox, ['promote', '1.0.0', '--by', 'bench']));
  counts.push(await run(sandbox, ['rollback', '--by', 'bench']));
  counts.push(await run(sandbox, ['replay-poison']));
} finally {
  await sandbox.stop();
}
rmSync(work, { recursive: true, force: true });

console.log('command'.padEnd(44), 'exit', 'blob', 'queue', 'devops', 'app');
for (const count of counts) {
  const command = count.command
    .replace(/\S*bench-cli-\S*/g, '<dir>')
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, '<app>');
  console.log(
    command.padEnd(44),
    String(count.code).padStart(4),
    String(count.blob).padStart(4),
    String(count.queue).padStart(5),
    String(count.devops).padStart(6),
    String(count.app).padStart(3),
  );
  if (process.env.BENCH_VERBOSE === '1') for (const line of count.lines) console.log(`    ${line}`);
}
