/**
 * The lineage pages rendered from the API's JSON shape: content, links, times, and that no
 * value of a flow — whatever it holds — becomes markup, an attribute or a link it should not.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ViewedFlow } from '../../src/web/flowShape.js';
import { escapeHtml } from '../../src/web/html.js';
import {
  PAGE_HEADERS,
  renderErrorPage,
  renderFlowPage,
  renderLineagePage,
  toneOf,
} from '../../src/web/lineagePage.js';
import { pageLinks } from '../../src/web/links.js';
import { context, failedFlow, HOSTILE, hostileFlow, releasedFlow, waitingFlow } from './fixtures.js';

const HOSTILE_VALUES = Object.values(HOSTILE);

/** Characters that matter to HTML, often, among any others. */
const MARKUP_HEAVY = fc.oneof(
  fc.constantFrom('<', '>', '"', "'", '&', '=', '/', ' ', '`'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

function list(current: ViewedFlow | undefined, flows: readonly ViewedFlow[]): string {
  return renderLineagePage({ current, flows, limit: 20, nextContinuationToken: 'next-token' }, context());
}

/** Every `href` of a page, as the browser reads it (entities decoded). */
function hrefs(page: string): string[] {
  return [...page.matchAll(/\shref="([^"]*)"/g)].map((match) =>
    (match[1] ?? '')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&amp;', '&'),
  );
}

/** The names of every attribute of every tag, read as an HTML tokenizer would. */
function attributeNames(page: string): string[] {
  const names: string[] = [];
  for (const tag of page.matchAll(
    /<[a-zA-Z][^\s/>]*((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g,
  ))
    for (const attribute of (tag[1] ?? '').matchAll(
      /\s+([^\s"'>/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?/g,
    ))
      names.push((attribute[1] ?? '').toLowerCase());
  return names;
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

describe('lineage page: content', () => {
  it('shows what is live at the top: model, commit, build, release, since when, status released', () => {
    const page = list(releasedFlow(), [releasedFlow()]);
    const live = page.slice(page.indexOf('class="card live'), page.indexOf('id="flows-heading"'));
    expect(live).toContain('fraud 1.4.0');
    expect(live).toContain('title="c0ffee0000000000000000000000000000000001">c0ffee0<');
    expect(live).toContain('>#12</a>');
    expect(live).toContain('>run #14</a>');
    expect(live).toContain('badge status tone-ok">released<');
    expect(live).toContain(
      'live since <time datetime="2026-05-01T11:48:00Z" title="2026-05-01T11:48:00Z">12 min ago</time>',
    );
    expect(live).toContain('<span class="iso">2026-05-01T11:48:00Z</span>');
  });

  it('says "releasing since" for a flow sent to release and not yet released', () => {
    const releasing = releasedFlow({
      status: 'releasing',
      history: releasedFlow().history.filter((entry) => entry.status !== 'released'),
    });
    const page = list(releasing, [releasing]);
    expect(page).toContain('badge status tone-active">releasing<');
    expect(page).toContain('releasing since <time datetime="2026-05-01T11:41:00Z"');
  });

  it('says when nothing was released yet, and when there is no flow', () => {
    const page = list(undefined, []);
    expect(page).toContain('Nothing has been released yet.');
    expect(page).toContain('No flow yet.');
  });

  it('lists every flow with its chain, status colour, reason, links and transitions in <details>', () => {
    const flows = [waitingFlow(), failedFlow(), releasedFlow()];
    const page = list(releasedFlow(), flows);
    expect(count(page, '<article class="card flow')).toBe(3);
    for (const flow of flows) expect(page).toContain(`data-flow-id="${flow.flowId}"`);
    expect(page).toContain('badge status tone-wait">waiting-for-model<');
    expect(page).toContain('badge status tone-bad">build-failed<');
    expect(page).toContain('<b>Reason</b> build failed');
    expect(page).toContain('<summary>Transitions (2)</summary>');
    expect(page).toContain('via servicehook <span class="mono">s:3</span>');
    expect(hrefs(page)).toEqual(
      expect.arrayContaining([
        'https://dev.azure.com/contoso/ai-app/_build/results?buildId=15',
        '/api/flows/view/fedcba9876543210fedc',
      ]),
    );
    // Only the live one carries the tag (once in its card; the live section says it in words).
    expect(count(page, 'badge live-tag')).toBe(1);
  });

  it('links to the older page with the continuation token, and back to the newest from there', () => {
    const first = renderLineagePage(
      { current: undefined, flows: [failedFlow()], limit: 5, nextContinuationToken: 't&"<1>' },
      context(),
    );
    expect(hrefs(first)).toContain('/api/flows/view?limit=5&continuationToken=t%26%22%3C1%3E');
    expect(first).not.toContain('Newest flows');
    const older = renderLineagePage(
      { current: undefined, flows: [], limit: 5, continuationToken: 't1' },
      context(),
    );
    expect(older).toContain('No older flow.');
    expect(older).not.toContain('Older flows');
    expect(hrefs(older)).toContain('/api/flows/view?limit=5');
  });

  it('carries the function key of the page in every link of its own, and nowhere else', () => {
    const links = pageLinks('https://app.example/api/flows/view?code=k3y-_%3D%3D', undefined);
    const page = renderLineagePage(
      { current: releasedFlow(), flows: [releasedFlow()], limit: 20, nextContinuationToken: 'n' },
      context({ links }),
    );
    const own = hrefs(page).filter((href) => href.startsWith('/'));
    expect(own.length).toBeGreaterThan(3);
    for (const href of own) expect(new URLSearchParams(href.split('?')[1]).get('code')).toBe('k3y-_==');
    for (const href of hrefs(page).filter((value) => !value.startsWith('/')))
      expect(href).not.toContain('k3y');
  });

  it('shows one flow with its facts and every transition on its own page', () => {
    const page = renderFlowPage({ flow: releasedFlow(), isCurrent: true }, context());
    expect(page).toContain('Flow <span class="mono">0123456789abcdef0123</span>');
    expect(page).toContain('<code>c0ffee0000000000000000000000000000000001</code>');
    for (const status of ['build-queued', 'build-started', 'build-succeeded', 'releasing', 'released'])
      expect(page).toContain(`">${status}</span>`);
    expect(page).toContain('badge live-tag');
    expect(hrefs(page)).toEqual(
      expect.arrayContaining(['/api/flows/view', '/api/flows/0123456789abcdef0123']),
    );
  });

  it('has a viewport, refreshes itself, and states times relative and in ISO 8601', () => {
    const page = list(releasedFlow(), [waitingFlow()]);
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1" />');
    expect(page).toContain('<meta http-equiv="refresh" content="30" />');
    expect(page).toContain(
      'created <time datetime="2026-05-01T11:59:00Z" title="2026-05-01T11:59:00Z">1 min ago</time>',
    );
    expect(
      renderLineagePage({ current: undefined, flows: [], limit: 1 }, context({ refresh: false })),
    ).not.toContain('http-equiv');
  });

  it('colours statuses from a fixed list; an unknown status (even "constructor") is neutral', () => {
    expect(toneOf('released')).toBe('ok');
    expect(toneOf('build-failed')).toBe('bad');
    for (const status of ['constructor', '__proto__', 'toString', 'something-new'])
      expect(toneOf(status)).toBe('muted');
  });
});

describe('lineage page: hostile values', () => {
  it.each(HOSTILE_VALUES)('shows %j as text everywhere a flow value appears', (value) => {
    const pages = [
      list(hostileFlow(value), [hostileFlow(value)]),
      renderFlowPage({ flow: hostileFlow(value), isCurrent: true }, context()),
      renderErrorPage({ status: 404, title: value, message: value, correlationId: value }, context()),
    ];
    for (const page of pages) {
      expect(page).not.toContain('<script>alert');
      expect(page).not.toContain('<img');
      expect(page).not.toContain(`'alert(1)`);
      expect(attributeNames(page)).toEqual(expect.arrayContaining(['class', 'href']));
      expect(attributeNames(page).filter((name) => name.startsWith('on'))).toEqual([]);
      expect(page).toContain(escapeHtml(value));
    }
  });

  it('never links a javascript: (or any non-http) build or release URL, and still shows the build', () => {
    const page = list(undefined, [hostileFlow(HOSTILE.javascriptUrl)]);
    expect(page.toLowerCase()).not.toContain('href="javascript');
    expect(page).toContain('<span title="link withheld: not an http(s) URL">#7</span>');
    for (const href of hrefs(page)) expect(href).toMatch(/^(?:\/api\/|https?:\/\/)/);
  });

  it('for any text in every field, the markup is the same as for plain text (property)', () => {
    const withText = (text: string): ViewedFlow =>
      releasedFlow({
        flowId: text,
        status: text,
        reason: text,
        model: { name: text, version: text, uri: text, sha256: text },
        commit: text,
        branch: text,
        trigger: text,
        triggers: [{ kind: text, source: text, deliveryId: text, at: '2026-05-01T11:00:00Z' }],
        build: { id: 1, url: 'https://dev.azure.com/b', result: text, buildNumber: text },
        release: { mode: text, id: 2, url: 'https://dev.azure.com/r' },
        lastError: { code: text, message: text, at: '2026-05-01T11:00:00Z' },
        history: [
          { status: text, at: '2026-05-01T11:00:00Z', delivery: { source: text, id: text }, reason: text },
        ],
      });
    const render = (text: string): readonly string[] => [
      list(withText(text), [withText(text)]),
      renderFlowPage({ flow: withText(text), isCurrent: false }, context()),
    ];
    const baseline = render('plain');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40, unit: MARKUP_HEAVY }), (text) => {
        render(text).forEach((page, index) => {
          const expected = baseline[index] ?? '';
          // Escaping turns every < > " ' of a value into an entity: the page's own are all that is left.
          for (const char of ['<', '>', '"', "'"]) expect(count(page, char)).toBe(count(expected, char));
          expect(hrefs(page).length).toBe(hrefs(expected).length);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('for any build URL, a link is http(s) and nothing else (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.webUrl(),
          fc.string({ unit: 'binary' }),
          fc.constantFrom(
            ...HOSTILE_VALUES,
            'JAVASCRIPT:alert(1)',
            '\u0000javascript:alert(1)',
            'https://x/"><img src=x>',
          ),
        ),
        (url) => {
          const page = list(undefined, [
            releasedFlow({ build: { id: 3, url }, release: { mode: 'pipeline', id: 4, url } }),
          ]);
          for (const href of hrefs(page)) {
            if (href.startsWith('/api/')) continue;
            expect(['http:', 'https:']).toContain(new URL(href).protocol);
          }
          expect(page).not.toContain('<img');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('page headers', () => {
  it('allow exactly the inline style sheet and nothing else, forbid sniffing, caching and referrers', () => {
    const page = list(undefined, []);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    const hash = createHash('sha256').update(style, 'utf8').digest('base64');
    expect(PAGE_HEADERS).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    });
    expect(count(page, '<style')).toBe(1);
    expect(page).not.toMatch(/<script|\sstyle="|<link|<img/);
  });
});

describe('pageLinks', () => {
  it('links from the prefix the page was asked at, with or without a flow id', () => {
    expect(pageLinks('http://h/api/flows/view', undefined)).toEqual({
      viewBase: '/api/flows/view',
      apiBase: '/api/flows',
      keep: {},
    });
    expect(
      pageLinks('http://h/custom/flows/view/0123456789abcdef0123/?code=abc', '0123456789abcdef0123'),
    ).toEqual({
      viewBase: '/custom/flows/view',
      apiBase: '/custom/flows',
      keep: { code: 'abc' },
    });
    expect(pageLinks('http://h/flows/view', undefined).viewBase).toBe('/flows/view');
  });

  it('falls back to /api/flows/view for a path it does not recognise, and drops a key that is not one', () => {
    expect(pageLinks('http://h//evil.example/flows/view', undefined).viewBase).toBe('/api/flows/view');
    expect(pageLinks('http://h/api/other', undefined).viewBase).toBe('/api/flows/view');
    expect(pageLinks('not a url', undefined).viewBase).toBe('/api/flows/view');
    expect(pageLinks('http://h/api/flows/view?code=%22%3E%3Cscript%3E', undefined).keep).toEqual({});
  });
});
