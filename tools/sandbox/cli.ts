/**
 * `npm run sandbox`: the whole app on 127.0.0.1 (Azurite, the Azure DevOps emulator, the local
 * Functions host, a blob watcher for Event Grid), configured by the environment. Prints one
 * `ready` line; Ctrl-C or SIGTERM stops everything.
 */
import { ConfigError } from '../../src/config.js';
import { errorMessage } from '../json.js';
import { readyLine } from './ready.js';
import { startSandbox, type Sandbox } from './sandbox.js';
import { SandboxSettingError } from './settings.js';

let sandbox: Sandbox | undefined;
let stopping = false;
const stopRequested = (): boolean => stopping;

function stop(signal: NodeJS.Signals): void {
  if (stopping) {
    console.error(`${signal} again: exiting without waiting`);
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: stopping the sandbox`);
  const running = sandbox;
  if (running === undefined) return; // startup is still under way: it stops when it returns
  running.stop().then(
    () => {
      console.log('sandbox stopped');
      process.exit(0);
    },
    (error: unknown) => {
      console.error(errorMessage(error));
      process.exit(1);
    },
  );
}

process.on('SIGINT', stop);
process.on('SIGTERM', stop);

try {
  sandbox = await startSandbox();
} catch (error) {
  const known = error instanceof ConfigError || error instanceof SandboxSettingError;
  console.error(`Cannot start the sandbox: ${errorMessage(error)}`);
  if (!known && error instanceof Error && error.stack !== undefined) console.error(error.stack);
  process.exit(1);
}
if (stopRequested()) {
  await sandbox.stop();
  process.exit(0);
}
console.log(readyLine(sandbox));
