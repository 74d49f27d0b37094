/** The README's settings table is made from SETTING_SPECS: it says what the code reads, no more, no less. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsBlock, withSettingsTable } from '../../tools/docs/settingsTable.js';

describe('README settings table', () => {
  it('is the table SETTING_SPECS makes (npm run docs:settings)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(settingsBlock(readme)).toBe(settingsBlock(withSettingsTable(readme)));
  });
});
