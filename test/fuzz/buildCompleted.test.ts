/**
 * Fuzzing the Azure DevOps service hook (`POST /api/devops/service-hook`) through the local
 * host: random and forged `build.complete` notifications, garbage bodies, and every shape of
 * Authorization header.
 *
 * The project holds builds of every kind except a releasable one: running, failed, canceled,
 * partially succeeded, succeeded on a branch that is not a release branch, and a succeeded run
 * of the deploy pipeline that the app did not start. Notifications (forged "succeeded" included)
 * may name any of them, so the property is exact: the app never starts a release and never
 * starts a build, whatever it is told — it only re-reads builds.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS } from '../support/appEnv.js';
import { githubDelivery, postDelivery, pushPayload, sha } from '../support/github.js';
import { completeBuild } from '../../tools/sandbox/ado.js';
import {
  drained,
  newestBuildId,
  ORG,
  PROJECT,
  publishModel,
  startStack,
  type Stack,
} from '../support/stack.js';
import {
  classicReleaseRequests,
  expectSafeResponse,
  extraHeaders,
  FuzzStats,
  fuzzParameters,
  fuzzTimeout,
  garbageBody,
  headerValue,
  hostFailures,
  hostileString,
  runRequests,
  startRunByHand,
  watchProcessErrors,
} from './support.js';

const USER = 'azure-devops';
const PASSWORD = TEST_SECRETS.serviceHookPassword;
const basic = (credentials: string): string => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
const CORRECT = basic(`${USER}:${PASSWORD}`);

let stack: Stack;
let knownBuilds: number[] = [];
let requestsBefore: number;
const watcher = watchProcessErrors();

async function push(commit: string): Promise<void> {
  const delivery = githubDelivery(pushPayload({ after: commit }), TEST_SECRETS.webhook);
  await postDelivery(stack.host.url, delivery);
  await drained(stack);
}

beforeAll(async () => {
  stack = await startStack();
  await publishModel(stack, '1.0.0');
  const running = await newestBuildId(stack);
  await push(sha('fuzz-failed'));
  const failed = await newestBuildId(stack);
  await completeBuild(stack.ado, failed, 'failed');
  await push(sha('fuzz-canceled'));
  const canceled = await newestBuildId(stack);
  await completeBuild(stack.ado, canceled, 'canceled');
  await push(sha('fuzz-partial'));
  const partial = await newestBuildId(stack);
  await completeBuild(stack.ado, partial, 'partiallySucceeded');
  const featureBranch = await startRunByHand(stack.emulator, 1, { refName: 'refs/heads/feature/login' });
  await completeBuild(stack.ado, featureBranch, 'succeeded');
  const otherPipeline = await startRunByHand(stack.emulator, 2);
  await completeBuild(stack.ado, otherPipeline, 'succeeded');
  knownBuilds = [running, failed, canceled, partial, featureBranch, otherPipeline];
  // The emulator's own build.complete deliveries land, and are worked off, before the fuzzing starts.
  await drained(stack);
  requestsBefore = stack.emulator.requests().length;
}, 60_000);
afterAll(async () => {
  watcher.stop();
  await stack.stop();
});

// --- What is sent -----------------------------------------------------------------------------------

/** Ids of every length: they become the delivery id of the queue message (K2 in knownIssues.test.ts). */
const identifier = fc.oneof({ weight: 4, arbitrary: fc.uuid() }, hostileString({ maxLength: 100_000 }));

const buildId = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...knownBuilds) },
    fc.integer({ min: -5, max: 100_000 }),
    fc.constantFrom(0, 1.5, Number.MAX_SAFE_INTEGER + 2, 1e308, -0),
    fc.constantFrom(...knownBuilds).map(String),
    hostileString({ maxLength: 1000 }),
    fc.constant(null),
  );

const resource = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record(
        {
          id: buildId(),
          url: fc.oneof(
            fc
              .constantFrom(...knownBuilds)
              .map((id) => `${stack.emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/Builds/${id}`),
            fc.integer().map((id) => `https://dev.azure.com/evil/_apis/build/builds/${id}?x`),
            hostileString(),
          ),
          status: fc.constantFrom('completed', 'inProgress', 'cancelling'),
          result: fc.oneof(
            fc.constantFrom('succeeded', 'partiallySucceeded', 'failed', 'canceled'),
            hostileString(),
          ),
          definition: fc.record({ id: fc.constantFrom(1, 2, 3, -1), name: hostileString({ maxLength: 60 }) }),
          project: fc.record({ name: fc.constantFrom(PROJECT, 'other-project'), id: fc.uuid() }),
          sourceBranch: fc.oneof(fc.constantFrom('refs/heads/main', 'refs/heads/release/x'), hostileString()),
          sourceVersion: fc.oneof(fc.constant(sha('forged')), hostileString({ maxLength: 80 })),
          templateParameters: fc.dictionary(
            hostileString({ maxLength: 20 }),
            hostileString({ maxLength: 200 }),
            { maxKeys: 4 },
          ),
        },
        { requiredKeys: [] },
      ),
    },
    fc.jsonValue({ maxDepth: 3 }),
  );

const notification = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record(
        {
          subscriptionId: identifier,
          notificationId: fc.oneof(
            fc.integer(),
            identifier,
            fc.constant(null),
            fc.constant({ nested: true }),
          ),
          id: identifier,
          eventType: fc.oneof(
            { weight: 6, arbitrary: fc.constant('build.complete') },
            fc.constantFrom('git.push', 'ms.vss-release.deployment-completed-event', 'BUILD.COMPLETE'),
            hostileString(),
          ),
          publisherId: fc.constantFrom('tfs', 'evil'),
          message: fc.record({ text: hostileString() }),
          resource: resource(),
          resourceVersion: fc.constantFrom('2.0', '1.0', 'x'),
          createdDate: hostileString({ maxLength: 40 }),
          extra: fc.jsonValue({ maxDepth: 5 }),
        },
        { requiredKeys: [] },
      ),
    },
    fc.jsonValue({ maxDepth: 4 }),
  );

const body = (): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 8, arbitrary: notification().map((value) => Buffer.from(JSON.stringify(value), 'utf8')) },
    garbageBody(),
    fc
      .integer({ min: 60, max: 5_000 })
      .map((depth) =>
        Buffer.from(
          `{"eventType":"build.complete","resource":{"id":${knownBuilds[0] ?? 1},"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
        ),
      ),
  );

const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string | undefined>(CORRECT) },
  fc.constantFrom<string | undefined>(
    undefined,
    '',
    basic(`${USER}:wrong-password`),
    basic(`:${PASSWORD}`),
    basic(`${USER}:${PASSWORD} `),
    basic(`${USER.toUpperCase()}:${PASSWORD}`),
    basic(`${USER}:${PASSWORD.toUpperCase()}`),
    basic(`${USER}:${PASSWORD.slice(0, -1)}`),
    basic(`${USER}:${PASSWORD}:extra`),
    basic(`${USER}${PASSWORD}`),
    basic(PASSWORD),
    basic(`:${TEST_SECRETS.pat}`),
    `Bearer ${PASSWORD}`,
    PASSWORD,
    `basic ${CORRECT.slice('Basic '.length)}`,
    `Basic   ${CORRECT.slice('Basic '.length)}`,
    CORRECT.replace(/=+$/, ''),
    `${CORRECT}!`,
    `Basic ${'A'.repeat(2_000)}`,
    `Basic ${CORRECT.slice('Basic '.length).replace(/./g, (c) => (c === 'A' ? 'a' : c))}`,
  ),
  fc
    .tuple(hostileString({ maxLength: 80 }), hostileString({ maxLength: 80 }))
    .map(([user, password]) => basic(`${user}:${password}`)),
  headerValue(300),
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | undefined>('application/json; charset=utf-8') },
  fc.constantFrom<string | undefined>(
    undefined,
    'text/plain',
    'application/xml',
    'application/x-www-form-urlencoded',
  ),
  headerValue(80),
);

/** Whether the header carries exactly the service hook's credentials (decoded the lenient way). */
function carriesCredentials(header: string | undefined): boolean {
  const match = header === undefined ? null : /^basic\s+(\S+)\s*$/i.exec(header);
  const encoded = match?.[1];
  return encoded !== undefined && Buffer.from(encoded, 'base64').toString('utf8') === `${USER}:${PASSWORD}`;
}

// --- The property -------------------------------------------------------------------------------------

describe('fuzz: Azure DevOps service hook', () => {
  it(
    'never answers 5xx, never lets wrong credentials in, and never starts a build or a release',
    async () => {
      expect(knownBuilds).toHaveLength(6);
      expect(runRequests(stack.emulator, 2)).toHaveLength(1); // the run started by hand, not by the app
      const stats = new FuzzStats();
      const logsBefore = stack.logs.length;
      await fc.assert(
        fc.asyncProperty(
          authorization,
          contentType,
          body(),
          extraHeaders(),
          async (auth, type, bytes, extra) => {
            const headers: Record<string, string> = { ...extra };
            if (auth !== undefined) headers.authorization = auth;
            if (type !== undefined) headers['content-type'] = type;
            const response = await fetch(`${stack.host.url}/api/devops/service-hook`, {
              method: 'POST',
              headers,
              body: bytes,
            });
            const text = await response.text();
            stats.status(response.status);
            expect(response.status).toBeLessThan(500);
            expect([200, 202, 400, 401, 413, 431]).toContain(response.status);
            expectSafeResponse(response.status, text);
            if (text === '') {
              stats.note('refused-by-host');
              return;
            }
            if (response.status !== 401) expect(carriesCredentials(headers.authorization)).toBe(true);
            if (auth === CORRECT) expect(response.status).not.toBe(401);
            if (response.status === 401)
              expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
            if (response.status === 202) stats.note('accepted');
          },
        ),
        fuzzParameters(),
      );
      await drained(stack, 60_000);
      const during = stack.emulator.requests().slice(requestsBefore);
      // The worker only re-reads builds: every call it made is a read (OPTIONS: the client's location discovery).
      expect(
        during
          .filter((request) => request.method !== 'GET' && request.method !== 'OPTIONS')
          .map((request) => `${request.method} ${request.path}`),
      ).toEqual([]);
      expect(runRequests(stack.emulator, 2)).toHaveLength(1);
      expect(classicReleaseRequests(stack.emulator)).toHaveLength(0);
      stats.note(
        `build-reads=${during.filter((request) => /\/_apis\/build\/builds\/\d+$/i.test(request.path)).length}`,
      );
      expect(hostFailures(stack.logs)).toEqual([]);
      expect(watcher.errors).toEqual([]);
      stats.reasons(stack.logs.slice(logsBefore));
      stats.report('buildCompleted');
    },
    fuzzTimeout(40),
  );
});
