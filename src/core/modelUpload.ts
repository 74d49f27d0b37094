import { clipDetail, isObject, numberAt, stringAt } from './guards.js';
import { MAX_DELIVERY_ID_LENGTH } from './flowMessage.js';
import { isSafeModelName, isSafeModelVersion } from './validation.js';

/** What a `Microsoft.Storage.BlobCreated` event (Event Grid schema) says, read defensively. */
export interface BlobCreatedEvent {
  readonly id: string;
  readonly topic: string;
  readonly subject: string;
  readonly eventType: string;
  readonly eventTime: string;
  readonly api: string;
  readonly url: string;
  readonly contentLength: number | undefined;
  readonly eTag: string | undefined;
}

export interface ModelUploadSettings {
  readonly storageResourceId: string;
  /** The account's blob endpoint, e.g. https://account.blob.core.windows.net */
  readonly blobEndpoint: string;
  readonly modelsContainer: string;
  readonly modelName: string;
  readonly trigger: 'manifest' | 'any-file';
}

export type ModelUploadSkipReason =
  | 'not-blob-created'
  | 'foreign-account'
  | 'foreign-container'
  | 'unsupported-api'
  | 'adls-create-file'
  | 'url-mismatch'
  | 'unexpected-layout'
  | 'unsafe-name'
  | 'other-model'
  | 'not-a-manifest'
  | 'empty-blob'
  | 'invalid-event-id';

export type ModelUploadDecision =
  | { readonly kind: 'skip'; readonly reason: ModelUploadSkipReason; readonly detail: string }
  | {
      readonly kind: 'candidate';
      readonly modelName: string;
      readonly version: string;
      /** Path of the blob inside the models container: `<model>/<version>/<file>`. */
      readonly blobPath: string;
      readonly trigger: 'manifest' | 'any-file';
    };

export const MANIFEST_FILE = 'model.json';

/**
 * Blob APIs after which a blob's content is complete (Microsoft's blob event schema page):
 * PutBlob and PutBlockList; FlushWithClose on Data Lake (CreateFile, zero bytes, comes first);
 * SftpCommit for an SFTP upload. CopyBlob too, except on accounts with a hierarchical
 * namespace, where it fires when the copy *starts*: the model store refuses a blob whose copy
 * is still pending as a transient failure, so Event Grid delivers the event again later.
 */
const COMPLETE_APIS = new Set(['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose', 'SftpCommit']);
const SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/;
const FILE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function readBlobCreatedEvent(event: unknown): BlobCreatedEvent | undefined {
  if (!isObject(event)) return undefined;
  const id = stringAt(event, 'id');
  const subject = stringAt(event, 'subject');
  const eventType = stringAt(event, 'eventType');
  if (id === undefined || subject === undefined || eventType === undefined) return undefined;
  const eventTime = event.eventTime;
  return blobCreatedEventOf(
    {
      id,
      topic: stringAt(event, 'topic') ?? '',
      subject,
      eventType,
      eventTime:
        eventTime instanceof Date ? eventTime.toISOString() : typeof eventTime === 'string' ? eventTime : '',
    },
    event.data,
  );
}

/**
 * A blob event from its envelope (read by whoever knows the schema: Event Grid's or
 * CloudEvents', see adapters/eventGridSystemEvents.ts) and its `data`, read defensively.
 */
export function blobCreatedEventOf(
  envelope: Pick<BlobCreatedEvent, 'id' | 'topic' | 'subject' | 'eventType' | 'eventTime'>,
  data: unknown,
): BlobCreatedEvent | undefined {
  if (!isObject(data)) return undefined;
  return {
    ...envelope,
    api: stringAt(data, 'api') ?? '',
    url: stringAt(data, 'url') ?? '',
    contentLength: numberAt(data, 'contentLength'),
    eTag: stringAt(data, 'eTag'),
  };
}

/** Decides whether a blob event is a model version to consider. Never trusts the event beyond that. */
export function decideModelUpload(
  event: BlobCreatedEvent,
  settings: ModelUploadSettings,
): ModelUploadDecision {
  // The id becomes the delivery's identity in the ledger and the queue: bounded like every other.
  if (event.id === '' || event.id.length > MAX_DELIVERY_ID_LENGTH) {
    return skip('invalid-event-id', 'event id is empty or too long');
  }
  if (event.eventType !== 'Microsoft.Storage.BlobCreated')
    return skip('not-blob-created', `event type ${event.eventType}`);
  if (event.topic.toLowerCase() !== settings.storageResourceId.toLowerCase()) {
    return skip('foreign-account', 'the event comes from another storage account');
  }
  const subject = SUBJECT.exec(event.subject);
  const container = subject?.[1];
  const blobPath = subject?.[2];
  if (container === undefined || blobPath === undefined)
    return skip('unexpected-layout', 'subject is not a blob path');
  if (container !== settings.modelsContainer) return skip('foreign-container', `container ${container}`);
  if (!urlMatches(event.url, settings.blobEndpoint, container, blobPath)) {
    return skip('url-mismatch', 'data.url is not this blob on the configured account');
  }
  if (event.api === 'CreateFile')
    return skip('adls-create-file', 'ADLS CreateFile: the content follows with FlushWithClose');
  if (!COMPLETE_APIS.has(event.api)) return skip('unsupported-api', `data.api ${event.api}`);
  const segments = blobPath.split('/');
  const [modelName, version, ...file] = segments;
  if (modelName === undefined || version === undefined || file.length === 0) {
    return skip('unexpected-layout', 'expected <model>/<version>/<file>');
  }
  if (
    !isSafeModelName(modelName) ||
    !isSafeModelVersion(version) ||
    !file.every((part) => FILE_SEGMENT.test(part))
  ) {
    return skip('unsafe-name', 'model name, version or file name has characters that are not allowed');
  }
  if (modelName !== settings.modelName)
    return skip('other-model', `model ${modelName} is not ${settings.modelName}`);
  if (settings.trigger === 'manifest') {
    if (file.length !== 1 || file[0] !== MANIFEST_FILE) {
      return skip('not-a-manifest', `a model file: the build starts when ${MANIFEST_FILE} arrives`);
    }
  } else if (event.contentLength === 0) {
    return skip('empty-blob', 'zero-length blob');
  }
  return { kind: 'candidate', modelName, version, blobPath, trigger: settings.trigger };
}

/**
 * Whether `data.url` names this blob on the configured account: its blob endpoint, or the
 * same account's Data Lake endpoint (`<account>.dfs.…`), which Data Lake uploads report.
 */
function urlMatches(url: string, blobEndpoint: string, container: string, blobPath: string): boolean {
  let parsed: URL;
  let endpoint: URL;
  try {
    parsed = new URL(url);
    endpoint = new URL(blobEndpoint);
  } catch {
    return false;
  }
  const host = endpoint.host.toLowerCase();
  const hosts = [host];
  const [account, service, ...domain] = host.split('.');
  if (service === 'blob' && account !== undefined) hosts.push([account, 'dfs', ...domain].join('.'));
  const expectedPath = `${endpoint.pathname.replace(/\/+$/, '')}/${container}/${blobPath}`;
  return (
    parsed.protocol === endpoint.protocol &&
    hosts.includes(parsed.host.toLowerCase()) &&
    decodedPath(parsed.pathname) === expectedPath
  );
}

/** The path with its percent-escapes decoded; `undefined` when they are malformed (`%%`). */
function decodedPath(pathname: string): string | undefined {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
}

function skip(reason: ModelUploadSkipReason, detail: string): ModelUploadDecision {
  return { kind: 'skip', reason, detail: clipDetail(detail) };
}

/** A manifest (`model.json`) lists every file of a model version with its size and SHA-256. */
export interface ModelManifest {
  readonly files: readonly { readonly path: string; readonly size: number; readonly sha256: string }[];
}

export type ManifestParseResult =
  { readonly ok: true; readonly manifest: ModelManifest } | { readonly ok: false; readonly problem: string };

const MAX_MANIFEST_FILES = 1000;

export function parseManifest(value: unknown): ManifestParseResult {
  if (!isObject(value)) return { ok: false, problem: 'manifest is not a JSON object' };
  const files = value.files;
  if (!Array.isArray(files) || files.length === 0) return { ok: false, problem: 'manifest lists no "files"' };
  if (files.length > MAX_MANIFEST_FILES)
    return { ok: false, problem: `manifest lists more than ${MAX_MANIFEST_FILES} files` };
  const parsed: { path: string; size: number; sha256: string }[] = [];
  for (const file of files) {
    if (!isObject(file)) return { ok: false, problem: 'a manifest entry is not an object' };
    const path = stringAt(file, 'path');
    const size = numberAt(file, 'size');
    const sha256 = stringAt(file, 'sha256');
    if (
      path === undefined ||
      !path.split('/').every((part) => FILE_SEGMENT.test(part)) ||
      path === MANIFEST_FILE
    ) {
      return { ok: false, problem: 'a manifest entry has a missing or unsafe "path"' };
    }
    if (size === undefined || !Number.isSafeInteger(size) || size < 0)
      return { ok: false, problem: `"size" of ${path} is not a byte count` };
    if (sha256 === undefined || !/^[0-9a-fA-F]{64}$/.test(sha256))
      return { ok: false, problem: `"sha256" of ${path} is not a SHA-256` };
    parsed.push({ path, size, sha256: sha256.toLowerCase() });
  }
  return { ok: true, manifest: { files: parsed } };
}
