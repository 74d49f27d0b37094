/** `npm run screenshot` keeps working: the demo runs, and Chromium saves the three pictures. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { takeScreenshots } from '../../tools/sandbox/screenshot.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { readonly width: number; readonly height: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('npm run screenshot', () => {
  it('runs the demo and saves the page at desktop and phone widths, and the live flow’s page', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'lineage-shots-'));
    dirs.push(outDir);
    const lines: string[] = [];
    const files = await takeScreenshots({ outDir, log: (line) => lines.push(line) });
    expect(files.map((file) => basename(file))).toEqual([
      'lineage.png',
      'lineage-phone.png',
      'lineage-flow.png',
    ]);
    const [desktop, phone, flow] = await Promise.all(
      files.map(async (file) => pngSize(await readFile(file))),
    );
    expect(desktop?.width).toBe(1200);
    // Four flows and the live one: taller than one screen.
    expect(desktop?.height).toBeGreaterThan(800);
    expect(phone).toEqual({ width: 780, height: 1688 });
    expect(flow?.width).toBe(1200);
    expect(lines.some((line) => line.includes('GET http://127.0.0.1:'))).toBe(true);
  }, 90_000);
});
