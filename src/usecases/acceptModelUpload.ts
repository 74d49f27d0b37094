import picomatch from 'picomatch';
import { clipDetail } from '../core/guards.js';
import { newFlow, transition, type DeliveryRef, type FlowRecord, type ModelRef } from '../core/flow.js';
import { branchFlowIdOf, flowIdOf } from '../core/flowId.js';
import { parseJsonLimited } from '../core/jsonLimited.js';
import {
  decideModelUpload,
  MANIFEST_FILE,
  parseManifest,
  type BlobCreatedEvent,
  type ModelUploadSettings,
} from '../core/modelUpload.js';
import {
  promoteModel,
  type BranchHead,
  type CurrentModel,
  type ModelPromotion,
  type PointerDecision,
  type Pointers,
} from '../core/pointers.js';
import type { Logger } from '../ports/logger.js';
import type { ModelStore } from '../ports/modelStore.js';
import { acceptBuild, type AcceptDeps, type AcceptOutcome } from './acceptBuild.js';
import { updateFlow, updatePointers } from './ledgerWrites.js';
import type { ModelUploadOutcome } from './modelUploadOutcome.js';

export { messagesOf, type ModelUploadOutcome } from './modelUploadOutcome.js';

export interface AcceptModelUploadDeps extends AcceptDeps {
  readonly models: ModelStore;
  readonly logger: Logger;
  readonly settings: ModelUploadSettings;
  /** Release branches (names or globs) in order: the first is the one a new model is built on. */
  readonly branches: readonly string[];
}

/** A manifest larger than this is not a manifest. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * A blob landed in the models container. If it completes a model version of this app,
 * promote the version (forward only) and build it with the newest commit of the release branch.
 */
export async function acceptModelUpload(
  deps: AcceptModelUploadDeps,
  event: BlobCreatedEvent,
): Promise<ModelUploadOutcome> {
  const decision = decideModelUpload(event, deps.settings);
  if (decision.kind === 'skip') {
    deps.logger.info('Blob event skipped', {
      eventId: clipDetail(event.id),
      reason: decision.reason,
      detail: decision.detail,
    });
    return { kind: 'skipped', reason: decision.reason, detail: decision.detail };
  }
  const at = deps.clock().toISOString();
  const delivery: DeliveryRef = { source: 'eventgrid', id: event.id };
  const model = await readModel(
    deps.models,
    decision.blobPath,
    decision.modelName,
    decision.version,
    decision.trigger,
  );
  if (model.kind === 'skipped') {
    deps.logger.warn('Model version not built', {
      eventId: clipDetail(event.id),
      reason: model.reason,
      detail: model.detail,
    });
    return model;
  }

  // Ordered by what storage says, not by the event's eventTime (never trust the event beyond routing).
  return acceptModelVersion(deps, model, delivery, at, promoteModel);
}

/** How a complete model version becomes current: `promoteModel` for uploads (forward only). */
export type PromotionRule = (
  pointers: Pointers,
  candidate: CurrentModel,
  buildBranch: string,
) => PointerDecision<ModelPromotion>;

/**
 * A complete model version, read from storage, is promoted by `promote` and built with the
 * newest commit of the release branch (pushes that waited for a first model too); an older one
 * is recorded and skipped. Uploads and an operator's promotion share this.
 */
export async function acceptModelVersion(
  deps: AcceptModelUploadDeps,
  model: Extract<ReadModelResult, { readonly kind: 'model' }>,
  delivery: DeliveryRef,
  at: string,
  promote: PromotionRule,
): Promise<Exclude<ModelUploadOutcome, { readonly kind: 'skipped' }>> {
  const buildBranch = releaseBranch(deps.branches);
  const promotion = await updatePointers(deps.ledger, (pointers) =>
    promote(
      pointers,
      { model: model.ref, uploadedAt: model.uploadedAt, promotedAt: at, delivery },
      buildBranch,
    ),
  );
  if (promotion.kind === 'older-than-current') {
    const flow = await recordOlderVersion(
      deps,
      model.ref,
      promotion.head,
      buildBranch,
      delivery,
      at,
      promotion.current.model.version,
    );
    deps.logger.info('Model version is older than the current one: recorded, not built', {
      version: model.ref.version,
      current: promotion.current.model.version,
    });
    return { kind: 'older-than-current', flow, current: promotion.current.model.version };
  }
  const head = promotion.head?.commit;
  const build = await acceptBuild(deps, {
    flowId:
      head === undefined
        ? branchFlowIdOf(model.ref.name, model.ref.version, buildBranch)
        : flowIdOf(model.ref.name, model.ref.version, head),
    model: model.ref,
    ...(head === undefined ? {} : { commit: head }),
    branch: buildBranch,
    trigger: 'model',
    delivery,
  });
  const waitingBuilt: AcceptOutcome[] = [];
  for (const waiting of promotion.waiting) {
    // The commit came from a push: the build pipeline knows `push` and `model` triggers.
    const built = waiting.isHead
      ? await acceptBuild(deps, {
          flowId: flowIdOf(model.ref.name, model.ref.version, waiting.commit),
          model: model.ref,
          commit: waiting.commit,
          branch: waiting.branch,
          trigger: 'push',
          delivery,
        })
      : undefined;
    if (built !== undefined) waitingBuilt.push(built);
    await closeWaitingFlow(
      deps,
      waiting.flowId,
      delivery,
      at,
      built === undefined
        ? 'a newer commit of the branch was built instead'
        : `built with model ${model.ref.version} as flow ${built.flow.flowId}`,
    );
  }
  return { kind: 'build', build, waitingBuilt };
}

export type ReadModelResult =
  | { readonly kind: 'model'; readonly ref: ModelRef; readonly uploadedAt: string }
  | {
      readonly kind: 'skipped';
      readonly reason: 'manifest-invalid' | 'manifest-incomplete' | 'blob-missing';
      readonly detail: string;
    };

/** The model version as storage has it: the manifest and every file it lists, or the single blob. */
export async function readModel(
  models: ModelStore,
  blobPath: string,
  name: string,
  version: string,
  trigger: 'manifest' | 'any-file',
): Promise<ReadModelResult> {
  if (trigger === 'any-file') {
    const digest = await models.digestOf(blobPath);
    if (digest === undefined)
      return { kind: 'skipped', reason: 'blob-missing', detail: `${blobPath} no longer exists` };
    return {
      kind: 'model',
      ref: { name, version, uri: digest.url, sha256: digest.sha256 },
      uploadedAt: digest.lastModified,
    };
  }
  const manifestBlob = await models.readSmallBlob(blobPath, MAX_MANIFEST_BYTES);
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
    parsed.manifest.files.map((file) => models.sizeOf(`${folder}/${file.path}`)),
  );
  const problems = parsed.manifest.files.flatMap((file, index) => {
    const size = sizes[index];
    if (size === undefined) return [`${file.path} is missing`];
    return size === file.size ? [] : [`${file.path} has ${size} bytes, the manifest says ${file.size}`];
  });
  if (problems.length > 0)
    return { kind: 'skipped', reason: 'manifest-incomplete', detail: problems.slice(0, 5).join('; ') };
  // The manifest pins every file by hash: its own hash pins the whole version.
  return {
    kind: 'model',
    ref: { name, version, uri: manifestBlob.url, sha256: manifestBlob.sha256 },
    uploadedAt: manifestBlob.lastModified,
  };
}

/** The branch a new model is built on: the first release branch named without a glob (`main` if all are globs). */
export function releaseBranch(branches: readonly string[]): string {
  return branches.find((branch) => !picomatch.scan(branch).isGlob) ?? 'main';
}

async function recordOlderVersion(
  deps: AcceptModelUploadDeps,
  model: ModelRef,
  head: BranchHead | undefined,
  branch: string,
  delivery: DeliveryRef,
  at: string,
  currentVersion: string,
): Promise<FlowRecord> {
  const commit = head?.commit;
  const { flow } = await deps.ledger.createFlow(
    newFlow({
      flowId:
        commit === undefined
          ? branchFlowIdOf(model.name, model.version, branch)
          : flowIdOf(model.name, model.version, commit),
      modelName: model.name,
      commit,
      branch,
      trigger: 'model',
      delivery,
      at,
      state: { status: 'skipped', model },
      reason: `older-than-current (current is ${currentVersion})`,
    }),
  );
  return flow.value;
}

/** A push that waited for the first model is done waiting: built (as another flow) or left for a newer commit. */
async function closeWaitingFlow(
  deps: AcceptModelUploadDeps,
  flowId: string,
  delivery: DeliveryRef,
  at: string,
  reason: string,
): Promise<void> {
  const stored = await deps.ledger.getFlow(flowId);
  if (stored === undefined) return;
  await updateFlow(deps.ledger, stored, (current) =>
    current.status === 'waiting-for-model'
      ? transition(current, { status: 'skipped' }, delivery, at, { reason })
      : current,
  );
}
