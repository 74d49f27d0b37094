/**
 * Every real payload of the conformance corpus (../shared/conformance: GitHub push deliveries,
 * Event Grid blob events, Azure DevOps service-hook notifications) through the function
 * handlers, each with its expected outcome in one table.
 *
 * Rewritten, and only this, so they reach this test's app: the repository (`repository.full_name`
 * → GITHUB_REPOSITORY) of GitHub deliveries; the topic, and `data.url` / `subject` (the blob's
 * account, container and path) of Event Grid events. Branches are set to the samples' `master`.
 * The Event Grid samples are also decided as they are, against settings of their own account,
 * so the Data Lake (dfs) and SFTP samples are judged on their real URLs and APIs.
 */
import functions from '@azure/functions';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { flowQueueOutput } from '../../src/app/flowQueue.js';
import { decideModelUpload, readBlobCreatedEvent } from '../../src/core/modelUpload.js';
import { parseFlowMessage } from '../../src/core/flowMessage.js';
import { githubPush } from '../../src/functions/githubPush.js';
import { modelUploaded } from '../../src/functions/modelUploaded.js';
import { serviceHook } from '../../src/functions/serviceHook.js';
import { conformanceDir, readConformanceJson } from '../../tools/ado-emulator/conformance.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import { SANDBOX } from '../../tools/sandbox/settings.js';
import { appEnv, TEST_SECRETS, useAppEnv } from '../support/appEnv.js';
import { eventGridTriggerEvent, uploadModel } from '../support/eventGrid.js';
import { githubDelivery } from '../support/github.js';
import { record } from '../../tools/json.js';
import { isObject } from '../../src/core/guards.js';
import { freshContainer } from '../support/storage.js';
import { ORG, startTestEmulator } from '../support/stack.js';
import type { ContainerClient } from '@azure/storage-blob';

const { HttpRequest, InvocationContext } = functions;

let emulator: AdoEmulator;
let models: ContainerClient;
let blobEndpoint: string;

function context(name: string) {
  return new InvocationContext({ invocationId: crypto.randomUUID(), functionName: name });
}

function queued(invocation: InstanceType<typeof InvocationContext>) {
  const value: unknown = invocation.extraOutputs.get(flowQueueOutput);
  return (Array.isArray(value) ? value : []).map(parseFlowMessage);
}

/** The corpus files of one folder (the push event JSON schema is not a payload). */
function samples(folder: string): string[] {
  return readdirSync(path.join(conformanceDir(), folder))
    .filter((name) => name.endsWith('.json') && !name.endsWith('.schema.json'))
    .sort();
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  models = await freshContainer('models');
  blobEndpoint = models.url.slice(0, models.url.lastIndexOf('/'));
  useAppEnv(
    appEnv({
      azurite: inject('azurite'),
      orgUrl: emulator.orgUrl(ORG),
      overrides: { MODELS_CONTAINER: models.containerName, GITHUB_BRANCHES: 'master' },
    }),
  );
  // A current model, so that pushes build.
  const { events } = await uploadModel(models, blobEndpoint, 'fraud', '1.0.0');
  const manifest = events.at(-1);
  if (manifest === undefined) throw new Error('no manifest event');
  await modelUploaded.options.handler(eventGridTriggerEvent(manifest), context('modelUploaded'));
});
afterAll(async () => {
  await emulator.close();
});

describe('GitHub push deliveries (github-push/)', () => {
  // In this order: the branch head moves with each accepted push (their pushed_at decide).
  const expected: Record<
    string,
    { readonly status: number; readonly outcome: string; readonly builds: number }
  > = {
    'go-playground-webhooks-push.json': { status: 202, outcome: 'accepted', builds: 1 },
    'octokit-api-push-payload.json': { status: 200, outcome: 'skipped: tag-push', builds: 0 },
    // Pushed later than the go-playground sample: the new head, built.
    'octokit-api-push-with-new-branch.payload.json': { status: 202, outcome: 'accepted', builds: 1 },
    // The same commit and model again under another delivery: the same flow, nothing new.
    'octokit-api-push-with-no-username-committer.payload.json': {
      status: 200,
      outcome: 'in-progress',
      builds: 0,
    },
    'octokit-ghes35-push-payload.json': { status: 200, outcome: 'skipped: tag-push', builds: 0 },
    'probot-push.json': { status: 200, outcome: 'skipped: branch-not-matched', builds: 0 },
  };

  it('lists every sample of the corpus', () => {
    expect(samples('github-push')).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s → %j', async (file, want) => {
    const payload = record(readConformanceJson(`github-push/${file}`));
    const repository = { ...record(payload.repository), full_name: 'contoso/fraud-app' };
    const delivery = githubDelivery({ ...payload, repository }, TEST_SECRETS.webhook);
    const invocation = context('githubPush');
    const response = await githubPush.options.handler(
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/github',
        headers: delivery.headers,
        body: { string: delivery.body },
      }),
      invocation,
    );
    const body = record(response.jsonBody);
    const outcome = body.status === 'skipped' ? `skipped: ${String(body.reason)}` : String(body.status);
    expect({ status: response.status, outcome, builds: queued(invocation).length }).toEqual(want);
  });
});

describe('Event Grid blob events (eventgrid/)', () => {
  const expected: Record<
    string,
    { readonly asIs: string; readonly handler: string; readonly uploadAs?: string }
  > = {
    // Data Lake: CreateFile (zero bytes) is never complete; FlushWithClose on the dfs URL is.
    'DERIVED-adls-blobcreated-flushwithclose.eventgrid.json': {
      asIs: 'unexpected-layout',
      handler: 'build',
      uploadAs: 'fraud/2.0.0/model.json',
    },
    'azure-docs-adls-blobcreated-createfile.eventgrid.json': {
      asIs: 'adls-create-file',
      handler: 'adls-create-file',
    },
    // The docs' own sample names container `test-container` in its subject and `testcontainer` in
    // its URL: as it is, its URL is not the blob it names, and it is refused.
    'azure-docs-blobcreated-putblocklist.eventgrid.json': {
      asIs: 'url-mismatch',
      handler: 'build',
      uploadAs: 'fraud/2.1.0/model.json',
    },
    'azure-docs-blobdeleted.eventgrid.json': { asIs: 'not-blob-created', handler: 'not-blob-created' },
    'azure-docs-sftp-blobcreated-sftpcommit.eventgrid.json': {
      asIs: 'unexpected-layout',
      handler: 'build',
      uploadAs: 'fraud/2.2.0/model.json',
    },
    // The Functions host answers the validation handshake itself; the function never sees it.
    'azure-docs-subscription-validation-event.json': {
      asIs: 'not-blob-created',
      handler: 'not-blob-created',
    },
    'rest-api-specs-event-grid-schema-blob_created.json': {
      asIs: 'unexpected-layout',
      handler: 'build',
      uploadAs: 'fraud/2.3.0/model.json',
    },
  };

  it('lists every sample of the corpus', () => {
    expect(samples('eventgrid')).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s, decided as it is → %s', (file, want) => {
    const [event] = eventsOf(file);
    const read = readBlobCreatedEvent(event);
    if (read === undefined) throw new Error(`${file} is not an event`);
    // Settings of the sample's own account, container and endpoint (blob; its dfs twin is the same account).
    const container = /\/containers\/([^/]+)\//.exec(read.subject)?.[1] ?? '';
    const account = /storageAccounts\/([^/]+)$/.exec(read.topic)?.[1] ?? '';
    const decision = decideModelUpload(read, {
      storageResourceId: read.topic,
      blobEndpoint: `https://${account}.blob.core.windows.net`,
      modelsContainer: container,
      modelName: 'fraud',
      trigger: 'manifest',
    });
    expect(decision.kind === 'skip' ? decision.reason : decision.kind).toBe(want.asIs);
  });

  it.each(Object.entries(expected))('%s, through modelUploaded → %s', async (file, want) => {
    const [sample] = eventsOf(file);
    if (sample === undefined) throw new Error(`${file} holds no event`);
    // The blob the event names, on this test's account (uploaded for real when it should build).
    const blobPath = want.uploadAs ?? `samples/${file}`;
    if (want.uploadAs !== undefined) {
      const version = blobPath.split('/')[1] ?? '';
      const { events } = await uploadModel(models, blobEndpoint, 'fraud', version);
      expect(events.length).toBeGreaterThan(0);
    }
    const data = isObject(sample.data) ? sample.data : {};
    const event = {
      ...sample,
      topic: SANDBOX.storageResourceId,
      subject: `/blobServices/default/containers/${models.containerName}/blobs/${blobPath}`,
      data: { ...data, url: `${blobEndpoint}/${models.containerName}/${blobPath}` },
    };
    const invocation = context('modelUploaded');
    const logs: string[] = [];
    const logged = new InvocationContext({
      invocationId: invocation.invocationId,
      functionName: 'modelUploaded',
      logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')),
    });
    await modelUploaded.options.handler(eventGridTriggerEvent(event), logged);
    if (want.handler === 'build') {
      expect(queued(logged)).toHaveLength(1);
    } else {
      expect(queued(logged)).toEqual([]);
      expect(logs.join('\n')).toMatch(new RegExp(`"reason":"${want.handler}"|not a BlobCreated event`));
    }
  });
});

describe('Azure DevOps service-hook notifications (devops-hooks/)', () => {
  const expected: Record<string, { readonly status: number; readonly message: Record<string, unknown> }> = {
    // Resource version 2.0: subscriptionId + notificationId are the delivery's identity.
    'azure-devops-docs-events-build.complete.v2.0.json': {
      status: 202,
      message: {
        kind: 'build-completed',
        buildId: 2727068,
        delivery: { source: 'servicehook', id: '4f6e6328-0251-4814-a009-c01dfa368e3f:1' },
      },
    },
    // Resource version 1.0: no subscription id; the event id stands in for the notification.
    'azure-devops-docs-events-build.complete.v1.0.json': {
      status: 202,
      message: {
        kind: 'build-completed',
        buildId: 2,
        delivery: { source: 'servicehook', id: 'unknown:4a5d99d6-1c75-4e53-91b9-ee80057d4ce3' },
      },
    },
    // The oldest shape: the build id only in resource.url.
    'azure-devops-docs-_data-build.complete.json': {
      status: 202,
      message: {
        kind: 'build-completed',
        buildId: 7,
        delivery: { source: 'servicehook', id: 'unknown:698261b2-8a2a-47d5-ae40-5ea8fd7f734b' },
      },
    },
    // A classic deployment: the release is resource.environment.release.id (environment.releaseId is 0).
    'azure-devops-docs-events-ms.vss-release.deployment-completed-event.json': {
      status: 202,
      message: {
        kind: 'release-completed',
        releaseId: 1,
        delivery: { source: 'servicehook', id: 'unknown:c3e52c57-187a-45c4-abe2-184a48291bad' },
      },
    },
  };

  it('lists every sample of the corpus', () => {
    expect(samples('devops-hooks')).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s → %j', async (file, want) => {
    const invocation = context('serviceHook');
    const authorization = `Basic ${Buffer.from(`azure-devops:${TEST_SECRETS.serviceHookPassword}`).toString('base64')}`;
    const response = await serviceHook.options.handler(
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/devops/service-hook',
        headers: { authorization, 'content-type': 'application/json' },
        body: { string: JSON.stringify(readConformanceJson(`devops-hooks/${file}`)) },
      }),
      invocation,
    );
    expect(response.status).toBe(want.status);
    expect(queued(invocation)).toEqual([{ v: 1, ...want.message }]);
  });
});

function eventsOf(file: string): Record<string, unknown>[] {
  const json = readConformanceJson(`eventgrid/${file}`);
  return (Array.isArray(json) ? json : [json]).map((event) => record(event));
}
