/**
 * Fuzzing Event Grid deliveries to `modelUploaded` through the host's Event Grid extension URL
 * (`POST /runtime/webhooks/eventgrid?functionName=modelUploaded`): random and mutated
 * BlobCreated events — topics, subjects, containers, blob names with shell and unicode
 * characters, URLs on other hosts, APIs, ids, times — in batches, and garbage bodies.
 *
 * The models container holds one complete version (fraud 1.0.0), an incomplete one, a version
 * without a manifest, a broken and a deeply nested manifest, another model, and the same
 * version in another container. So the property is exact: the only build ever started is
 * fraud 1.0.0, from the app's own container, pinned by the hash of the manifest it read itself;
 * and the app never calls a URL taken from an event (a listener stands at those URLs).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX } from '../../tools/sandbox/settings.js';
import { blobCreatedEvent, uploadModel } from '../support/eventGrid.js';
import { drained, startStack, type Stack } from '../support/stack.js';
import {
  buildParameterViolations,
  extraHeaders,
  FuzzStats,
  fuzzParameters,
  fuzzTimeout,
  garbageBody,
  headerValue,
  hostFailures,
  hostileString,
  runRequests,
  templateParametersOf,
  watchProcessErrors,
  wellFormed,
} from './support.js';

let stack: Stack;
let blobEndpoint: string;
let manifestSha256: string;
let otherContainer: string;
let attacker: Server;
let attackerUrl: string;
const attackerHits: string[] = [];
const watcher = watchProcessErrors();

async function put(path: string, content: string): Promise<void> {
  await stack.models.getBlockBlobClient(path).upload(Buffer.from(content), Buffer.byteLength(content));
}

beforeAll(async () => {
  stack = await startStack();
  blobEndpoint = stack.urls.blob;
  attacker = createServer((request, response) => {
    attackerHits.push(`${request.method ?? ''} ${request.url ?? ''}`);
    response.end('{}');
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  const address = attacker.address();
  attackerUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

  // The one complete version, uploaded but not announced: only a fuzzed event can announce it.
  manifestSha256 = (await uploadModel(stack.models, blobEndpoint, 'fraud', '1.0.0')).manifestSha256;
  const incomplete = JSON.stringify({ files: [{ path: 'model.onnx', size: 999, sha256: 'a'.repeat(64) }] });
  await put('fraud/2.0.0/model.json', incomplete);
  await put('fraud/3.0.0/model.onnx', 'weights without a manifest');
  await put('fraud/4.0.0/model.json', '{"files": [');
  await put('fraud/5.0.0/model.json', `${'['.repeat(500_000)}${']'.repeat(500_000)}`);
  await uploadModel(stack.models, blobEndpoint, 'churn', '1.0.0');
  otherContainer = `other-${randomUUID().slice(0, 8)}`;
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const service = BlobServiceClient.fromConnectionString(stack.env.AzureWebJobsStorage ?? '');
  const container = service.getContainerClient(otherContainer);
  await container.createIfNotExists();
  await uploadModel(container, blobEndpoint, 'fraud', '9.0.0');
}, 60_000);
afterAll(async () => {
  watcher.stop();
  await new Promise((resolve) => attacker.close(resolve));
  await stack.stop();
});

// --- What is sent -----------------------------------------------------------------------------------

const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/),
  hostileString({ maxLength: 40 }),
  fc.constantFrom(
    '..',
    '.',
    '',
    '%2e%2e',
    '$(curl evil)',
    '`id`',
    ';rm -rf /',
    'model.json',
    'fraud',
    '1.0.0',
  ),
);

const blobPath = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'fraud/1.0.0/model.json',
      'fraud/1.0.0/model.onnx',
      'fraud/2.0.0/model.json',
      'fraud/3.0.0/model.onnx',
      'fraud/4.0.0/model.json',
      'fraud/5.0.0/model.json',
      'churn/1.0.0/model.json',
      'fraud/9.0.0/model.json',
    ),
  },
  fc.constantFrom(
    'fraud/$(curl evil)/model.json',
    'models/x/$(curl evil)/model.onnx',
    'fraud/x/$(curl evil)/model.onnx',
    'fraud/1.0.0;rm -rf //model.json',
    'fraud/1.0.0/../2.0.0/model.json',
    'fraud/1.0.0/%2e%2e/model.json',
    'fraud/1.0.0/model.json?x=1',
    'fraud//1.0.0/model.json',
    'FRAUD/1.0.0/model.json',
    'fraud/1.0.0/model.json/',
    'fraud/1.0.0/sub/model.json',
    'fraud/1.0.0',
    'fraud/../fraud/1.0.0/model.json',
    'fraud/1.0.0/model.json\u0000',
  ),
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/')),
  hostileString(),
);

type UrlKind = 'own' | 'attacker' | 'own-host-other-path' | 'own-with-query' | 'encoded' | 'https' | 'other';

const event = (): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .record({
      container: fc.oneof(
        { weight: 6, arbitrary: fc.constant(stack.models.containerName) },
        fc.constant(otherContainer),
        fc.constant(stack.models.containerName.toUpperCase()),
        hostileString({ maxLength: 80 }),
      ),
      blobPath,
      topic: fc.oneof(
        { weight: 6, arbitrary: fc.constant(SANDBOX.storageResourceId) },
        fc.constant(SANDBOX.storageResourceId.toUpperCase()),
        fc.constant(SANDBOX.storageResourceId.replace(/devstoreaccount1$/, 'attacker')),
        fc.constant(`${SANDBOX.storageResourceId}/blobServices/default`),
        hostileString(),
      ),
      url: fc.oneof(
        { weight: 6, arbitrary: fc.constant<UrlKind>('own') },
        fc.constantFrom<UrlKind>('attacker', 'own-host-other-path', 'own-with-query', 'encoded', 'https'),
        fc.constant<UrlKind>('other'),
      ),
      otherUrl: hostileString({ maxLength: 300 }),
      api: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose') },
        fc.constantFrom('CreateFile', 'SetBlobProperties', 'putblob', ''),
        hostileString({ maxLength: 80 }),
      ),
      eventType: fc.oneof(
        { weight: 6, arbitrary: fc.constant('Microsoft.Storage.BlobCreated') },
        fc.constantFrom('Microsoft.Storage.BlobDeleted', 'microsoft.storage.blobcreated'),
        hostileString({ maxLength: 80 }),
      ),
      // Ids of every length: they become the delivery id of the queue message (K2 in knownIssues.test.ts).
      id: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, hostileString({ maxLength: 100_000 })),
      eventTime: fc.oneof(
        fc.constant(undefined),
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
        hostileString({ maxLength: 60 }),
      ),
      contentLength: fc.oneof(fc.constantFrom(1024, 0, -1, 1e15), hostileString({ maxLength: 20 })),
      data: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, fc.jsonValue({ maxDepth: 3 })),
      extra: fc.option(fc.tuple(hostileString({ maxLength: 30 }), fc.jsonValue({ maxDepth: 3 })), {
        nil: undefined,
      }),
    })
    .map((options) => {
      const value = blobCreatedEvent({
        container: options.container,
        blobPath: options.blobPath,
        blobEndpoint,
        api: options.api,
        topic: options.topic,
        id: options.id,
        url: urlOf(options.url, options.container, options.blobPath, options.otherUrl),
      });
      value.eventType = options.eventType;
      value.eventTime = options.eventTime;
      if (options.data !== undefined) value.data = options.data;
      else if (typeof value.data === 'object' && value.data !== null)
        Reflect.set(value.data, 'contentLength', options.contentLength);
      if (options.extra !== undefined) value[options.extra[0]] = options.extra[1];
      return value;
    });

function urlOf(kind: UrlKind, container: string, path: string, other: string): string {
  switch (kind) {
    case 'own':
      return `${blobEndpoint}/${container}/${path}`;
    case 'attacker':
      return `${attackerUrl}/devstoreaccount1/${container}/${path}`;
    case 'own-host-other-path':
      return `${blobEndpoint}/${container}/fraud/1.0.0/model.json`;
    case 'own-with-query':
      return `${blobEndpoint}/${container}/${path}?sv=2026-01-01&sig=forged`;
    case 'encoded':
      return `${blobEndpoint}/${container}/${encodeURIComponent(wellFormed(path))}`;
    case 'https':
      return `${blobEndpoint.replace(/^http:/, 'https:')}/${container}/${path}`;
    case 'other':
      return other;
  }
}

const delivery = (): fc.Arbitrary<{ readonly body: Uint8Array; readonly eventType: string | undefined }> =>
  fc.record({
    body: fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .array(event(), { minLength: 1, maxLength: 3 })
          .map((events) => Buffer.from(JSON.stringify(events))),
      },
      event().map((value) => Buffer.from(JSON.stringify(value))),
      garbageBody(),
    ),
    eventType: fc.oneof(
      { weight: 8, arbitrary: fc.constant<string | undefined>('Notification') },
      fc.constantFrom<string | undefined>(undefined, 'SubscriptionValidation', 'notification'),
      headerValue(40),
    ),
  });

// --- The property -------------------------------------------------------------------------------------

describe('fuzz: Event Grid BlobCreated deliveries', () => {
  it(
    'never answers 5xx, never calls a URL from an event, and builds only the complete version in its own container',
    async () => {
      expect(runRequests(stack.emulator, 1)).toHaveLength(0);
      const stats = new FuzzStats();
      const logsBefore = stack.logs.length;
      await fc.assert(
        fc.asyncProperty(delivery(), extraHeaders(), async (sent, extra) => {
          const headers: Record<string, string> = { ...extra, 'content-type': 'application/json' };
          if (sent.eventType !== undefined) headers['aeg-event-type'] = sent.eventType;
          const response = await fetch(
            `${stack.host.url}/runtime/webhooks/eventgrid?functionName=modelUploaded`,
            {
              method: 'POST',
              headers,
              body: sent.body,
            },
          );
          const text = await response.text();
          stats.status(response.status);
          expect(response.status, text).toBeLessThan(500);
          expect([200, 400, 431]).toContain(response.status);
          expect(text).not.toMatch(/\n\s*at |node_modules|\/work\//);
        }),
        fuzzParameters(),
      );
      await drained(stack, 60_000);
      const runs = runRequests(stack.emulator, 1);
      expect(runs.length).toBeLessThanOrEqual(1);
      for (const run of runs) {
        const parameters = templateParametersOf(run) ?? {};
        expect(
          buildParameterViolations(parameters, { blobEndpoint, container: stack.models.containerName }),
        ).toEqual([]);
        expect(parameters).toMatchObject({
          modelName: 'fraud',
          modelVersion: '1.0.0',
          modelUri: `${blobEndpoint}/${stack.models.containerName}/fraud/1.0.0/model.json`,
          modelSha256: manifestSha256,
          trigger: 'model',
        });
      }
      stats.note(`runs=${runs.length}`);
      expect(attackerHits).toEqual([]);
      expect(hostFailures(stack.logs)).toEqual([]);
      expect(watcher.errors).toEqual([]);
      stats.reasons(stack.logs.slice(logsBefore));
      stats.report('modelUploaded');
    },
    fuzzTimeout(40),
  );
});
