/** Where the pages link to, worked out from the URL they were asked at. */
import { internalUrl, type SafeUrl } from './html.js';

export interface PageLinks {
  /** The list page's path, e.g. `/api/flows/view` (the host's route prefix included). */
  readonly viewBase: string;
  /** The JSON API's path, e.g. `/api/flows`. */
  readonly apiBase: string;
  /**
   * Query parameters every link carries: the function key (`code`) the page was opened with,
   * so following a link is not refused with 401.
   */
  readonly keep: Readonly<Record<string, string>>;
}

const DEFAULT_VIEW_BASE = '/api/flows/view';
const FUNCTION_KEY = /^[A-Za-z0-9_\-=]{1,256}$/;

/**
 * `requestUrl` is `<prefix>/flows/view` or `<prefix>/flows/view/<flowId>`; links are absolute
 * paths from the same prefix, so they work whatever `routePrefix` the host has.
 */
export function pageLinks(requestUrl: string, flowIdSegment: string | undefined): PageLinks {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    url = new URL(`http://localhost${DEFAULT_VIEW_BASE}`);
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (flowIdSegment !== undefined && flowIdSegment !== '') path = path.slice(0, path.lastIndexOf('/'));
  const viewBase = /^(?:\/[A-Za-z0-9._~-]+)*\/flows\/view$/i.test(path) ? path : DEFAULT_VIEW_BASE;
  const code = url.searchParams.get('code');
  return {
    viewBase,
    apiBase: viewBase.slice(0, -'/view'.length),
    keep: code !== null && FUNCTION_KEY.test(code) ? { code } : {},
  };
}

export function listUrl(
  links: PageLinks,
  page: { readonly limit?: number; readonly continuationToken?: string } = {},
): SafeUrl {
  return internalUrl(links.viewBase, {
    ...(page.limit === undefined ? {} : { limit: String(page.limit) }),
    ...(page.continuationToken === undefined ? {} : { continuationToken: page.continuationToken }),
    ...links.keep,
  });
}

export function flowUrl(links: PageLinks, flowId: string): SafeUrl {
  return internalUrl(`${links.viewBase}/${encodeURIComponent(flowId)}`, links.keep);
}

export function flowJsonUrl(links: PageLinks, flowId?: string): SafeUrl {
  return internalUrl(
    flowId === undefined ? links.apiBase : `${links.apiBase}/${encodeURIComponent(flowId)}`,
    links.keep,
  );
}
