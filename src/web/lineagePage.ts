/**
 * The lineage pages, rendered on the server from the flows API's JSON shape: what is live,
 * every flow's model → commit → build → release chain, and its transitions. Pure: data in,
 * a string of HTML out. Every value goes through `html```, which escapes it; links to builds
 * and releases only when their URL is http(s). No script, no external asset.
 */
import type { ViewedFlow, ViewedTransition } from './flowShape.js';
import { externalUrl, html, styleElement, type Fragment, type Html } from './html.js';
import { flowJsonUrl, flowUrl, listUrl, type PageLinks } from './links.js';
import { STYLES, STYLES_HASH } from './styles.js';
import { isoSeconds, relativeTime } from './time.js';

export interface PageContext {
  readonly now: Date;
  readonly links: PageLinks;
  /** The page reloads itself after this many seconds (omitted: it does not). */
  readonly refreshSeconds?: number;
}

/** Headers of every page: nothing but this document's own style may load or run. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src ${STYLES_HASH}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  // Links may carry the function key (?code=): never hand the URL to build or release pages.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export const REFRESH_SECONDS = 30;

export interface LineageInput {
  /** What `/api/flows/current` answers: the flow last sent to release, if any. */
  readonly current: ViewedFlow | undefined;
  /** One page of `/api/flows`, newest first. */
  readonly flows: readonly ViewedFlow[];
  readonly limit: number;
  /** The continuation token this page was asked for (not the first page). */
  readonly continuationToken?: string;
  /** The token of the next (older) page. */
  readonly nextContinuationToken?: string;
}

export function renderLineagePage(input: LineageInput, context: PageContext): string {
  const { links } = context;
  const firstPage = input.continuationToken === undefined;
  const body = html`
    ${liveSection(input.current, context)}
    <section aria-labelledby="flows-heading">
      <div class="flows-head">
        <h2 id="flows-heading">Flows, newest first</h2>
        <span class="meta"
          >${input.flows.length} on this page${firstPage ? '' : ' (older flows)'} ·
          <a href="${flowJsonUrl(links)}">JSON</a></span
        >
      </div>
      ${
        input.flows.length === 0
          ? html`<p class="card empty">${firstPage ? 'No flow yet.' : 'No older flow.'}</p>`
          : input.flows.map((flow) => flowCard(flow, input.current?.flowId === flow.flowId, context))
      }
      <nav class="pager" aria-label="Pages">
        <span
          >${firstPage ? '' : html`<a href="${listUrl(links, { limit: input.limit })}">← Newest flows</a>`}</span
        >
        <span
          >${
            input.nextContinuationToken === undefined
              ? ''
              : html`<a
                  rel="next"
                  href="${listUrl(links, {
                    limit: input.limit,
                    continuationToken: input.nextContinuationToken,
                  })}"
                  >Older flows →</a
                >`
          }</span
        >
      </nav>
    </section>
  `;
  return document('Flows · ai-app-cicd', body, context);
}

export function renderFlowPage(
  input: { readonly flow: ViewedFlow; readonly isCurrent: boolean },
  context: PageContext,
): string {
  const { flow } = input;
  const { links, now } = context;
  const body = html`
    <p class="meta"><a href="${listUrl(links)}">← All flows</a></p>
    <article class="card" aria-labelledby="flow-heading">
      <div class="row">
        <h2 id="flow-heading">Flow <span class="mono">${flow.flowId}</span></h2>
        ${statusBadge(flow.status)} ${input.isCurrent ? html`<span class="badge live-tag">live</span>` : ''}
      </div>
      ${chain(flow)} ${explanation(flow)}
      <dl class="facts">
        <dt>Branch</dt>
        <dd>
          ${flow.branch === '' ? html`<span class="none">unknown</span>` : html`<code>${flow.branch}</code>`}
        </dd>
        <dt>Commit</dt>
        <dd>
          ${flow.commit === null ? html`<span class="none">not known yet</span>` : html`<code>${flow.commit}</code>`}
        </dd>
        <dt>Model</dt>
        <dd>${modelText(flow)}</dd>
        ${
          flow.model.uri === undefined || flow.model.uri === ''
            ? ''
            : html`<dt>Model URI</dt>
                <dd><code>${flow.model.uri}</code></dd>`
        }
        ${
          flow.model.sha256 === undefined || flow.model.sha256 === ''
            ? ''
            : html`<dt>Model SHA-256</dt>
                <dd><code>${flow.model.sha256}</code></dd>`
        }
        <dt>Trigger</dt>
        <dd>${flow.trigger}</dd>
        <dt>Created</dt>
        <dd>${when(flow.createdAt, now)}</dd>
        <dt>Updated</dt>
        <dd>${when(flow.updatedAt, now)}</dd>
        ${
          flow.build?.queuedAt === undefined
            ? ''
            : html`<dt>Build queued</dt>
                <dd>${when(flow.build.queuedAt, now)}</dd>`
        }
      </dl>
      <h3 class="meta">Deliveries that asked for it</h3>
      <ul class="plain">
        ${flow.triggers.map(
          (trigger) =>
            html`<li>
              ${trigger.kind} · ${trigger.source} <span class="mono">${trigger.deliveryId}</span> ·
              ${when(trigger.at, now)}
            </li>`,
        )}
      </ul>
      <h3 class="meta">Transitions</h3>
      ${timeline(flow.history, now)}
      <p class="meta"><a href="${flowJsonUrl(links, flow.flowId)}">This flow as JSON</a></p>
    </article>
  `;
  return document(`Flow ${flow.flowId} · ai-app-cicd`, body, context);
}

export interface ErrorPageInput {
  readonly status: number;
  readonly title: string;
  readonly message: string;
  readonly correlationId: string;
}

export function renderErrorPage(input: ErrorPageInput, context: PageContext): string {
  const body = html`
    <section class="card problem" role="alert">
      <h1>${input.status} · ${input.title}</h1>
      <p>${input.message}</p>
      <p class="meta">Correlation id <span class="mono">${input.correlationId}</span></p>
      <p class="meta"><a href="${listUrl(context.links)}">← All flows</a></p>
    </section>
  `;
  return document(`${input.title} · ai-app-cicd`, body, context);
}

function document(title: string, body: Html, context: PageContext): string {
  const refresh = context.refreshSeconds;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        ${refresh === undefined ? '' : html`<meta http-equiv="refresh" content="${refresh}" />`}
        <title>${title}</title>
        ${styleElement(STYLES)}
      </head>
      <body>
        <div class="wrap">
          <header class="top">
            <h1>Lineage<span>model → commit → build → release</span></h1>
            <span class="meta"
              >${refresh === undefined ? 'as of' : `refreshes every ${refresh} s · as of`}
              <time datetime="${context.now.toISOString()}"
                >${isoSeconds(context.now.toISOString())}</time
              ></span
            >
          </header>
          <main>${body}</main>
        </div>
      </body>
    </html>`.toString();
}

function liveSection(current: ViewedFlow | undefined, context: PageContext): Html {
  if (current === undefined)
    return html`<section class="card live" aria-labelledby="live-heading">
      <div class="eyebrow" id="live-heading">Live</div>
      <p class="empty">Nothing has been released yet.</p>
    </section>`;
  const since = sinceOf(current);
  const sinceLabel =
    current.status === 'released'
      ? 'live since'
      : current.status === 'releasing'
        ? 'releasing since'
        : `${current.status} since`;
  return html`<section class="card live tone-${toneOf(current.status)}" aria-labelledby="live-heading">
    <div class="eyebrow">Live · last sent to release</div>
    <div class="headline">
      <h2 id="live-heading">${modelText(current)}</h2>
      ${statusBadge(current.status)}
      <span class="meta">${sinceLabel} ${when(since, context.now)}</span>
    </div>
    ${chain(current)} ${explanation(current)}
    <p class="meta">
      flow <a class="mono" href="${flowUrl(context.links, current.flowId)}">${current.flowId}</a>
      ${current.branch === '' ? '' : html`· branch <code>${current.branch}</code>`} · trigger
      ${current.trigger}
    </p>
  </section>`;
}

function flowCard(flow: ViewedFlow, isCurrent: boolean, context: PageContext): Html {
  const { now, links } = context;
  return html`<article class="card flow tone-${toneOf(flow.status)}" data-flow-id="${flow.flowId}">
    <div class="row">
      ${statusBadge(flow.status)} ${isCurrent ? html`<span class="badge live-tag">live</span>` : ''}
      <a class="mono flowid" href="${flowUrl(links, flow.flowId)}">${flow.flowId}</a>
      <span class="when">created ${when(flow.createdAt, now)}</span>
    </div>
    ${chain(flow)} ${explanation(flow)}
    <details>
      <summary>Transitions (${flow.history.length})</summary>
      ${timeline(flow.history, now)}
    </details>
  </article>`;
}

/** Model → commit → build → release, each linked where there is something to link to. */
function chain(flow: ViewedFlow): Html {
  const build = flow.build;
  const release = flow.release;
  return html`<ol class="chain">
    <li>
      <span class="label">Model</span>
      ${
        flow.model.version === undefined
          ? html`<span class="value none">waiting for a model</span>`
          : html`<span class="value">${flow.model.version}</span>`
      }
      <span class="sub">${flow.model.name === '' ? 'name unknown' : flow.model.name}</span>
    </li>
    <li>
      <span class="label">Commit</span>
      ${
        flow.commit === null
          ? html`<span class="value none">head of the branch</span>`
          : html`<code class="value" title="${flow.commit}">${shortCommit(flow.commit)}</code>`
      }
      <span class="sub">${flow.branch === '' ? 'branch unknown' : html`on <code>${flow.branch}</code>`}</span>
    </li>
    <li>
      <span class="label">Build</span>
      ${
        build === null
          ? html`<span class="value none">${flow.status === 'build-queued' ? 'queued' : 'none'}</span>`
          : html`<span class="value">${link(build.url, `#${build.id}`)}</span>
              <span class="sub"
                >${build.buildNumber ?? ''}
                ${build.result === undefined ? '' : html`<span class="badge small tone-${resultTone(build.result)}">${build.result}</span>`}</span
              >`
      }
    </li>
    <li>
      <span class="label">Release</span>
      ${
        release === null
          ? html`<span class="value none">not released</span>`
          : html`<span class="value"
                >${link(release.url, `${release.mode === 'classic' ? 'release' : 'run'} #${release.id}`)}</span
              >
              <span class="sub">${release.mode === 'classic' ? 'classic release' : 'deploy pipeline'}</span>`
      }
    </li>
  </ol>`;
}

function explanation(flow: ViewedFlow): Fragment {
  return [
    flow.reason === undefined ? '' : html`<p class="why"><b>Reason</b> ${flow.reason}</p>`,
    flow.lastError === undefined
      ? ''
      : html`<p class="error"><b>${flow.lastError.code}</b> ${flow.lastError.message}</p>`,
  ];
}

function timeline(history: readonly ViewedTransition[], now: Date): Html {
  if (history.length === 0) return html`<p class="empty">No transition recorded.</p>`;
  return html`<ol class="timeline">
    ${history.map(
      (entry) =>
        html`<li class="tone-${toneOf(entry.status)}">
          ${statusBadge(entry.status)} ${when(entry.at, now)}
          <span class="via">via ${entry.delivery.source} <span class="mono">${entry.delivery.id}</span></span>
          ${entry.reason === undefined ? '' : html`<span class="reason">${entry.reason}</span>`}
        </li>`,
    )}
  </ol>`;
}

/** A link if the URL is http(s); the text alone (never a link) otherwise. */
function link(url: string, text: string): Html {
  const href = externalUrl(url);
  return href === undefined
    ? html`<span title="link withheld: not an http(s) URL">${text}</span>`
    : html`<a href="${href}" rel="noopener noreferrer">${text}</a>`;
}

function when(value: string, now: Date): Html {
  const iso = isoSeconds(value);
  const relative = relativeTime(value, now);
  if (iso === undefined || relative === undefined) return html`<span class="iso">${value}</span>`;
  return html`<time datetime="${iso}" title="${iso}">${relative}</time> <span class="iso">${iso}</span>`;
}

function modelText(flow: ViewedFlow): string {
  const version = flow.model.version;
  if (version === undefined)
    return flow.model.name === '' ? 'no model' : `${flow.model.name} (waiting for a model)`;
  return `${flow.model.name} ${version}`;
}

function shortCommit(commit: string): string {
  return /^[0-9a-f]{40,64}$/.test(commit) ? commit.slice(0, 7) : commit;
}

/** When the flow reached the status it is in (its last transition to it). */
function sinceOf(flow: ViewedFlow): string {
  for (let index = flow.history.length - 1; index >= 0; index -= 1) {
    const entry = flow.history[index];
    if (entry?.status === flow.status) return entry.at;
  }
  return flow.updatedAt;
}

type Tone = 'ok' | 'active' | 'wait' | 'bad' | 'muted';

const STATUS_TONES: ReadonlyMap<string, Tone> = new Map<string, Tone>([
  ['released', 'ok'],
  ['build-succeeded', 'ok'],
  ['releasing', 'active'],
  ['build-started', 'active'],
  ['build-queued', 'active'],
  ['waiting-for-model', 'wait'],
  ['build-failed', 'bad'],
  ['failed', 'bad'],
  ['build-canceled', 'muted'],
  ['superseded', 'muted'],
  ['skipped', 'muted'],
]);

const RESULT_TONES: ReadonlyMap<string, Tone> = new Map<string, Tone>([
  ['succeeded', 'ok'],
  ['partiallySucceeded', 'wait'],
  ['failed', 'bad'],
  ['canceled', 'muted'],
]);

/** A colour from a fixed list: the status text itself never becomes a class name. */
export function toneOf(status: string): Tone {
  return STATUS_TONES.get(status) ?? 'muted';
}

function resultTone(result: string): Tone {
  return RESULT_TONES.get(result) ?? 'muted';
}

function statusBadge(status: string): Html {
  return html`<span class="badge status tone-${toneOf(status)}">${status}</span>`;
}
