import picomatch from 'picomatch';
import { transition, type DeliveryRef, type FlowRecord, type ModelRef } from '../core/flow.js';
import { flowIdOf } from '../core/flowId.js';
import { parseJsonLimited } from '../core/jsonLimited.js';
import {
  decideModelUpload,
  MANIFEST_FILE,
  parseManifest,
  type BlobCreatedEvent,
  type ModelUploadSettings,
  type ModelUploadSkipReason,
} from '../core/modelUpload.js';
import { nextCurrentModel, type BranchHead, type CurrentModel } from '../core/pointers.js';
import type { FlowLedger } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import type { ModelStore } from '../ports/modelStore.js';
import type { AcceptOutcome, FlowEngine } from './flowEngine.js';

export type ModelUploadOutcome =
  | {
      readonly kind: 'skipped';
      readonly reason: ModelUploadSkipReason | 'manifest-invalid' | 'manifest-incomplete' | 'blob-missing';
      readonly detail: string;
    }
  | { readonly kind: 'older-than-current'; readonly flow: FlowRecord; readonly current: string }
  | {
      readonly kind: 'build';
      readonly build: AcceptOutcome;
      readonly waitingBuilt: readonly AcceptOutcome[];
    };

export interface HandleModelUploadDeps {
  readonly ledger: FlowLedger;
  readonly models: ModelStore;
  readonly engine: FlowEngine;
  readonly logger: Logger;
  readonly settings: ModelUploadSettings;
  /** Release branches (names or globs) in order: the first is the one a new model is built on. */
  readonly branches: readonly string[];
  readonly now?: () => Date;
}

/** A manifest larger than this is not a manifest. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * A blob landed in the models container. If it completes a model version of this app,
 * promote the version (forward only) and build it with the newest commit of the release branch.
 */
export async function handleModelUpload(
  deps: HandleModelUploadDeps,
  event: BlobCreatedEvent,
): Promise<ModelUploadOutcome> {
  const decision = decideModelUpload(event, deps.settings);
  if (decision.kind === 'skip') {
    deps.logger.info('Blob event skipped', {
      eventId: event.id,
      reason: decision.reason,
      detail: decision.detail,
    });
    return { kind: 'skipped', reason: decision.reason, detail: decision.detail };
  }
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const delivery: DeliveryRef = { source: 'eventgrid', id: event.id };

  const model = await readModel(
    deps,
    decision.blobPath,
    decision.modelName,
    decision.version,
    decision.trigger,
  );
  if (model.kind === 'skipped') {
    deps.logger.warn('Model version not built', {
      eventId: event.id,
      reason: model.reason,
      detail: model.detail,
    });
    return model;
  }

  // Ordered by what storage says, not by the event's eventTime (never trust the event beyond routing).
  const candidate: CurrentModel = {
    model: model.ref,
    uploadedAt: model.uploadedAt,
    promotedAt: now,
    delivery,
  };
  const current = await deps.ledger.updateCurrentModel(model.ref.name, (stored) =>
    nextCurrentModel(stored, candidate),
  );
  const buildBranch = releaseBranch(deps.branches);
  const head = await deps.ledger.getBranchHead(buildBranch);

  if (current !== undefined && current.model.version !== model.ref.version) {
    const flow = await recordOlderVersion(
      deps,
      model.ref,
      head,
      buildBranch,
      delivery,
      now,
      current.model.version,
    );
    deps.logger.info('Model version is older than the current one: recorded, not built', {
      version: model.ref.version,
      current: current.model.version,
    });
    return { kind: 'older-than-current', flow, current: current.model.version };
  }

  const build = await deps.engine.acceptBuild({
    model: model.ref,
    ...(head === undefined ? {} : { commit: head.commit }),
    branch: buildBranch,
    trigger: 'model',
    delivery,
  });
  const waitingBuilt = await buildWaitingFlows(deps, model.ref, delivery, now);
  return { kind: 'build', build, waitingBuilt };
}

type ReadModelResult =
  | { readonly kind: 'model'; readonly ref: ModelRef; readonly uploadedAt: string }
  | {
      readonly kind: 'skipped';
      readonly reason: 'manifest-invalid' | 'manifest-incomplete' | 'blob-missing';
      readonly detail: string;
    };

async function readModel(
  deps: HandleModelUploadDeps,
  blobPath: string,
  name: string,
  version: string,
  trigger: 'manifest' | 'any-file',
): Promise<ReadModelResult> {
  if (trigger === 'any-file') {
    const digest = await deps.models.digestOf(blobPath);
    if (digest === undefined)
      return { kind: 'skipped', reason: 'blob-missing', detail: `${blobPath} no longer exists` };
    return {
      kind: 'model',
      ref: { name, version, uri: digest.url, sha256: digest.sha256 },
      uploadedAt: digest.lastModified,
    };
  }
  const manifestBlob = await deps.models.readSmallBlob(blobPath, MAX_MANIFEST_BYTES);
  if (manifestBlob === undefined)
    return { kind: 'skipped', reason: 'blob-missing', detail: `${blobPath} no longer exists` };
  if (manifestBlob === 'too-large') {
    return {
      kind: 'skipped',
      reason: 'manifest-invalid',
      detail: `${MANIFEST_FILE} is larger than ${MAX_MANIFEST_BYTES} bytes`,
    };
  }
  const json = parseJsonLimited(manifestBlob.bytes.toString('utf8'));
  if (!json.ok)
    return { kind: 'skipped', reason: 'manifest-invalid', detail: `${MANIFEST_FILE} is ${json.problem}` };
  const parsed = parseManifest(json.value);
  if (!parsed.ok) return { kind: 'skipped', reason: 'manifest-invalid', detail: parsed.problem };
  const folder = `${name}/${version}`;
  const sizes = await Promise.all(
    parsed.manifest.files.map((file) => deps.models.sizeOf(`${folder}/${file.path}`)),
  );
  const problems = parsed.manifest.files.flatMap((file, index) => {
    const size = sizes[index];
    if (size === undefined) return [`${file.path} is missing`];
    return size === file.size ? [] : [`${file.path} has ${size} bytes, the manifest says ${file.size}`];
  });
  if (problems.length > 0) {
    return { kind: 'skipped', reason: 'manifest-incomplete', detail: problems.slice(0, 5).join('; ') };
  }
  // The manifest pins every file by hash: its own hash pins the whole version.
  return {
    kind: 'model',
    ref: { name, version, uri: manifestBlob.url, sha256: manifestBlob.sha256 },
    uploadedAt: manifestBlob.lastModified,
  };
}

/** The branch a new model is built on: the first release branch named without a glob (`main` if all are globs). */
function releaseBranch(branches: readonly string[]): string {
  return branches.find((branch) => !picomatch.scan(branch).isGlob) ?? 'main';
}

async function recordOlderVersion(
  deps: HandleModelUploadDeps,
  model: ModelRef,
  head: BranchHead | undefined,
  branch: string,
  delivery: DeliveryRef,
  at: string,
  currentVersion: string,
): Promise<FlowRecord> {
  const commit = head?.commit;
  const flowId = flowIdOf(model.name, model.version, commit ?? `refs/heads/${branch}`);
  const reason = `older-than-current (current is ${currentVersion})`;
  const flow: FlowRecord = {
    schemaVersion: 1,
    flowId,
    status: 'skipped',
    model,
    modelName: model.name,
    ...(commit === undefined ? {} : { commit }),
    branch,
    trigger: 'model',
    triggers: [{ kind: 'model', delivery, at }],
    attempts: 0,
    reason,
    history: [{ status: 'skipped', at, delivery, reason }],
    createdAt: at,
    updatedAt: at,
  };
  const created = await deps.ledger.createFlow(flow);
  if (created !== 'exists') return created.value;
  return (await deps.ledger.getFlow(flowId))?.value ?? flow;
}

/** Pushes seen before any model: build the newest waiting commit of each branch with this model. */
async function buildWaitingFlows(
  deps: HandleModelUploadDeps,
  model: ModelRef,
  delivery: DeliveryRef,
  at: string,
): Promise<readonly AcceptOutcome[]> {
  const waiting = (await deps.ledger.listWaitingFlows()).filter((flow) => flow.modelName === model.name);
  const outcomes: AcceptOutcome[] = [];
  for (const flow of waiting) {
    const head = await deps.ledger.getBranchHead(flow.branch);
    const isHead = head?.commit === flow.commit;
    let outcome: AcceptOutcome | undefined;
    if (isHead && flow.commit !== undefined) {
      outcome = await deps.engine.acceptBuild({
        model,
        commit: flow.commit,
        branch: flow.branch,
        // The commit came from a push: the build pipeline knows `push` and `model` triggers.
        trigger: 'push',
        delivery: flow.triggers[0]?.delivery ?? delivery,
      });
      outcomes.push(outcome);
    }
    const stored = await deps.ledger.getFlow(flow.flowId);
    if (stored?.value.status !== 'waiting-for-model') continue;
    const reason =
      outcome === undefined
        ? 'a newer commit of the branch was built instead'
        : `built with model ${model.version} as flow ${outcome.flow.flowId}`;
    await deps.engine.update(stored, (current) => transition(current, 'skipped', delivery, at, { reason }));
  }
  return outcomes;
}
