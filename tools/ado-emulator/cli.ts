/**
 * `npm run emulator -- [--org <name>] [--project <name>] [--pipeline <id>:<name>]... [--release-definition <id>:<name>]...`
 *
 * Port from ADO_EMULATOR_PORT (default 8090), PAT from AZURE_DEVOPS_PAT (default `emulator-pat`, printed).
 */
import { parseArgs } from 'node:util';
import { startAdoEmulator, type EmulatorProjectSeed } from './server.js';
import { SeedError, parseIdName, parseSeed } from './seed.js';

const DEFAULT_PORT = 8090;
const DEFAULT_PAT = 'emulator-pat';

function usage(): string {
  return [
    'Usage: npm run emulator -- [options]',
    '  --org <name>                     organization name (default: emulator)',
    '  --project <name>                 project to seed (needed for --pipeline/--release-definition)',
    '  --pipeline <id>:<name>           seed a pipeline (repeatable)',
    '  --release-definition <id>:<name> seed a classic release definition (repeatable)',
    '  --host <host>                    listen address (default: 127.0.0.1)',
    'Environment: ADO_EMULATOR_PORT (default 8090), AZURE_DEVOPS_PAT (default emulator-pat)',
  ].join('\n');
}

function parsePort(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`ADO_EMULATOR_PORT is not a port: ${text}`);
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      org: { type: 'string' },
      project: { type: 'string' },
      pipeline: { type: 'string', multiple: true },
      'release-definition': { type: 'string', multiple: true },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) {
    console.log(usage());
    return;
  }
  const org = values.org ?? 'emulator';
  const pipelines = (values.pipeline ?? []).map((p) => parseIdName(p, '--pipeline'));
  const releaseDefinitions = (values['release-definition'] ?? []).map((d) =>
    parseIdName(d, '--release-definition'),
  );
  const seeds: EmulatorProjectSeed[] = [];
  if (values.project !== undefined) {
    seeds.push(parseSeed({ org, project: values.project, pipelines, releaseDefinitions }));
  } else if (pipelines.length > 0 || releaseDefinitions.length > 0) {
    throw new SeedError('--pipeline and --release-definition need --project');
  }

  const envPat = process.env.AZURE_DEVOPS_PAT;
  const pat = envPat !== undefined && envPat !== '' ? envPat : DEFAULT_PAT;
  const port = parsePort(process.env.ADO_EMULATOR_PORT);
  const emulator = await startAdoEmulator({ port, host: values.host ?? '127.0.0.1', pat, seed: seeds });

  console.log(`ADO emulator ready at ${emulator.orgUrl(org)}`);
  if (pat === DEFAULT_PAT) console.log(`PAT: ${DEFAULT_PAT} (set AZURE_DEVOPS_PAT to choose another)`);
  for (const seed of seeds) {
    const items = [
      ...(seed.pipelines ?? []).map((p) => `pipeline ${p.id}:${p.name}`),
      ...(seed.releaseDefinitions ?? []).map((d) => `release definition ${d.id}:${d.name}`),
    ];
    console.log(
      `Seeded project ${seed.org}/${seed.project}${items.length > 0 ? `: ${items.join(', ')}` : ''}`,
    );
  }
  console.log(`Control API: ${emulator.url}/_emulator/{requests,deliveries,reset,faults,seed,branches,runs}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`Received ${signal}, closing ADO emulator`);
    emulator.close().then(
      () => {
        process.exitCode = 0;
      },
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  if (err instanceof SeedError || (err instanceof TypeError && 'code' in err)) console.error(usage());
  process.exitCode = 1;
});
