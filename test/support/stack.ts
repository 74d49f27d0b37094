/**
 * The whole app on one machine, for tests: the Azure DevOps emulator, the app's settings
 * pointing at it and at Azurite, the local Functions host serving the real function
 * definitions, and a build.complete service-hook subscription created through the real API.
 */
import { readFileSync } from 'node:fs';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { FLOW_POISON_QUEUE, FLOW_QUEUE } from '../../src/app/flowQueue.js';
import { allFunctions } from '../../src/app/allFunctions.js';
import { startAdoEmulator, type AdoEmulator } from '../../tools/ado-emulator/server.js';
import { startAzurite, type RunningAzurite } from '../../tools/azurite.js';
import { startLocalHost, type LocalHost } from '../../tools/local-host/server.js';
import { appEnv, TEST_SECRETS, useAppEnv } from './appEnv.js';

export const ORG = 'contoso';
export const PROJECT = 'ai-app';

export interface Stack {
  readonly azurite: RunningAzurite;
  readonly emulator: AdoEmulator;
  readonly queue: QueueClient;
  readonly poisonQueue: QueueClient;
  readonly host: LocalHost;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly models: ContainerClient;
  readonly logs: string[];
  close(): Promise<void>;
}

export interface StackOptions {
  /** How long a queue message stays hidden while the worker runs (the crash test wants it short). */
  readonly queueLeaseSeconds?: number;
}

/**
 * Each stack has an Azurite of its own: its queue is the app's `flow-work` queue, and two
 * test files must not take each other's messages.
 */
export async function startStack(
  overrides: Readonly<Record<string, string | undefined>> = {},
  options: StackOptions = {},
): Promise<Stack> {
  const azurite = await startAzurite();
  const emulator = await startTestEmulator();
  const env = appEnv({ azurite, orgUrl: emulator.orgUrl(ORG), overrides });
  useAppEnv(env);
  const logs: string[] = [];
  const host = await startLocalHost({
    definitions: allFunctions,
    log: (line) => logs.push(line),
    ...(options.queueLeaseSeconds === undefined ? {} : { queueLeaseSeconds: options.queueLeaseSeconds }),
  });
  const queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  const models = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    env.MODELS_CONTAINER ?? 'models',
  );
  await models.createIfNotExists();
  // The subscriptions docs/deploy.md sets up: builds start releases, deploy runs and classic
  // deployments finish them.
  const hookUrl = `${host.url}/api/devops/service-hook`;
  const password = env.SERVICE_HOOK_PASSWORD ?? '';
  for (const definitionName of ['ai-app-build', 'ai-app-deploy'])
    await subscribeBuildComplete(emulator, hookUrl, password, definitionName);
  await subscribe(
    emulator,
    {
      publisherId: 'rm',
      eventType: 'ms.vss-release.deployment-completed-event',
      publisherInputs: { releaseDefinitionId: '3' },
    },
    hookUrl,
    password,
  );
  return {
    azurite,
    emulator,
    queue: queues.getQueueClient(FLOW_QUEUE),
    poisonQueue: queues.getQueueClient(FLOW_POISON_QUEUE),
    host,
    env,
    models,
    logs,
    close: async () => {
      await host.close();
      await emulator.close();
      await azurite.stop();
    },
  };
}

/** A pipeline of infra/pipelines, seeded with its YAML: the emulator knows its declared parameters. */
function pipelineFromInfra(id: number, name: string, file: string) {
  const yamlPath = `infra/pipelines/${file}`;
  return { id, name, yamlPath, yaml: readFileSync(new URL(`../../${yamlPath}`, import.meta.url), 'utf8') };
}

/**
 * The Azure DevOps emulator with the test project: build pipeline 1 and deploy pipeline 2 from
 * infra/pipelines, classic definition 3 deploying the build pipeline's artifact `build` to one stage,
 * with no release-time variables.
 */
export function startTestEmulator(): Promise<AdoEmulator> {
  return startAdoEmulator({
    pat: TEST_SECRETS.pat,
    seed: [
      {
        org: ORG,
        project: PROJECT,
        pipelines: [
          pipelineFromInfra(1, 'ai-app-build', 'build.yml'),
          pipelineFromInfra(2, 'ai-app-deploy', 'deploy.yml'),
        ],
        releaseDefinitions: [
          {
            id: 3,
            name: 'ai-app-release',
            artifacts: [{ alias: 'build', pipelineId: 1 }],
            environments: [{ id: 1, name: 'production' }],
          },
        ],
      },
    ],
  });
}

/** A service-hook subscription as an operator creates it (Project settings → Service hooks), through the REST API. */
export async function subscribe(
  emulator: AdoEmulator,
  hook: {
    readonly publisherId: 'tfs' | 'rm';
    readonly eventType: string;
    readonly publisherInputs: Readonly<Record<string, string>>;
  },
  url: string,
  password: string,
): Promise<void> {
  const response = await fetch(`${emulator.orgUrl(ORG)}/_apis/hooks/subscriptions?api-version=7.1`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`:${TEST_SECRETS.pat}`).toString('base64')}`,
    },
    body: JSON.stringify({
      ...hook,
      publisherInputs: { projectId: PROJECT, ...hook.publisherInputs },
      resourceVersion: hook.publisherId === 'rm' ? '3.0-preview.1' : '2.0',
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      consumerInputs: { url, basicAuthUsername: 'azure-devops', basicAuthPassword: password },
    }),
  });
  if (!response.ok)
    throw new Error(`Creating the subscription failed: ${response.status} ${await response.text()}`);
}

/** `build.complete` of one pipeline. */
export function subscribeBuildComplete(
  emulator: AdoEmulator,
  url: string,
  password: string,
  definitionName = 'ai-app-build',
): Promise<void> {
  return subscribe(
    emulator,
    { publisherId: 'tfs', eventType: 'build.complete', publisherInputs: { definitionName } },
    url,
    password,
  );
}

/** Waits for a condition with a deadline (no fixed sleeps): resolves with its first truthy value. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { readonly timeoutMs?: number; readonly what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${options.what ?? 'a condition'}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Runs (pipeline runs) created in the emulator for a pipeline, as recorded requests. */
export function runsCreated(
  emulator: AdoEmulator,
  pipelineId: number,
): readonly { readonly body: unknown; readonly status: number }[] {
  return emulator
    .requests()
    .filter(
      (request) =>
        request.method === 'POST' &&
        request.path.toLowerCase().endsWith(`/_apis/pipelines/${pipelineId}/runs`) &&
        request.status >= 200 &&
        request.status < 300,
    );
}

/** Completes a build in the emulator as the agent would, which fires build.complete to subscribers. */
export async function completeBuild(
  emulator: AdoEmulator,
  buildId: number,
  result: 'succeeded' | 'partiallySucceeded' | 'failed' | 'canceled',
): Promise<void> {
  const response = await fetch(
    `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/builds/${buildId}?api-version=7.1`,
    {
      method: 'PATCH',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`:${TEST_TOKEN}`).toString('base64')}`,
      },
      body: JSON.stringify({ status: 'completed', result }),
    },
  );
  if (!response.ok)
    throw new Error(`Completing build ${buildId} failed: ${response.status} ${await response.text()}`);
}

const TEST_TOKEN = TEST_SECRETS.pat;

/** Release pipeline runs or classic releases created in the emulator. */
/** Finishes a classic release's deployment in the emulator (fires ms.vss-release.deployment-completed-event). */
export async function completeRelease(
  emulator: AdoEmulator,
  releaseId: number,
  status: 'succeeded' | 'rejected' | 'canceled' | 'partiallySucceeded',
): Promise<void> {
  const response = await fetch(`${emulator.url}/_emulator/releases/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org: ORG, releaseId, status }),
  });
  if (!response.ok)
    throw new Error(`Completing release ${releaseId} failed: ${response.status} ${await response.text()}`);
}

export function releasesCreated(
  emulator: AdoEmulator,
  mode: 'pipeline' | 'classic',
): readonly { readonly body: unknown }[] {
  return emulator
    .requests()
    .filter((request) =>
      mode === 'pipeline'
        ? request.method === 'POST' &&
          request.path.toLowerCase().endsWith('/_apis/pipelines/2/runs') &&
          request.status < 300
        : request.method === 'POST' &&
          request.path.toLowerCase().endsWith('/_apis/release/releases') &&
          request.status < 300,
    );
}

/** The id of the newest run of the build pipeline (1), read through the emulator's REST API. */
export async function newestBuildId(stack: { readonly emulator: AdoEmulator }): Promise<number> {
  const response = await fetch(
    `${stack.emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines/1/runs?api-version=7.1`,
    {
      headers: { authorization: `Basic ${Buffer.from(`:${TEST_TOKEN}`).toString('base64')}` },
    },
  );
  const body: unknown = await response.json();
  const runs =
    typeof body === 'object' && body !== null && 'value' in body && Array.isArray(body.value)
      ? body.value
      : [];
  const ids = runs.map((run: unknown) =>
    typeof run === 'object' && run !== null && 'id' in run && typeof run.id === 'number' ? run.id : 0,
  );
  if (ids.length === 0) throw new Error('The build pipeline has no run');
  return Math.max(...ids);
}

/**
 * Waits until the app has nothing left to do: the emulator has delivered every service-hook
 * notification (each is queued before it is answered), then the work queue is empty (in-flight
 * messages count too).
 */
export async function drained(stack: Pick<Stack, 'queue' | 'emulator'>, timeoutMs = 20_000): Promise<void> {
  await stack.emulator.deliveriesSettled();
  await eventually(
    async () => {
      if (!(await stack.queue.exists())) return true;
      return (await stack.queue.getProperties()).approximateMessagesCount === 0;
    },
    { timeoutMs, what: 'the flow-work queue to drain' },
  );
}
