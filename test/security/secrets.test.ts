/**
 * Secrets never leave: representative scenarios through the local host — every success path,
 * every 4xx, Azure DevOps failing (503, 429, timeouts, resets, refused credentials) and storage
 * refusing the app — with known secret values configured. Afterwards no log line, no response
 * (body or header), no flow record (through the API and in the ledger itself) and nothing sent
 * to Azure DevOps contains any of them, in plain, URL-encoded, JSON-escaped, hex or base64 form
 * (at every alignment, so a secret inside a basic-auth header is found too).
 *
 * Error answers are checked too: a stable code, a message and the invocation id — never a
 * stack trace or a source path.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_KEY } from '../../tools/azurite.js';
import { TEST_SECRETS, useAppEnv } from '../support/appEnv.js';
import { blobCreatedEvent, deliverEvents, uploadModel } from '../support/eventGrid.js';
import { githubDelivery, pushPayload, sha } from '../support/github.js';
import { record, records, responseJson } from '../../tools/json.js';
import { waitFor } from '../../tools/wait.js';
import { drained, finishBuild, newestBuildId, startStack, type Stack } from '../support/stack.js';
import { expectSafeResponse, runRequests } from '../fuzz/support.js';

/** Values the app is given during the test that must never come back out. */
const WRONG_PAT = 'pat-revoked-3c9e1f7a5b2d4c60';
const WRONG_ACCOUNT_KEY = Buffer.from('not-the-account-key-but-still-secret-0123456789').toString('base64');
const SECRETS: Readonly<Record<string, string>> = {
  'GitHub webhook secret': TEST_SECRETS.webhook,
  'previous GitHub webhook secret': TEST_SECRETS.previousWebhook,
  'Azure DevOps PAT': TEST_SECRETS.pat,
  'revoked Azure DevOps PAT': WRONG_PAT,
  'service hook password': TEST_SECRETS.serviceHookPassword,
  'storage account key (Azurite)': AZURITE_KEY,
  'wrong storage account key': WRONG_ACCOUNT_KEY,
};

/** Every form a secret could take in text: plain, escaped, encoded, and base64 at each alignment. */
function secretForms(secret: string): string[] {
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('hex'),
  ]);
  for (const prefix of ['', 'a', 'ab']) {
    // The base64 characters that depend on the secret alone, whatever precedes or follows it.
    const encoded = Buffer.from(`${prefix}${secret}`).toString('base64');
    const stable = encoded.slice(prefix === '' ? 0 : 4, -4);
    forms.add(stable);
    forms.add(stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms].filter((form) => form.length >= 12);
}

const USER = 'azure-devops';
const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;
const HOOK_AUTH = basic(`${USER}:${TEST_SECRETS.serviceHookPassword}`);

interface Answer {
  readonly what: string;
  readonly path: string;
  readonly status: number;
  readonly headers: string;
  readonly text: string;
}

let stack: Stack;
const answers: Answer[] = [];

async function call(what: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${stack.host.url}${path}`, init);
  const answer: Answer = {
    what,
    path,
    status: response.status,
    headers: JSON.stringify([...response.headers.entries()]),
    text: await response.text(),
  };
  answers.push(answer);
  return answer;
}

function github(
  what: string,
  body: string | Buffer,
  headers: Record<string, string | undefined> = {},
  secret: string = TEST_SECRETS.webhook,
) {
  const delivery = githubDelivery(typeof body === 'string' ? body : body.toString('utf8'), secret);
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...delivery.headers, ...headers }))
    if (value !== undefined) merged[name] = value;
  return call(what, '/api/github', { method: 'POST', headers: merged, body });
}

const push = (commit: string, options: Parameters<typeof pushPayload>[0] = {}): string =>
  JSON.stringify(pushPayload({ after: commit, ...options }));

/** `authorization: null` sends none. */
function hook(what: string, body: string | Buffer, authorization: string | null = HOOK_AUTH) {
  return call(what, '/api/devops/service-hook', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(authorization === null ? {} : { authorization }),
    },
    body,
  });
}

function notification(buildId: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    subscriptionId: '8d6f4c1e-2b3a-4d5e-9f60-7a8b9c0d1e2f',
    notificationId: 7,
    eventType: 'build.complete',
    resource: { id: buildId, status: 'completed', result: 'succeeded' },
    ...extra,
  });
}

async function flowStatus(commit: string): Promise<Record<string, unknown> | undefined> {
  const flows = records(
    (await responseJson(await fetch(`${stack.host.url}/api/flows?limit=100`))).body.flows,
  );
  return flows.find((flow) => flow.commit === commit);
}

beforeAll(async () => {
  stack = await startStack({
    GITHUB_WEBHOOK_SECRET_PREVIOUS: TEST_SECRETS.previousWebhook,
    // A held request becomes an ambiguous failure within a second.
    AZURE_DEVOPS_TIMEOUT_SECONDS: '1',
  });
}, 60_000);
afterAll(async () => {
  await stack.stop();
});

describe('secrets never leave', () => {
  it('runs the success paths', async () => {
    expect((await github('push before any model', push(sha('s-waiting')))).status).toBe(202);
    const { events } = await uploadModel(stack.models, stack.urls.blob, 'fraud', '1.0.0');
    for (const event of events)
      expect(
        (
          await call('model upload', '/runtime/webhooks/eventgrid?functionName=modelUploaded', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
            body: JSON.stringify([event]),
          })
        ).status,
      ).toBe(200);
    await drained(stack);
    expect((await github('push', push(sha('s-push')))).status).toBe(202);
    expect((await github('push again', push(sha('s-push')))).status).toBe(200);
    expect(
      (
        await github(
          'push signed with the previous secret',
          push(sha('s-prev')),
          {},
          TEST_SECRETS.previousWebhook,
        )
      ).status,
    ).toBe(202);
    const form = `payload=${encodeURIComponent(push(sha('s-form')))}`;
    expect(
      (await github('form-encoded push', form, { 'content-type': 'application/x-www-form-urlencoded' }))
        .status,
    ).toBe(202);
    expect(
      (
        await github('ping', JSON.stringify({ zen: 'Keep it logically awesome.' }), {
          'x-github-event': 'ping',
        })
      ).status,
    ).toBe(200);
    expect((await github('other event', '{}', { 'x-github-event': 'issues' })).status).toBe(202);
    for (const [what, options] of [
      ['tag push', { ref: 'refs/tags/v1' }],
      ['other repository', { repository: 'contoso/other' }],
      ['not a release branch', { ref: 'refs/heads/feature/x' }],
      ['unsafe branch', { ref: 'refs/heads/release/$(curl evil)' }],
      ['skip ci', { message: '[skip ci]' }],
      ['branch deleted', { deleted: true }],
    ] as const)
      expect((await github(what, push(sha(`s-${what}`), options))).status).toBe(200);
    await drained(stack);

    // A build that succeeds is released: build.complete from the emulator, then a release run.
    const buildId = await newestBuildId(stack);
    await finishBuild(stack, buildId, 'succeeded');
    expect(runRequests(stack.emulator, 2).length).toBeGreaterThan(0);
    expect((await hook('notification again', notification(buildId))).status).toBe(202);
    await drained(stack);

    expect((await call('flows', '/api/flows')).status).toBe(200);
    expect((await call('current flow', '/api/flows/current')).status).toBe(200);
    expect((await call('replay poison', '/api/ops/replay-poison?limit=10', { method: 'POST' })).status).toBe(
      200,
    );
    expect(
      (
        await call('Event Grid validation', '/runtime/webhooks/eventgrid?functionName=modelUploaded', {
          method: 'POST',
          headers: { 'aeg-event-type': 'SubscriptionValidation' },
          body: JSON.stringify([{ id: '1', eventType: 'v', subject: '', data: { validationCode: 'abc' } }]),
        })
      ).status,
    ).toBe(200);
  }, 60_000);

  it('answers every 4xx', async () => {
    const body = push(sha('s-4xx'));
    const signature = githubDelivery(body, TEST_SECRETS.webhook).headers['x-hub-signature-256'] ?? '';
    const cases: [string, number, Promise<Answer>][] = [
      ['no signature', 401, github('no signature', body, { 'x-hub-signature-256': undefined })],
      [
        'SHA-1 only',
        401,
        github('sha1', body, { 'x-hub-signature-256': undefined, 'x-hub-signature': 'sha1=00' }),
      ],
      [
        'malformed',
        401,
        github('malformed', body, { 'x-hub-signature-256': `sha256=${TEST_SECRETS.webhook}` }),
      ],
      ['secret as signature', 401, github('secret', body, { 'x-hub-signature-256': TEST_SECRETS.webhook })],
      ['wrong secret', 401, github('wrong secret', body, {}, 'whsec-guess-0000000000')],
      ['tampered', 401, github('tampered', `${body} `, { 'x-hub-signature-256': signature })],
      ['no event', 400, github('no event', body, { 'x-github-event': undefined })],
      ['bad event', 400, github('bad event', body, { 'x-github-event': 'Push!' })],
      ['bad delivery', 400, github('bad delivery', body, { 'x-github-delivery': 'a b' })],
      ['not JSON', 400, github('not JSON', '{"ref": ')],
      ['not a push', 400, github('not a push', '{"zen":1}')],
      ['too deep', 400, github('too deep', `${'['.repeat(100)}${']'.repeat(100)}`)],
      [
        'form without payload',
        400,
        github('form', 'x=1', { 'content-type': 'application/x-www-form-urlencoded' }),
      ],
      ['XML', 415, github('xml', body, { 'content-type': 'application/xml' })],
      ['hook: no credentials', 401, hook('no auth', notification(1), null)],
      ['hook: wrong password', 401, hook('wrong pw', notification(1), basic(`${USER}:nope`))],
      [
        'hook: wrong user',
        401,
        hook('wrong user', notification(1), basic(`someone:${TEST_SECRETS.serviceHookPassword}`)),
      ],
      ['hook: bearer', 401, hook('bearer', notification(1), `Bearer ${TEST_SECRETS.serviceHookPassword}`)],
      ['hook: PAT', 401, hook('pat', notification(1), basic(`:${TEST_SECRETS.pat}`))],
      ['hook: password alone', 401, hook('pw alone', notification(1), TEST_SECRETS.serviceHookPassword)],
      ['hook: not JSON', 400, hook('hook not JSON', '{not json')],
      ['hook: not an object', 400, hook('hook array', '[1,2]')],
      ['hook: too deep', 400, hook('hook deep', `{"a":${'['.repeat(100)}${']'.repeat(100)}}`)],
      ['hook: too large', 413, hook('hook large', `"${'x'.repeat(300_000)}"`)],
      ['hook: other event', 200, hook('hook other event', notification(1, { eventType: 'git.push' }))],
      ['hook: no build', 200, hook('hook no build', JSON.stringify({ eventType: 'build.complete' }))],
      ['flows: bad id', 400, call('flow id', '/api/flows/XYZ')],
      ['flows: unknown', 404, call('unknown flow', `/api/flows/${'0'.repeat(20)}`)],
      ['flows: bad limit', 400, call('bad limit', '/api/flows?limit=0')],
      ['flows: bad token', 400, call('bad token', `/api/flows?continuationToken=${'%20'.repeat(3)}`)],
      [
        'replay: bad limit',
        400,
        call('replay limit', '/api/ops/replay-poison?limit=5000', { method: 'POST' }),
      ],
      ['headers too large', 431, call('431', '/api/flows', { headers: { 'x-big': 'x'.repeat(20_000) } })],
      [
        'Event Grid: not JSON',
        400,
        call('eg not json', '/runtime/webhooks/eventgrid?functionName=modelUploaded', {
          method: 'POST',
          headers: { 'aeg-event-type': 'Notification' },
          body: '{',
        }),
      ],
    ];
    for (const [what, status, answer] of cases) expect((await answer).status, what).toBe(status);
    const tooLarge = await github('too large', Buffer.alloc(25 * 1024 * 1024 + 1, 0x20));
    expect(tooLarge.status).toBe(413);
    for (const event of [
      blobCreatedEvent({
        container: stack.models.containerName,
        blobPath: 'fraud/2.0.0/model.json',
        blobEndpoint: stack.urls.blob,
        topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/evil',
      }),
      blobCreatedEvent({
        container: stack.models.containerName,
        blobPath: 'fraud/2.0.0/model.json',
        blobEndpoint: stack.urls.blob,
        url: `https://evil.example/${TEST_SECRETS.pat}`,
      }),
    ])
      expect((await deliverEvents(stack.host.url, 'modelUploaded', [event])).status).toBe(200);
    await drained(stack);
  }, 60_000);

  it('runs through Azure DevOps failing: 503, 429, timeouts, resets, and refused credentials', async () => {
    const runsBefore = runRequests(stack.emulator, 1).length;
    const faults = [
      { kinds: ['503' as const], next: 2 },
      { kinds: ['429' as const], next: 1, retryAfterSeconds: 1 },
      { kinds: ['timeout' as const], next: 1 },
      { kinds: ['reset' as const], next: 1 },
      { kinds: ['reset-after' as const], next: 1 },
    ];
    for (const [index, fault] of faults.entries()) {
      stack.emulator.setFaults({ ...fault, methods: ['POST'], pathIncludes: '/pipelines/1/runs' });
      expect((await github(`push under ${fault.kinds[0]}`, push(sha(`s-fault-${index}`)))).status).toBe(202);
      await drained(stack, 30_000);
    }
    stack.emulator.setFaults(null);
    expect(runRequests(stack.emulator, 1).length).toBeGreaterThan(runsBefore + faults.length);

    // Reading a build fails twice, then works.
    const buildId = await newestBuildId(stack);
    stack.emulator.setFaults({ kinds: ['500'], next: 2, methods: ['GET'], pathIncludes: '/build/builds/' });
    expect((await hook('hook under 500', notification(buildId, { notificationId: 99 }))).status).toBe(202);
    await drained(stack, 30_000);
    stack.emulator.setFaults(null);

    // Azure DevOps refuses the app's (revoked) PAT: retrying cannot help, so the flow is `failed`
    // at once with the reason, and the message is not burnt through five deliveries.
    useAppEnv({ ...stack.env, AZURE_DEVOPS_PAT: WRONG_PAT });
    const logsBefore = stack.logs.length;
    const refused = sha('s-refused');
    const refusedDelivery = crypto.randomUUID();
    const refusedPush = { 'x-github-delivery': refusedDelivery };
    expect((await github('push with a revoked PAT', push(refused), refusedPush)).status).toBe(202);
    await drained(stack, 30_000);
    const failed = await flowStatus(refused);
    expect(failed).toMatchObject({ status: 'failed', lastError: { code: 'ADO_AUTH_FAILED' } });
    const attempts = stack.logs.slice(logsBefore).filter((line) => /Giving up|Attempt failed/.test(line));
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toContain('Giving up on the flow');
    useAppEnv(stack.env);
    // With the PAT restored, redelivering the webhook from GitHub is how the flow is tried again.
    expect((await github('the same push redelivered', push(refused), refusedPush)).status).toBe(202);
    await waitFor(async () => (await flowStatus(refused))?.status === 'build-started', {
      what: 'the run once the PAT is restored',
      timeoutMs: 30_000,
    });
  }, 90_000);

  it('runs through storage refusing the app', async () => {
    const connection = stack.env.AzureWebJobsStorage ?? '';
    expect(connection).toContain(AZURITE_KEY);
    useAppEnv({ ...stack.env, AzureWebJobsStorage: connection.replace(AZURITE_KEY, WRONG_ACCOUNT_KEY) });
    try {
      const refused = await github('push while storage refuses', push(sha('s-storage')));
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE' } });
      const event = blobCreatedEvent({
        container: stack.models.containerName,
        blobPath: 'fraud/1.0.0/model.json',
        blobEndpoint: stack.urls.blob,
      });
      // Event Grid retries on a failure status: the function throws and the host answers 500 (no body).
      const eventAnswer = await call(
        'event while storage refuses',
        '/runtime/webhooks/eventgrid?functionName=modelUploaded',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
          body: JSON.stringify([event]),
        },
      );
      expect(eventAnswer).toMatchObject({ status: 500, text: '' });
      const flows = await call('flows while storage refuses', '/api/flows');
      expect(flows).toMatchObject({ status: 503 });
      expect(flows.text).toContain('correlationId');
    } finally {
      useAppEnv(stack.env);
    }
  }, 60_000);

  it('leaves no secret in any log line, response, flow record or Azure DevOps request', async () => {
    await drained(stack, 30_000);
    // Flow records: through the API (list and one by one) and as stored in the ledger.
    const list = await call('all flows', '/api/flows?limit=100');
    const flowIds = records(record(JSON.parse(list.text)).flows).map((flow) => String(flow.flowId));
    expect(flowIds.length).toBeGreaterThan(10);
    for (const flowId of flowIds) await call('one flow', `/api/flows/${flowId}`);
    await call('current', '/api/flows/current');
    const ledger = BlobServiceClient.fromConnectionString(
      stack.env.AzureWebJobsStorage ?? '',
    ).getContainerClient(stack.env.LEDGER_CONTAINER ?? '');
    const stored: string[] = [];
    for await (const blob of ledger.listBlobsFlat())
      stored.push((await ledger.getBlobClient(blob.name).downloadToBuffer()).toString('utf8'));
    expect(stored.length).toBeGreaterThan(flowIds.length);

    const appRequests = stack.emulator
      .requests()
      .filter((request) => !request.path.toLowerCase().includes('/_apis/hooks/subscriptions'));
    expect(appRequests.length).toBeGreaterThan(20);
    const places: [string, string][] = [
      ...stack.logs.map((line, index): [string, string] => [`log line ${index}`, line]),
      ...answers.map((answer): [string, string] => [
        `answer to ${answer.what}`,
        `${answer.headers}\n${answer.text}`,
      ]),
      ...stored.map((text, index): [string, string] => [`ledger blob ${index}`, text]),
      // What the app sent (the test harness itself created the service hook subscription, with its password).
      ...appRequests.map((request): [string, string] => [
        `Azure DevOps request ${request.method} ${request.path}`,
        JSON.stringify(request),
      ]),
    ];
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(SECRETS))
      for (const form of secretForms(secret))
        for (const [where, text] of places)
          if (text.includes(form)) leaks.push(`${name} (${form}) in ${where}`);
    expect(leaks).toEqual([]);

    // Every error answer of the app is a code, a message and a correlation id; nothing shows a stack.
    for (const answer of answers) {
      if (answer.path.startsWith('/api/')) expectSafeResponse(answer.status, answer.text);
      else expect(answer.text).not.toMatch(/\n\s*at |node_modules|\/work\//);
    }
    const statuses = new Set(answers.map((answer) => answer.status));
    for (const status of [200, 202, 400, 401, 404, 413, 415, 431, 500, 503])
      expect(statuses).toContain(status);
    // The logs did see the failures (so the scan above looked at real error paths).
    const logs = stack.logs.join('\n');
    for (const marker of ['ADO_AUTH_FAILED', 'STORAGE_UNAVAILABLE', 'bad signature', 'bad credentials'])
      expect(logs).toContain(marker);
  }, 60_000);
});
