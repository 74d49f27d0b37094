/**
 * The README's settings table, made from `SETTING_SPECS` (src/config.ts), the one list of
 * settings. `npm run docs:settings` writes it into README.md; a contract test checks it is current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SETTING_SPECS } from '../../src/config.js';

const START = '<!-- settings:start (npm run docs:settings) -->';
const END = '<!-- settings:end -->';

export function settingsTable(): string {
  const rows = Object.entries(SETTING_SPECS).map(([name, spec]) => {
    const need =
      spec.need === 'required'
        ? 'yes'
        : 'neededWhen' in spec
          ? spec.neededWhen
          : 'default' in spec
            ? `no (\`${spec.default}\`)`
            : 'no';
    return `| \`${name}\` | ${need} | ${spec.meaning} |`;
  });
  return ['| Setting | Required | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README with its settings table replaced by the current one. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return `${readme.slice(0, start + START.length)}\n\n${settingsTable()}\n\n${readme.slice(end)}`;
}

/** The table block of a README, whitespace-insensitive (Prettier re-aligns the columns). */
export function settingsBlock(readme: string): string {
  return readme
    .slice(readme.indexOf(START), readme.indexOf(END))
    .replace(/[ \t-]+/g, ' ')
    .trim();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const path = new URL('../../README.md', import.meta.url);
  writeFileSync(path, withSettingsTable(readFileSync(path, 'utf8')));
}
