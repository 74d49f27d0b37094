import { describe, expect, it } from 'vitest';
import {
  decideModelUpload,
  parseManifest,
  readBlobCreatedEvent,
  type BlobCreatedEvent,
  type ModelUploadSettings,
} from '../../src/core/modelUpload.js';
import { compareModelVersions } from '../../src/core/modelVersions.js';

const ACCOUNT = '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stmodels';
const settings: ModelUploadSettings = {
  storageResourceId: ACCOUNT,
  blobEndpoint: 'https://stmodels.blob.core.windows.net',
  modelsContainer: 'models',
  modelName: 'fraud',
  trigger: 'manifest',
};

function event(blobPath: string, overrides: Partial<BlobCreatedEvent> = {}): BlobCreatedEvent {
  return {
    id: 'e1',
    topic: ACCOUNT,
    subject: `/blobServices/default/containers/models/blobs/${blobPath}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-11-28T10:00:00Z',
    api: 'PutBlockList',
    url: `https://stmodels.blob.core.windows.net/models/${blobPath}`,
    contentLength: 100,
    eTag: '0x1',
    ...overrides,
  };
}

describe('decideModelUpload', () => {
  it.each([
    ['a manifest (PutBlockList)', 'fraud/1.4.0/model.json', {}, {}],
    ['a manifest (PutBlob)', 'fraud/1.4.0/model.json', { api: 'PutBlob' }, {}],
    ['a manifest (CopyBlob)', 'fraud/1.4.0/model.json', { api: 'CopyBlob' }, {}],
    ['an ADLS manifest (FlushWithClose)', 'fraud/1.4.0/model.json', { api: 'FlushWithClose' }, {}],
    [
      'a Data Lake upload, named on the same account’s dfs endpoint',
      'fraud/1.4.0/model.json',
      { api: 'FlushWithClose', url: 'https://stmodels.dfs.core.windows.net/models/fraud/1.4.0/model.json' },
      {},
    ],
    ['an SFTP upload (SftpCommit)', 'fraud/1.4.0/model.json', { api: 'SftpCommit' }, {}],
    ['any non-empty file in any-file mode', 'fraud/2.0.0/model.onnx', {}, { trigger: 'any-file' }],
    ['the topic in another case', 'fraud/1.4.0/model.json', { topic: ACCOUNT.toLowerCase() }, {}],
  ] as const)('takes %s', (_name, path, overrides, settingOverrides) => {
    expect(decideModelUpload(event(path, overrides), { ...settings, ...settingOverrides })).toMatchObject({
      kind: 'candidate',
    });
  });

  it.each([
    [
      'another storage account',
      'fraud/1.4.0/model.json',
      { topic: ACCOUNT.replace('stmodels', 'attacker') },
      {},
      'foreign-account',
    ],
    [
      'another container',
      'fraud/1.4.0/model.json',
      { subject: '/blobServices/default/containers/other/blobs/fraud/1.4.0/model.json' },
      {},
      'foreign-container',
    ],
    [
      'another event type',
      'fraud/1.4.0/model.json',
      { eventType: 'Microsoft.Storage.BlobDeleted' },
      {},
      'not-blob-created',
    ],
    [
      'an ADLS CreateFile',
      'fraud/1.4.0/model.json',
      { api: 'CreateFile', contentLength: 0 },
      {},
      'adls-create-file',
    ],
    ['a SetBlobTier-like api', 'fraud/1.4.0/model.json', { api: 'SetBlobTier' }, {}, 'unsupported-api'],
    [
      'a URL on another host',
      'fraud/1.4.0/model.json',
      { url: 'https://attacker.example/models/fraud/1.4.0/model.json' },
      {},
      'url-mismatch',
    ],
    [
      'a URL of another blob',
      'fraud/1.4.0/model.json',
      { url: 'https://stmodels.blob.core.windows.net/models/fraud/9.9.9/model.json' },
      {},
      'url-mismatch',
    ],
    [
      'a plain-http URL',
      'fraud/1.4.0/model.json',
      { url: 'http://stmodels.blob.core.windows.net/models/fraud/1.4.0/model.json' },
      {},
      'url-mismatch',
    ],
    ['a blob outside <model>/<version>/<file>', 'fraud/model.json', {}, {}, 'unexpected-layout'],
    ['a version with $(…)', 'fraud/$(curl evil)/model.json', {}, {}, 'unsafe-name'],
    // Malformed percent-escapes in the URL: refused, not thrown (found by the fuzz suite).
    [
      'a URL whose path has malformed escapes',
      'fraud/1.4.0/%%%/model.json',
      { url: 'https://stmodels.blob.core.windows.net/models/fraud/1.4.0/%%%/model.json' },
      {},
      'url-mismatch',
    ],
    // The URL resolves `..` away, so it never names this blob.
    ['a path with ..', 'fraud/1.0.0/../model.json', {}, {}, 'url-mismatch'],
    [
      'a dfs URL of another account',
      'fraud/1.4.0/model.json',
      { api: 'FlushWithClose', url: 'https://stother.dfs.core.windows.net/models/fraud/1.4.0/model.json' },
      {},
      'url-mismatch',
    ],
    ['another model', 'churn/1.0.0/model.json', {}, {}, 'other-model'],
    ['a model file before its manifest', 'fraud/1.4.0/weights.onnx', {}, {}, 'not-a-manifest'],
    ['a manifest in a sub-folder', 'fraud/1.4.0/extra/model.json', {}, {}, 'not-a-manifest'],
    [
      'an empty blob in any-file mode',
      'fraud/2.0.0/model.onnx',
      { contentLength: 0 },
      { trigger: 'any-file' },
      'empty-blob',
    ],
  ] as const)('skips %s', (_name, path, overrides, settingOverrides, reason) => {
    expect(decideModelUpload(event(path, overrides), { ...settings, ...settingOverrides })).toMatchObject({
      kind: 'skip',
      reason,
    });
  });
});

describe('readBlobCreatedEvent', () => {
  it('reads the Event Grid schema and refuses what is not an event', () => {
    const read = readBlobCreatedEvent({
      id: 'x',
      topic: ACCOUNT,
      subject: 's',
      eventType: 't',
      eventTime: new Date(0),
      data: { api: 'PutBlob', url: 'u', contentLength: 3 },
    });
    expect(read).toMatchObject({ api: 'PutBlob', contentLength: 3, eventTime: '1970-01-01T00:00:00.000Z' });
    expect(readBlobCreatedEvent({ id: 'x', subject: 's', eventType: 't' })).toBeUndefined();
    expect(readBlobCreatedEvent('event')).toBeUndefined();
  });
});

describe('parseManifest', () => {
  const file = { path: 'model.onnx', size: 10, sha256: 'A'.repeat(64) };
  it('reads the files and lower-cases their hashes', () => {
    expect(parseManifest({ files: [file] })).toEqual({
      ok: true,
      manifest: { files: [{ ...file, sha256: 'a'.repeat(64) }] },
    });
  });
  it.each([
    ['no files', {}],
    ['an empty file list', { files: [] }],
    ['a path escaping the version folder', { files: [{ ...file, path: '../other/model.onnx' }] }],
    ['the manifest listing itself', { files: [{ ...file, path: 'model.json' }] }],
    ['a negative size', { files: [{ ...file, size: -1 }] }],
    ['a short hash', { files: [{ ...file, sha256: 'abc' }] }],
    [
      'too many files',
      { files: Array.from({ length: 1001 }, (_, index) => ({ ...file, path: `f${index}.bin` })) },
    ],
  ])('refuses %s', (_name, manifest) => {
    expect(parseManifest(manifest).ok).toBe(false);
  });
});

describe('compareModelVersions', () => {
  const at = (version: string, uploadedAt = '2026-11-28T10:00:00Z') => ({ version, uploadedAt });
  it.each([
    ['1.4.0', '1.3.9', 1],
    ['1.10.0', '1.9.0', 1],
    ['2.0.0', '2.0.0-rc.1', 1],
    ['2.0.0-rc.2', '2.0.0-rc.10', -1],
    ['1.0.0', '1.0.0', 0],
  ])('%s against %s in semver order', (a, b, sign) => {
    expect(Math.sign(compareModelVersions(at(a), at(b)))).toBe(sign);
  });
  it('falls back to upload time when a version is not semver', () => {
    expect(
      compareModelVersions(at('2026-11-a', '2026-11-28T11:00:00Z'), at('zzz', '2026-11-28T10:00:00Z')),
    ).toBeGreaterThan(0);
    expect(
      compareModelVersions(at('9.9.9', '2026-11-28T09:00:00Z'), at('latest', '2026-11-28T10:00:00Z')),
    ).toBeLessThan(0);
  });
  it.each([
    ['2026-11-02', '2026-11-01'],
    ['v10', 'v9'],
  ])('orders %s after %s uploaded in the same second (storage keeps seconds)', (newer, older) => {
    expect(compareModelVersions(at(newer), at(older))).toBeGreaterThan(0);
    expect(compareModelVersions(at(older), at(newer))).toBeLessThan(0);
  });
});
