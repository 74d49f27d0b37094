/**
 * The pages' one style sheet, inline so the page needs nothing else; the Content-Security-Policy
 * allows exactly this text (by its SHA-256) and no other style, script, image or connection.
 */
import { createHash } from 'node:crypto';

export const STYLES = `
:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--step:#f8f9fb;--text:#1b1f24;--muted:#5b6470;--border:#d9dee4;--link:#0550ae;
--ok:#116329;--ok-bg:#d3f5dc;--active:#0550ae;--active-bg:#dbeeff;--wait:#7d4e00;--wait-bg:#fff1c2;--bad:#a40e26;--bad-bg:#ffe2e0;--muted-fg:#4d5661;--muted-bg:#e6e9ed}
@media (prefers-color-scheme:dark){:root{--bg:#0f1217;--card:#171b22;--step:#1d222b;--text:#e6e9ee;--muted:#9aa4b0;--border:#2c333d;--link:#79b8ff;
--ok:#7ee2a0;--ok-bg:#12361f;--active:#8cc8ff;--active-bg:#102d4a;--wait:#f2cc60;--wait-bg:#3a2c0a;--bad:#ff9b94;--bad-bg:#4a1518;--muted-fg:#b3bcc7;--muted-bg:#2a313a}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.92em}
.wrap{max-width:1040px;margin:0 auto;padding:16px 16px 40px}
header.top{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:4px 16px;margin:4px 0 14px}
header.top h1{font-size:1.35rem;margin:0}
header.top h1 span{color:var(--muted);font-weight:400;font-size:.95rem;margin-left:8px}
.meta{color:var(--muted);font-size:.85rem}
.meta a{white-space:nowrap}
h2{font-size:1rem;margin:0}
.card{background:var(--card);border:1px solid var(--border);border-radius:10px;padding:14px 16px;margin:0 0 12px;min-width:0}
.flow{border-left:4px solid var(--muted-bg)}
.live{border-left:6px solid var(--muted-fg);padding:16px 18px}
.card.tone-ok{border-left-color:var(--ok)}.card.tone-active{border-left-color:var(--active)}.card.tone-bad{border-left-color:var(--bad)}.card.tone-wait{border-left-color:var(--wait)}
.live .eyebrow{text-transform:uppercase;letter-spacing:.06em;font-size:.75rem;color:var(--muted);font-weight:600}
.live .headline{display:flex;flex-wrap:wrap;align-items:center;gap:6px 12px;margin:2px 0 0}
.live .headline h2{font-size:1.3rem}
.live .chain .value{font-size:1.08rem}
.empty{color:var(--muted)}
.row{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px}
.row .when{margin-left:auto;color:var(--muted);font-size:.85rem}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:.8rem;font-weight:600;line-height:1.6;white-space:nowrap;background:var(--muted-bg);color:var(--muted-fg)}
.badge.small{font-size:.72rem;padding:0 7px}
.badge.tone-ok{background:var(--ok-bg);color:var(--ok)}
.badge.tone-active{background:var(--active-bg);color:var(--active)}
.badge.tone-wait{background:var(--wait-bg);color:var(--wait)}
.badge.tone-bad{background:var(--bad-bg);color:var(--bad)}
.badge.tone-muted{background:var(--muted-bg);color:var(--muted-fg)}
.badge.live-tag{background:var(--ok);color:var(--card)}
.chain{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:10px 22px;list-style:none;margin:12px 0 4px;padding:0}
.chain>li{position:relative;background:var(--step);border:1px solid var(--border);border-radius:8px;padding:7px 10px;min-width:0}
.chain>li+li::before{content:"\\2192";position:absolute;left:-18px;top:50%;transform:translateY(-50%);color:var(--muted);font-size:1rem}
.chain .label{display:block;text-transform:uppercase;letter-spacing:.05em;font-size:.68rem;color:var(--muted);font-weight:600}
.chain .value{display:block;font-weight:600;overflow-wrap:anywhere}
.chain code.value{font-size:.98rem}
.chain .sub{display:block;color:var(--muted);font-size:.82rem;overflow-wrap:anywhere}
.none{color:var(--muted);font-weight:400}
.why{margin:8px 0 0;font-size:.9rem;overflow-wrap:anywhere}
.why b{color:var(--muted);font-weight:600}
.error{margin:8px 0 0;padding:6px 10px;border-radius:6px;background:var(--bad-bg);color:var(--bad);font-size:.88rem;overflow-wrap:anywhere}
details{margin:10px 0 0}
summary{cursor:pointer;color:var(--link);font-size:.9rem}
.timeline{list-style:none;margin:8px 0 0;padding:0 0 0 14px;border-left:2px solid var(--border)}
.timeline li{position:relative;padding:4px 0 8px 6px}
.timeline li::before{content:"";position:absolute;left:-21px;top:10px;width:10px;height:10px;border-radius:50%;background:var(--card);border:2px solid var(--muted)}
.timeline li.tone-ok::before{border-color:var(--ok);background:var(--ok-bg)}.timeline li.tone-active::before{border-color:var(--active);background:var(--active-bg)}
.timeline li.tone-wait::before{border-color:var(--wait);background:var(--wait-bg)}.timeline li.tone-bad::before{border-color:var(--bad);background:var(--bad-bg)}
.timeline .via{color:var(--muted);font-size:.82rem;overflow-wrap:anywhere}
.timeline .reason{display:block;font-size:.88rem;overflow-wrap:anywhere}
.iso{color:var(--muted);font-size:.8rem;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.flowid{font-size:.82rem}
.flows-head{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:4px 12px;margin:22px 0 8px}
.pager{display:flex;justify-content:space-between;gap:12px;margin:8px 0}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:4px 14px;margin:10px 0 0;font-size:.9rem}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
ul.plain{margin:6px 0 0;padding-left:18px;font-size:.9rem}
.problem h1{font-size:1.3rem;margin:0 0 6px}
@media (max-width:720px){
.wrap{padding:10px 10px 32px}
.chain{grid-template-columns:minmax(0,1fr);gap:0;border:1px solid var(--border);border-radius:8px;overflow:hidden}
.chain>li{display:grid;grid-template-columns:4.6rem minmax(0,1fr);column-gap:8px;align-items:baseline;border:0;border-radius:0;padding:6px 10px}
.chain>li+li{border-top:1px solid var(--border)}
.chain>li+li::before{content:none}
.chain .label{grid-row:span 2}
.chain .sub{grid-column:2}
.row .when{margin-left:0;width:100%}
.live .headline h2{font-size:1.15rem}
}
`;

/** `'sha256-…'`: the CSP source that allows exactly `STYLES` in a `<style>` element. */
export const STYLES_HASH = `'sha256-${createHash('sha256').update(STYLES, 'utf8').digest('base64')}'`;
