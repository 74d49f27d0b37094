/**
 * The conformance corpus: Microsoft's published Azure DevOps specs and payloads, read-only, kept
 * outside the repository (`<repo>/../shared/conformance`, or `AI_APP_CONFORMANCE_DIR`). The emulator
 * validates requests against its specs, and the emulator's tests compare responses with it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE_DIR_ENV = 'AI_APP_CONFORMANCE_DIR';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export class ConformanceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConformanceError';
  }
}

/**
 * The corpus folder: `AI_APP_CONFORMANCE_DIR`, else `shared/conformance` next to this repository,
 * else next to the local repository this one was cloned from (a clean clone made elsewhere, as CI
 * makes). Throws a ConformanceError that says where it looked when none has it.
 */
export function conformanceDir(): string {
  const override = process.env[CONFORMANCE_DIR_ENV];
  const candidates =
    override !== undefined && override !== ''
      ? [path.resolve(override)]
      : [REPO_ROOT, originCheckout()].flatMap((root) =>
          root === undefined ? [] : [path.resolve(root, '..', 'shared', 'conformance')],
        );
  const dir = candidates.find((candidate) => existsSync(path.join(candidate, 'specs')));
  if (dir === undefined)
    throw new ConformanceError(
      `The conformance corpus (Microsoft's published Azure DevOps specs) is not at ${candidates.join(' or ')}. ` +
        `The ADO emulator validates requests against it: put it at <repo>/../shared/conformance or set ${CONFORMANCE_DIR_ENV}.`,
    );
  return dir;
}

/** The folder of the repository this checkout was cloned from, when that is a local path. */
function originCheckout(): string | undefined {
  const origin = spawnSync('git', ['-C', REPO_ROOT, 'config', '--get', 'remote.origin.url'], {
    encoding: 'utf8',
  });
  const url = origin.status === 0 ? origin.stdout.trim() : '';
  if (url.startsWith('file://')) return fileURLToPath(url);
  return path.isAbsolute(url) && existsSync(url) ? url : undefined;
}

/** Parses a corpus JSON file (Microsoft's whole spec files start with a UTF-8 BOM). */
export function readConformanceJson(relativePath: string): unknown {
  const text = readFileSync(path.join(conformanceDir(), relativePath), 'utf8');
  return JSON.parse(text.replace(/^\uFEFF/, ''));
}
