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
import { githubDelivery, postDelivery, pushPayload, sha, type Delivery } from '../support/github.js';
import { at, records, responseJson, type JsonObject } from '../../tools/json.js';
import { waitFor } from '../../tools/wait.js';
import { drained, publishModel, startStack, type Stack } from '../support/stack.js';
import { runRequests, templateParametersOf } from '../fuzz/support.js';

const HOOK_AUTH = `Basic ${Buffer.from(`azure-devops:${TEST_SECRETS.serviceHookPassword}`).toString('base64')}`;

async function send(stack: Stack, delivery: Delivery): Promise<number> {
  return (await postDelivery(stack.host.url, delivery)).status;
}

/** The (model version, commit) of each build run created since `before` runs. */
function builtSince(stack: Stack, before: number): { modelVersion: unknown; commit: unknown }[] {
  return runRequests(stack.emulator, 1)
    .slice(before)
    .map((run) => ({
      modelVersion: templateParametersOf(run)?.modelVersion,
      commit: templateParametersOf(run)?.commit,
    }));
}

/** The flows as the flows API lists them. */
async function flows(stack: Stack): Promise<JsonObject[]> {
  return records((await responseJson(await fetch(`${stack.host.url}/api/flows?limit=100`))).body.flows);
}

async function publish(
  stack: Stack,
  version: string,
  eventTime?: string,
): Promise<readonly Record<string, unknown>[]> {
  return (await publishModel(stack, version, eventTime === undefined ? {} : { eventTime })).events;
}

/**
 * Pushes commit c1 then c2 (later `pushed_at`), promotes a new model version, then sends c1's
 * delivery again, byte for byte (with `deliveryId`, or the original one). Answers what the
 * model promotion built, the answer to the replay, and what the replay built.
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
  await drained(stack);
  const beforePublish = runRequests(stack.emulator, 1).length;
  await publish(stack, version);
  const promoted = builtSince(stack, beforePublish);
  const before = runRequests(stack.emulator, 1).length;
  const replay =
    deliveryId === undefined ? old : { ...old, headers: { ...old.headers, 'x-github-delivery': deliveryId } };
  const answer = await postDelivery(stack.host.url, replay);
  await drained(stack);
  return { promoted, answer, replayed: builtSince(stack, before) };
}

describe('defects found by the security review', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await publish(stack, '1.0.0');
  }, 60_000);
  afterAll(async () => {
    await stack.stop();
  });

  it('K1: a replayed old GitHub delivery (same X-GitHub-Delivery) starts nothing new', async () => {
    const { promoted, answer, replayed } = await replayOldPush(stack, 'k1', '2.0.0');
    // The new model was built on the branch head; the replay was recognised, not ignored by a worker that is down.
    expect(promoted).toEqual([{ modelVersion: '2.0.0', commit: sha('k1-c2') }]);
    expect(answer).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(replayed).toEqual([]);
  });

  // X-GitHub-Delivery is a header and GitHub signs only the body: a captured delivery sent again
  // under a fresh id passes the delivery-id check. Its signed pushed_at is older than the branch
  // head's, so it is skipped (older-than-branch-head).
  it('K1b: a replayed old GitHub push under a fresh X-GitHub-Delivery starts nothing new', async () => {
    const { promoted, answer, replayed } = await replayOldPush(stack, 'k1b', '2.1.0', randomUUID());
    expect(promoted).toEqual([{ modelVersion: '2.1.0', commit: sha('k1b-c2') }]);
    expect(answer).toMatchObject({
      status: 200,
      body: { status: 'skipped', reason: 'older-than-branch-head' },
    });
    expect(replayed).toEqual([]);
  });

  it('K2: answers a service hook notification with a 60 KB subscriptionId without a 5xx, and acts on it', async () => {
    const buildId = 1;
    const before = stack.emulator.requests().length;
    const response = await fetch(`${stack.host.url}/api/devops/service-hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: HOOK_AUTH },
      body: JSON.stringify({
        subscriptionId: 'x'.repeat(60_000),
        notificationId: 'y'.repeat(300),
        eventType: 'build.complete',
        resource: { id: buildId },
      }),
    });
    expect(response.status).toBe(202);
    await drained(stack);
    // The worker read the message and re-read the build it names: nothing dropped it on the way.
    const reads = stack.emulator
      .requests()
      .slice(before)
      .filter(
        (request) =>
          request.method === 'GET' && new RegExp(`/_apis/build/builds/${buildId}$`, 'i').test(request.path),
      );
    expect(reads.length).toBeGreaterThan(0);
  });

  it('K2: answers Event Grid events with 60 KB and 250-character ids without a 5xx, and leaves no flow stuck', async () => {
    for (const [version, id] of [
      ['3.0.0', 'e'.repeat(60_000)],
      ['4.0.0', 'i'.repeat(250)],
    ] as const) {
      const { events } = await uploadModel(stack.models, stack.urls.blob, 'fraud', version);
      const manifest = events.at(-1) ?? {};
      const before = runRequests(stack.emulator, 1).length;
      expect((await deliverEvents(stack.host.url, 'modelUploaded', [{ ...manifest, id }])).status).toBe(200);
      await drained(stack);
      expect(builtSince(stack, before)).toEqual([]);
      // The same upload under an id of a sane length is built: the oversized id was the only problem.
      expect((await deliverEvents(stack.host.url, 'modelUploaded', [manifest])).status).toBe(200);
      await drained(stack);
      expect(builtSince(stack, before).map((run) => run.modelVersion)).toEqual([version]);
    }
    expect((await flows(stack)).filter((flow) => flow.status === 'build-queued')).toEqual([]);
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
    await stack.stop();
  });

  it('K4: an event claiming a future eventTime does not promote an older non-semver version', async () => {
    const older = await publish(stack, '2026-01', '2026-01-15T10:00:00Z');
    // Versions that are not semver are ordered by upload time, which storage keeps to the second:
    // the newer one is uploaded in a later second (one in the same second would tie, and not be promoted).
    const olderUpload = await stack.models.getBlockBlobClient('fraud/2026-01/model.json').getProperties();
    const probe = stack.models.getBlockBlobClient('clock-probe');
    await waitFor(
      async () =>
        ((await probe.upload('', 0)).lastModified?.getTime() ?? 0) >
        (olderUpload.lastModified?.getTime() ?? Number.POSITIVE_INFINITY),
      { what: "storage's clock to leave the second of the older upload" },
    );
    await publish(stack, '2026-02', '2026-02-15T10:00:00Z');
    const beforePush = runRequests(stack.emulator, 1).length;
    const push = githubDelivery(pushPayload({ after: sha('order-c1') }), TEST_SECRETS.webhook);
    expect(await send(stack, push)).toBe(202);
    await drained(stack);
    expect(builtSince(stack, beforePush)).toEqual([{ modelVersion: '2026-02', commit: sha('order-c1') }]);
    const before = runRequests(stack.emulator, 1).length;
    // Re-announce the OLD version, not re-uploaded, with a forged time and a fresh id (needs the Event Grid key).
    const manifest = older.at(-1) ?? {};
    const forged = { ...manifest, id: randomUUID(), eventTime: '2099-01-01T00:00:00Z' };
    expect((await deliverEvents(stack.host.url, 'modelUploaded', [forged])).status).toBe(200);
    await drained(stack);
    expect(builtSince(stack, before)).toEqual([]);
    // The forged event was read, and recorded as what it is: an older version, on the branch head.
    const recorded = (await flows(stack)).filter(
      (flow) => at(flow, 'model', 'version') === '2026-01' && flow.commit === sha('order-c1'),
    );
    expect(recorded).toMatchObject([
      { status: 'skipped', reason: expect.stringContaining('older-than-current') },
    ]);
  });
});
