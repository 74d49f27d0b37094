#!/usr/bin/env node
// The `ai-app-cicd` command. In a checkout (after `npm ci`) it runs the TypeScript sources
// through tsx, so there is nothing to build and it is never stale; installed as a package
// (`npm pack` builds dist/ first, see `prepack`), it runs the built JavaScript.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/src/cli/main.js', import.meta.url);

let tsx;
if (existsSync(source)) {
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    tsx = undefined;
  }
}
if (tsx !== undefined) {
  tsx.register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(
    'ai-app-cicd: neither tsx (a checkout after `npm ci`) nor a build (`npm run build`) is available\n',
  );
  process.exit(1);
}
