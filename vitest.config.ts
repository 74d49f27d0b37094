import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // @azure/functions' test-mode notices are not shown (tools/local-host/testModeNotices.ts).
    setupFiles: ['test/support/setup.ts'],
    // Each test file runs in its own process: its settings and services are its own.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Fail loudly on a test that leaves a promise rejected in the background.
    dangerouslyIgnoreUnhandledErrors: false,
    // The default output, then one plain `N passed, N failed` line.
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
});
