/**
 * `npm run emulator -- [--org <name>] [--project <name>] [--pipeline <id>:<name>[:<yaml file>]]...
 *    [--release-definition <id>:<name>[:<alias>=<pipelineId>]]...`
 *
 * Port from ADO_EMULATOR_PORT (default 8090), PAT from AZURE_DEVOPS_PAT (default `emulator-pat`, printed).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isPositiveInt } from '../json.js';
import { startAdoEmulator, type EmulatorProjectSeed } from './server.js';
import { SeedError } from './seed.js';

const DEFAULT_PORT = 8090;
const DEFAULT_PAT = 'emulator-pat';

function usage(): string {
  return [
    'Usage: npm run emulator -- [options]',
    '  --org <name>                     organization name (default: emulator)',
    '  --project <name>                 project to seed (needed for --pipeline/--release-definition)',
    '  --pipeline <id>:<name>[:<yaml>]  seed a pipeline, with the YAML file that declares its parameters (repeatable)',
    '  --release-definition <id>:<name>[:<alias>=<pipelineId>]',
    '                                   seed a classic release definition and its build artifact (repeatable)',
    '  --host <host>                    listen address (default: 127.0.0.1)',
    'Environment: ADO_EMULATOR_PORT (default 8090), AZURE_DEVOPS_PAT (default emulator-pat)',
  ].join('\n');
}

/** `12:name[:extra]` (CLI form). */
function parseIdName(text: string, what: string): { id: number; name: string; extra?: string } {
  const [idText = '', name = '', ...rest] = text.split(':');
  const id = Number(idText);
  if (!isPositiveInt(id) || name.trim() === '')
    throw new SeedError(`${what} must look like <id>:<name>[:…], got '${text}'`);
  return rest.length > 0 ? { id, name: name.trim(), extra: rest.join(':') } : { id, name: name.trim() };
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
  const pipelines = (values.pipeline ?? []).map((text) => {
    const { id, name, extra } = parseIdName(text, '--pipeline');
    return extra === undefined
      ? { id, name }
      : { id, name, yamlPath: extra, yaml: readFileSync(extra, 'utf8') };
  });
  const releaseDefinitions = (values['release-definition'] ?? []).map((text) => {
    const { id, name, extra } = parseIdName(text, '--release-definition');
    if (extra === undefined) return { id, name };
    const [alias = '', pipelineId = ''] = extra.split('=');
    return { id, name, artifacts: [{ alias, pipelineId: Number(pipelineId) }] };
  });
  const seeds: EmulatorProjectSeed[] = [];
  if (values.project !== undefined) {
    seeds.push({ org, project: values.project, pipelines, releaseDefinitions });
  } else if (pipelines.length > 0 || releaseDefinitions.length > 0) {
    throw new SeedError('--pipeline and --release-definition need --project');
  }

  const envPat = process.env.AZURE_DEVOPS_PAT;
  const pat = envPat !== undefined && envPat !== '' ? envPat : DEFAULT_PAT;
  const port = parsePort(process.env.ADO_EMULATOR_PORT);
  const emulator = await startAdoEmulator({
    port,
    host: values.host ?? '127.0.0.1',
    pat,
    seed: seeds,
    specs: 'when-available',
  });

  console.log(`ADO emulator ready at ${emulator.orgUrl(org)}`);
  if (pat === DEFAULT_PAT) console.log(`PAT: ${DEFAULT_PAT} (set AZURE_DEVOPS_PAT to choose another)`);
  for (const seed of seeds) {
    const items = [
      ...(seed.pipelines ?? []).map(
        (p) => `pipeline ${p.id}:${p.name}${p.yamlPath ? ` (${p.yamlPath})` : ''}`,
      ),
      ...(seed.releaseDefinitions ?? []).map((d) => `release definition ${d.id}:${d.name}`),
    ];
    console.log(
      `Seeded project ${seed.org}/${seed.project}${items.length > 0 ? `: ${items.join(', ')}` : ''}`,
    );
  }
  console.log(
    `Control API: ${emulator.url}/_emulator/{requests,deliveries,reset,faults,builds/complete,releases/complete}`,
  );

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
