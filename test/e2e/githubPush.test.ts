import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_SECRETS } from '../support/appEnv.js';
import { githubDelivery, postDelivery, pushPayload, sha, type Delivery } from '../support/github.js';
import { at, record } from '../../tools/json.js';
import { drained, publishModel, runsCreated, startStack, type Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.stop();
});

async function send(
  delivery: Delivery,
  init: { headers?: Record<string, string | undefined>; body?: string } = {},
) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...delivery.headers, ...init.headers }))
    if (value !== undefined) headers[name] = value;
  const { status, body } = await postDelivery(stack.host.url, { headers, body: init.body ?? delivery.body });
  return { status, body: body === undefined ? undefined : record(body) };
}

function push(options: Parameters<typeof pushPayload>[0] = {}, deliveryId?: string) {
  return githubDelivery(
    pushPayload(options),
    TEST_SECRETS.webhook,
    deliveryId === undefined ? {} : { deliveryId },
  );
}

describe('GitHub push → build pipeline, through the local host', () => {
  describe('before any model is promoted', () => {
    it('records the push as waiting for a model and starts nothing', async () => {
      const response = await send(push({ after: sha('first-commit') }));
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({ status: 'waiting-for-model' });
      await drained(stack);
      expect(runsCreated(stack.emulator, 1)).toHaveLength(0);
    });

    it('builds the waiting commit once the first model is uploaded', async () => {
      const { manifestSha256 } = await publishModel(stack, '1.0.0');
      const [run] = runsCreated(stack.emulator, 1);
      expect(runsCreated(stack.emulator, 1)).toHaveLength(1);
      expect(run?.body).toMatchObject({
        templateParameters: {
          commit: sha('first-commit'),
          branch: 'main',
          modelName: 'fraud',
          modelVersion: '1.0.0',
          modelSha256: manifestSha256,
          trigger: 'model',
        },
        resources: { repositories: { self: { refName: 'refs/heads/main', version: sha('first-commit') } } },
      });
    });
  });

  describe('with model 1.0.0 promoted', () => {
    let before: number;
    beforeEach(() => {
      before = runsCreated(stack.emulator, 1).length;
    });
    /** Runs created since the test began, once the worker has drained the queue. */
    const newRuns = async () => {
      await drained(stack);
      return runsCreated(stack.emulator, 1).slice(before);
    };

    it('starts exactly one run for a signed push, with the commit and the current model', async () => {
      const response = await send(push({ after: sha('second-commit'), pushedAt: 1795000100 }));
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({
        status: 'accepted',
        flowId: expect.stringMatching(/^[0-9a-f]{20}$/),
      });
      expect(await newRuns()).toHaveLength(1);
      expect((await newRuns())[0]?.body).toMatchObject({
        templateParameters: {
          commit: sha('second-commit'),
          branch: 'main',
          modelName: 'fraud',
          modelVersion: '1.0.0',
          modelUri: `${stack.urls.blob}/${stack.models.containerName}/fraud/1.0.0/model.json`,
          trigger: 'push',
          flowId: response.body?.flowId,
        },
        resources: { repositories: { self: { refName: 'refs/heads/main', version: sha('second-commit') } } },
      });
      // Every template parameter is a string, as Azure Pipelines requires.
      const parameters = record(at((await newRuns())[0]?.body, 'templateParameters'));
      expect(Object.values(parameters).every((value) => typeof value === 'string')).toBe(true);
    });

    it('starts one run for the same delivery sent twice', async () => {
      const delivery = push({ after: sha('third-commit'), pushedAt: 1795000200 });
      const [first, second] = [await send(delivery), await send(delivery)];
      expect(first.status).toBe(202);
      // The delivery id was seen: the second copy maps to the same flow and starts nothing new.
      expect(second).toMatchObject({ status: 200, body: { flowId: first.body?.flowId } });
      expect(['duplicate', 'in-progress', 'already-started']).toContain(second.body?.status);
      expect(await newRuns()).toHaveLength(1);
    });

    it('starts one run for the same commit pushed to two release branches', async () => {
      const commit = sha('fourth-commit');
      await send(push({ after: commit, ref: 'refs/heads/main', pushedAt: 1795000300 }));
      const second = await send(
        push({ after: commit, ref: 'refs/heads/release/2026.12', pushedAt: 1795000301 }),
      );
      expect(['in-progress', 'already-started']).toContain(second.body?.status);
      expect(await newRuns()).toHaveLength(1);
    });

    it('answers a ping with 200 and ignores other events with 202', async () => {
      const ping = githubDelivery({ zen: 'Design for failure.', hook_id: 1 }, TEST_SECRETS.webhook, {
        event: 'ping',
      });
      expect((await send(ping)).status).toBe(200);
      const issue = githubDelivery({ action: 'opened' }, TEST_SECRETS.webhook, { event: 'issues' });
      expect(await send(issue)).toMatchObject({ status: 202, body: { message: 'ignored: issues' } });
      expect(await newRuns()).toHaveLength(0);
    });

    it('accepts a delivery signed with the previous secret during a rotation only when configured', async () => {
      const oldSigned = githubDelivery(pushPayload({ after: sha('rotation') }), TEST_SECRETS.previousWebhook);
      expect((await send(oldSigned)).status).toBe(401);
      expect(await newRuns()).toHaveLength(0);
    });

    it('handles the legacy form-encoded content type', async () => {
      const json = JSON.stringify(pushPayload({ after: sha('form-commit'), pushedAt: 1795000400 }));
      const body = `payload=${encodeURIComponent(json)}`;
      const delivery = githubDelivery(body, TEST_SECRETS.webhook, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect((await send(delivery)).status).toBe(202);
      expect(await newRuns()).toHaveLength(1);
    });

    it.each([
      ['a tag push', { ref: 'refs/tags/v1.2.0' }, 'tag-push'],
      ['a branch deletion', { deleted: true }, 'branch-deleted'],
      ['a branch that is not a release branch', { ref: 'refs/heads/feature/login' }, 'branch-not-matched'],
      ['another repository', { repository: 'contoso/other-app' }, 'repository-not-allowed'],
      ['[skip ci]', { message: 'Update docs [skip ci]' }, 'skip-ci-requested'],
    ])('skips %s with 200 and a reason, starting nothing', async (_name, options, reason) => {
      const response = await send(push({ after: sha(`skip-${reason}`), ...options }));
      expect(response).toMatchObject({ status: 200, body: { status: 'skipped', reason } });
      expect(await newRuns()).toHaveLength(0);
    });

    it.each([
      ['no signature', { 'x-hub-signature-256': undefined }, undefined, 401, 'SIGNATURE_INVALID'],
      [
        'an SHA-1 signature only',
        { 'x-hub-signature-256': undefined, 'x-hub-signature': 'sha1=0123' },
        undefined,
        401,
        'SIGNATURE_INVALID',
      ],
      [
        'a wrong signature',
        { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
        undefined,
        401,
        'SIGNATURE_INVALID',
      ],
      [
        'a body changed after signing',
        {},
        JSON.stringify(pushPayload({ after: sha('tampered') })),
        401,
        'SIGNATURE_INVALID',
      ],
      ['no event header', { 'x-github-event': undefined }, undefined, 400, 'HEADER_MISSING'],
      ['no delivery header', { 'x-github-delivery': undefined }, undefined, 400, 'HEADER_MISSING'],
      [
        'an XML content type',
        { 'content-type': 'application/xml' },
        undefined,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
    ])('answers %s with %i and starts nothing', async (_name, headers, body, status, code) => {
      const response = await send(push({ after: sha('bad-input') }), {
        headers,
        ...(body === undefined ? {} : { body }),
      });
      expect(response).toMatchObject({ status, body: { error: { code } } });
      expect(await newRuns()).toHaveLength(0);
    });

    it('answers malformed JSON (correctly signed) with 400', async () => {
      const delivery = githubDelivery('{"ref": "refs/heads/main", ', TEST_SECRETS.webhook);
      expect(await send(delivery)).toMatchObject({
        status: 400,
        body: { error: { code: 'PAYLOAD_INVALID' } },
      });
      expect(await newRuns()).toHaveLength(0);
    });

    it('answers a signed JSON value that is not a push with 400 naming the problem', async () => {
      const delivery = githubDelivery({ hello: 'world' }, TEST_SECRETS.webhook);
      const response = await send(delivery);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain('ref');
      expect(await newRuns()).toHaveLength(0);
    });

    it('answers a body over 25 MB with 413', async () => {
      const big = 'x'.repeat(25 * 1024 * 1024 + 1);
      const response = await send(push(), { body: big });
      expect(response.status).toBe(413);
      expect(await newRuns()).toHaveLength(0);
    });
  });
});
