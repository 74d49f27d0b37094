/**
 * The CLI as operators run it: `node bin/ai-app-cicd.mjs …` as a child process, with the app's
 * settings in its environment only (nothing inherited), against a sandbox (Azurite, the Azure
 * DevOps emulator, the local Functions host) shared by the tests of a file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { arrayAt, isRecord, readJson, stringAt, type JsonObject } from '../../tools/json.js';
import { startSandbox, type Sandbox } from '../../tools/sandbox/sandbox.js';
import { waitFor } from '../../tools/wait.js';

export const BIN = fileURLToPath(new URL('../../bin/ai-app-cicd.mjs', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A working directory with no local.settings.json: settings come from `env` alone. */
export const EMPTY_DIR = mkdtempSync(join(tmpdir(), 'ai-app-cicd-cli-'));
afterAll(() => {
  rmSync(EMPTY_DIR, { recursive: true, force: true });
});

export function runCli(
  args: readonly string[],
  options: {
    readonly env?: Readonly<Record<string, string>>;
    readonly cwd?: string;
    readonly timeoutMs?: number;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? EMPTY_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? EMPTY_DIR,
        TMPDIR: tmpdir(),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ai-app-cicd ${args.join(' ')} did not end in time; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `--json` output: one JSON document on stdout. */
export function jsonOf(result: CliResult): JsonObject {
  const value: unknown = JSON.parse(result.stdout);
  if (!isRecord(value)) throw new Error(`not a JSON object: ${result.stdout}`);
  return value;
}

/** A sandbox on free ports with the plain defaults, quiet. */
export function quietSandbox(env: Readonly<Record<string, string>> = {}): Promise<Sandbox> {
  return startSandbox({ env, freePorts: true, log: () => undefined, watchIntervalMs: 100 });
}

/** The app settings of the sandbox, as the CLI's environment. */
export function cliEnv(
  sandbox: Sandbox,
  overrides: Readonly<Record<string, string>> = {},
): Readonly<Record<string, string>> {
  return { ...sandbox.env, ...overrides };
}

export interface EmulatorRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body: unknown;
}

/** Azure DevOps requests the emulator recorded, in order. */
export async function emulatorRequests(sandbox: Sandbox): Promise<readonly EmulatorRequest[]> {
  const response = await fetch(`${sandbox.urls.emulatorControl}/requests`);
  return (arrayAt(await readJson(response), 'value') ?? []).filter(isRecord).map((item) => ({
    method: stringAt(item, 'method') ?? '',
    path: stringAt(item, 'path') ?? '',
    status: typeof item.status === 'number' ? item.status : 0,
    body: item.body,
  }));
}

/** The emulator's REST API with the sandbox PAT. */
export async function ado(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${sandbox.urls.organization}/${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`:${sandbox.secrets.pat}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return readJson(response);
}

/** The organisation's service-hook subscriptions. */
export async function subscriptions(sandbox: Sandbox): Promise<readonly JsonObject[]> {
  return (
    arrayAt(await ado(sandbox, 'GET', '_apis/hooks/subscriptions?api-version=7.1'), 'value') ?? []
  ).filter(isRecord);
}

/** `GET /api/flows` of the sandbox's app. */
export async function apiFlows(sandbox: Sandbox): Promise<readonly JsonObject[]> {
  const response = await fetch(`${sandbox.urls.flows}?limit=100`);
  return (arrayAt(await readJson(response), 'flows') ?? []).filter(isRecord);
}

/** Completes a run in the emulator (control API) as its agent would. */
export async function completeRun(sandbox: Sandbox, buildId: number): Promise<void> {
  const response = await fetch(`${sandbox.urls.emulatorControl}/builds/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org: sandbox.knobs.org, buildId, result: 'succeeded' }),
  });
  if (response.status !== 200) throw new Error(`completing ${buildId}: ${response.status}`);
}

export { waitFor };
