/**
 * Outside the Functions host, `@azure/functions` runs in "test mode" and says so: once per
 * process that it is in test mode, once per function that it skips registering it, and that HTTP
 * streaming is on. Expected wherever the local host serves the functions (tests, the sandbox):
 * these exact lines can be hidden there, and nothing else is.
 */
const NOTICES: readonly RegExp[] = [
  /^WARNING: Failed to detect the Azure Functions runtime\. Switching "@azure\/functions" package to test mode - not all features are supported\.$/,
  /^WARNING: Skipping call to register function "[A-Za-z0-9_-]+" because the "@azure\/functions" package is in test mode\.$/,
  /^HTTP streaming enabled\.$/,
];

export function isTestModeNotice(args: readonly unknown[]): boolean {
  const [first] = args;
  return args.length === 1 && typeof first === 'string' && NOTICES.some((notice) => notice.test(first));
}

/** Drops the test-mode notices from `console.warn` and `console.debug` (where they are written); answers the undo. */
export function hideTestModeNotices(): () => void {
  const { warn, debug } = console;
  console.warn = (...args: unknown[]) => {
    if (!isTestModeNotice(args)) warn(...args);
  };
  console.debug = (...args: unknown[]) => {
    if (!isTestModeNotice(args)) debug(...args);
  };
  return () => {
    console.warn = warn;
    console.debug = debug;
  };
}
