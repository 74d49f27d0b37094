/**
 * Starts Azurite (blob, queue and table) as a child process on 127.0.0.1, in memory,
 * with the flags this machine needs: `--skipApiVersionCheck` (the current SDK speaks a
 * newer API version than Azurite knows) and `--disableTelemetry` (no traffic off the machine).
 * Used by the test setup and the sandbox.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';
import { waitFor } from './wait.js';

/** Azurite's well-known development account (public, documented; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  readonly blobPort?: number;
  readonly queuePort?: number;
  readonly tablePort?: number;
  /** Persist to this folder instead of memory. */
  readonly dataDir?: string;
  readonly startTimeoutMs?: number;
}

export interface RunningAzurite {
  readonly blobEndpoint: string;
  readonly queueEndpoint: string;
  readonly connectionString: string;
  stop(): Promise<void>;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  // A free port found here can be taken by another process before Azurite binds it: when the
  // ports were ours to choose, try again with new ones.
  const choosesPorts =
    options.blobPort === undefined && options.queuePort === undefined && options.tablePort === undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAzuriteOnce(options);
    } catch (error) {
      const portTaken = error instanceof Error && error.message.includes('EADDRINUSE');
      if (!choosesPorts || !portTaken || attempt >= 3) throw error;
    }
  }
}

async function startAzuriteOnce(options: AzuriteOptions): Promise<RunningAzurite> {
  const blobPort = options.blobPort ?? (await freePort());
  const queuePort = options.queuePort ?? (await freePort());
  const tablePort = options.tablePort ?? (await freePort());
  const require = createRequire(import.meta.url);
  const entry = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const args = [
    entry,
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(blobPort),
    '--queuePort',
    String(queuePort),
    '--tablePort',
    String(tablePort),
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--loose',
    '--silent',
    ...(options.dataDir === undefined ? ['--inMemoryPersistence'] : ['--location', options.dataDir]),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const processExited = new AbortController();
  void exited.then((code) => {
    processExited.abort(new Error(`process exited with ${String(code)}`));
  });
  try {
    await waitFor(async () => (await canConnect(blobPort)) && (await canConnect(queuePort)), {
      what: 'Azurite to listen',
      timeoutMs: options.startTimeoutMs ?? 30_000,
      intervalMs: 50,
      signal: processExited.signal,
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(
      `Azurite did not start: ${error instanceof Error ? error.message : String(error)}\n${output}`,
      {
        cause: error,
      },
    );
  }

  return { ...azuriteEndpoints(blobPort, queuePort), stop: () => stopChild(child, exited) };
}

/** Where an Azurite on these ports answers, and the connection string that names it (whether it runs yet or not). */
export function azuriteEndpoints(
  blobPort: number,
  queuePort: number,
): Pick<RunningAzurite, 'blobEndpoint' | 'queueEndpoint' | 'connectionString'> {
  const blobEndpoint = `http://127.0.0.1:${blobPort}/${AZURITE_ACCOUNT}`;
  const queueEndpoint = `http://127.0.0.1:${queuePort}/${AZURITE_ACCOUNT}`;
  return {
    blobEndpoint,
    queueEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};`,
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}
