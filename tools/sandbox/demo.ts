/**
 * `npm run demo`: the sandbox in-process on free ports, and the story, one line per step:
 * a model version is published → its build → the build completes → service hook → release;
 * a push → a build with that model → release; a failed build that releases nothing; an older
 * model version that is skipped. Ends with the flows table read from `GET /api/flows`.
 * Every wait is a condition with a deadline; nothing is left running when it returns.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { createHash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  completeBuild,
  completeRelease,
  getBuild,
  getClassicRelease,
  getRun,
  hookDeliveries,
  listBuilds,
  type BuildInfo,
} from './ado.js';
import { describeEvent, type ReceivedEvent } from '../event-grid-topic/server.js';
import { listFlows, renderFlowsTable, type FlowRow } from './flows.js';
import { errorMessage, jsonText } from '../json.js';
import { randomSha, sendPush } from './push.js';
import { startSandbox, type Sandbox, type SandboxUrls } from './sandbox.js';
import { waitFor } from '../wait.js';

export interface DemoOptions {
  /** One line per step, then the table (default: stdout). */
  readonly log?: (line: string) => void;
  /** The app's and the sandbox's own log lines (default: kept, shown only if the demo fails). */
  readonly hostLog?: (line: string) => void;
  /** Release with a release pipeline run (default) or a classic release. */
  readonly releaseMode?: 'pipeline' | 'classic';
  /** Deadline of each wait (default 20 s). */
  readonly stepTimeoutMs?: number;
  /** Runs after the story, while the sandbox is still up (e.g. to take screenshots of it). */
  readonly beforeStop?: (sandbox: Sandbox) => Promise<void>;
}

export interface DemoStep {
  readonly title: string;
  readonly line: string;
  readonly elapsedMs: number;
}

/** A flow the demo drove, with what Azure DevOps (the emulator) says about its build. */
export interface DemoFlow {
  readonly flow: FlowRow;
  readonly build: BuildInfo | undefined;
}

export interface DemoResult {
  readonly durationMs: number;
  readonly steps: readonly DemoStep[];
  /** `GET /api/flows` at the end, newest first. */
  readonly flows: readonly FlowRow[];
  readonly table: string;
  /** Every flow event the local Event Grid topic took, in arrival order (one per transition; a re-sent one keeps its id). */
  readonly events: readonly ReceivedEvent[];
  readonly story: {
    /** demo 1.0.0 uploaded: built by the model trigger, released. */
    readonly modelUpload: DemoFlow;
    /** A push built with 1.0.0, released. */
    readonly push: DemoFlow & { readonly commit: string; readonly responseStatus: number };
    /** A push whose build failed: nothing released. */
    readonly failedBuild: DemoFlow & { readonly commit: string; readonly releaseRuns: number };
    /** demo 0.9.0 uploaded after 1.0.0: recorded, skipped. */
    readonly olderModel: DemoFlow & { readonly buildsWithThatVersion: number };
  };
  readonly urls: SandboxUrls;
  /** Every port the sandbox listened on (all free again when runDemo returns). */
  readonly ports: readonly number[];
}

const MODEL = 'demo';

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const hostLines: string[] = [];
  const hostLog =
    options.hostLog ??
    ((line: string) => {
      hostLines.push(line);
      if (hostLines.length > 200) hostLines.shift();
    });
  const timeoutMs = options.stepTimeoutMs ?? 20_000;
  const started = Date.now();
  const steps: DemoStep[] = [];
  const step = (title: string, line: string): void => {
    const elapsedMs = Date.now() - started;
    steps.push({ title, line, elapsedMs });
    log(`${`${(elapsedMs / 1000).toFixed(1)}s`.padStart(6)}  ${String(steps.length).padStart(2)}. ${line}`);
  };

  // The sandbox's defaults only (whatever the shell has set), on free ports.
  const sandbox = await startSandbox({
    env: options.releaseMode === 'classic' ? { RELEASE_MODE: 'classic' } : {},
    freePorts: true,
    log: hostLog,
    hostLog,
    watchIntervalMs: 250,
  });
  try {
    step(
      'sandbox',
      `sandbox up: functions ${sandbox.urls.host}, Azure DevOps emulator ${sandbox.urls.organization}, Azurite ${sandbox.urls.blob}`,
    );
    const result = await story(sandbox, step, timeoutMs);
    const flows = await listFlows(sandbox.urls.host);
    const events = await flowEvents(sandbox, flows, timeoutMs);
    const resent = events.length - new Set(events.map((received) => received.event.id)).size;
    step(
      'events',
      `${events.length} flow events (CloudEvents 1.0) at the local Event Grid topic ${sandbox.urls.flowEvents}: one per transition of the ${flows.length} flows${resent === 0 ? '' : `, ${resent} sent again with the same id`}`,
    );
    for (const received of events) log(`        ${describeEvent(received.event)}`);
    const table = renderFlowsTable(flows);
    log('');
    log(`GET ${sandbox.urls.flows}`);
    log(table);
    await options.beforeStop?.(sandbox);
    return {
      ...result,
      durationMs: Date.now() - started,
      steps,
      flows,
      table,
      events,
      urls: sandbox.urls,
      ports: Object.values(sandbox.ports),
    };
  } catch (error) {
    const tail = hostLines.slice(-25).join('\n');
    throw new Error(
      `${errorMessage(error)}${tail === '' ? '' : `\n--- last log lines of the sandbox ---\n${tail}`}`,
      { cause: error },
    );
  } finally {
    await sandbox.stop();
  }
}

type Step = (title: string, line: string) => void;

/** Waits until the local topic holds an event for every transition of every flow (publishing follows each write). */
async function flowEvents(
  sandbox: Sandbox,
  flows: readonly FlowRow[],
  timeoutMs: number,
): Promise<readonly ReceivedEvent[]> {
  const wanted = flows.flatMap((flow) =>
    Array.from({ length: flow.transitions }, (_, index) => `${flow.flowId}-${index}`),
  );
  return waitFor(
    () => {
      const events = sandbox.topic.events();
      const ids = new Set(events.map((received) => received.event.id));
      return wanted.every((id) => ids.has(id)) ? events : undefined;
    },
    {
      what: `an event for each of the ${wanted.length} transitions at the local Event Grid topic`,
      timeoutMs,
      lastSeen: () => `${sandbox.topic.events().length} events`,
    },
  );
}

async function story(sandbox: Sandbox, step: Step, timeoutMs: number): Promise<Pick<DemoResult, 'story'>> {
  const { ado, urls, knobs } = sandbox;
  const releaseMode = sandbox.env.RELEASE_MODE === 'classic' ? 'classic' : 'pipeline';
  const models = BlobServiceClient.fromConnectionString(
    sandbox.secrets.storageConnectionString,
  ).getContainerClient(sandbox.env.MODELS_CONTAINER ?? 'models');
  let lastFlows: readonly FlowRow[] = [];

  /** Waits until GET /api/flows lists a flow matching `predicate`. */
  const flowWhere = (what: string, predicate: (flow: FlowRow) => boolean): Promise<FlowRow> => {
    return waitFor(
      async () => {
        lastFlows = await listFlows(urls.host);
        return lastFlows.find(predicate);
      },
      {
        what,
        timeoutMs,
        intervalMs: 100,
        lastSeen: () => {
          const seen = lastFlows[0];
          return seen === undefined
            ? 'GET /api/flows lists no flow'
            : `newest flow ${seen.flowId}: ${seen.modelName} ${seen.modelVersion ?? '-'} commit ${seen.commit ?? '-'} status ${seen.status}${seen.reason === undefined ? '' : ` (${seen.reason})`}`;
        },
      },
    );
  };

  /** Completes a build in the emulator and waits for the service hook to be delivered to the app. */
  const completeAndNotify = async (buildId: number, result: 'succeeded' | 'failed'): Promise<number> => {
    await completeBuild(ado, buildId, result);
    const delivery = await waitFor(
      async () =>
        (await hookDeliveries(ado)).find(
          (item) =>
            item.resourceId === buildId &&
            item.eventType === 'build.complete' &&
            typeof item.status === 'number' &&
            item.status >= 200 &&
            item.status < 300,
        ),
      { what: `the build.complete service hook for build ${buildId} to be delivered to the app`, timeoutMs },
    );
    return typeof delivery.status === 'number' ? delivery.status : 0;
  };

  /** Waits for the flow's release, and checks that Azure DevOps has it for that build. */
  const releaseOf = async (flowId: string, buildId: number): Promise<{ flow: FlowRow; line: string }> => {
    const flow = await flowWhere(`a release of build ${buildId} (flow ${flowId})`, (candidate) => {
      return candidate.flowId === flowId && candidate.releaseId !== undefined;
    });
    const releaseId = flow.releaseId ?? 0;
    if (releaseMode === 'pipeline') {
      const run = await waitFor(() => getRun(ado, knobs.releasePipelineId, releaseId), {
        what: `release run ${releaseId} in pipeline ${knobs.releasePipelineId}`,
        timeoutMs,
      });
      if (run.pipelineResources.build !== buildId)
        throw new Error(
          `Release run ${releaseId} deploys build ${String(run.pipelineResources.build)}, not ${buildId}`,
        );
      // The deployment finishes; its build.complete marks the flow released.
      await completeAndNotify(releaseId, 'succeeded');
      const released = await flowWhere(`flow ${flowId} to be released`, (candidate) => {
        return candidate.flowId === flowId && candidate.status === 'released';
      });
      return {
        flow: released,
        line: `release run #${releaseId} of pipeline ${knobs.releasePipelineId} deploys build #${buildId} (model ${run.templateParameters.modelVersion ?? '?'}) and succeeds — flow ${released.status}`,
      };
    }
    const release = await waitFor(() => getClassicRelease(ado, releaseId), {
      what: `classic release ${releaseId}`,
      timeoutMs,
    });
    if (!release.buildIds.includes(String(buildId)))
      throw new Error(
        `Flow ${flowId} of build ${buildId} records classic release ${release.id}, whose artifact is build ${release.buildIds.join(', ') || '(none)'}`,
      );
    // The deployment finishes; ms.vss-release.deployment-completed-event marks the flow released.
    await completeRelease(ado, release.id, 'succeeded');
    const released = await flowWhere(`flow ${flowId} to be released`, (candidate) => {
      return candidate.flowId === flowId && candidate.status === 'released';
    });
    return {
      flow: released,
      line: `classic release #${release.id} (${release.name}) of build #${buildId} deploys and succeeds — flow ${released.status}`,
    };
  };

  const buildOf = async (buildId: number): Promise<BuildInfo> =>
    waitFor(() => getBuild(ado, buildId), { what: `build ${buildId} in Azure DevOps`, timeoutMs });

  /** Checks the run's template parameters against what the flow says, and shows them. */
  const checkedParameters = (build: BuildInfo, expected: Readonly<Record<string, string>>): string => {
    for (const [name, value] of Object.entries(expected)) {
      const actual = build.templateParameters[name];
      if (actual !== value)
        throw new Error(`Build ${build.id} was queued with ${name}=${actual ?? '(none)'}, expected ${value}`);
    }
    return ['modelName', 'modelVersion', 'trigger', 'commit']
      .map((name) => {
        const value = build.templateParameters[name] ?? '';
        if (name !== 'commit') return `${name}=${value}`;
        return value === ''
          ? `commit=(head of ${build.sourceBranch}: ${build.sourceVersion.slice(0, 7)})`
          : `commit=${value.slice(0, 7)}`;
      })
      .join(' ');
  };

  // Publish demo 1.0.0: the files first, the manifest last.
  const published = await publishModel(models, '1.0.0');
  const { watcher } = sandbox;
  if (watcher === undefined) throw new Error('The demo needs the blob watcher');
  await waitFor(
    () =>
      watcher
        .deliveries()
        .find((delivery) => delivery.blob === published.manifest && delivery.status === 200),
    { what: `the blob watcher to deliver BlobCreated for ${published.manifest}`, timeoutMs },
  );
  step(
    'publish 1.0.0',
    `published model ${MODEL} 1.0.0 to ${models.containerName}/${MODEL}/1.0.0/ (${published.files.join(', ')}, then model.json) → BlobCreated events delivered`,
  );

  // Its build.
  const modelFlow = await flowWhere(`a build of model ${MODEL} 1.0.0 started by the upload`, (flow) => {
    return flow.modelVersion === '1.0.0' && flow.trigger === 'model' && flow.buildId !== undefined;
  });
  const modelBuildId = modelFlow.buildId ?? 0;
  const modelBuild = await buildOf(modelBuildId);
  step(
    'build queued',
    `build #${modelBuildId} queued in pipeline ${modelBuild.definitionId} on ${modelBuild.sourceBranch}: ${checkedParameters(modelBuild, { modelName: MODEL, modelVersion: '1.0.0', trigger: 'model' })} (flow ${modelFlow.flowId})`,
  );

  // It succeeds; the service hook reaches the app; the app releases it.
  await completeAndNotify(modelBuildId, 'succeeded').then((status) => {
    step(
      'build completed',
      `build #${modelBuildId} completed: succeeded → build.complete service hook delivered → ${status}`,
    );
  });
  const modelRelease = await releaseOf(modelFlow.flowId, modelBuildId);
  step('release', modelRelease.line);

  // A push: built with the current model, released.
  const pushCommit = randomSha();
  const pushed = await sendPush(urls.host, sandbox.secrets.webhookSecret, {
    branch: 'main',
    commit: pushCommit,
    repository: sandbox.env.GITHUB_REPOSITORY ?? '',
    message: 'Tune the scoring threshold',
  });
  if (pushed.status >= 300)
    throw new Error(`The signed push was refused: ${pushed.status} ${jsonText(pushed.response)}`);
  step(
    'push',
    `pushed commit ${pushCommit.slice(0, 7)} to main (signed, delivery ${pushed.deliveryId.slice(0, 8)}) → ${pushed.status} ${statusOf(pushed.response)}`,
  );
  const pushFlow = await flowWhere(
    `a build of commit ${pushCommit.slice(0, 7)} with model ${MODEL} 1.0.0`,
    (flow) => {
      return flow.commit === pushCommit && flow.modelVersion === '1.0.0' && flow.buildId !== undefined;
    },
  );
  const pushBuildId = pushFlow.buildId ?? 0;
  const pushBuild = await buildOf(pushBuildId);
  step(
    'push build',
    `build #${pushBuildId} queued: ${checkedParameters(pushBuild, { modelName: MODEL, modelVersion: '1.0.0', trigger: 'push', commit: pushCommit })} (flow ${pushFlow.flowId})`,
  );
  const pushHook = await completeAndNotify(pushBuildId, 'succeeded');
  const pushRelease = await releaseOf(pushFlow.flowId, pushBuildId);
  step('push release', `build #${pushBuildId} succeeded → service hook ${pushHook} → ${pushRelease.line}`);

  // A push whose build fails: recorded, nothing released.
  const failedCommit = randomSha();
  const failedPush = await sendPush(urls.host, sandbox.secrets.webhookSecret, {
    branch: 'main',
    commit: failedCommit,
    repository: sandbox.env.GITHUB_REPOSITORY ?? '',
    message: 'Refactor feature extraction',
  });
  if (failedPush.status >= 300) throw new Error(`The second push was refused: ${failedPush.status}`);
  const failedQueued = await flowWhere(`a build of commit ${failedCommit.slice(0, 7)}`, (flow) => {
    return flow.commit === failedCommit && flow.buildId !== undefined;
  });
  const failedBuildId = failedQueued.buildId ?? 0;
  const failedHook = await completeAndNotify(failedBuildId, 'failed');
  const failedFlow = await flowWhere(`flow ${failedQueued.flowId} to record build-failed`, (flow) => {
    return flow.flowId === failedQueued.flowId && flow.status === 'build-failed';
  });
  const releaseRuns =
    releaseMode === 'pipeline'
      ? (await listBuilds(ado, knobs.releasePipelineId)).filter(
          (run) => run.templateParameters.buildId === String(failedBuildId),
        ).length
      : 0;
  if (failedFlow.releaseId !== undefined || releaseRuns > 0)
    throw new Error(`Failed build ${failedBuildId} was released (release ${String(failedFlow.releaseId)})`);
  step(
    'failed build',
    `pushed ${failedCommit.slice(0, 7)} → build #${failedBuildId} failed → service hook ${failedHook} → flow ${failedFlow.status}, nothing released`,
  );

  // An older model version: recorded, skipped, not built.
  const older = await publishModel(models, '0.9.0');
  const olderFlow = await flowWhere(`model ${MODEL} 0.9.0 to be recorded as skipped`, (flow) => {
    return flow.modelVersion === '0.9.0' && flow.status === 'skipped';
  });
  const buildsWithThatVersion = (await listBuilds(ado, knobs.buildPipelineId)).filter(
    (build) => build.templateParameters.modelVersion === '0.9.0',
  ).length;
  step(
    'older model',
    `published model ${MODEL} 0.9.0 (${older.files.length} files + model.json) → ${olderFlow.status}: ${olderFlow.reason ?? '(no reason)'}; ${buildsWithThatVersion} builds`,
  );

  return {
    story: {
      modelUpload: { flow: modelRelease.flow, build: modelBuild },
      push: { flow: pushRelease.flow, build: pushBuild, commit: pushCommit, responseStatus: pushed.status },
      failedBuild: {
        flow: failedFlow,
        build: await getBuild(ado, failedBuildId),
        commit: failedCommit,
        releaseRuns,
      },
      olderModel: { flow: olderFlow, build: undefined, buildsWithThatVersion },
    },
  };
}

function statusOf(response: unknown): string {
  if (
    typeof response === 'object' &&
    response !== null &&
    'status' in response &&
    typeof response.status === 'string'
  )
    return response.status;
  return '';
}

/** Uploads a model version as a data scientist would: its files, then `model.json` listing them. */
async function publishModel(
  models: ContainerClient,
  version: string,
): Promise<{ readonly files: readonly string[]; readonly manifest: string }> {
  const files = [
    { path: 'model.onnx', content: randomBytes(64 * 1024) },
    { path: 'labels.txt', content: Buffer.from('legit\nfraud\n') },
  ];
  const entries = [];
  for (const file of files) {
    await models.getBlockBlobClient(`${MODEL}/${version}/${file.path}`).uploadData(file.content, {
      blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
    });
    entries.push({
      path: file.path,
      size: file.content.length,
      sha256: createHash('sha256').update(file.content).digest('hex'),
    });
  }
  const manifest = Buffer.from(
    JSON.stringify({ name: MODEL, version, framework: 'onnx', files: entries }, null, 2),
  );
  const manifestPath = `${MODEL}/${version}/model.json`;
  await models.getBlockBlobClient(manifestPath).uploadData(manifest, {
    blobHTTPHeaders: { blobContentType: 'application/json' },
  });
  return { files: files.map((file) => file.path), manifest: manifestPath };
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const verbose = process.env.DEMO_VERBOSE === '1' || process.env.DEMO_VERBOSE === 'true';
  runDemo({
    ...(process.env.RELEASE_MODE === 'classic' ? { releaseMode: 'classic' as const } : {}),
    ...(verbose ? { hostLog: (line: string) => process.stdout.write(`        ${line}\n`) } : {}),
  }).then(
    (result) => {
      console.log(
        `\ndemo done in ${(result.durationMs / 1000).toFixed(1)} s; everything it started is stopped.`,
      );
    },
    (error: unknown) => {
      console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
