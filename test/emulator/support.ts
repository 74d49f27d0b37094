/** Shared helpers for the ADO emulator tests. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { WebApi, getPersonalAccessTokenHandler } from 'azure-devops-node-api';
import type { IRequestOptions } from 'azure-devops-node-api/interfaces/common/VsoBaseInterfaces.js';
import { isRecord, readJson } from '../../tools/json.js';
import {
  startAdoEmulator,
  type AdoEmulator,
  type EmulatorProjectSeed,
} from '../../tools/ado-emulator/server.js';

export const PAT = 'test-pat-value-0123456789';
export const ORG = 'contoso';
export const PROJECT = 'ai-app';
/** The app's pipelines, seeded from infra/pipelines (their YAML declares the parameters). */
export const BUILD_PIPELINE = { id: 11, name: 'ai-app-build' } as const;
export const RELEASE_PIPELINE = { id: 12, name: 'ai-app-deploy' } as const;
/** A pipeline whose YAML declares no parameters. */
export const PLAIN_PIPELINE = { id: 13, name: 'plain' } as const;
/** Classic definition: artifact `build` from the build pipeline, two stages, two release variables. */
export const RELEASE_DEFINITION = { id: 3, name: 'ai-app-release' } as const;
export const STAGES = [
  { id: 1, name: 'staging' },
  { id: 2, name: 'production' },
] as const;

export function infraYaml(file: 'build.yml' | 'deploy.yml'): string {
  return readFileSync(new URL(`../../infra/pipelines/${file}`, import.meta.url), 'utf8');
}

export const SEED: EmulatorProjectSeed = {
  org: ORG,
  project: PROJECT,
  pipelines: [
    { ...BUILD_PIPELINE, yamlPath: 'infra/pipelines/build.yml', yaml: infraYaml('build.yml') },
    { ...RELEASE_PIPELINE, yamlPath: 'infra/pipelines/deploy.yml', yaml: infraYaml('deploy.yml') },
    { ...PLAIN_PIPELINE, yaml: 'steps:\n  - script: echo plain\n' },
  ],
  releaseDefinitions: [
    {
      ...RELEASE_DEFINITION,
      artifacts: [{ alias: 'build', pipelineId: BUILD_PIPELINE.id }],
      variables: {
        approver: { value: 'ops', allowOverride: true },
        region: { value: 'westeurope' },
      },
      environments: STAGES,
    },
  ],
};

export function startSeededEmulator(): Promise<AdoEmulator> {
  return startAdoEmulator({ pat: PAT, seed: [SEED] });
}

export function clientFor(emulator: AdoEmulator, options?: IRequestOptions, pat = PAT): WebApi {
  return new WebApi(emulator.orgUrl(ORG), getPersonalAccessTokenHandler(pat), options);
}

export function basicAuth(pat = PAT, user = ''): string {
  return `Basic ${Buffer.from(`${user}:${pat}`).toString('base64')}`;
}

/** fetch() against the emulator with PAT auth and JSON bodies. */
export async function adoFetch(
  url: string,
  init: { method?: string; body?: unknown; auth?: string | null } = {},
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (init.auth !== null) headers.Authorization = init.auth ?? basicAuth();
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, headers: res.headers, json: await readJson(res) };
}

export interface ReceivedHook {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface HookReceiver {
  readonly url: string;
  readonly received: ReceivedHook[];
  /** Statuses for the next requests, in order; afterwards 200. */
  respondWith(statuses: readonly number[]): void;
  close(): Promise<void>;
}

export async function startHookReceiver(): Promise<HookReceiver> {
  const received: ReceivedHook[] = [];
  let queue: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.statusCode = queue.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}/hooks/ado`,
    received,
    respondWith(statuses) {
      queue = [...statuses];
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

export { readConformanceJson } from '../../tools/ado-emulator/conformance.js';

function jsonType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * How `actual` differs in shape from a real `sample`: `missing a.b`, `type a.b: string≠number`
 * (null in the sample matches any type), and `extra a.c` for members the sample does not have.
 * Arrays are compared through their first elements when both have one.
 */
export function shapeDifferences(sample: unknown, actual: unknown, path = '(root)'): string[] {
  if (sample === null) return [];
  if (jsonType(sample) !== jsonType(actual)) return [`type ${path}: ${jsonType(sample)}≠${jsonType(actual)}`];
  if (Array.isArray(sample) && Array.isArray(actual))
    return sample.length > 0 && actual.length > 0 ? shapeDifferences(sample[0], actual[0], `${path}[0]`) : [];
  if (!isRecord(sample) || !isRecord(actual)) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(sample)) {
    if (!Object.hasOwn(actual, key)) out.push(`missing ${path}.${key}`);
    else out.push(...shapeDifferences(value, actual[key], `${path}.${key}`));
  }
  for (const key of Object.keys(actual)) if (!Object.hasOwn(sample, key)) out.push(`extra ${path}.${key}`);
  return out;
}
