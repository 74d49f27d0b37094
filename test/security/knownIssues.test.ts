/**
 * Defects found by the security review (docs/security.md, "Defects found and fixed"), each
 * reproduced by a test that states the behaviour the app must have; they stay as regression tests.
 */
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  generateAccountSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../tools/azurite.js';
import { TEST_SECRETS, useAppEnv } from '../support/appEnv.js';
import { deliverEvents, uploadModel } from '../support/eventGrid.js';
import { githubDelivery, pushPayload, sha, type Delivery } from '../support/github.js';
import { records, responseJson } from '../support/json.js';
import { drained, startStack, type Stack } from '../support/stack.js';
import { runRequests, templateParametersOf } from '../fuzz/support.js';

const HOOK_AUTH = `Basic ${Buffer.from(`azure-devops:${TEST_SECRETS.serviceHookPassword}`).toString('base64')}`;

async function send(stack: Stack, delivery: Delivery): Promise<number> {
  const response = await fetch(`${stack.host.url}/api/github`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  await response.text();
  return response.status;
}

async function publish(
  stack: Stack,
  version: string,
  eventTime?: string,
): Promise<readonly Record<string, unknown>[]> {
  const blobEndpoint = stack.models.url.slice(0, stack.models.url.lastIndexOf('/'));
  const { events } = await uploadModel(stack.models, blobEndpoint, 'fraud', version);
  for (const event of events) {
    if (eventTime !== undefined) event.eventTime = eventTime;
    expect((await deliverEvents(stack.host.url, 'modelUploaded', [event])).status).toBe(200);
  }
  await drained(stack);
  return events;
}

/**
 * Pushes commit c1 then c2 (later `pushed_at`), promotes a new model version, then sends c1's
 * delivery again, byte for byte (with `deliveryId`, or the original one): answers the commits
 * of the runs the replay started.
 */
let pushClock = 1795000000;

async function replayOldPush(stack: Stack, name: string, version: string, deliveryId?: string) {
  // Each scenario pushes later than the one before, as pushes to one branch do.
  pushClock += 1000;
  const old = githubDelivery(
    pushPayload({ after: sha(`${name}-c1`), pushedAt: pushClock }),
    TEST_SECRETS.webhook,
  );
  expect(await send(stack, old)).toBe(202);
  const newer = githubDelivery(
    pushPayload({ after: sha(`${name}-c2`), pushedAt: pushClock + 100 }),
    TEST_SECRETS.webhook,
  );
  expect(await send(stack, newer)).toBe(202);
  await publish(stack, version);
  const before = runRequests(stack.emulator, 1).length;
  const replay =
    deliveryId === undefined ? old : { ...old, headers: { ...old.headers, 'x-github-delivery': deliveryId } };
  expect(await send(stack, replay)).toBeLessThan(500);
  await drained(stack);
  return runRequests(stack.emulator, 1)
    .slice(before)
    .map((run) => templateParametersOf(run)?.commit);
}

describe('defects found by the security review', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await publish(stack, '1.0.0');
  }, 60_000);
  afterAll(async () => {
    await stack.close();
  });

  it('K1: a replayed old GitHub delivery (same X-GitHub-Delivery) starts nothing new', async () => {
    expect(await replayOldPush(stack, 'k1', '2.0.0')).toEqual([]);
  });

  // X-GitHub-Delivery is a header and GitHub signs only the body: a captured delivery sent again
  // under a fresh id passes the delivery-id check. Its signed pushed_at is older than the branch
  // head's, so it is skipped (older-than-branch-head).
  it('K1b: a replayed old GitHub push under a fresh X-GitHub-Delivery starts nothing new', async () => {
    expect(await replayOldPush(stack, 'k1b', '2.1.0', randomUUID())).toEqual([]);
  });

  it('K2: answers a service hook notification with a 60 KB subscriptionId without a 5xx', async () => {
    const response = await fetch(`${stack.host.url}/api/devops/service-hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: HOOK_AUTH },
      body: JSON.stringify({
        subscriptionId: 'x'.repeat(60_000),
        notificationId: 'y'.repeat(300),
        eventType: 'build.complete',
        resource: { id: 1 },
      }),
    });
    expect(response.status).toBeLessThan(500);
    await drained(stack);
    expect(stack.logs.join('\n')).not.toContain('unreadable message dropped');
  });

  it('K2: answers Event Grid events with 60 KB and 250-character ids without a 5xx, and leaves no flow stuck', async () => {
    const blobEndpoint = stack.models.url.slice(0, stack.models.url.lastIndexOf('/'));
    for (const [version, id] of [
      ['3.0.0', 'e'.repeat(60_000)],
      ['4.0.0', 'i'.repeat(250)],
    ] as const) {
      const { events } = await uploadModel(stack.models, blobEndpoint, 'fraud', version);
      const manifest = events.at(-1) ?? {};
      expect((await deliverEvents(stack.host.url, 'modelUploaded', [{ ...manifest, id }])).status).toBe(200);
    }
    await drained(stack);
    expect(stack.logs.join('\n')).not.toContain('unreadable message dropped');
    const flows = records(
      (await responseJson(await fetch(`${stack.host.url}/api/flows?limit=100`))).body.flows,
    );
    expect(flows.filter((flow) => flow.status === 'build-queued')).toEqual([]);
  });

  it('K3: never puts a SAS token into a pipeline parameter or a flow record', async () => {
    const sas = generateAccountSASQueryParameters(
      {
        expiresOn: new Date(Date.now() + 3_600_000),
        permissions: AccountSASPermissions.parse('rwdlacup'),
        resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
        services: AccountSASServices.parse('bq').toString(),
        protocol: SASProtocol.HttpsAndHttp,
      },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    ).toString();
    const signature = new URLSearchParams(sas).get('sig') ?? 'missing';
    // AzureWebJobsStorage as a SAS connection string (infra/ deploys identity; the settings allow a SAS).
    useAppEnv({
      ...stack.env,
      AzureWebJobsStorage: `BlobEndpoint=${stack.azurite.blobEndpoint};QueueEndpoint=${stack.azurite.queueEndpoint};SharedAccessSignature=${sas}`,
    });
    try {
      const before = runRequests(stack.emulator, 1).length;
      await publish(stack, '5.0.0');
      const runs = runRequests(stack.emulator, 1).slice(before);
      expect(runs).toHaveLength(1);
      const flows = await (await fetch(`${stack.host.url}/api/flows`)).text();
      for (const form of [signature, encodeURIComponent(signature)]) {
        expect(JSON.stringify(runs)).not.toContain(form);
        expect(flows).not.toContain(form);
        expect(stack.logs.join('\n')).not.toContain(form);
      }
    } finally {
      useAppEnv(stack.env);
    }
  });
});

describe('defects found by the security review: model order', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 60_000);
  afterAll(async () => {
    await stack.close();
  });

  it('K4: an event claiming a future eventTime does not promote an older non-semver version', async () => {
    const older = await publish(stack, '2026-01', '2026-01-15T10:00:00Z');
    await publish(stack, '2026-02', '2026-02-15T10:00:00Z');
    const push = githubDelivery(pushPayload({ after: sha('order-c1') }), TEST_SECRETS.webhook);
    expect(await send(stack, push)).toBe(202);
    await drained(stack);
    const before = runRequests(stack.emulator, 1).length;
    // Re-announce the OLD version, not re-uploaded, with a forged time and a fresh id (needs the Event Grid key).
    const manifest = older.at(-1) ?? {};
    const forged = { ...manifest, id: randomUUID(), eventTime: '2099-01-01T00:00:00Z' };
    expect((await deliverEvents(stack.host.url, 'modelUploaded', [forged])).status).toBe(200);
    await drained(stack);
    const runs = runRequests(stack.emulator, 1).slice(before);
    expect(runs.map((run) => templateParametersOf(run)?.modelVersion)).toEqual([]);
  });
});
