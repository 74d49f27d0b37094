/**
 * The whole app on one machine, for tests: the sandbox (tools/sandbox) with the test settings,
 * without its blob watcher (tests deliver their own Event Grid events), the emulator checking
 * every request against the specs, and the host's log lines kept.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { FLOW_POISON_QUEUE, FLOW_QUEUE } from '../../src/app/flowQueue.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import { completeBuild, listBuilds } from '../../tools/sandbox/ado.js';
import { startSandbox, startSandboxEmulator, type Sandbox } from '../../tools/sandbox/sandbox.js';
import { SANDBOX, sandboxKnobs } from '../../tools/sandbox/settings.js';
import { waitFor } from '../../tools/wait.js';
import { testSettings } from './appEnv.js';
import { deliverEvents, uploadModel, type ModelFile } from './eventGrid.js';

export const ORG = SANDBOX.org;
export const PROJECT = SANDBOX.project;

export interface Stack extends Sandbox {
  readonly queue: QueueClient;
  readonly poisonQueue: QueueClient;
  readonly models: ContainerClient;
  /** Every line the host's functions and the sandbox logged, in order. */
  readonly logs: string[];
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
  const logs: string[] = [];
  const sandbox = await startSandbox({
    env: { ...testSettings(), ...overrides },
    freePorts: true,
    watcher: false,
    specs: 'required',
    log: (line) => logs.push(line),
    ...(options.queueLeaseSeconds === undefined ? {} : { queueLeaseSeconds: options.queueLeaseSeconds }),
  });
  const queues = QueueServiceClient.fromConnectionString(sandbox.secrets.storageConnectionString);
  return {
    ...sandbox,
    queue: queues.getQueueClient(FLOW_QUEUE),
    poisonQueue: queues.getQueueClient(FLOW_POISON_QUEUE),
    models: BlobServiceClient.fromConnectionString(
      sandbox.secrets.storageConnectionString,
    ).getContainerClient(sandbox.env.MODELS_CONTAINER ?? SANDBOX.modelsContainer),
    logs,
  };
}

/** The emulator alone, seeded as the stack's (for tests that run the app some other way). */
export function startTestEmulator(): Promise<AdoEmulator> {
  return startSandboxEmulator(sandboxKnobs(testSettings()), { specs: 'required' });
}

/**
 * Publishes a version of the app's model as a data scientist does (its files, then the manifest),
 * delivers each BlobCreated event as Event Grid does (each must be acknowledged with 200), and
 * waits until the app is done with them. Answers the events delivered.
 */
export async function publishModel(
  stack: Pick<Stack, 'models' | 'urls' | 'host' | 'env' | 'queue' | 'emulator'>,
  version: string,
  options: { readonly files?: readonly ModelFile[]; readonly eventTime?: string } = {},
): Promise<Awaited<ReturnType<typeof uploadModel>>> {
  const modelName = stack.env.MODEL_NAME ?? 'fraud';
  const uploaded = await uploadModel(stack.models, stack.urls.blob, modelName, version, options.files);
  for (const event of uploaded.events) {
    if (options.eventTime !== undefined) event.eventTime = options.eventTime;
    const response = await deliverEvents(stack.host.url, 'modelUploaded', [event]);
    if (response.status !== 200) throw new Error(`Event Grid delivery answered ${response.status}`);
  }
  await drained(stack);
  return uploaded;
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

/** Release pipeline runs or classic releases created in the emulator. */
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

/** The id of the newest run of the build pipeline, read through the emulator's REST API. */
export async function newestBuildId(stack: Pick<Stack, 'ado' | 'knobs'>): Promise<number> {
  const ids = (await listBuilds(stack.ado, stack.knobs.buildPipelineId)).map((build) => build.id);
  if (ids.length === 0) throw new Error('The build pipeline has no run');
  return Math.max(...ids);
}

/**
 * Completes a build (or a deploy run) as its agent would, then waits until the app took its
 * build.complete notification (answered 202) and the worker is done with it.
 */
export async function finishBuild(
  stack: Pick<Stack, 'ado' | 'emulator' | 'queue'>,
  buildId: number,
  result: 'succeeded' | 'partiallySucceeded' | 'failed' | 'canceled',
): Promise<void> {
  await completeBuild(stack.ado, buildId, result);
  await drained(stack);
  const answers = stack.emulator
    .deliveries()
    .filter((delivery) => delivery.resourceId === buildId)
    .map((delivery) => delivery.status);
  if (!answers.includes(202))
    throw new Error(`The app did not accept the build.complete of build ${buildId}: ${answers.join(', ')}`);
}

/**
 * Waits until the app has nothing left to do: the emulator has delivered every service-hook
 * notification (each is queued before it is answered), then the work queue is empty (in-flight
 * messages count too).
 */
export async function drained(stack: Pick<Stack, 'queue' | 'emulator'>, timeoutMs = 20_000): Promise<void> {
  await stack.emulator.deliveriesSettled();
  await waitFor(
    async () => {
      if (!(await stack.queue.exists())) return true;
      return (await stack.queue.getProperties()).approximateMessagesCount === 0;
    },
    { timeoutMs, what: 'the flow-work queue to drain' },
  );
}
