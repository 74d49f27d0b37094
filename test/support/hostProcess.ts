/**
 * The local host in a process of its own, so a test can kill it mid-work (SIGKILL: no
 * cleanup, like a crashed Functions worker). Settings come from the environment.
 * Prints `ready <url>` when it serves.
 */
import { allFunctions } from '../../src/app/allFunctions.js';
import { startLocalHost } from '../../tools/local-host/server.js';

const host = await startLocalHost({
  definitions: allFunctions,
  queueLeaseSeconds: Number(process.env.LOCAL_HOST_QUEUE_LEASE_SECONDS ?? 30),
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`ready ${host.url}\n`);
process.once('SIGTERM', () => {
  void host.close().then(() => process.exit(0));
});
