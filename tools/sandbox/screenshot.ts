/**
 * `npm run screenshot`: runs the demo (the sandbox in-process, on free ports), then opens the
 * lineage page it leaves behind in Chromium and saves what people see:
 *   docs/lineage.png         the page at desktop width
 *   docs/lineage-phone.png   the page at phone width
 *   docs/lineage-flow.png    the live flow's own page, its transitions open
 * `--out <dir>` writes them elsewhere. Needs /usr/bin/chromium (or CHROMIUM_PATH).
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from './browser.js';
import { runDemo } from './demo.js';
import { errorMessage, jsonText, readJson, stringAt } from '../json.js';
import type { Sandbox } from './sandbox.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ScreenshotOptions {
  readonly outDir?: string;
  readonly log?: (line: string) => void;
}

export async function takeScreenshots(options: ScreenshotOptions = {}): Promise<readonly string[]> {
  const outDir = resolve(options.outDir ?? join(REPO, 'docs'));
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  await runDemo({
    log,
    beforeStop: async (sandbox) => {
      written.push(...(await shoot(sandbox, outDir)));
    },
  });
  for (const file of written) log(`saved ${file}`);
  return written;
}

async function shoot(sandbox: Sandbox, outDir: string): Promise<string[]> {
  const listUrl = `${sandbox.urls.host}/api/flows/view`;
  const current = await fetch(`${sandbox.urls.flows}/current`);
  const body = await readJson(current);
  const flowId = stringAt(body, 'flowId');
  if (flowId === undefined) throw new Error(`Nothing is live after the demo: ${jsonText(body)}`);

  const files: string[] = [];
  const shots = [
    // The list with the live flow's transitions opened, as a click does.
    { file: 'lineage.png', url: listUrl, width: 1200, height: 800, scale: 1, fullPage: true, open: true },
    {
      file: 'lineage-phone.png',
      url: listUrl,
      width: 390,
      height: 844,
      scale: 2,
      fullPage: false,
      open: false,
    },
    {
      file: 'lineage-flow.png',
      url: `${listUrl}/${flowId}`,
      width: 1200,
      height: 800,
      scale: 1,
      fullPage: true,
      open: false,
    },
  ];
  for (const shot of shots) {
    const browser = await launchChromium({
      viewport: { width: shot.width, height: shot.height },
      deviceScaleFactor: shot.scale,
    });
    try {
      const page = await browser.context.newPage();
      const response = await page.goto(shot.url);
      if (response?.status() !== 200)
        throw new Error(`${shot.url} answered ${String(response?.status())}, not 200`);
      if (shot.open) await page.locator('article.flow:has(.live-tag) summary').click();
      const path = join(outDir, shot.file);
      await page.screenshot({ path, fullPage: shot.fullPage, animations: 'disabled' });
      files.push(path);
    } finally {
      await browser.close();
    }
  }
  return files;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const outIndex = process.argv.indexOf('--out');
  const outDir = outIndex === -1 ? undefined : process.argv[outIndex + 1];
  takeScreenshots(outDir === undefined ? {} : { outDir }).catch((error: unknown) => {
    console.error(`screenshot failed: ${errorMessage(error)}`);
    process.exitCode = 1;
  });
}
