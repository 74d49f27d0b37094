/**
 * The Functions app's cold start is untouched by the CLI: nothing the functions import, directly or
 * through other modules (static or lazy imports), reaches src/cli or the CLI's libraries.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI_LIBRARIES = ['commander', 'cli-progress'];

/** Every module reachable from `entries`, and every package they import by name. */
function importGraph(entries: readonly string[]): {
  readonly files: Set<string>;
  readonly packages: Set<string>;
} {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)) {
      const specifier = match[1] ?? '';
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else
        packages.add(
          specifier.startsWith('@')
            ? specifier.split('/').slice(0, 2).join('/')
            : (specifier.split('/')[0] ?? ''),
        );
    }
  }
  return { files, packages };
}

describe('cold start', () => {
  it('the functions reach neither src/cli nor the CLI’s libraries', () => {
    const functions = readdirSync(join(ROOT, 'src/functions'))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(ROOT, 'src/functions', name));
    const graph = importGraph(functions);
    expect(graph.files.size).toBeGreaterThan(functions.length);
    expect(
      [...graph.files].map((file) => relative(ROOT, file)).filter((file) => file.startsWith('src/cli/')),
    ).toEqual([]);
    for (const library of CLI_LIBRARIES) expect(graph.packages).not.toContain(library);
  });

  it('the walk sees the CLI’s libraries where they are imported', () => {
    const graph = importGraph([join(ROOT, 'src/cli/main.ts')]);
    for (const library of CLI_LIBRARIES) expect(graph.packages).toContain(library);
  });
});
