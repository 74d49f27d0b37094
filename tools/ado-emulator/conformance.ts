/**
 * The conformance corpus: Microsoft's published Azure DevOps specs and payloads, read-only, kept
 * outside the repository (`<repo>/../shared/conformance`, or `AI_APP_CONFORMANCE_DIR`). The emulator
 * validates requests against its specs, and the emulator's tests compare responses with it.
 */
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

/** The corpus folder; throws a ConformanceError that says where it looked when it is missing. */
export function conformanceDir(): string {
  const override = process.env[CONFORMANCE_DIR_ENV];
  const dir =
    override !== undefined && override !== ''
      ? path.resolve(override)
      : path.resolve(REPO_ROOT, '..', 'shared', 'conformance');
  if (!existsSync(path.join(dir, 'specs')))
    throw new ConformanceError(
      `The conformance corpus (Microsoft's published Azure DevOps specs) is not at ${dir}. ` +
        `The ADO emulator validates requests against it: put it at <repo>/../shared/conformance or set ${CONFORMANCE_DIR_ENV}.`,
    );
  return dir;
}

/** Parses a corpus JSON file (Microsoft's whole spec files start with a UTF-8 BOM). */
export function readConformanceJson(relativePath: string): unknown {
  const text = readFileSync(path.join(conformanceDir(), relativePath), 'utf8');
  return JSON.parse(text.replace(/^\uFEFF/, ''));
}
