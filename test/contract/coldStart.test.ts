/**
 * Cold start: the Functions host imports every function file at start. What they import
 * statically is paid by every cold start: no Azure SDK but @azure/functions, no flow-events
 * adapter, no use case and none of their libraries (semver, picomatch, cockatiel): they load
 * with the composition (`src/app/compose.ts`) on first use. Nothing they can reach at all, lazily or not, is the
 * operator CLI or its libraries.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from './support.js';

const CLI_LIBRARIES = ['commander', 'cli-progress'];

/** Modules a file imports: for their values at load (`static`), or at all (`import()` too; `import type` is erased). */
function importsOf(file: string, mode: 'static' | 'all'): string[] {
  const source = readFileSync(file, 'utf8');
  const patterns = [
    /^import\s+(?!type\b)[^;]*?\s+from\s+'([^']+)';/gms,
    /^import\s+'([^']+)';/gm,
    /^export\s+(?!type\b)[^;]*?\s+from\s+'([^']+)';/gms,
    ...(mode === 'all' ? [/import\s*\(\s*'([^']+)'\s*\)/g] : []),
  ];
  return patterns
    .flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] ?? ''))
    .filter(Boolean);
}

/** Every module (files of ours, packages by name) reachable from `entries`. */
function importGraph(
  entries: readonly string[],
  mode: 'static' | 'all',
): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of importsOf(file, mode)) {
      if (specifier.startsWith('.'))
        pending.push(path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts'));
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

const folder = repoPath('src/functions');
const functionFiles = readdirSync(folder)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => path.join(folder, name));

describe('cold start', () => {
  it('loads no Azure SDK but @azure/functions, and no flow-events adapter, with the function files', () => {
    const graph = importGraph(functionFiles, 'static');
    expect(graph.files.has(repoPath('src/app/services.ts'))).toBe(true);
    expect(graph.packages.has('@azure/functions')).toBe(true);
    expect(
      [...graph.packages].filter((name) => name.startsWith('@azure/') && name !== '@azure/functions'),
    ).toEqual([]);
    for (const adapter of ['src/adapters/eventGridFlowEvents.ts', 'src/adapters/eventGridSystemEvents.ts'])
      expect(graph.files.has(repoPath(adapter)), adapter).toBe(false);
    for (const library of ['semver', 'picomatch', 'cockatiel']) expect(graph.packages).not.toContain(library);
    expect(graph.files.has(repoPath('src/app/compose.ts'))).toBe(false);
  });

  it('never reaches src/cli or the CLI’s libraries from the functions, even lazily', () => {
    const graph = importGraph(functionFiles, 'all');
    expect(graph.files.has(repoPath('src/adapters/eventGridSystemEvents.ts'))).toBe(true);
    expect([...graph.files].filter((file) => file.startsWith(repoPath('src/cli')))).toEqual([]);
    for (const library of CLI_LIBRARIES) expect(graph.packages).not.toContain(library);
  });

  it('sees what it looks for where it is imported (the checks can fail)', () => {
    expect(importGraph([repoPath('src/adapters/eventGridSystemEvents.ts')], 'static').packages).toContain(
      '@azure/eventgrid',
    );
    const composed = importGraph([repoPath('src/app/compose.ts')], 'static');
    for (const library of ['semver', 'picomatch', 'cockatiel']) expect(composed.packages).toContain(library);
    const cli = importGraph([repoPath('src/cli/main.ts')], 'all');
    for (const library of CLI_LIBRARIES) expect(cli.packages).toContain(library);
  });
});
