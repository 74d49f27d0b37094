/**
 * Fuzzing the GitHub webhook (`POST /api/github`) through the local host: random and mutated
 * push payloads, bodies, headers, content types and signatures — valid signatures over garbage
 * included.
 *
 * A model is promoted first, so a valid push really starts a build: the property is not "no
 * build ever" but "a build only for a correctly signed push of the allowed repository to a
 * release branch, with parameters inside the allow-lists". An independent oracle decides, from
 * the bytes actually sent, which (branch, commit) pairs may be built.
 */
import fc from 'fast-check';
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCommitSha, isSafeBranchName } from '../../src/core/validation.js';
import { MAX_JSON_DEPTH } from '../../src/core/jsonLimited.js';
import { TEST_SECRETS } from '../support/appEnv.js';
import { pushPayload, sha } from '../support/github.js';
import { drained, publishModel, startStack, type Stack } from '../support/stack.js';
import {
  buildParameterViolations,
  expectSafeResponse,
  extraHeaders,
  FuzzStats,
  fuzzParameters,
  fuzzTimeout,
  garbageBody,
  headerValue,
  hostFailures,
  hostileString,
  INJECTIONS,
  runRequests,
  templateParametersOf,
  watchProcessErrors,
} from './support.js';

const REPOSITORY = 'contoso/fraud-app';
const WRONG_SECRET = 'whsec-attacker-guess-000000';
/** GITHUB_BRANCHES of this stack: `main,release/*`. */
const RELEASE_BRANCH = /^(?:main|release\/[^/]+)$/;

let stack: Stack;
let runsBefore: number;
const watcher = watchProcessErrors();

beforeAll(async () => {
  stack = await startStack({ GITHUB_WEBHOOK_SECRET_PREVIOUS: TEST_SECRETS.previousWebhook });
  await publishModel(stack, '1.0.0');
  runsBefore = runRequests(stack.emulator, 1).length;
}, 60_000);
afterAll(async () => {
  watcher.stop();
  await stack.stop();
});

// --- What is sent -----------------------------------------------------------------------------------

const hex = (bytes: number): fc.Arbitrary<string> =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((value) => Buffer.from(value).toString('hex'));

const branch = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('main', 'release/2026.12', 'release/x', 'release/.hidden') },
  fc.constantFrom(
    'feature/login',
    'main;rm -rf /',
    'release/$(curl evil)',
    'release/`id`',
    'release/a b',
    'release/../main',
    'release/x.lock',
    'release/x.',
    'release/',
    'release//x',
    'release/x/y',
    'main/',
    'MAIN',
    '-main',
    'release/${{ secrets.PAT }}',
    'release/##vso[task.setvariable variable=a]b',
    'release/\u202egnp',
    'release/ü',
    'release/x\n',
  ),
  hostileString({ maxLength: 300 }).map((value) => `release/${value}`),
  hostileString(),
);

const commit = fc.oneof(
  { weight: 12, arbitrary: hex(20) },
  hex(32),
  hex(20).map((value) => value.toUpperCase()),
  fc.constant('0'.repeat(40)),
  hex(20).map((value) => value.slice(1)),
  hex(20).map((value) => `${value};curl evil`),
  hex(20).map((value) => ` ${value}`),
  hostileString(),
);

const repository = fc.oneof(
  { weight: 12, arbitrary: fc.constant(REPOSITORY) },
  fc.constantFrom(
    'CONTOSO/Fraud-App',
    'contoso/other-app',
    'contoso/fraud-app-evil',
    'evil/fraud-app',
    'contoso/fraud-app ',
    'contoso/fraud-app\u0000',
    'contoso/fraud‐app',
  ),
  hostileString(),
);

const payload = fc
  .record({
    repository,
    ref: fc.oneof(
      { weight: 12, arbitrary: branch.map((name) => `refs/heads/${name}`) },
      fc.constantFrom(
        'refs/tags/v1.0.0',
        'refs/heads/',
        'refs/pull/1/head',
        'heads/main',
        'main',
        'REFS/HEADS/main',
      ),
      hostileString(),
    ),
    after: commit,
    deleted: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, fc.boolean()),
    message: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('Improve scoring', 'Fix: handle empty input') },
      fc.constantFrom('Docs [skip ci]', 'x\n\nskip-checks: true', '***NO_CI***'),
      hostileString(),
    ),
    pushedAt: fc.oneof(fc.integer(), fc.double(), hostileString({ maxLength: 40 }), fc.constant(null)),
    files: fc.array(hostileString({ maxLength: 300 }), { maxLength: 4 }),
    commits: fc.integer({ min: 0, max: 3 }),
    /** Fields taken out or replaced by a value of another type. */
    removed: fc.oneof(
      { weight: 8, arbitrary: fc.constant([]) },
      fc.subarray(['ref', 'after', 'repository', 'head_commit', 'commits', 'deleted']),
    ),
    replaced: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      fc.tuple(
        fc.constantFrom('ref', 'after', 'repository', 'head_commit', 'commits', 'deleted', 'pushed_at'),
        fc.jsonValue({ maxDepth: 3 }),
      ),
    ),
    extra: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      fc.tuple(hostileString({ maxLength: 40 }), fc.jsonValue({ maxDepth: 4 })),
    ),
  })
  .map((options) => {
    const value: Record<string, unknown> = pushPayload({
      repository: options.repository,
      ref: options.ref,
      after: options.after,
      message: options.message,
      commits: options.commits,
      files: { modified: options.files },
      ...(options.deleted === undefined ? {} : { deleted: options.deleted }),
    });
    const repo = value.repository;
    if (typeof repo === 'object' && repo !== null) Reflect.set(repo, 'pushed_at', options.pushedAt);
    for (const key of options.removed) Reflect.deleteProperty(value, key);
    if (options.replaced !== undefined) value[options.replaced[0]] = options.replaced[1];
    if (options.extra !== undefined) value[options.extra[0]] = options.extra[1];
    return value;
  });

type BodyMutation =
  | { readonly kind: 'none' }
  | { readonly kind: 'form' }
  | { readonly kind: 'replace'; readonly bytes: Uint8Array }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'flip'; readonly at: number; readonly xor: number }
  | { readonly kind: 'nest'; readonly depth: number }
  | { readonly kind: 'huge'; readonly field: 'message' | 'ref' | 'full_name'; readonly size: number };

const bodyMutation: fc.Arbitrary<BodyMutation> = fc.oneof(
  { weight: 14, arbitrary: fc.constant({ kind: 'none' } as const) },
  fc.constant({ kind: 'form' } as const),
  garbageBody().map((bytes) => ({ kind: 'replace', bytes }) as const),
  fc.nat().map((at) => ({ kind: 'truncate', at }) as const),
  fc
    .tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))
    .map(([at, xor]) => ({ kind: 'flip', at, xor }) as const),
  fc.integer({ min: 30, max: 100_000 }).map((depth) => ({ kind: 'nest', depth }) as const),
  fc
    .tuple(fc.constantFrom('message', 'ref', 'full_name'), fc.integer({ min: 10_000, max: 400_000 }))
    .map(([field, size]) => ({ kind: 'huge', field, size }) as const),
);

type Signing =
  'current' | 'previous' | 'wrong' | 'none' | 'sha1-only' | 'before-mutation' | 'upper-case' | 'other';

const signing = fc.record({
  how: fc.oneof(
    { weight: 6, arbitrary: fc.constant<Signing>('current') },
    fc.constantFrom<Signing>(
      'previous',
      'wrong',
      'none',
      'sha1-only',
      'before-mutation',
      'upper-case',
      'other',
    ),
  ),
  other: headerValue(120),
});

const headers = fc.record({
  event: fc.oneof(
    { weight: 14, arbitrary: fc.constant<string | undefined>('push') },
    fc.constantFrom<string | undefined>('ping', 'issues', 'PUSH', 'push ', undefined),
    headerValue(80),
  ),
  delivery: fc.oneof(
    { weight: 14, arbitrary: fc.constant<string | undefined>('uuid') },
    fc.constant(undefined),
    fc.constant('a'.repeat(101)),
    headerValue(150),
  ),
  contentType: fc.oneof(
    { weight: 14, arbitrary: fc.constant<string | undefined>('application/json') },
    fc.constantFrom<string | undefined>(
      'application/json; charset=utf-8',
      'Application/JSON',
      undefined,
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/json;;;',
    ),
    headerValue(80),
  ),
  extra: extraHeaders(),
});

interface Sent {
  readonly bytes: Buffer;
  readonly headers: Record<string, string>;
}

function hmac(bytes: Uint8Array, secret: string): string {
  return createHmac('sha256', secret).update(bytes).digest('hex');
}

function compose(
  value: Record<string, unknown>,
  mutation: BodyMutation,
  sign: { readonly how: Signing; readonly other: string },
  head: {
    readonly event: string | undefined;
    readonly delivery: string | undefined;
    readonly contentType: string | undefined;
    readonly extra: Record<string, string>;
  },
): Sent {
  let text = JSON.stringify(value);
  let contentType = head.contentType;
  if (mutation.kind === 'huge') {
    const filler = 'A'.repeat(mutation.size);
    const copy = { ...value };
    if (mutation.field === 'full_name') copy.repository = { full_name: `${REPOSITORY}${filler}` };
    else if (mutation.field === 'ref') copy.ref = `refs/heads/release/${filler}`;
    else copy.head_commit = { message: filler };
    text = JSON.stringify(copy);
  }
  if (mutation.kind === 'nest')
    text = `{"nested":${'['.repeat(mutation.depth)}${']'.repeat(mutation.depth)},${text.slice(1)}`;
  const original = Buffer.from(text, 'utf8');
  let bytes: Buffer = original;
  switch (mutation.kind) {
    case 'form':
      bytes = Buffer.from(`payload=${encodeURIComponent(text)}`, 'utf8');
      if (contentType === 'application/json') contentType = 'application/x-www-form-urlencoded';
      break;
    case 'replace':
      bytes = Buffer.from(mutation.bytes);
      break;
    case 'truncate':
      bytes = original.subarray(0, mutation.at % (original.length + 1));
      break;
    case 'flip': {
      bytes = Buffer.from(original);
      const index = mutation.at % bytes.length;
      bytes[index] = (bytes[index] ?? 0) ^ mutation.xor;
      break;
    }
    default:
      break;
  }
  const headersSent: Record<string, string> = { ...head.extra, 'user-agent': 'GitHub-Hookshot/fuzz' };
  if (head.event !== undefined) headersSent['x-github-event'] = head.event;
  if (head.delivery !== undefined)
    headersSent['x-github-delivery'] = head.delivery === 'uuid' ? randomUUID() : head.delivery;
  if (contentType !== undefined) headersSent['content-type'] = contentType;
  const signature = {
    current: `sha256=${hmac(bytes, TEST_SECRETS.webhook)}`,
    previous: `sha256=${hmac(bytes, TEST_SECRETS.previousWebhook)}`,
    wrong: `sha256=${hmac(bytes, WRONG_SECRET)}`,
    none: undefined,
    'sha1-only': undefined,
    'before-mutation': `sha256=${hmac(original, TEST_SECRETS.webhook)}`,
    'upper-case': `SHA256=${hmac(bytes, TEST_SECRETS.webhook).toUpperCase()}`,
    other: sign.other,
  }[sign.how];
  if (signature !== undefined) headersSent['x-hub-signature-256'] = signature;
  if (sign.how === 'sha1-only')
    headersSent['x-hub-signature'] =
      `sha1=${createHmac('sha1', TEST_SECRETS.webhook).update(bytes).digest('hex')}`;
  // fetch sends header values without surrounding whitespace: keep the record of what was sent exact.
  for (const [name, value] of Object.entries(headersSent))
    headersSent[name] = value.replace(/^[\t ]+|[\t ]+$/g, '');
  return { bytes, headers: headersSent };
}

// --- The oracle ---------------------------------------------------------------------------------------

/** Whether the signature header authenticates these exact bytes with a configured secret. */
function signatureValid(sent: Sent): boolean {
  const header = sent.headers['x-hub-signature-256']?.trim();
  const match = header === undefined ? null : /^sha256=([0-9a-f]{64})$/i.exec(header);
  const received = match?.[1]?.toLowerCase();
  return (
    received !== undefined &&
    [TEST_SECRETS.webhook, TEST_SECRETS.previousWebhook].some(
      (secret) => hmac(sent.bytes, secret) === received,
    )
  );
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Reflect.get(value, key)
    : undefined;
}

/**
 * The (branch, commit) this request may build, or `undefined`: signed with a configured secret,
 * a push event with a delivery id, JSON, from the allowed repository, a release branch whose name
 * passes the allow-list, not a deletion, a commit SHA.
 */
function mayBuild(
  sent: Sent,
):
  | { readonly branch: string; readonly commit: string; readonly clean: boolean; readonly pushedAt: number }
  | undefined {
  if (!signatureValid(sent)) return undefined;
  if (sent.headers['x-github-event'] !== 'push') return undefined;
  if (!/^[A-Za-z0-9-]{1,100}$/.test(sent.headers['x-github-delivery'] ?? '')) return undefined;
  const mediaType = (sent.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let text: string | null;
  if (mediaType === 'application/json' || mediaType === '') text = sent.bytes.toString('utf8');
  else if (mediaType === 'application/x-www-form-urlencoded')
    text = new URLSearchParams(sent.bytes.toString('utf8')).get('payload');
  else return undefined;
  if (text === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (depthOf(value) > MAX_JSON_DEPTH) return undefined;
  const fullName = field(field(value, 'repository'), 'full_name');
  const ref = field(value, 'ref');
  const after = field(value, 'after');
  if (typeof fullName !== 'string' || fullName.toLowerCase() !== REPOSITORY) return undefined;
  if (typeof ref !== 'string' || !ref.startsWith('refs/heads/')) return undefined;
  if (typeof after !== 'string' || /^0+$/.test(after) || field(value, 'deleted') === true) return undefined;
  const name = ref.slice('refs/heads/'.length);
  const sha = after.toLowerCase();
  if (!RELEASE_BRANCH.test(name) || !isSafeBranchName(name) || !isCommitSha(sha)) return undefined;
  const message = field(field(value, 'head_commit'), 'message');
  const clean = message === undefined || (typeof message === 'string' && !/skip|ci\]|no_ci/i.test(message));
  return {
    branch: name,
    commit: sha,
    clean,
    pushedAt: pushedAtOf(field(field(value, 'repository'), 'pushed_at')),
  };
}

/** When the push says it happened, read as the app reads `repository.pushed_at`; the receive time otherwise. */
function pushedAtOf(value: unknown): number {
  const millis =
    typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(millis) && millis > 0 && millis < 8.64e15 ? new Date(millis).getTime() : Date.now();
}

/** How deeply objects and arrays nest in a parsed value (iterative: the value may be very deep). */
function depthOf(root: unknown): number {
  let deepest = 0;
  const pending: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, depth } = item;
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(value)) pending.push({ value: child, depth: depth + 1 });
  }
  return deepest;
}

// --- The property -------------------------------------------------------------------------------------

describe('fuzz: GitHub webhook', () => {
  it(
    'never answers 5xx, never authenticates a bad signature, and builds only valid pushes of allowed branches',
    async () => {
      const stats = new FuzzStats();
      const logsBefore = stack.logs.length;
      const allowed = new Set<string>();
      const mustBuild = new Set<string>();
      /** Delivery ids the app took for a build (it records them; the same id again is a duplicate). */
      const recorded = new Set<string>();
      /** The newest push time seen per branch: an older push is skipped, never built (replays). */
      const newestPush = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(payload, bodyMutation, signing, headers, async (value, mutation, sign, head) => {
          const sent = compose(value, mutation, sign, head);
          const response = await fetch(`${stack.host.url}/api/github`, {
            method: 'POST',
            headers: sent.headers,
            body: sent.bytes,
          });
          const text = await response.text();
          stats.status(response.status);
          expect(response.status).toBeLessThan(500);
          expect([200, 202, 400, 401, 413, 415, 431]).toContain(response.status);
          expectSafeResponse(response.status, text);
          // An empty body is the host's own answer (431: headers over its limit); the app never saw it.
          if (text === '') {
            stats.note('refused-by-host');
            expect([413, 431]).toContain(response.status);
            return;
          }
          // The signature is the gate: nothing unauthenticated gets past it, nothing authenticated is stopped by it.
          expect(response.status === 401).toBe(!signatureValid(sent));
          const build = mayBuild(sent);
          const status = field(JSON.parse(text), 'status');
          const deliveryId = sent.headers['x-github-delivery'] ?? '';
          const seenBefore = recorded.has(deliveryId);
          if (status === 'accepted' || status === 'in-progress' || status === 'already-started') {
            expect(build, `the app took ${text} for a build`).toBeDefined();
            recorded.add(deliveryId);
          }
          // A delivery id the app recorded maps to the flow it became then: nothing new starts.
          if (status === 'duplicate') expect(seenBefore, `${deliveryId} was never seen`).toBe(true);
          if (build === undefined) return;
          stats.note('buildable');
          allowed.add(`${build.branch}\n${build.commit}`);
          expect([200, 202]).toContain(response.status);
          if (seenBefore) stats.note('reused-delivery-id');
          else if (build.clean) {
            const newest = newestPush.get(build.branch);
            if (field(JSON.parse(text), 'reason') === 'older-than-branch-head') {
              stats.note('older-than-branch-head');
              expect(newest !== undefined && build.pushedAt < newest, 'skipped as older, but it is not').toBe(
                true,
              );
            } else {
              mustBuild.add(build.commit);
              newestPush.set(build.branch, Math.max(newest ?? build.pushedAt, build.pushedAt));
            }
          }
        }),
        fuzzParameters(),
      );
      await drained(stack, 60_000);
      const runs = runRequests(stack.emulator, 1).slice(runsBefore);
      const blobEndpoint = stack.urls.blob;
      for (const run of runs) {
        const parameters = templateParametersOf(run) ?? {};
        expect(
          buildParameterViolations(parameters, { blobEndpoint, container: stack.models.containerName }),
        ).toEqual([]);
        const key = `${String(parameters.branch)}\n${String(parameters.commit)}`;
        expect(allowed.has(key), `a run for ${JSON.stringify(key)} that no valid push asked for`).toBe(true);
        expect(run.body).toMatchObject({
          resources: {
            repositories: {
              self: { refName: `refs/heads/${String(parameters.branch)}`, version: parameters.commit },
            },
          },
        });
      }
      const built = new Set(runs.map((run) => String(templateParametersOf(run)?.commit)));
      expect([...mustBuild].filter((sha) => !built.has(sha))).toEqual([]);
      stats.note(`runs=${runs.length}`);
      expect(hostFailures(stack.logs)).toEqual([]);
      expect(watcher.errors).toEqual([]);
      stats.reasons(stack.logs.slice(logsBefore));
      stats.report('githubPush');
    },
    fuzzTimeout(40),
  );

  it('sanity: the generators reach every gate (signed valid pushes included)', () => {
    const samples = fc.sample(fc.tuple(payload, signing), 300);
    expect(samples.some(([value, sign]) => sign.how === 'current' && value.ref === 'refs/heads/main')).toBe(
      true,
    );
    expect(INJECTIONS.length).toBeGreaterThan(20);
    expect(sha('x')).toMatch(/^[0-9a-f]{40}$/);
  });
});
