import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blobCreatedEvent, deliverEvents, uploadModel } from '../support/eventGrid.js';
import { isRecord, record } from '../../tools/json.js';
import { drained, runsCreated, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let endpoint: string;
let before: number;
/** Runs created since the test began, once the worker has drained the queue. */
const newRuns = async () => {
  await drained(stack);
  return runsCreated(stack.emulator, 1).slice(before);
};

beforeAll(async () => {
  stack = await startStack();
  endpoint = stack.urls.blob;
  // Complete model versions behind every hostile event: skipping one must be the check's doing,
  // not a blob that is not there.
  await uploadModel(stack.models, endpoint, 'fraud', '9.0.0');
  await uploadModel(stack.models, endpoint, 'churn', '1.0.0');
  await uploadModel(stack.models, endpoint, 'fraud', '$(curl evil)');
  const manifest = await stack.models.getBlockBlobClient('fraud/9.0.0/model.json').downloadToBuffer();
  await stack.models.getBlockBlobClient('fraud/model.json').upload(manifest, manifest.length);
});
afterAll(async () => {
  await stack.stop();
});
beforeEach(() => {
  before = runsCreated(stack.emulator, 1).length;
});

/** What the app logged about one event (the properties of its log lines naming the event's id). */
function loggedAbout(eventId: string, since: number): Record<string, unknown>[] {
  return stack.logs.slice(since).flatMap((line) => {
    const start = line.indexOf('{');
    if (start < 0) return [];
    const properties: unknown = JSON.parse(line.slice(start));
    return isRecord(properties) && properties.eventId === eventId ? [{ ...properties }] : [];
  });
}

/** Delivers one event; answers the reason the app logged for skipping it (undefined: not skipped). */
async function skipReasonOf(hostile: Record<string, unknown>): Promise<unknown> {
  const since = stack.logs.length;
  expect((await deliverEvents(stack.host.url, 'modelUploaded', [hostile])).status).toBe(200);
  const logged = loggedAbout(String(hostile.id), since);
  return logged.find((properties) => 'reason' in properties)?.reason;
}

function event(blobPath: string, overrides: Partial<Parameters<typeof blobCreatedEvent>[0]> = {}) {
  return blobCreatedEvent({
    container: stack.models.containerName,
    blobPath,
    blobEndpoint: endpoint,
    ...overrides,
  });
}

describe('Event Grid BlobCreated → model upload, through the local host', () => {
  it('answers the subscription validation handshake', async () => {
    const response = await fetch(`${stack.host.url}/runtime/webhooks/eventgrid?functionName=modelUploaded`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
      body: JSON.stringify([
        {
          id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
          topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z',
          subject: '',
          data: {
            validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
            validationUrl: 'https://rp-eastus2.eventgrid.azure.net/x',
          },
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: '2026-11-28T10:00:00Z',
          metadataVersion: '1',
          dataVersion: '1',
        },
      ]),
    });
    expect(await response.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
  });

  it.each([
    [
      'another storage account',
      'foreign-account',
      'fraud/9.0.0/model.json',
      { topic: '/subscriptions/0/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/attacker' },
    ],
    [
      'a URL on another host',
      'url-mismatch',
      'fraud/9.0.0/model.json',
      { url: 'https://attacker.blob.core.windows.net/models/fraud/9.0.0/model.json' },
    ],
    [
      'an ADLS CreateFile (zero bytes, content follows)',
      'adls-create-file',
      'fraud/9.0.0/model.json',
      { api: 'CreateFile', contentLength: 0 },
    ],
    ['a SetBlobMetadata-like api', 'unsupported-api', 'fraud/9.0.0/model.json', { api: 'SetBlobProperties' }],
    ['another model', 'other-model', 'churn/1.0.0/model.json', {}],
    ['a version with shell characters', 'unsafe-name', 'fraud/$(curl evil)/model.json', {}],
    ['a model file without its manifest', 'not-a-manifest', 'fraud/9.0.0/model.onnx', {}],
    ['a blob outside the <model>/<version>/<file> layout', 'unexpected-layout', 'fraud/model.json', {}],
  ])('acknowledges %s, skips it (%s) and starts nothing', async (_name, reason, blobPath, overrides) => {
    expect(await skipReasonOf(event(blobPath, overrides))).toBe(reason);
    expect(await newRuns()).toHaveLength(0);
  });

  it('acknowledges an event from another container, skips it and starts nothing', async () => {
    const other = blobCreatedEvent({
      container: 'other',
      blobPath: 'fraud/9.0.0/model.json',
      blobEndpoint: endpoint,
    });
    expect(await skipReasonOf(other)).toBe('foreign-container');
    expect(await newRuns()).toHaveLength(0);
  });

  it('does not build a manifest whose files are missing or of another size', async () => {
    const manifest = JSON.stringify({ files: [{ path: 'model.onnx', size: 999, sha256: 'a'.repeat(64) }] });
    await stack.models.getBlockBlobClient('fraud/8.0.0/model.onnx').upload('tiny', 4);
    await stack.models.getBlockBlobClient('fraud/8.0.0/model.json').upload(manifest, manifest.length);
    expect(await skipReasonOf(event('fraud/8.0.0/model.json'))).toBe('manifest-incomplete');
    expect(await newRuns()).toHaveLength(0);
  });

  it('builds an ADLS Gen2 upload on FlushWithClose, once, however often Event Grid delivers it', async () => {
    const { events } = await uploadModel(stack.models, endpoint, 'fraud', '1.0.0');
    const manifestEvent = {
      ...events.at(-1),
      data: { ...record(events.at(-1)?.data), api: 'FlushWithClose' },
    };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => deliverEvents(stack.host.url, 'modelUploaded', [manifestEvent])),
    );
    expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 10 }, () => 200));
    expect(await newRuns()).toHaveLength(1);
  });

  it('builds a CopyBlob of a newer version', async () => {
    const { events } = await uploadModel(stack.models, endpoint, 'fraud', '1.1.0');
    const manifestEvent = { ...events.at(-1), data: { ...record(events.at(-1)?.data), api: 'CopyBlob' } };
    expect((await deliverEvents(stack.host.url, 'modelUploaded', [manifestEvent])).status).toBe(200);
    expect(await newRuns()).toHaveLength(1);
  });

  it('builds the same version once its event passes every check', async () => {
    // Newest, so last: the version the hostile events named was complete, the skips were the checks' doing.
    expect(await skipReasonOf(event('fraud/9.0.0/model.json'))).toBeUndefined();
    expect(await newRuns()).toHaveLength(1);
  });
});
