/**
 * In classic release mode: doctor checks the release definition and its artifact alias, and a
 * rollback is a new classic release of the earlier build (no rebuild), finished by the app when
 * its deployment completes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeRelease, getClassicRelease, listBuilds } from '../../tools/sandbox/ado.js';
import { objectAt, type JsonObject } from '../../tools/json.js';
import type { Sandbox } from '../../tools/sandbox/sandbox.js';
import { apiFlows, cliEnv, completeRun, jsonOf, quietSandbox, runCli, waitFor } from './support.js';

/** The model folders this file makes, removed at the end. */
const FOLDERS = mkdtempSync(join(tmpdir(), 'ai-app-cicd-models-'));
let sandbox: Sandbox;
let env: Readonly<Record<string, string>>;

beforeAll(async () => {
  sandbox = await quietSandbox({ RELEASE_MODE: 'classic' });
  env = cliEnv(sandbox);
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
  rmSync(FOLDERS, { recursive: true, force: true });
});

async function flowWith(check: (flow: JsonObject) => boolean, what: string): Promise<JsonObject> {
  return waitFor(async () => (await apiFlows(sandbox)).find(check), { what, timeoutMs: 20_000 });
}

/** Publishes a version with the CLI, completes its build and its classic release: the flow is `released`. */
async function publishAndRelease(version: string): Promise<JsonObject> {
  const dir = mkdtempSync(join(FOLDERS, 'model-'));
  writeFileSync(join(dir, 'model.onnx'), randomBytes(10_000));
  const published = await runCli(['publish-model', dir, '--version', version], { env });
  expect(published.code, published.stderr).toBe(0);
  const build = await waitFor(
    async () =>
      (await listBuilds(sandbox.ado, sandbox.knobs.buildPipelineId)).find(
        (item) => item.templateParameters.modelVersion === version,
      ),
    { what: `a build of ${version}` },
  );
  await completeRun(sandbox, build.id);
  const flowId = build.templateParameters.flowId;
  const releasing = await flowWith(
    (flow) => flow.flowId === flowId && flow.status === 'releasing',
    `${version} releasing`,
  );
  await completeRelease(sandbox.ado, Number(objectAt(releasing, 'release')?.id), 'succeeded');
  return flowWith((flow) => flow.flowId === flowId && flow.status === 'released', `${version} released`);
}

describe('classic release mode', () => {
  it('doctor checks the release definition and its artifact alias, naming the aliases it has', async () => {
    const green = await runCli(['doctor'], { env });
    expect(green.code, green.stdout).toBe(0);
    expect(green.stdout).toMatch(/^✓ release definition: 3 ai-app-release, artifact alias build$/m);
    const red = await runCli(['doctor'], { env: cliEnv(sandbox, { RELEASE_ARTIFACT_ALIAS: 'drop' }) });
    expect(red.code).toBe(1);
    expect(red.stdout).toMatch(
      /^✗ release definition: .*has no artifact alias "drop" \(it has: build\) — fix: set RELEASE_ARTIFACT_ALIAS/m,
    );
  });

  it('rolls back with a new classic release of the earlier build', async () => {
    const first = await publishAndRelease('1.0.0');
    await publishAndRelease('2.0.0');
    const buildId = Number(objectAt(first, 'build')?.id);
    const builds = (await listBuilds(sandbox.ado, sandbox.knobs.buildPipelineId)).length;

    const result = await runCli(['rollback', '--by', 'carol', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const answer = jsonOf(result);
    expect(answer).toMatchObject({ flowId: first.flowId, buildId, release: { mode: 'classic' } });
    const releaseId = Number(objectAt(answer, 'release')?.id);
    expect(releaseId).toBeGreaterThan(Number(objectAt(first, 'release')?.id));
    expect(await getClassicRelease(sandbox.ado, releaseId)).toMatchObject({ buildIds: [String(buildId)] });
    expect(await listBuilds(sandbox.ado, sandbox.knobs.buildPipelineId)).toHaveLength(builds);

    await completeRelease(sandbox.ado, releaseId, 'succeeded');
    const released = await flowWith(
      (flow) =>
        flow.flowId === first.flowId &&
        flow.status === 'released' &&
        objectAt(flow, 'release')?.id === releaseId,
      'the rollback released',
    );
    expect(objectAt(released, 'release')).toMatchObject({ mode: 'classic', id: releaseId });
  });
});
