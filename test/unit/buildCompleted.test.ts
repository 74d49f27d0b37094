import { describe, expect, it } from 'vitest';
import {
  decideBuildCompleted,
  releaseCandidate,
  releaseOutcome,
  type BuildFacts,
  type ReleaseSettings,
} from '../../src/core/buildCompleted.js';
import { releaseOrder, type LastRelease } from '../../src/core/pointers.js';
import { decideServiceHook, parseServiceHookNotification } from '../../src/core/serviceHook.js';

const settings: ReleaseSettings = {
  project: 'ai-app',
  buildPipelineId: 1,
  branches: ['main', 'release/*'],
  releaseOnPartialSuccess: false,
  releasePipelineId: 2,
};

const build = (overrides: Partial<BuildFacts> = {}): BuildFacts => ({
  id: 7,
  buildNumber: '20261128.1',
  url: 'https://dev.azure.com/contoso/ai-app/_build/results?buildId=7',
  projectName: 'ai-app',
  projectId: '6c866092-892d-5ece-893f-6b63635a90c3',
  pipelineId: 1,
  status: 'completed',
  result: 'succeeded',
  sourceBranch: 'refs/heads/main',
  sourceVersion: 'a'.repeat(40),
  ...overrides,
});

describe('decideBuildCompleted', () => {
  it.each([
    ['a succeeded build of a release branch', {}, {}, { kind: 'release' }],
    [
      'a succeeded build of release/2026.12',
      { sourceBranch: 'refs/heads/release/2026.12' },
      {},
      { kind: 'release' },
    ],
    [
      'the project named by id',
      { projectName: 'Renamed' },
      { project: '6C866092-892D-5ECE-893F-6B63635A90C3' },
      { kind: 'release' },
    ],
    [
      'a partial success, when allowed',
      { result: 'partiallySucceeded' },
      { releaseOnPartialSuccess: true },
      { kind: 'release' },
    ],
    [
      'a partial success, by default',
      { result: 'partiallySucceeded' },
      {},
      { kind: 'record', status: 'build-failed' },
    ],
    ['a failed build', { result: 'failed' }, {}, { kind: 'record', status: 'build-failed' }],
    ['a canceled build', { result: 'canceled' }, {}, { kind: 'record', status: 'build-canceled' }],
    [
      'a feature-branch build',
      { sourceBranch: 'refs/heads/feature/x' },
      {},
      { kind: 'record', reason: 'not-a-release-branch' },
    ],
    [
      'a pull-request build',
      { sourceBranch: 'refs/pull/12/merge' },
      {},
      { kind: 'record', reason: 'not-a-release-branch' },
    ],
    [
      'another project',
      { projectName: 'other', projectId: 'x' },
      {},
      { kind: 'ignore', reason: 'other-project' },
    ],
    ['another pipeline', { pipelineId: 9 }, {}, { kind: 'ignore', reason: 'other-pipeline' }],
    [
      'a build still running (a forged "succeeded")',
      { status: 'inProgress', result: 'none' },
      {},
      { kind: 'ignore', reason: 'not-completed' },
    ],
    ['a finished deploy run', { pipelineId: 2 }, {}, { kind: 'release-completed', state: 'succeeded' }],
    [
      'a failed deploy run',
      { pipelineId: 2, result: 'failed' },
      {},
      { kind: 'release-completed', state: 'failed' },
    ],
    [
      'a canceled deploy run',
      { pipelineId: 2, result: 'canceled' },
      {},
      { kind: 'release-completed', state: 'canceled' },
    ],
    [
      'a deploy run still running',
      { pipelineId: 2, status: 'inProgress', result: 'none' },
      {},
      { kind: 'ignore', reason: 'not-completed' },
    ],
  ] as const)('%s', (_name, facts, overrides, expected) => {
    expect(decideBuildCompleted(build(facts), { ...settings, ...overrides })).toMatchObject(expected);
  });
});

describe('parseServiceHookNotification', () => {
  it('reads the current shape (resource.id, status completed)', () => {
    expect(
      parseServiceHookNotification({
        subscriptionId: 'sub',
        notificationId: 12,
        eventType: 'build.complete',
        resource: { id: 7, status: 'completed', result: 'succeeded' },
      }),
    ).toEqual({
      eventType: 'build.complete',
      subscriptionId: 'sub',
      notificationId: '12',
      buildId: 7,
      releaseId: undefined,
    });
  });

  it('reads the release a deployment-completed event names (environment.release.id, not environment.releaseId)', () => {
    const notification = parseServiceHookNotification({
      subscriptionId: 'sub',
      notificationId: 3,
      eventType: 'ms.vss-release.deployment-completed-event',
      resource: { environment: { id: 5, releaseId: 0, status: 'succeeded', release: { id: 41 } } },
    });
    expect(notification).toMatchObject({ releaseId: 41, buildId: undefined });
    expect(notification === undefined ? undefined : decideServiceHook(notification)).toEqual({
      kind: 'work',
      message: {
        v: 1,
        kind: 'release-completed',
        releaseId: 41,
        delivery: { source: 'servicehook', id: 'sub:3' },
      },
      subject: { releaseId: 41 },
    });
  });

  it.each([
    ['another event', { eventType: 'git.push', resource: { id: 1 } }, 'other-event'],
    ['a build.complete naming no build', { eventType: 'build.complete', resource: {} }, 'no-build-id'],
    [
      'a deployment naming no release',
      { eventType: 'ms.vss-release.deployment-completed-event', resource: { environment: {} } },
      'no-release-id',
    ],
  ])('ignores %s', (_name, payload, reason) => {
    const notification = parseServiceHookNotification(payload);
    expect(notification === undefined ? undefined : decideServiceHook(notification)).toMatchObject({
      kind: 'ignored',
      reason,
    });
  });

  it('reads the older shape (status "succeeded", sourceGetVersion LG:…, id only in the URL)', () => {
    expect(
      parseServiceHookNotification({
        subscriptionId: 'sub',
        id: '4a5d99d6',
        eventType: 'build.complete',
        resource: {
          status: 'succeeded',
          sourceGetVersion: `LG:refs/heads/main:${'b'.repeat(40)}`,
          url: 'https://dev.azure.com/contoso/6c866092/_apis/build/Builds/42',
        },
      }),
    ).toMatchObject({ notificationId: '4a5d99d6', buildId: 42 });
  });

  it.each([
    ['not an object', 'build.complete'],
    ['an array', [1]],
  ])('refuses %s', (_name, payload) => {
    expect(parseServiceHookNotification(payload)).toBeUndefined();
  });

  it.each([[0], [-3], [1.5], ['7'], [Number.MAX_SAFE_INTEGER + 2]])(
    'names no build for resource.id %s',
    (id) => {
      expect(
        parseServiceHookNotification({ eventType: 'build.complete', resource: { id } })?.buildId,
      ).toBeUndefined();
    },
  );
});

describe('releaseOrder', () => {
  const last: LastRelease = {
    buildId: 10,
    queueTime: '2026-11-28T10:00:00.000Z',
    flowId: 'f',
    at: '2026-11-28T10:30:00.000Z',
  };
  it.each([
    ['nothing released yet', undefined, 5, '2026-11-28T09:00:00.000Z', 'newer'],
    ['the same build again', last, 10, '2026-11-28T10:00:00.000Z', 'same'],
    ['a build queued later', last, 11, '2026-11-28T10:05:00.000Z', 'newer'],
    ['a build queued earlier, completing late', last, 9, '2026-11-28T09:55:00.000Z', 'older'],
    ['a tie in queue time, higher id', last, 11, '2026-11-28T10:00:00.000Z', 'newer'],
    ['a tie in queue time, lower id', last, 9, '2026-11-28T10:00:00.000Z', 'older'],
  ] as const)('%s', (_name, current, buildId, queueTime, expected) => {
    expect(releaseOrder(current, buildId, queueTime)).toBe(expected);
  });
});

describe('releaseCandidate', () => {
  const good = {
    buildId: 7,
    buildNumber: '20261128.1',
    modelName: 'fraud',
    modelVersion: '1.4.0',
    commit: 'c'.repeat(40),
    flowId: '0123456789abcdef0123',
  };
  it('takes safe values as they are', () => {
    expect(releaseCandidate(good)).toEqual({ ok: true, candidate: good });
  });
  it.each([
    ['a model name with a shell substitution', { modelName: '$(curl evil)' }],
    ['a version with a semicolon', { modelVersion: '1.0;rm -rf /' }],
    ['a commit that is not a SHA', { commit: 'main' }],
    ['a malformed flow id', { flowId: '../../etc' }],
  ])('refuses %s', (_name, overrides) => {
    expect(releaseCandidate({ ...good, ...overrides }).ok).toBe(false);
  });
});

describe('releaseOutcome', () => {
  it.each([
    ['in-progress', { kind: 'pending' }],
    ['succeeded', { kind: 'released', reason: 'deployment succeeded' }],
    ['partially-succeeded', { kind: 'released', reason: 'deployment partially succeeded' }],
    ['failed', { kind: 'failed', code: 'DEPLOYMENT_FAILED' }],
    ['rejected', { kind: 'failed', code: 'DEPLOYMENT_REJECTED' }],
    ['canceled', { kind: 'failed', code: 'DEPLOYMENT_CANCELED' }],
  ] as const)('maps a release %s', (state, expected) => {
    expect(releaseOutcome(state)).toMatchObject(expected);
  });
});
