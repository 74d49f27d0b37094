/**
 * The operator's `promote <version>`: a complete model version becomes current — even an older
 * one, the one way the current model moves back (`promoteModelByOperator`) — and is built on the
 * release branch's head, exactly as an upload of it would be (`acceptModelVersion`), the
 * operator and the time recorded on the flow as the delivery. The build message goes on the
 * work queue, as the functions' output binding sends it: the app's worker starts the build.
 */
import { MANIFEST_FILE } from '../core/modelUpload.js';
import {
  isSafeOperatorName,
  operatorDelivery,
  promoteModelByOperator,
  type OperatorPromotion,
} from '../core/operator.js';
import { isSafeModelVersion } from '../core/validation.js';
import type { ModelPublisher } from '../ports/modelPublisher.js';
import type { WorkQueue } from '../ports/workQueue.js';
import type { AcceptOutcome } from './acceptBuild.js';
import {
  acceptModelVersion,
  messagesOf,
  readModel,
  type AcceptModelUploadDeps,
  type ReadModelResult,
} from './acceptModelUpload.js';

export interface PromoteDeps extends AcceptModelUploadDeps {
  readonly queue: Pick<WorkQueue, 'send'>;
  /** Lists a version's blobs (`any-file` models have no manifest to read). */
  readonly catalog: Pick<ModelPublisher, 'list'>;
}

export type PromoteOutcome =
  | { readonly kind: 'refused'; readonly reason: string }
  | {
      readonly kind: 'promoted';
      readonly version: string;
      /** The version current before, if any. */
      readonly previous?: string;
      readonly backwards: boolean;
      /** The flow of (version, branch head) and whether its build was queued now or exists. */
      readonly build: AcceptOutcome;
      readonly waitingBuilt: readonly AcceptOutcome[];
      readonly queued: number;
    };

export async function promoteVersion(
  deps: PromoteDeps,
  request: { readonly version: string; readonly by: string },
): Promise<PromoteOutcome> {
  const { version, by } = request;
  const { modelName: name, trigger } = deps.settings;
  if (!isSafeModelVersion(version))
    return { kind: 'refused', reason: `version "${version}" is not a valid model version` };
  if (!isSafeOperatorName(by))
    return { kind: 'refused', reason: `"${by}" is not a valid operator name (--by)` };
  const model = await readVersion(deps, name, version, trigger);
  if (model.kind === 'skipped') return { kind: 'refused', reason: model.detail };
  const at = deps.clock().toISOString();
  let promotion: OperatorPromotion | undefined;
  const outcome = await acceptModelVersion(
    deps,
    model,
    operatorDelivery('promote', by, at),
    at,
    (pointers, candidate, branch) => {
      const decision = promoteModelByOperator(pointers, candidate, branch);
      promotion = decision.result;
      return decision;
    },
  );
  // The operator's rule never answers older-than-current; the type allows it for uploads.
  if (outcome.kind !== 'build' || promotion === undefined)
    return { kind: 'refused', reason: `${name} ${version} was not promoted` };
  const messages = messagesOf(outcome);
  await deps.queue.send(messages);
  const previous = promotion.previous?.model.version;
  return {
    kind: 'promoted',
    version,
    ...(previous === undefined ? {} : { previous }),
    backwards: promotion.backwards,
    build: outcome.build,
    waitingBuilt: outcome.waitingBuilt,
    queued: messages.length,
  };
}

/** The version as the app would read it on upload: complete, or why not. */
async function readVersion(
  deps: PromoteDeps,
  name: string,
  version: string,
  trigger: 'manifest' | 'any-file',
): Promise<ReadModelResult> {
  const prefix = `${name}/${version}/`;
  if (trigger === 'manifest') {
    const model = await readModel(deps.models, `${prefix}${MANIFEST_FILE}`, name, version, trigger);
    return model.kind === 'skipped' && model.reason === 'blob-missing'
      ? {
          ...model,
          detail: `${name} ${version} has no ${MANIFEST_FILE}: not a published version (publish-model)`,
        }
      : model;
  }
  const blobs = await deps.catalog.list(prefix, 2);
  const [only] = blobs;
  if (only === undefined || blobs.length > 1)
    return {
      kind: 'skipped',
      reason: 'blob-missing',
      detail:
        only === undefined
          ? `${name} ${version} has no blob under ${prefix}`
          : `${name} ${version} has several blobs: with MODEL_TRIGGER=any-file each blob is a version of its own`,
    };
  return readModel(deps.models, only, name, version, trigger);
}
