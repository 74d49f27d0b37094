/**
 * Cold start: the Functions host imports every file in src/functions at start. Nothing of flow
 * events may come with them: @azure/eventgrid loads on the first model-upload event (its types
 * and isSystemEvent) or when the app is composed with events on — never at import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../contract/support.js';

/** Modules a file imports for their values (`import type` is erased; `import()` is not static). */
function staticImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers = [
    ...source.matchAll(/^import\s+(?!type\b)[^;]*?\s+from\s+'([^']+)';/gms),
    ...source.matchAll(/^import\s+'([^']+)';/gm),
    ...source.matchAll(/^export\s+(?!type\b)[^;]*?\s+from\s+'([^']+)';/gms),
  ].map((match) => match[1] ?? '');
  return specifiers.filter((specifier) => specifier !== '');
}

/** Every module (files of ours, packages by name) reachable from `entries` by static imports. */
function staticGraph(entries: readonly string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.'))
        pending.push(path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts'));
      else packages.add(specifier);
    }
  }
  return { files, packages };
}

describe('cold start', () => {
  const folder = repoPath('src/functions');
  const entries = readdirSync(folder)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(folder, name));
  const graph = staticGraph(entries);

  it('reads the function files and what they import', () => {
    expect(entries.length).toBeGreaterThan(5);
    expect(graph.files.has(repoPath('src/app/services.ts'))).toBe(true);
    expect(graph.packages.has('@azure/functions')).toBe(true);
  });

  it('imports no Event Grid SDK and no flow events adapter with the function files', () => {
    expect(
      [...graph.packages].filter((name) => name.startsWith('@azure/') && name !== '@azure/functions'),
    ).toEqual([]);
    for (const adapter of ['src/adapters/eventGridFlowEvents.ts', 'src/adapters/eventGridSystemEvents.ts'])
      expect(graph.files.has(repoPath(adapter)), adapter).toBe(false);
  });

  it('finds a static import of the SDK when there is one (the check can fail)', () => {
    const adapter = staticGraph([repoPath('src/adapters/eventGridSystemEvents.ts')]);
    expect(adapter.packages.has('@azure/eventgrid')).toBe(true);
  });
});
