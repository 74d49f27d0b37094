/**
 * `npm run demo` as a test: the story runs for real (Azurite, emulator, local host, blob
 * watcher of its own), and what it printed is checked against what the flows API returned.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../tools/sandbox/demo.js';
import type { FlowRow } from '../../tools/sandbox/flows.js';
import { isPortFree } from '../../tools/sandbox/sandbox.js';

let result: DemoResult;
const lines: string[] = [];

beforeAll(async () => {
  result = await runDemo({ log: (line) => lines.push(line) });
}, 90_000);

function flowWhere(predicate: (flow: FlowRow) => boolean, what: string): FlowRow {
  const matches = result.flows.filter(predicate);
  if (matches.length !== 1)
    throw new Error(`Expected one flow that is ${what} in GET /api/flows, found ${matches.length}`);
  const [flow] = matches;
  if (flow === undefined) throw new Error(`No flow that is ${what}`);
  return flow;
}

describe('npm run demo', () => {
  it('builds model 1.0.0 from its upload, with its parameters, and releases the build', () => {
    const flow = flowWhere(
      (candidate) => candidate.trigger === 'model' && candidate.modelVersion === '1.0.0',
      'the 1.0.0 upload',
    );
    expect(flow).toMatchObject({
      flowId: result.story.modelUpload.flow.flowId,
      modelName: 'demo',
      buildResult: 'succeeded',
      releaseMode: 'pipeline',
    });
    expect(flow.status).toBe('released');
    expect(flow.buildId).toBe(result.story.modelUpload.build?.id);
    expect(flow.releaseId).toEqual(expect.any(Number));
    expect(result.story.modelUpload.build?.templateParameters).toMatchObject({
      modelName: 'demo',
      modelVersion: '1.0.0',
      trigger: 'model',
      flowId: flow.flowId,
    });
  });

  it('builds the pushed commit with model 1.0.0 and releases it', () => {
    const { commit } = result.story.push;
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(result.story.push.responseStatus).toBeGreaterThanOrEqual(200);
    expect(result.story.push.responseStatus).toBeLessThan(300);
    const flow = flowWhere((candidate) => candidate.commit === commit, 'the pushed commit');
    expect(flow).toMatchObject({
      trigger: 'push',
      modelVersion: '1.0.0',
      buildResult: 'succeeded',
      branch: 'main',
    });
    expect(flow.status).toBe('released');
    expect(flow.releaseId).toEqual(expect.any(Number));
    expect(flow.releaseId).not.toBe(result.story.modelUpload.flow.releaseId);
    expect(result.story.push.build?.templateParameters).toMatchObject({
      commit,
      modelVersion: '1.0.0',
      trigger: 'push',
      flowId: flow.flowId,
    });
  });

  it('records the failed build as build-failed and releases nothing for it', () => {
    const { commit } = result.story.failedBuild;
    const flow = flowWhere(
      (candidate) => candidate.commit === commit && candidate.trigger === 'push',
      'the failed build',
    );
    expect(flow).toMatchObject({ status: 'build-failed', buildResult: 'failed', modelVersion: '1.0.0' });
    expect(flow.releaseId).toBeUndefined();
    expect(result.story.failedBuild.build).toMatchObject({ status: 'completed', result: 'failed' });
    expect(result.story.failedBuild.releaseRuns).toBe(0);
  });

  it('records the older model 0.9.0 as skipped (older-than-current) without building it', () => {
    const flow = flowWhere((candidate) => candidate.modelVersion === '0.9.0', 'model 0.9.0');
    expect(flow.status).toBe('skipped');
    expect(flow.reason).toContain('older-than-current');
    expect(flow.buildId).toBeUndefined();
    expect(flow.releaseId).toBeUndefined();
    expect(result.story.olderModel.buildsWithThatVersion).toBe(0);
  });

  it('lists exactly those four flows, newest first, and prints them as a table', () => {
    expect(result.flows.map((flow) => flow.modelVersion)).toEqual(['0.9.0', '1.0.0', '1.0.0', '1.0.0']);
    const createdAt = result.flows.map((flow) => Date.parse(flow.createdAt));
    expect([...createdAt].sort((a, b) => b - a)).toEqual(createdAt);
    for (const flow of result.flows) {
      const row = result.table.split('\n').find((line) => line.startsWith(flow.flowId.slice(0, 12)));
      expect(row, `table row of ${flow.flowId}`).toBeDefined();
      expect(row).toContain(flow.status);
      if (flow.buildId !== undefined) expect(row).toContain(`#${flow.buildId}`);
      if (flow.commit !== undefined) expect(row).toContain(flow.commit.slice(0, 7));
    }
    expect(lines.some((line) => line.includes('GET http://127.0.0.1:'))).toBe(true);
  });

  it('prints one line per step, in story order', () => {
    expect(result.steps.map((step) => step.title)).toEqual([
      'sandbox',
      'publish 1.0.0',
      'build queued',
      'build completed',
      'release',
      'push',
      'push build',
      'push release',
      'failed build',
      'older model',
      'events',
    ]);
    for (const step of result.steps) expect(lines.filter((line) => line.includes(step.line))).toHaveLength(1);
  });

  // How long it takes: `npm run bench:timing`.
  it('leaves every port it used free', async () => {
    expect(result.ports).toHaveLength(6);
    for (const port of result.ports) expect(await isPortFree(port), `port ${port}`).toBe(true);
  });
});

describe('npm run demo with RELEASE_MODE=classic', () => {
  it('releases through classic releases, and each flow ends released when its deployment completes', async () => {
    const classic = await runDemo({ releaseMode: 'classic', log: () => undefined });
    const released = classic.flows.filter((flow) => flow.status === 'released');
    expect(released.map((flow) => flow.releaseMode)).toEqual(['classic', 'classic']);
    expect(released.map((flow) => flow.reason)).toEqual(['deployment succeeded', 'deployment succeeded']);
  }, 90_000);
});
