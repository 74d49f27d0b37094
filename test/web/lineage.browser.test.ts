/**
 * The lineage page in a real browser (Debian's Chromium through playwright-core), served by
 * the local host with the real functions, Azurite and the Azure DevOps emulator. Flows are
 * made through the real entry points (signed pushes, Event Grid deliveries, builds completed
 * in the emulator whose service hooks reach the app); the page is then read as people read it.
 */
import type { Locator, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobFlowLedger } from '../../src/adapters/blobFlowLedger.js';
import { updatePointers } from '../../src/usecases/ledgerWrites.js';
import type { FlowRecord } from '../../src/core/flow.js';
import { PAGE_HEADERS } from '../../src/web/lineagePage.js';
import { launchChromium, type Browser } from '../../tools/sandbox/browser.js';
import { TEST_SECRETS, useAppEnv } from '../support/appEnv.js';
import { githubDelivery, postDelivery, pushPayload, sha } from '../support/github.js';
import { at, record, records, responseJson, type JsonObject } from '../../tools/json.js';
import {
  drained,
  finishBuild,
  newestBuildId,
  ORG,
  PROJECT,
  publishModel,
  startStack,
  type Stack,
} from '../support/stack.js';

const HOSTILE_SCRIPT = '<script>alert(1)</script>';
const HOSTILE_ATTRIBUTE = '"><img src=x onerror=alert(1)>';
const HOSTILE_QUOTE = "' onmouseover='alert(1)";
const HOSTILE_URL = 'javascript:alert(1)';
/** A flow written to the ledger as a tampered or foreign record would be. */
const SEEDED_FLOW_ID = 'bad0bad0bad0bad0bad0';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
}, 90_000);
afterAll(async () => {
  await Promise.allSettled([browser.close(), stack.stop()]);
});

// ---- the app, driven through its entry points ----

async function getJson(path: string): Promise<JsonObject> {
  return (await responseJson(await fetch(`${stack.host.url}${path}`))).body;
}

async function listedFlows(): Promise<JsonObject[]> {
  return records((await getJson('/api/flows?limit=100')).flows);
}

async function push(commit: string, pushedAt: number, message?: string): Promise<void> {
  const delivery = githubDelivery(
    pushPayload({ after: commit, pushedAt, ...(message === undefined ? {} : { message }) }),
    TEST_SECRETS.webhook,
  );
  expect((await postDelivery(stack.host.url, delivery)).status).toBeLessThan(300);
  await drained(stack);
}

async function publish(version: string): Promise<void> {
  await publishModel(stack, version);
}

/** Completes a build (or deploy run) in the emulator; waits until the app took its service hook. */
async function complete(buildId: number, result: 'succeeded' | 'failed'): Promise<void> {
  await finishBuild(stack, buildId, result);
}

async function current(): Promise<JsonObject> {
  return getJson('/api/flows/current');
}

/** A build someone queued by hand in Azure DevOps, of a commit with a hostile "SHA". */
async function handQueuedBuild(version: string): Promise<number> {
  const response = await fetch(
    `${stack.emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines/1/runs?api-version=7.1`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`:${TEST_SECRETS.pat}`).toString('base64')}`,
      },
      body: JSON.stringify({
        resources: { repositories: { self: { refName: 'refs/heads/main', version } } },
      }),
    },
  );
  expect(response.status).toBe(200);
  const id = record(await response.json()).id;
  if (typeof id !== 'number') throw new Error('the emulator answered no run id');
  return id;
}

// ---- the browser ----

interface Opened {
  readonly page: Page;
  readonly response: Response;
  readonly dialogs: string[];
}

async function open(path: string, viewport?: { width: number; height: number }): Promise<Opened> {
  const page = await browser.context.newPage();
  if (viewport !== undefined) await page.setViewportSize(viewport);
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const response = await page.goto(`${stack.host.url}${path}`);
  if (response === null) throw new Error(`no response for ${path}`);
  return { page, response, dialogs };
}

async function evaluateStrings(page: Page, expression: string): Promise<string[]> {
  const value: unknown = await page.evaluate(expression);
  if (!Array.isArray(value)) throw new Error(`${expression} is not an array`);
  return value.map(String);
}

async function evaluateNumber(page: Page, expression: string): Promise<number> {
  const value: unknown = await page.evaluate(expression);
  if (typeof value !== 'number') throw new Error(`${expression} is not a number`);
  return value;
}

/** What an injection would leave behind in the DOM: elements that run or load, handlers, odd links. */
async function injected(page: Page): Promise<{ elements: string[]; handlers: string[]; links: string[] }> {
  return {
    elements: await evaluateStrings(
      page,
      `[...document.querySelectorAll('script, img, iframe, frame, object, embed, svg, math, form, input, button, base, link, audio, video, source, style:not(head > style), meta:not([charset], [name], [http-equiv="refresh"])')].map((element) => element.outerHTML)`,
    ),
    handlers: await evaluateStrings(
      page,
      `[...document.querySelectorAll('*')].flatMap((element) => [...element.attributes].filter((attribute) => attribute.name.toLowerCase().startsWith('on')).map((attribute) => element.tagName + ' ' + attribute.name))`,
    ),
    links: await evaluateStrings(
      page,
      `[...document.querySelectorAll('a[href]')].map((a) => a.href).filter((href) => !/^https?:\\/\\//.test(href))`,
    ),
  };
}

async function cardIds(page: Page): Promise<string[]> {
  return evaluateStrings(
    page,
    `[...document.querySelectorAll('article.flow')].map((card) => card.dataset.flowId)`,
  );
}

async function attributes(locator: Locator, name: string): Promise<(string | null)[]> {
  return Promise.all((await locator.all()).map((element) => element.getAttribute(name)));
}

function card(page: Page, flowId: string): Locator {
  return page.locator(`article.flow[data-flow-id="${flowId}"]`);
}

// ---- the tests, in story order ----

describe('lineage page in Chromium', () => {
  it('before any flow: nothing is live, no flow is listed, and the page says so', async () => {
    const { page, response } = await open('/api/flows/view');
    expect(response.status()).toBe(200);
    await expect.poll(() => page.locator('.live').innerText()).toContain('Nothing has been released yet.');
    expect(await page.locator('main').innerText()).toContain('No flow yet.');
    expect(await page.title()).toBe('Flows · ai-app-cicd');
    await page.close();
  });

  it('is served with a strict policy that still lets its own style sheet apply', async () => {
    const { page, response } = await open('/api/flows/view');
    const headers = response.headers();
    for (const [name, value] of Object.entries(PAGE_HEADERS)) expect(headers[name], name).toBe(value);
    // The CSP allows the inline style by its hash: were the hash wrong, these would be defaults.
    const style = await evaluateStrings(
      page,
      `(() => { const s = getComputedStyle(document.querySelector('.live')); return [s.borderLeftWidth, s.borderTopLeftRadius, getComputedStyle(document.body).backgroundColor]; })()`,
    );
    expect(style).toEqual(['6px', '10px', 'rgb(245, 246, 248)']);
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('30');
    await page.close();
  });

  it('lists a push waiting for a model, then the flow the model upload builds, with links to the build', async () => {
    await push(sha('page-c1'), 1795000000);
    await publish('1.4.0');
    const flows = await listedFlows();
    const built = flows.find((flow) => flow.build !== null);
    if (built === undefined) throw new Error('no flow with a build');
    const { page } = await open('/api/flows/view');
    expect(await cardIds(page)).toEqual(flows.map((flow) => String(flow.flowId)));
    const buildLink = card(page, String(built.flowId)).locator('.chain a').first();
    expect(await buildLink.getAttribute('href')).toBe(at(built, 'build', 'url'));
    expect(await buildLink.innerText()).toBe(`#${String(at(built, 'build', 'id'))}`);
    expect(await card(page, String(built.flowId)).locator('.row > .badge.status').innerText()).toBe(
      built.status,
    );
    await page.close();
  });

  it('shows at the top the flow sent to release: releasing, then released, and since when', async () => {
    await complete(await newestBuildId(stack), 'succeeded');
    const releasing = await current();
    expect(releasing.status).toBe('releasing');
    let { page } = await open('/api/flows/view');
    const live = page.locator('section.live');
    expect(await live.locator('.badge.status').innerText()).toBe('releasing');
    expect(await live.innerText()).toContain('releasing since');
    expect(await live.locator('h2').innerText()).toBe('fraud 1.4.0');
    expect(await live.locator('code.value').getAttribute('title')).toBe(sha('page-c1'));
    const liveLinks = live.locator('.chain a');
    expect(await liveLinks.nth(0).getAttribute('href')).toBe(at(releasing, 'build', 'url'));
    expect(await liveLinks.nth(1).getAttribute('href')).toBe(at(releasing, 'release', 'url'));
    await page.close();

    await complete(Number(at(releasing, 'release', 'id')), 'succeeded');
    const released = await current();
    expect(released.status).toBe('released');
    ({ page } = await open('/api/flows/view'));
    const liveNow = page.locator('section.live');
    expect(await liveNow.locator('.badge.status').innerText()).toBe('released');
    const history = records(released.history);
    const releasedAt = String(history.at(-1)?.at);
    const time = liveNow.locator('.headline time');
    expect(await time.getAttribute('datetime')).toBe(releasedAt.replace(/\.\d{3}Z$/, 'Z'));
    expect(await time.innerText()).toMatch(/^(just now|\d+ s ago)$/);
    expect(await liveNow.innerText()).toContain(`live since`);
    expect(await card(page, String(released.flowId)).locator('.live-tag').count()).toBe(1);
    await page.close();
  });

  it('lists every flow newest first with its chain, status, reason and links, as the JSON API has them', async () => {
    await push(sha('page-c2'), 1795000100);
    await complete(await newestBuildId(stack), 'failed');
    await push(sha('page-c3'), 1795000200, HOSTILE_SCRIPT);
    const flows = await listedFlows();
    expect(flows.map((flow) => flow.status)).toEqual(
      expect.arrayContaining(['released', 'build-failed', 'build-started']),
    );
    const { page } = await open('/api/flows/view');
    expect(await cardIds(page)).toEqual(flows.map((flow) => String(flow.flowId)));
    for (const flow of flows) {
      const flowCard = card(page, String(flow.flowId));
      expect(await flowCard.locator('.row > .badge.status').innerText()).toBe(flow.status);
      const hrefs = await attributes(flowCard.locator('.chain a'), 'href');
      expect(hrefs).toEqual(
        [flow.build, flow.release].filter((ref) => ref !== null).map((ref) => at(ref, 'url')),
      );
      if (typeof flow.reason === 'string')
        expect(await flowCard.locator('.why').innerText()).toBe(`Reason ${flow.reason}`);
      if (typeof flow.commit === 'string')
        expect(await flowCard.locator('code.value').getAttribute('title')).toBe(flow.commit);
    }
    await page.close();
  });

  it('shows a flow’s transitions when it is clicked', async () => {
    const released = await current();
    const history = records(released.history);
    const { page } = await open('/api/flows/view');
    const flowCard = card(page, String(released.flowId));
    const timeline = flowCard.locator('details .timeline');
    expect(await timeline.isVisible()).toBe(false);
    await flowCard.locator('summary').click();
    await expect.poll(() => timeline.isVisible()).toBe(true);
    expect(await flowCard.locator('summary').innerText()).toBe(`Transitions (${history.length})`);
    const entries = timeline.locator('li');
    expect(await entries.count()).toBe(history.length);
    expect(await entries.locator('.badge.status').allInnerTexts()).toEqual(
      history.map((entry) => entry.status),
    );
    expect(await attributes(entries.locator('time'), 'datetime')).toEqual(
      history.map((entry) => String(entry.at).replace(/\.\d{3}Z$/, 'Z')),
    );
    expect(await entries.last().innerText()).toContain(
      `via servicehook ${String(at(history.at(-1), 'delivery', 'id'))}`,
    );
    await page.close();
  });

  it('has a page per flow, reached from the list, while /api/flows/{flowId} stays JSON', async () => {
    const released = await current();
    const flowId = String(released.flowId);
    const { page } = await open('/api/flows/view');
    await card(page, flowId).locator('a.flowid').click();
    await page.waitForURL(`**/api/flows/view/${flowId}`);
    expect(await page.locator('#flow-heading').innerText()).toBe(`Flow ${flowId}`);
    expect(await page.locator('.live-tag').count()).toBe(1);
    expect(await page.locator('.timeline li').count()).toBe(records(released.history).length);
    expect(await page.locator('dl.facts').innerText()).toContain(sha('page-c1'));
    await page.getByText('← All flows').click();
    await page.waitForURL(/\/api\/flows\/view$/);
    await page.close();

    // Literal `view` wins over `{flowId?}`; the JSON routes are untouched.
    const json = await fetch(`${stack.host.url}/api/flows/${flowId}`);
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(record(await json.json()).flowId).toBe(flowId);
    const pageAnswer = await fetch(`${stack.host.url}/api/flows/view`);
    expect(pageAnswer.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('pages with ?limit= and the "Older flows" link, through every flow', async () => {
    const all = (await listedFlows()).map((flow) => String(flow.flowId));
    expect(all.length).toBeGreaterThanOrEqual(3);
    const { page } = await open('/api/flows/view?limit=2');
    const seen: string[] = [];
    // At most one page per flow: a link that led nowhere new would end the loop, not hang it.
    for (let pages = 1; pages <= all.length; pages += 1) {
      const ids = await cardIds(page);
      expect(ids.length).toBeLessThanOrEqual(2);
      seen.push(...ids);
      const older = page.getByText('Older flows →');
      if ((await older.count()) === 0) break;
      expect(await older.getAttribute('href')).toMatch(/^\/api\/flows\/view\?limit=2&continuationToken=/);
      const before = page.url();
      await older.click();
      await page.waitForURL((url) => url.href !== before);
    }
    expect(seen).toEqual(all);
    expect(await page.getByText('← Newest flows').count()).toBe(1);
    await page.close();
  });

  it('shows hostile values as inert text: no dialog, no injected element or handler, no javascript: link', async () => {
    // Through the real entry point: a build queued by hand of a "commit" that is markup.
    const handBuild = await handQueuedBuild(HOSTILE_ATTRIBUTE);
    await complete(handBuild, 'failed');
    const handFlow = (await listedFlows()).find((flow) => at(flow, 'build', 'id') === handBuild);
    expect(handFlow?.commit).toBe(HOSTILE_ATTRIBUTE);

    // And a ledger record holding markup everywhere (entry points refuse such values; the page
    // must not depend on that), made the live one.
    const ledger = new BlobFlowLedger(
      BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient(
        stack.env.LEDGER_CONTAINER ?? 'flows',
      ),
    );
    const now = new Date().toISOString();
    const seeded: FlowRecord = {
      schemaVersion: 1,
      flowId: SEEDED_FLOW_ID,
      status: 'failed',
      model: { name: HOSTILE_SCRIPT, version: HOSTILE_ATTRIBUTE, uri: HOSTILE_URL, sha256: HOSTILE_QUOTE },
      modelName: HOSTILE_SCRIPT,
      commit: HOSTILE_QUOTE,
      branch: HOSTILE_SCRIPT,
      trigger: 'push',
      triggers: [{ kind: 'push', delivery: { source: 'github', id: HOSTILE_ATTRIBUTE }, at: now }],
      build: { id: 99901, url: HOSTILE_URL, result: HOSTILE_SCRIPT, buildNumber: HOSTILE_ATTRIBUTE },
      release: { mode: 'pipeline', id: 99902, url: ' JaVaScRiPt:alert(2)' },
      reason: HOSTILE_ATTRIBUTE,
      lastError: { code: HOSTILE_SCRIPT, message: HOSTILE_QUOTE, at: now },
      attempts: 1,
      history: [
        {
          status: 'failed',
          at: now,
          delivery: { source: 'github', id: HOSTILE_SCRIPT },
          reason: HOSTILE_QUOTE,
        },
      ],
      createdAt: now,
      updatedAt: now,
    };
    expect((await ledger.createFlow(seeded)).created).toBe(true);
    await updatePointers(ledger, (pointers) => ({
      pointers: {
        ...pointers,
        lastRelease: { buildId: 99901, queueTime: now, flowId: SEEDED_FLOW_ID, at: now },
      },
      result: undefined,
    }));

    for (const path of ['/api/flows/view', `/api/flows/view/${SEEDED_FLOW_ID}`]) {
      const { page, dialogs } = await open(path);
      for (const summary of await page.locator('details summary').all()) await summary.click();
      expect(await injected(page), path).toEqual({ elements: [], handlers: [], links: [] });
      const text = await page.locator('main').innerText();
      for (const value of [HOSTILE_SCRIPT, HOSTILE_ATTRIBUTE, HOSTILE_QUOTE])
        expect(text, path).toContain(value);
      // The build is shown, not linked.
      expect(await page.locator('a', { hasText: '#99901' }).count(), path).toBe(0);
      expect(await page.getByText('#99901').first().getAttribute('title')).toBe(
        'link withheld: not an http(s) URL',
      );
      // goto() returned on `load`: inline scripts and image errors would have run by now.
      expect(dialogs, path).toEqual([]);
      await page.close();
    }
    const { page } = await open('/api/flows/view');
    expect(await page.locator('section.live h2').innerText()).toBe(`${HOSTILE_SCRIPT} ${HOSTILE_ATTRIBUTE}`);
    expect(await card(page, String(handFlow?.flowId)).locator('code.value').innerText()).toBe(
      HOSTILE_ATTRIBUTE,
    );
    await page.close();
  });

  it('those checks do catch an unescaped page: injected elements and handlers show, and without CSP the script runs', async () => {
    const served = await (await fetch(`${stack.host.url}/api/flows/view`)).text();
    const unescaped = served
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&');
    for (const headers of [{ 'content-type': 'text/html; charset=utf-8' }, PAGE_HEADERS]) {
      const page = await browser.context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      const refusals: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' && message.text().includes('Content Security Policy'))
          refusals.push(message.text());
      });
      await page.route(`${stack.host.url}/mutant`, (route) =>
        route.fulfill({ status: 200, headers: { ...headers }, body: unescaped }),
      );
      await page.goto(`${stack.host.url}/mutant`);
      const found = await injected(page);
      expect(
        found.elements.some((element) => element.startsWith('<img') || element.startsWith('<script')),
      ).toBe(true);
      expect(found.handlers).toContain('IMG onerror');
      if (headers === PAGE_HEADERS) {
        // The policy is the second line: Chromium refuses the injected script and handler.
        await expect.poll(() => refusals.length).toBeGreaterThanOrEqual(2);
        expect(dialogs).toEqual([]);
      } else {
        await expect.poll(() => dialogs.length).toBeGreaterThan(0);
        expect(dialogs[0]).toBe('1');
      }
      await page.close();
    }
  });

  it('is readable on a phone: no sideways scrolling, the chain stacks, text stays legible', async () => {
    const phone = await open('/api/flows/view', { width: 390, height: 844 });
    expect(await phone.page.locator('meta[name="viewport"]').getAttribute('content')).toBe(
      'width=device-width, initial-scale=1',
    );
    expect(await evaluateNumber(phone.page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const phoneColumns = await evaluateStrings(
      phone.page,
      `[getComputedStyle(document.querySelector('article.flow .chain')).gridTemplateColumns]`,
    );
    expect(phoneColumns[0]?.split(' ')).toHaveLength(1);
    expect(
      await evaluateNumber(phone.page, `parseFloat(getComputedStyle(document.body).fontSize)`),
    ).toBeGreaterThanOrEqual(14);
    await phone.page.close();

    const desktop = await open('/api/flows/view', { width: 1280, height: 900 });
    const desktopColumns = await evaluateStrings(
      desktop.page,
      `[getComputedStyle(document.querySelector('article.flow .chain')).gridTemplateColumns]`,
    );
    expect(desktopColumns[0]?.split(' ')).toHaveLength(4);
    await desktop.page.close();
  });

  it('answers a bad flow id 400 and an unknown one 404, as small pages', async () => {
    for (const [path, status, text] of [
      ['/api/flows/view/not-a-flow', 400, 'A flow id is 20 lower-case hex characters.'],
      ['/api/flows/view/0000000000000000beef', 404, 'No flow 0000000000000000beef.'],
      ['/api/flows/view?limit=0', 400, 'limit must be a whole number from 1 to 100.'],
    ] as const) {
      const { page, response } = await open(path);
      expect(response.status(), path).toBe(status);
      expect(response.headers()['content-security-policy'], path).toBe(
        PAGE_HEADERS['content-security-policy'],
      );
      expect(response.headers()['content-type'], path).toBe('text/html; charset=utf-8');
      expect(await page.locator('[role="alert"]').innerText(), path).toContain(text);
      expect(await page.locator('meta[http-equiv="refresh"]').count(), path).toBe(0);
      await page.close();
    }
  });

  it('answers 503 with Retry-After when storage refuses the app, as a page that tries again', async () => {
    const connection = stack.env.AzureWebJobsStorage ?? '';
    const wrongKey = Buffer.from('not the account key, not at all').toString('base64');
    useAppEnv({
      ...stack.env,
      AzureWebJobsStorage: connection.replace(/AccountKey=[^;]+/, `AccountKey=${wrongKey}`),
    });
    try {
      const { page, response } = await open('/api/flows/view');
      expect(response.status()).toBe(503);
      expect(response.headers()['retry-after']).toBe('5');
      expect(response.headers()['cache-control']).toBe('no-store');
      expect(response.headers()['content-type']).toBe('text/html; charset=utf-8');
      const alert = await page.locator('[role="alert"]').innerText();
      expect(alert).toContain('The flow ledger is unavailable; try again shortly.');
      expect(alert).toMatch(/Correlation id [0-9a-f-]{36}/);
      expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('5');
      await page.close();
    } finally {
      useAppEnv(stack.env);
    }
    const { page, response } = await open('/api/flows/view');
    expect(response.status()).toBe(200);
    await page.close();
  });
});
