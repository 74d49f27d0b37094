/**
 * Limits on what a request may be: JSON nesting depth (the helper and both JSON endpoints),
 * body sizes, header sizes, and overlong strings — each answered 4xx (or an explicit skip), never 5xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signGitHubPayload } from '../../tools/github/webhooks.js';
import { jsonNestingDepth, MAX_JSON_DEPTH, parseJsonLimited } from '../../src/core/jsonLimited.js';
import { TEST_SECRETS } from '../support/appEnv.js';
import { blobCreatedEvent, deliverEvents } from '../support/eventGrid.js';
import { githubDelivery, pushPayload, sha } from '../support/github.js';
import { drained, publishModel, startStack, type Stack } from '../support/stack.js';
import { expectSafeResponse, hostFailures, runRequests } from '../fuzz/support.js';

/** Structural depth of a parsed JSON value, by recursion (fine for the small values generated here). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('parseJsonLimited', () => {
  it('parses what JSON.parse parses, and measures the nesting exactly', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        expect(jsonNestingDepth(text)).toBe(depthOf(value));
        expect(parseJsonLimited(text, { maxDepth: depthOf(value) })).toEqual({
          ok: true,
          value: JSON.parse(text),
        });
        if (depthOf(value) > 0)
          expect(parseJsonLimited(text, { maxDepth: depthOf(value) - 1 })).toMatchObject({
            ok: false,
            reason: 'too-deep',
          });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws, and agrees with JSON.parse on any text within the limit', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (text) => {
        const result = parseJsonLimited(text);
        let expected: { ok: true; value: unknown } | { ok: false };
        try {
          expected = { ok: true, value: JSON.parse(text) };
        } catch {
          expected = { ok: false };
        }
        if (result.ok || result.reason === 'syntax') expect(result).toMatchObject(expected);
      }),
      { numRuns: 1_000 },
    );
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingDepth('{"a":"[[[{{{\\"]]]"}')).toBe(1);
    expect(jsonNestingDepth('["\\\\", [1]]')).toBe(2);
    expect(parseJsonLimited(`{"s":"${'['.repeat(1_000)}"}`, { maxDepth: 1 })).toMatchObject({ ok: true });
  });

  // How fast: `npm run bench:timing`.
  it(`refuses more than ${MAX_JSON_DEPTH} levels by default, a million levels too`, () => {
    expect(parseJsonLimited(nested(MAX_JSON_DEPTH))).toMatchObject({ ok: true });
    expect(parseJsonLimited(nested(MAX_JSON_DEPTH + 1))).toEqual({
      ok: false,
      reason: 'too-deep',
      problem: `nested deeper than ${MAX_JSON_DEPTH} levels`,
    });
    expect(parseJsonLimited(nested(1_000_000))).toMatchObject({ ok: false, reason: 'too-deep' });
    expect(parseJsonLimited('['.repeat(5_000_000))).toMatchObject({ ok: false, reason: 'too-deep' });
  });

  it('answers syntax errors without echoing the input', () => {
    expect(parseJsonLimited('{"secret": "hunter2"')).toEqual({
      ok: false,
      reason: 'syntax',
      problem: 'not valid JSON',
    });
  });
});

describe('limits through the host', () => {
  let stack: Stack;
  const hookAuth = `Basic ${Buffer.from(`azure-devops:${TEST_SECRETS.serviceHookPassword}`).toString('base64')}`;

  beforeAll(async () => {
    stack = await startStack();
    await publishModel(stack, '1.0.0');
  }, 60_000);
  afterAll(async () => {
    expect(hostFailures(stack.logs)).toEqual([]);
    await stack.stop();
  });

  async function github(body: string, headers: Record<string, string> = {}) {
    const delivery = githubDelivery(body, TEST_SECRETS.webhook, { headers });
    const response = await fetch(`${stack.host.url}/api/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    const text = await response.text();
    expectSafeResponse(response.status, text);
    return { status: response.status, text };
  }

  async function hook(body: string | Uint8Array, headers: Record<string, string> = {}) {
    const response = await fetch(`${stack.host.url}/api/devops/service-hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: hookAuth, ...headers },
      body,
    });
    const text = await response.text();
    expectSafeResponse(response.status, text);
    return { status: response.status, text };
  }

  describe('JSON nesting depth', () => {
    it(`answers a signed push nested deeper than ${MAX_JSON_DEPTH} levels with 400, and one at the limit normally`, async () => {
      const payload = JSON.stringify(pushPayload({ after: sha('deep-ok') }));
      // The payload itself nests 3 levels (commits[].author); the extra field brings it to exactly the limit.
      const atLimit = `{"extra":${nested(MAX_JSON_DEPTH - 1)},${payload.slice(1)}`;
      expect(jsonNestingDepth(atLimit)).toBe(MAX_JSON_DEPTH);
      expect((await github(atLimit)).status).toBe(202);
      const tooDeep = `{"extra":${nested(MAX_JSON_DEPTH)},${payload.slice(1)}`;
      const refused = await github(tooDeep);
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.text)).toMatchObject({
        error: {
          code: 'PAYLOAD_INVALID',
          message: `The payload is nested deeper than ${MAX_JSON_DEPTH} levels.`,
        },
      });
    });

    it('answers a signed body of a million nested arrays with 400', async () => {
      expect((await github(nested(1_000_000))).status).toBe(400);
      const form = `payload=${encodeURIComponent(nested(100_000))}`;
      expect((await github(form, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(400);
    });

    it('answers a deeply nested service hook notification with 400', async () => {
      const deep = `{"eventType":"build.complete","resource":{"id":1,"x":${nested(10_000)}}}`;
      const response = await hook(deep);
      expect(response.status).toBe(400);
      expect(response.text).toContain('nested deeper than');
    });
  });

  describe('body sizes', () => {
    it('answers a service hook body over 256 KB with 413, read or declared', async () => {
      expect((await hook(`{"x":"${'a'.repeat(256 * 1024)}"}`)).status).toBe(413);
      expect((await hook(Buffer.alloc(256 * 1024 + 1, 0x20))).status).toBe(413);
      // Chunked, with no Content-Length to go by: refused while reading.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 5) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const response = await fetch(`${stack.host.url}/api/devops/service-hook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: hookAuth },
        body: stream,
        duplex: 'half',
      });
      expect(response.status).toBe(413);
    });

    it('answers an unauthenticated oversized service hook body with 401 before reading it', async () => {
      const response = await fetch(`${stack.host.url}/api/devops/service-hook`, {
        method: 'POST',
        body: Buffer.alloc(1024 * 1024, 0x7b),
      });
      expect(response.status).toBe(401);
    });
  });

  describe('header sizes', () => {
    it.each([
      ['/api/github', 'POST'],
      ['/api/devops/service-hook', 'POST'],
      ['/api/flows', 'GET'],
      ['/runtime/webhooks/eventgrid?functionName=modelUploaded', 'POST'],
    ])('answers headers over the host limit on %s with 431', async (path, method) => {
      for (const headers of [
        { 'x-big': 'a'.repeat(20_000) },
        Object.fromEntries(Array.from({ length: 200 }, (_, index) => [`x-h${index}`, 'v'.repeat(100)])),
        { authorization: `Basic ${'A'.repeat(20_000)}` },
      ]) {
        const response = await fetch(`${stack.host.url}${path}`, { method, headers });
        expect(response.status).toBe(431);
      }
    });

    it('refuses overlong values of the headers the app reads, below the host limit', async () => {
      const payload = JSON.stringify(pushPayload({ after: sha('headers') }));
      expect((await github(payload, { 'x-github-delivery': 'a'.repeat(101) })).status).toBe(400);
      expect((await github(payload, { 'x-github-event': 'p'.repeat(65) })).status).toBe(400);
      expect((await github(payload, { 'x-hub-signature-256': `sha256=${'0'.repeat(8_000)}` })).status).toBe(
        401,
      );
      expect(
        (await github(payload, { 'content-type': `application/json; ${'x'.repeat(8_000)}` })).status,
      ).toBe(202);
      expect((await hook('{}', { authorization: `Basic ${'QUFB'.repeat(2_000)}` })).status).toBe(401);
    });
  });

  describe('overlong strings and odd bytes', () => {
    it('handles a signed push with megabyte-long strings without a 5xx', async () => {
      const longMessage = await github(
        JSON.stringify(pushPayload({ after: sha('long-message'), message: `Fix ${'x'.repeat(5_000_000)}` })),
      );
      expect(longMessage.status).toBe(202);
      const longRef = await github(
        JSON.stringify(pushPayload({ ref: `refs/heads/release/${'r'.repeat(2_000_000)}` })),
      );
      expect(longRef).toMatchObject({ status: 200 });
      expect(JSON.parse(longRef.text)).toMatchObject({ status: 'skipped', reason: 'unsafe-branch-name' });
      const longRepository = await github(
        JSON.stringify(pushPayload({ repository: `contoso/${'r'.repeat(1_000_000)}` })),
      );
      expect(JSON.parse(longRepository.text)).toMatchObject({
        status: 'skipped',
        reason: 'repository-not-allowed',
      });
    });

    it('answers signed bytes that are not UTF-8 JSON with 400', async () => {
      for (const bytes of [
        Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
        Buffer.from([0xc0, 0xaf]),
        Buffer.alloc(1_000, 0),
      ]) {
        const delivery = githubDelivery('', TEST_SECRETS.webhook);
        const response = await fetch(`${stack.host.url}/api/github`, {
          method: 'POST',
          headers: {
            ...delivery.headers,
            'x-hub-signature-256': signGitHubPayload(bytes, TEST_SECRETS.webhook),
          },
          body: bytes,
        });
        expectSafeResponse(response.status, await response.text());
        expect(response.status).toBe(400);
      }
    });

    it('handles a service hook notification with 200 KB strings without a 5xx', async () => {
      const long = 'x'.repeat(200_000);
      expect((await hook(JSON.stringify({ eventType: long }))).status).toBe(200);
      expect(
        (await hook(JSON.stringify({ eventType: 'build.complete', resource: { url: long } }))).status,
      ).toBe(200);
    });

    it('acknowledges an Event Grid event with a megabyte-long subject without a 5xx and builds nothing', async () => {
      await drained(stack);
      const before = runRequests(stack.emulator, 1).length;
      const blobEndpoint = stack.urls.blob;
      const event = blobCreatedEvent({
        container: stack.models.containerName,
        blobPath: `fraud/${'9'.repeat(1_000_000)}/model.json`,
        blobEndpoint,
      });
      expect((await deliverEvents(stack.host.url, 'modelUploaded', [event])).status).toBe(200);
      await drained(stack);
      expect(runRequests(stack.emulator, 1).length).toBe(before);
    });
  });
});
