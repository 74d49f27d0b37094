/**
 * The operator's `publish-model`: a model version uploaded the way the app expects it — every
 * file under `<name>/<version>/`, then the manifest `model.json` (each file's path, size and
 * SHA-256) last, whose arrival starts the build. Versions are immutable: a version that has any
 * blob already is refused before anything is uploaded, and every blob is created only if absent.
 */
import { createHash } from 'node:crypto';
import { MANIFEST_FILE, parseManifest, type ModelManifest } from '../core/modelUpload.js';
import { isSafeModelName, isSafeModelVersion } from '../core/validation.js';
import type { ModelPublisher } from '../ports/modelPublisher.js';

/** A file of the version on this machine, hashed. */
export interface LocalModelFile {
  /** Path inside the version, `/`-separated: where it goes under `<name>/<version>/`. */
  readonly path: string;
  /** Where it is on this machine. */
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
}

export interface PublishProgress {
  /** Bytes uploaded so far, of all files. */
  readonly onBytes?: (uploaded: number, total: number) => void;
  readonly onFile?: (path: string, index: number, count: number) => void;
}

export type PublishOutcome =
  | {
      readonly kind: 'published';
      readonly name: string;
      readonly version: string;
      readonly files: number;
      readonly bytes: number;
      readonly manifest: { readonly path: string; readonly sha256: string };
    }
  | {
      readonly kind: 'refused';
      readonly reason: 'invalid' | 'version-exists' | 'concurrent-upload';
      readonly detail: string;
      /** What was uploaded before the refusal (only for a concurrent upload found midway). */
      readonly uploaded: readonly string[];
    };

export async function publishModel(
  deps: { readonly publisher: ModelPublisher },
  request: {
    readonly name: string;
    readonly version: string;
    readonly files: readonly LocalModelFile[];
    readonly progress?: PublishProgress;
  },
): Promise<PublishOutcome> {
  const { name, version, files } = request;
  const refuse = (
    reason: 'invalid' | 'version-exists' | 'concurrent-upload',
    detail: string,
    uploaded: readonly string[] = [],
  ) => ({ kind: 'refused', reason, detail, uploaded }) as const;
  if (!isSafeModelName(name))
    return refuse(
      'invalid',
      `model name "${name}" may hold only letters, digits, ".", "_" and "-" (at most 63)`,
    );
  if (!isSafeModelVersion(version))
    return refuse(
      'invalid',
      `version "${version}" may hold only letters, digits, ".", "_", "+" and "-" (at most 64, no "..")`,
    );
  if (files.some((file) => file.path === MANIFEST_FILE))
    return refuse(
      'invalid',
      `the folder has a ${MANIFEST_FILE} of its own: publish-model writes the manifest; remove it`,
    );
  const manifest: ModelManifest = {
    files: files.map((file) => ({ path: file.path, size: file.size, sha256: file.sha256 })),
  };
  // The app reads the manifest with this parser: what it refuses is never uploaded.
  const parsed = parseManifest(manifest);
  if (!parsed.ok) return refuse('invalid', `the manifest would be refused: ${parsed.problem}`);

  const prefix = `${name}/${version}/`;
  const existing = await deps.publisher.list(prefix, 1);
  if (existing.length > 0)
    return refuse(
      'version-exists',
      `${name} ${version} exists already (${existing[0] ?? prefix}): versions are immutable, publish a new version`,
    );

  const total = files.reduce((sum, file) => sum + file.size, 0);
  const uploaded: string[] = [];
  let done = 0;
  for (const [index, file] of files.entries()) {
    request.progress?.onFile?.(file.path, index, files.length);
    const outcome = await deps.publisher.create(
      `${prefix}${file.path}`,
      { file: file.file },
      {
        size: file.size,
        sha256: file.sha256,
        onProgress: (loaded) => request.progress?.onBytes?.(done + loaded, total),
      },
    );
    if (outcome === 'exists')
      return refuse(
        'concurrent-upload',
        `${prefix}${file.path} appeared while publishing: someone else is publishing ${name} ${version}; its manifest, not this one, decides`,
        uploaded,
      );
    uploaded.push(file.path);
    done += file.size;
    request.progress?.onBytes?.(done, total);
  }
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const manifestPath = `${prefix}${MANIFEST_FILE}`;
  const written = await deps.publisher.create(
    manifestPath,
    { bytes },
    {
      size: bytes.length,
      sha256,
      contentType: 'application/json',
    },
  );
  if (written === 'exists')
    return refuse(
      'concurrent-upload',
      `${manifestPath} appeared while publishing: someone else published ${name} ${version}`,
      uploaded,
    );
  return {
    kind: 'published',
    name,
    version,
    files: files.length,
    bytes: total,
    manifest: { path: manifestPath, sha256 },
  };
}
