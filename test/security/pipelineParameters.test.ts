/**
 * Pipeline parameter safety: no value outside the allow-lists of src/core/validation.ts ever
 * reaches Azure DevOps as a build `templateParameters` value or a release parameter.
 *
 * This stack is configured so that the allow-lists are the only barrier left: every branch is
 * a release branch (`GITHUB_BRANCHES=**`), every blob is a model version (`MODEL_TRIGGER=any-file`),
 * and the model is named `x`, so `models/x/$(curl evil)/model.onnx` (container `models…`) is a
 * blob of the app's own model whose version is `$(curl evil)`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSafeBranchName, isSafeModelVersion } from '../../src/core/validation.js';
import { TEST_SECRETS } from '../support/appEnv.js';
import { blobCreatedEvent, deliverEvents } from '../support/eventGrid.js';
import { githubDelivery, pushPayload, sha } from '../support/github.js';
import { drained, finishBuild, newestBuildId, startStack, type Stack } from '../support/stack.js';
import {
  buildParameterViolations,
  classicReleaseRequests,
  hostFailures,
  INJECTIONS,
  releaseParameterViolations,
  runRequests,
  startRunByHand,
  templateParametersOf,
} from '../fuzz/support.js';

let stack: Stack;
let blobEndpoint: string;
/** Every branch pushed and every version uploaded, whether or not the app should accept them. */
const pushedBranches = new Set<string>();
const uploadedVersions = new Set<string>();

beforeAll(async () => {
  stack = await startStack({ GITHUB_BRANCHES: '**', MODEL_TRIGGER: 'any-file', MODEL_NAME: 'x' });
  blobEndpoint = stack.urls.blob;
}, 60_000);
afterAll(async () => {
  await stack.stop();
});

async function push(branch: string, commit: string): Promise<number> {
  pushedBranches.add(branch);
  const delivery = githubDelivery(
    pushPayload({ ref: `refs/heads/${branch}`, after: commit }),
    TEST_SECRETS.webhook,
  );
  const response = await fetch(`${stack.host.url}/api/github`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  await response.text();
  return response.status;
}

/** Uploads `x/<version>/<file>` to the models container and delivers its BlobCreated event; false if storage refuses the name. */
async function upload(version: string, file = 'model.onnx'): Promise<boolean> {
  const blobPath = `x/${version}/${file}`;
  try {
    await stack.models.getBlockBlobClient(blobPath).upload('weights', 7);
  } catch {
    return false;
  }
  // The version is the second path segment, whatever the generated "version" held ("a/b" uploads version a).
  uploadedVersions.add(blobPath.split('/')[1] ?? '');
  const event = blobCreatedEvent({ container: stack.models.containerName, blobPath, blobEndpoint });
  expect((await deliverEvents(stack.host.url, 'modelUploaded', [event])).status).toBe(200);
  return true;
}

function allRunViolations(): string[] {
  const models = { blobEndpoint, container: stack.models.containerName };
  return runRequests(stack.emulator, 1).flatMap((run) =>
    buildParameterViolations(templateParametersOf(run) ?? {}, models).map(
      (problem) => `build run: ${problem}`,
    ),
  );
}

describe('pipeline parameter safety', () => {
  it('never turns the blob models/x/$(curl evil)/model.onnx into a parameter', async () => {
    expect(stack.models.containerName).toMatch(/^models-/);
    expect(await upload('$(curl evil)')).toBe(true);
    expect(await upload('1.0.0', '$(curl evil).onnx')).toBe(true);
    expect(await upload('1.0.0;rm -rf ', 'model.onnx')).toBe(true);
    await drained(stack);
    expect(runRequests(stack.emulator, 1)).toHaveLength(0);
    expect(stack.logs.join('\n')).toContain('"reason":"unsafe-name"');
  });

  it('never turns the branch main;rm -rf / (or any unsafe branch) into a parameter', async () => {
    expect(await upload('1.0.0')).toBe(true);
    await drained(stack);
    const before = runRequests(stack.emulator, 1).length;
    expect(before).toBe(1);
    for (const branch of [
      'main;rm -rf /',
      'release/$(curl evil)',
      'main`id`',
      'a b',
      'x/../y',
      'x.lock',
      'x/',
      '${{ secrets.PAT }}',
      '##vso[task.setvariable variable=commit]evil',
      'main\nrm',
      '\u202egnp',
    ])
      expect(await push(branch, sha(`unsafe-${branch}`))).toBe(200);
    await drained(stack);
    expect(runRequests(stack.emulator, 1)).toHaveLength(before);
    expect(stack.logs.join('\n')).toContain('"reason":"unsafe-branch-name"');
  });

  it('every templateParameters value Azure DevOps receives matches the allow-lists (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...INJECTIONS),
          fc.string({ unit: 'grapheme', maxLength: 30 }),
          fc.stringMatching(/^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}[-+a-z.]{0,6}$/),
        ),
        fc.oneof(
          fc.constantFrom(...INJECTIONS),
          fc.string({ maxLength: 30 }),
          fc.stringMatching(/^[a-z][a-z0-9./_-]{0,20}$/),
        ),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        async (version, branch, commitBytes) => {
          await upload(version);
          expect(await push(branch, Buffer.from(commitBytes).toString('hex'))).toBeLessThan(500);
        },
      ),
      { numRuns: 40 },
    );
    await drained(stack, 30_000);
    expect(allRunViolations()).toEqual([]);
    for (const run of runRequests(stack.emulator, 1)) {
      const parameters = templateParametersOf(run) ?? {};
      expect(isSafeBranchName(String(parameters.branch))).toBe(true);
      expect(
        pushedBranches.has(String(parameters.branch)) || parameters.branch === 'main',
        String(parameters.branch),
      ).toBe(true);
      expect(isSafeModelVersion(String(parameters.modelVersion))).toBe(true);
      expect(uploadedVersions.has(String(parameters.modelVersion)), String(parameters.modelVersion)).toBe(
        true,
      );
    }
    expect(hostFailures(stack.logs)).toEqual([]);
  }, 120_000);

  it('every release parameter Azure DevOps receives matches the allow-lists', async () => {
    const releasesBefore = runRequests(stack.emulator, 2).length;
    const buildId = await newestBuildId(stack);
    await finishBuild(stack, buildId, 'succeeded');
    const releases = runRequests(stack.emulator, 2);
    expect(releases).toHaveLength(releasesBefore + 1);
    for (const release of releases)
      expect(releaseParameterViolations(templateParametersOf(release) ?? {})).toEqual([]);
    const last = releases.at(-1);
    expect(last === undefined ? undefined : templateParametersOf(last)).toMatchObject({
      buildId: String(buildId),
      modelName: 'x',
    });
  });

  it('never releases a build run by hand with unsafe parameters, whatever it says', async () => {
    const releasesBefore = runRequests(stack.emulator, 2).length;
    const buildId = await startRunByHand(stack.emulator, 1, {
      refName: 'refs/heads/main',
      templateParameters: {
        modelName: 'x',
        modelVersion: '$(curl evil)',
        modelUri: 'https://evil.example/model.onnx',
        flowId: '; rm -rf /',
      },
    });
    await finishBuild(stack, buildId, 'succeeded');
    expect(runRequests(stack.emulator, 2)).toHaveLength(releasesBefore);
    expect(classicReleaseRequests(stack.emulator)).toHaveLength(0);
    expect(stack.logs.join('\n')).toContain('Build not released: unsafe parameters');
  });
});
