/**
 * Ends a test run with one plain line, `N passed, N failed`, after the default reporter's
 * output, whatever the outcome (the exit code stays vitest's). Failures outside any test — a
 * file that did not load, a failing hook, an unhandled error — count as failed too, so that a
 * failing run never ends with "0 failed". A test that passed only on a retry (`--retry`, as CI
 * runs) is named above the line as flaky.
 */
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly SerializedError[]): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    for (const testModule of testModules) {
      failed += testModule.errors().length;
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        if (state === 'passed' && test.diagnostic()?.flaky === true)
          process.stdout.write(`flaky (passed on retry): ${test.fullName}\n`);
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}
