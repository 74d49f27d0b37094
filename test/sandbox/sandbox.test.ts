/**
 * startSandbox(): what it starts, how it is configured, the blob watcher standing in for
 * Event Grid (one BlobCreated delivery per blob and etag), and a stop() that frees every port.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appSettings, SANDBOX, sandboxKnobs } from '../../tools/sandbox/settings.js';
import { eventIdOf, type BlobWatcher, type WatcherDelivery } from '../../tools/sandbox/blobWatcher.js';
import { arrayAt, objectAt, readJson, stringAt } from '../../tools/json.js';
import { readyLine } from '../../tools/sandbox/ready.js';
import { isPortFree, startSandbox, type Sandbox } from '../../tools/sandbox/sandbox.js';
import { waitFor } from '../../tools/wait.js';

let sandbox: Sandbox;
let watcher: BlobWatcher;
let models: ContainerClient;
const logs: string[] = [];
const before = process.env.MODEL_NAME;
const orgUrlBefore = process.env.AZURE_DEVOPS_ORG_URL;

beforeAll(async () => {
  process.env.MODEL_NAME = 'not-the-sandbox-model';
  sandbox = await startSandbox({
    env: {},
    freePorts: true,
    log: (line) => logs.push(line),
    watchIntervalMs: 100,
  });
  if (sandbox.watcher === undefined) throw new Error('The sandbox started without its blob watcher');
  watcher = sandbox.watcher;
  models = BlobServiceClient.fromConnectionString(sandbox.secrets.storageConnectionString).getContainerClient(
    SANDBOX.modelsContainer,
  );
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
  if (before === undefined) delete process.env.MODEL_NAME;
  else process.env.MODEL_NAME = before;
});

/** Waits for `count` complete polls of the watcher that start after now. */
async function polls(count: number): Promise<void> {
  for (let index = 0; index < count; index++) await watcher.nextPoll();
}

function deliveriesOf(blob: string): readonly WatcherDelivery[] {
  return watcher.deliveries().filter((delivery) => delivery.blob === blob);
}

describe('startSandbox', () => {
  it('configures the app against the emulator and Azurite, in process.env too', () => {
    expect(sandbox.env).toMatchObject({
      AZURE_DEVOPS_ORG_URL: sandbox.urls.organization,
      AZURE_DEVOPS_PROJECT: 'ai-app',
      AZURE_DEVOPS_PAT: SANDBOX.pat,
      BUILD_PIPELINE_ID: '1',
      RELEASE_PIPELINE_ID: '2',
      RELEASE_DEFINITION_ID: '3',
      MODEL_NAME: 'demo',
      GITHUB_REPOSITORY: SANDBOX.repository,
      GITHUB_WEBHOOK_SECRET: sandbox.secrets.webhookSecret,
      MODEL_STORAGE_RESOURCE_ID: SANDBOX.storageResourceId,
      AzureWebJobsStorage: sandbox.secrets.storageConnectionString,
    });
    expect(sandbox.urls.organization).toBe(`http://127.0.0.1:${sandbox.ports.adoEmulator}/sandbox`);
    expect(process.env.MODEL_NAME).toBe('demo');
    expect(process.env.AZURE_DEVOPS_ORG_URL).toBe(sandbox.urls.organization);
    for (const port of Object.values(sandbox.ports)) expect(port).toBeGreaterThan(0);
  });

  it('lets every app setting be overridden by the environment', () => {
    const knobs = sandboxKnobs({
      BUILD_PIPELINE_ID: '11',
      RELEASE_PIPELINE_ID: '12',
      SANDBOX_BUILD_SECONDS: '2',
    });
    expect(knobs).toMatchObject({
      buildPipelineId: 11,
      releasePipelineId: 12,
      buildSeconds: 2,
      buildResult: 'succeeded',
    });
    const settings = appSettings(
      { MODEL_NAME: 'fraud', GITHUB_WEBHOOK_SECRET: 'mine', RELEASE_MODE: 'classic', NOT_A_SETTING: 'x' },
      { orgUrl: 'http://127.0.0.1:1/sandbox', connectionString: 'UseDevelopmentStorage=true', knobs },
    );
    expect(settings).toMatchObject({
      MODEL_NAME: 'fraud',
      GITHUB_WEBHOOK_SECRET: 'mine',
      RELEASE_MODE: 'classic',
      BUILD_PIPELINE_ID: '11',
    });
    expect(settings).not.toHaveProperty('NOT_A_SETTING');
    expect(() => sandboxKnobs({ BUILD_PIPELINE_ID: '2' })).toThrow(/RELEASE_PIPELINE_ID/);
    expect(() => sandboxKnobs({ SANDBOX_BUILD_RESULT: 'maybe' })).toThrow(/SANDBOX_BUILD_RESULT/);
  });

  it('serves the functions and answers the flows API', async () => {
    const status = await fetch(`${sandbox.urls.host}/admin/host/status`);
    expect(status.status).toBe(200);
    const flows = await fetch(sandbox.urls.flows);
    expect(flows.status).toBe(200);
    expect(arrayAt(await readJson(flows), 'flows')).toEqual([]);
  });

  it('subscribes the app to build.complete and deployment-completed through the subscriptions API', async () => {
    const response = await fetch(`${sandbox.urls.organization}/_apis/hooks/subscriptions?api-version=7.1`, {
      headers: { authorization: `Basic ${Buffer.from(`:${SANDBOX.pat}`).toString('base64')}` },
    });
    expect(response.status).toBe(200);
    const subscriptions = arrayAt(await readJson(response), 'value') ?? [];
    // The build pipeline (start releases); the deploy pipeline and classic deployments (finish them).
    expect(subscriptions.map((item) => stringAt(item, 'eventType'))).toEqual([
      'build.complete',
      'build.complete',
      'ms.vss-release.deployment-completed-event',
    ]);
    const [subscription] = subscriptions;
    expect(stringAt(subscription, 'id')).toBe(sandbox.subscriptionId);
    expect(stringAt(subscription, 'eventType')).toBe('build.complete');
    expect(stringAt(objectAt(subscription, 'consumerInputs'), 'url')).toBe(sandbox.urls.serviceHook);
    expect(stringAt(objectAt(subscription, 'consumerInputs'), 'basicAuthUsername')).toBe(
      SANDBOX.serviceHookUsername,
    );
  });

  it('prints one ready line with every URL, the webhook secret and examples', () => {
    const line = readyLine(sandbox);
    expect(line.startsWith('ready')).toBe(true);
    expect(line).not.toContain('\n');
    const { urls } = sandbox;
    const every = [
      urls.host,
      urls.github,
      urls.flows,
      urls.serviceHook,
      urls.eventGrid,
      urls.organization,
      urls.emulatorControl,
      urls.blob,
      urls.queue,
    ];
    for (const url of every) expect(line).toContain(url);
    expect(line).toContain(sandbox.secrets.webhookSecret);
    expect(line).toContain('az storage blob upload');
    expect(line).toContain('demo/1.0.0/model.json');
    expect(line).toContain('npm run sandbox:push -- --branch main');
  });

  it('turns an upload into exactly one BlobCreated delivery per (blob, etag)', async () => {
    const blob = 'demo/7.0.0/notes.txt';
    const client = models.getBlockBlobClient(blob);
    await client.upload('first', 5);
    const firstEtag = ((await client.getProperties()).etag ?? '').replace(/"/g, '');
    const first = await waitFor(() => deliveriesOf(blob).find((delivery) => delivery.status === 200), {
      what: `a delivery of ${blob}`,
      timeoutMs: 10_000,
    });
    await polls(3);
    expect(deliveriesOf(blob)).toHaveLength(1);
    expect(first.eTag).toBe(firstEtag);
    expect(first.eventId).toBe(eventIdOf(SANDBOX.modelsContainer, blob, firstEtag));
    expect(first.event).toMatchObject({
      id: first.eventId,
      topic: SANDBOX.storageResourceId,
      subject: `/blobServices/default/containers/${SANDBOX.modelsContainer}/blobs/${blob}`,
      eventType: 'Microsoft.Storage.BlobCreated',
      dataVersion: '',
      metadataVersion: '1',
      data: {
        api: 'PutBlob',
        eTag: firstEtag,
        url: client.url,
        contentLength: 5,
        blobType: 'BlockBlob',
        sequencer: expect.stringMatching(/^[0-9a-f]{48}$/),
      },
    });

    // Overwritten: a new etag, one more event, with an id of its own.
    await client.upload('second!', 7);
    const secondEtag = ((await client.getProperties()).etag ?? '').replace(/"/g, '');
    expect(secondEtag).not.toBe(firstEtag);
    await waitFor(() => deliveriesOf(blob).length === 2, {
      what: `a delivery of the new ${blob}`,
      timeoutMs: 10_000,
    });
    await polls(3);
    const all = deliveriesOf(blob);
    expect(all.map((delivery) => [delivery.eTag, delivery.status])).toEqual([
      [firstEtag, 200],
      [secondEtag, 200],
    ]);
    expect(new Set(all.map((delivery) => delivery.eventId)).size).toBe(2);
    expect(all[1]?.event).toMatchObject({ data: { contentLength: 7, eTag: secondEtag } });
  });

  it('stop() frees every port, restores process.env, and may be called again', async () => {
    const ports = Object.values(sandbox.ports);
    await sandbox.stop();
    for (const port of ports) expect(await isPortFree(port), `port ${port}`).toBe(true);
    expect(process.env.MODEL_NAME).toBe('not-the-sandbox-model');
    expect(process.env.AZURE_DEVOPS_ORG_URL).toBe(orgUrlBefore);
    await sandbox.stop();
    const polled = watcher.polls();
    await watcher.nextPoll();
    expect(watcher.polls()).toBe(polled);
  });
});
