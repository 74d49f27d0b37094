/**
 * The only way the web pages produce HTML: the `html` tagged template. Every interpolated
 * value is escaped unless it is `Html` made by this module, and the template refuses, when
 * it is first used, any interpolation that escaping cannot make safe:
 *   - inside a tag but outside a quoted attribute value (`<a ${x}>`, `<a href=${x}>`);
 *   - in a URL attribute (`href`, `src`, `action`…) unless the value is a `SafeUrl`, which
 *     only `externalUrl` (http/https only) and `internalUrl` (a path on this site) make;
 *   - in a `<script>` or `<style>` element, or an HTML comment.
 * So a value from the ledger (a branch, a reason, a build URL) can only ever be text.
 */

const TRUSTED: unique symbol = Symbol('trusted html');

/** A piece of markup this module built (escaped values inside a template's static text). */
export class Html {
  readonly #text: string;
  constructor(token: typeof TRUSTED, text: string) {
    if (token !== TRUSTED) throw new TypeError('Html is made by the html`` template only');
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

/** A URL that may be put in an `href`: http(s) only, or a path on this site. */
export class SafeUrl {
  readonly #href: string;
  constructor(token: typeof TRUSTED, href: string) {
    if (token !== TRUSTED) throw new TypeError('SafeUrl is made by externalUrl or internalUrl only');
    this.#href = href;
  }
  toString(): string {
    return this.#href;
  }
}

export type Fragment = Html | SafeUrl | string | number | boolean | null | undefined | readonly Fragment[];

/** Escapes text for HTML text and (quoted) attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Where an interpolation sits in its template: decided once per template. */
type Slot = { readonly kind: 'text' } | { readonly kind: 'attribute'; readonly name: string };

const slotsOf = new WeakMap<TemplateStringsArray, readonly Slot[]>();

export function html(strings: TemplateStringsArray, ...values: readonly Fragment[]): Html {
  let slots = slotsOf.get(strings);
  if (slots === undefined) {
    slots = analyse(strings);
    slotsOf.set(strings, slots);
  }
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    const slot = slots[index];
    if (slot?.kind === 'attribute') {
      if (URL_ATTRIBUTES.has(slot.name) && !(value instanceof SafeUrl))
        throw new TypeError(`html\`\`: ${slot.name}="…" takes a SafeUrl (externalUrl or internalUrl)`);
      // Markup in an attribute value would be pasted unescaped: only plain values go there.
      if (value instanceof Html || Array.isArray(value))
        throw new TypeError(`html\`\`: ${slot.name}="…" takes text, not markup`);
    }
    out += render(value);
    out += strings[index + 1] ?? '';
  });
  return new Html(TRUSTED, out);
}

function render(value: Fragment): string {
  if (value instanceof Html) return value.toString();
  if (value instanceof SafeUrl) return escapeHtml(value.toString());
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return escapeHtml(String(value));
  if (value === null || value === undefined || typeof value === 'boolean') return '';
  return value.map(render).join('');
}

const URL_ATTRIBUTES: ReadonlySet<string> = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'srcset',
  'poster',
  'xlink:href',
  'ping',
  'background',
  'cite',
  'data',
]);

/**
 * Walks the static text of a template and tells, for each interpolation, whether it is in
 * text or in a double- or single-quoted attribute value (and which attribute). Anything
 * else throws: escaping cannot make it safe.
 */
function analyse(strings: TemplateStringsArray): readonly Slot[] {
  type State = 'text' | 'tag' | 'dq' | 'sq' | 'comment' | 'rawtext';
  let state: State = 'text';
  let tagText = '';
  let attribute = '';
  let rawEnd = '';
  let recent = '';
  const slots: Slot[] = [];
  strings.forEach((chunk, chunkIndex) => {
    for (const char of chunk) {
      recent = (recent + char).slice(-12);
      switch (state) {
        case 'text':
          if (char === '<') {
            state = 'tag';
            tagText = '';
          }
          break;
        case 'tag':
          if (tagText === '!-' && char === '-') {
            state = 'comment';
            break;
          }
          if (char === '>') {
            const name = /^([a-zA-Z]+)/.exec(tagText)?.[1]?.toLowerCase();
            if (name === 'script' || name === 'style') {
              state = 'rawtext';
              rawEnd = `</${name}`;
            } else state = 'text';
          } else if (char === '"' || char === "'") {
            attribute = /([^\s"'=<>/]+)\s*=\s*$/.exec(tagText)?.[1]?.toLowerCase() ?? '';
            if (attribute === '') throw new TypeError('html``: a quote outside an attribute value');
            state = char === '"' ? 'dq' : 'sq';
          }
          tagText += char;
          break;
        case 'dq':
        case 'sq':
          if (char === (state === 'dq' ? '"' : "'")) {
            state = 'tag';
            tagText += 'x';
          }
          break;
        case 'comment':
          if (recent.endsWith('-->')) state = 'text';
          break;
        case 'rawtext':
          if (recent.toLowerCase().endsWith(rawEnd)) {
            state = 'tag';
            tagText = rawEnd.slice(1);
          }
          break;
      }
    }
    if (chunkIndex === strings.length - 1) return;
    if (state === 'text') slots.push({ kind: 'text' });
    else if (state === 'dq' || state === 'sq') slots.push({ kind: 'attribute', name: attribute });
    else
      throw new TypeError(
        `html\`\`: interpolation ${chunkIndex + 1} is ${state === 'tag' ? 'inside a tag, outside a quoted attribute value' : `in ${state === 'comment' ? 'a comment' : 'a script or style element'}`}`,
      );
  });
  return slots;
}

/** `value` as a link target if it is an absolute http(s) URL; `undefined` otherwise (not linked). */
export function externalUrl(value: string): SafeUrl | undefined {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  // The serialization the browser will parse again: what is checked is what is linked.
  return new SafeUrl(TRUSTED, parsed.href);
}

/** A path on this site (`/api/...`) with query parameters, encoded. */
export function internalUrl(path: string, query: Readonly<Record<string, string | undefined>> = {}): SafeUrl {
  if (!/^\/(?!\/)[A-Za-z0-9._~!'()*\-/%]*$/.test(path)) throw new TypeError(`Not a site path: ${path}`);
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
  const search = params.toString();
  return new SafeUrl(TRUSTED, search === '' ? path : `${path}?${search}`);
}

/** `<style>` with a constant style sheet (which may not contain `<`, so it cannot end the element). */
export function styleElement(css: string): Html {
  if (css.includes('<')) throw new TypeError('A style sheet here may not contain "<"');
  return new Html(TRUSTED, `<style>${css}</style>`);
}
