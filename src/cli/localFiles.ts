/** The files of a model version on this machine: walked, sized and hashed before anything is uploaded. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { LocalModelFile } from '../usecases/publishModel.js';

export interface LocalFolder {
  readonly files: readonly LocalModelFile[];
  /** Hidden files and folders (a leading "."), which are not part of a model: not uploaded. */
  readonly skipped: readonly string[];
}

export async function readModelFolder(folder: string): Promise<LocalFolder> {
  const info = await stat(folder).catch(() => undefined);
  if (info === undefined) throw new Error(`${folder} does not exist`);
  if (!info.isDirectory()) throw new Error(`${folder} is not a folder`);
  const files: LocalModelFile[] = [];
  const skipped: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const path = relative(folder, full).split(sep).join('/');
      if (entry.name.startsWith('.')) {
        skipped.push(path);
        continue;
      }
      // Links are followed to what they point at, as an upload tool would.
      const target = await stat(full);
      if (target.isDirectory()) await walk(full);
      else if (target.isFile())
        files.push({ path, file: full, size: target.size, sha256: await sha256Of(full) });
      else skipped.push(path);
    }
  };
  await walk(folder);
  return { files, skipped };
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => {
        resolve(hash.digest('hex'));
      });
  });
}
