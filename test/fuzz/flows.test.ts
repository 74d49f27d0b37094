/**
 * Fuzzing the read API (`GET /api/flows`, `/api/flows/current`, `/api/flows/{flowId}`) and the
 * admin API (`POST /api/ops/replay-poison`) through the local host: random ids, query strings,
 * methods and headers. Neither may answer 5xx, leak a stack, or call Azure DevOps.
 *
 * The stand-in host does not check function keys (neither does `func start`); in Azure the
 * flows API needs a function key and replay-poison the admin key before any of this runs.
 */
import fc from 'fast-check';
import { stringAt } from '../../tools/json.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS } from '../support/appEnv.js';
import { githubDelivery, postDelivery, pushPayload, sha } from '../support/github.js';
import { drained, publishModel, startStack, type Stack } from '../support/stack.js';
import {
  expectSafeResponse,
  extraHeaders,
  FuzzStats,
  fuzzParameters,
  fuzzTimeout,
  hostFailures,
  hostileString,
  watchProcessErrors,
  wellFormed,
} from './support.js';

let stack: Stack;
const flowIds: string[] = [];
const watcher = watchProcessErrors();

beforeAll(async () => {
  stack = await startStack();
  await publishModel(stack, '1.0.0');
  for (const name of ['a', 'b', 'c']) {
    const delivery = githubDelivery(pushPayload({ after: sha(name) }), TEST_SECRETS.webhook);
    const flowId = stringAt((await postDelivery(stack.host.url, delivery)).body, 'flowId');
    if (typeof flowId === 'string') flowIds.push(flowId);
  }
  await drained(stack);
}, 60_000);
afterAll(async () => {
  watcher.stop();
  await stack.stop();
});

const hex20 = fc
  .uint8Array({ minLength: 10, maxLength: 10 })
  .map((bytes) => Buffer.from(bytes).toString('hex'));

const flowPath = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('', 'current', 'CURRENT', ...flowIds) },
    hex20,
    hex20.map((id) => id.toUpperCase()),
    fc.constantFrom('..', '.', '%', 'current/x', '__proto__', 'constructor', '0'.repeat(21)),
    hostileString({ maxLength: 2_000 }),
  );

const query = fc.dictionary(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('limit', 'continuationToken') },
    fc.constantFrom('code', 'LIMIT', 'limit[]', '__proto__', 'flowId'),
    hostileString({ maxLength: 20 }),
  ),
  fc.oneof(
    fc.integer({ min: -5, max: 2_000 }).map(String),
    fc.constantFrom('1', '100', '101', '0', '01', '1e2', '0x10', ' 5', '5 ', '', 'NaN', '9'.repeat(400)),
    hostileString({ maxLength: 3_000 }),
  ),
  { maxKeys: 3 },
);

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constant('GET') },
  fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
);

function urlOf(base: string, path: string, parameters: Record<string, string>): string {
  const search = new URLSearchParams(Object.entries(parameters)).toString();
  return `${base}${path === '' ? '' : `/${encodeURIComponent(wellFormed(path))}`}${search === '' ? '' : `?${search}`}`;
}

describe('fuzz: flows and ops APIs', () => {
  it(
    'the flows API never answers 5xx, never leaks a stack and never calls Azure DevOps',
    async () => {
      expect(flowIds).toHaveLength(3);
      const requestsBefore = stack.emulator.requests().length;
      const stats = new FuzzStats();
      await fc.assert(
        fc.asyncProperty(
          flowPath(),
          query,
          method,
          extraHeaders(),
          async (path, parameters, verb, headers) => {
            const response = await fetch(urlOf(`${stack.host.url}/api/flows`, path, parameters), {
              method: verb,
              headers,
            });
            const text = await response.text();
            stats.status(response.status);
            expect(response.status, text).toBeLessThan(500);
            expect([200, 400, 404, 431]).toContain(response.status);
            expectSafeResponse(response.status, text);
            if (response.status === 200 && verb === 'GET') {
              // A list (`flows/` and dot segments resolve to it) or one flow.
              const body: unknown = JSON.parse(text);
              const list =
                typeof body === 'object' && body !== null && 'flows' in body ? body.flows : undefined;
              if (Array.isArray(list)) stats.note('list');
              else expect(body).toMatchObject({ flowId: expect.stringMatching(/^[0-9a-f]{20}$/) });
            }
          },
        ),
        fuzzParameters(),
      );
      await drained(stack);
      expect(stack.emulator.requests().slice(requestsBefore)).toEqual([]);
      expect(hostFailures(stack.logs)).toEqual([]);
      expect(watcher.errors).toEqual([]);
      stats.report('flows');
    },
    fuzzTimeout(20),
  );

  it(
    'replay-poison never answers 5xx and takes only a limit from 1 to 1000',
    async () => {
      const stats = new FuzzStats();
      await fc.assert(
        fc.asyncProperty(query, extraHeaders(), async (parameters, headers) => {
          const response = await fetch(urlOf(`${stack.host.url}/api/ops/replay-poison`, '', parameters), {
            method: 'POST',
            headers,
          });
          const text = await response.text();
          stats.status(response.status);
          expect(response.status, text).toBeLessThan(500);
          expectSafeResponse(response.status, text);
          const limit = parameters.limit ?? '100';
          const valid = /^\d{1,4}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 1000;
          if (text !== '') expect(response.status).toBe(valid ? 200 : 400);
        }),
        { ...fuzzParameters(), numRuns: Math.max(20, Math.ceil(fuzzParameters().numRuns / 5)) },
      );
      expect(hostFailures(stack.logs)).toEqual([]);
      stats.report('replayPoison');
    },
    fuzzTimeout(10),
  );
});
