/** The escaping core of the pages: the `html` template, URL policy and the style element. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, externalUrl, html, internalUrl, SafeUrl, styleElement } from '../../src/web/html.js';

// The template under another name, so the formatter leaves these exact templates alone.
const markup = html;

describe('html`` template', () => {
  it('escapes every interpolated string, in text and in quoted attribute values', () => {
    const value = `<b>&"'</b>`;
    expect(markup`<p title="${value}" data-x='${value}'>${value}</p>`.toString()).toBe(
      '<p title="&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;" data-x=\'&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;\'>&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;</p>',
    );
  });

  it('renders nested templates as markup, arrays joined, numbers as text, nullish and booleans as nothing', () => {
    const items = ['a<', 'b>'].map((item) => markup`<li>${item}</li>`);
    expect(markup`<ul>${items}</ul>${7}${undefined}${null}${false}`.toString()).toBe(
      '<ul><li>a&lt;</li><li>b&gt;</li></ul>7',
    );
  });

  it('refuses an interpolation inside a tag but outside a quoted attribute value', () => {
    expect(() => markup`<a ${'onclick=alert(1)'}>x</a>`).toThrow(/inside a tag/);
    expect(() => markup`<a class=${'x onmouseover=alert(1)'}>x</a>`).toThrow(/inside a tag/);
    expect(() => markup`<a class="x" ${'y'}>`).toThrow(/inside a tag/);
  });

  it('refuses interpolations in script, style and comments', () => {
    expect(() => markup`<script>var a = ${'1'};</script>`).toThrow(/script or style/);
    expect(() => markup`<style>p{color:${'red'}}</style>`).toThrow(/script or style/);
    expect(() => markup`<!-- ${'--><script>alert(1)</script>'} -->`).toThrow(/comment/);
    // After the element or comment ends, text is text again.
    expect(markup`<style>p{}</style><p>${'<'}</p><!-- c --><i>${'>'}</i>`.toString()).toBe(
      '<style>p{}</style><p>&lt;</p><!-- c --><i>&gt;</i>',
    );
  });

  it('takes only a SafeUrl in URL attributes', () => {
    expect(() => markup`<a href="${'https://example.com/'}">x</a>`).toThrow(/SafeUrl/);
    expect(() => markup`<img src="${'https://example.com/a.png'}">`).toThrow(/SafeUrl/);
    expect(() => markup`<form action='${'/x'}'></form>`).toThrow(/SafeUrl/);
    const url = externalUrl('https://example.com/a?b=1&c="2"');
    expect(url).toBeInstanceOf(SafeUrl);
    expect(markup`<a href="${url}">x</a>`.toString()).toBe(
      '<a href="https://example.com/a?b=1&amp;c=%222%22">x</a>',
    );
  });

  it('takes no markup in an attribute value', () => {
    expect(() => markup`<p title="${markup`<b>x</b>`}"></p>`).toThrow(/not markup/);
    expect(() => markup`<p title="${['a']}"></p>`).toThrow(/not markup/);
  });

  it('cannot be forged: Html and SafeUrl need the module-private token', () => {
    const forge = (): unknown => Reflect.construct(SafeUrl, [Symbol('trusted html'), 'javascript:alert(1)']);
    expect(forge).toThrow(TypeError);
  });

  it('escapeHtml leaves nothing a parser would read as markup', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
    expect(escapeHtml('plain text')).toBe('plain text');
  });
});

describe('URLs', () => {
  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    '\tjava\nscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'javascript&#58;alert(1)',
    '//evil.example/x',
    '/relative/path',
    'ftp://example.com/',
    '',
    'not a url',
  ])('externalUrl refuses %j', (value) => {
    expect(externalUrl(value)).toBeUndefined();
  });

  it('externalUrl accepts http and https, as the browser will parse them', () => {
    expect(externalUrl('https://dev.azure.com/contoso/ai-app/_build/results?buildId=12')?.toString()).toBe(
      'https://dev.azure.com/contoso/ai-app/_build/results?buildId=12',
    );
    expect(externalUrl('HTTP://Example.com/a b')?.toString()).toBe('http://example.com/a%20b');
  });

  it('internalUrl builds site paths with encoded query parameters and refuses anything else', () => {
    expect(
      internalUrl('/api/flows/view', {
        limit: '5',
        continuationToken: 'a&b="c"',
        code: undefined,
      }).toString(),
    ).toBe('/api/flows/view?limit=5&continuationToken=a%26b%3D%22c%22');
    for (const path of [
      '//evil.example/',
      'https://evil.example/',
      'javascript:alert(1)',
      'api/flows',
      '/a"b',
    ])
      expect(() => internalUrl(path)).toThrow(/Not a site path/);
  });
});

describe('styleElement', () => {
  it('refuses a style sheet that could end the element', () => {
    expect(() => styleElement('p{}</style><script>alert(1)</script>')).toThrow(/may not contain/);
    expect(styleElement('p>b{color:red}').toString()).toBe('<style>p>b{color:red}</style>');
  });
});
