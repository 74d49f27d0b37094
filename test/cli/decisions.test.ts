/**
 * The operator's decisions (src/core/operator.ts, src/core/serviceHookSetup.ts), pure: what an
 * operator may do that events never do, and how far — each rule with the case that breaks it.
 */
import { describe, expect, it } from 'vitest';
import type { BuildFacts, ReleaseSettings } from '../../src/core/buildCompleted.js';
import { failedState, newFlow, transition, type FlowRecord, type ModelRef } from '../../src/core/flow.js';
import { flowIdOf } from '../../src/core/flowId.js';
import {
  decideRerelease,
  operatorDelivery,
  pointToRelease,
  previousReleasedFlow,
  promoteModelByOperator,
} from '../../src/core/operator.js';
import {
  EMPTY_POINTERS,
  promoteModel,
  sendToRelease,
  type CurrentModel,
  type Pointers,
} from '../../src/core/pointers.js';
import {
  planSubscriptions,
  serviceHookUrl,
  subscriptionRequest,
  wantedSubscriptions,
  type ListedSubscription,
  type SetupTarget,
} from '../../src/core/serviceHookSetup.js';

const sha = (seed: string): string => seed.repeat(40).slice(0, 40);
const ref = (version: string): ModelRef => ({
  name: 'fraud',
  version,
  uri: `https://x/${version}`,
  sha256: 'a'.repeat(64),
});
const current = (version: string): CurrentModel => ({
  model: ref(version),
  uploadedAt: '2026-11-28T09:00:00Z',
  promotedAt: '2026-11-28T09:00:00Z',
  delivery: { source: 'eventgrid', id: version },
});

describe('promoteModelByOperator', () => {
  const withCurrent: Pointers = {
    ...EMPTY_POINTERS,
    models: { fraud: current('2.0.0') },
    branches: {
      main: {
        commit: sha('a'),
        pushedAt: '2026-11-28T10:00:00Z',
        receivedAt: '2026-11-28T10:00:00Z',
        delivery: { source: 'github', id: 'd' },
      },
    },
  };

  it('moves the current model back to an older version, which an upload never does', () => {
    expect(promoteModel(withCurrent, current('1.0.0'), 'main').result.kind).toBe('older-than-current');
    const decision = promoteModelByOperator(withCurrent, current('1.0.0'), 'main');
    expect(decision.pointers?.models.fraud?.model.version).toBe('1.0.0');
    expect(decision.result).toMatchObject({ kind: 'promoted', backwards: true, head: { commit: sha('a') } });
    expect(decision.result.previous?.model.version).toBe('2.0.0');
  });

  it('moves forward like an upload, and leaves the pointer alone for the current version', () => {
    expect(promoteModelByOperator(withCurrent, current('3.0.0'), 'main')).toMatchObject({
      pointers: { models: { fraud: { model: { version: '3.0.0' } } } },
      result: { backwards: false },
    });
    expect(promoteModelByOperator(withCurrent, current('2.0.0'), 'main').pointers).toBeUndefined();
  });

  it('builds the pushes that waited for a first model, as an upload would', () => {
    const waiting: Pointers = {
      ...withCurrent,
      models: {},
      waiting: [{ flowId: 'f'.repeat(20), branch: 'main', commit: sha('a') }],
    };
    const decision = promoteModelByOperator(waiting, current('1.0.0'), 'main');
    expect(decision.result.waiting).toEqual([
      { flowId: 'f'.repeat(20), branch: 'main', commit: sha('a'), isHead: true },
    ]);
    expect(decision.pointers?.waiting).toEqual([]);
  });
});

describe('pointToRelease', () => {
  const last = (buildId: number, queueTime: string) => ({
    buildId,
    queueTime,
    flowId: 'b'.repeat(20),
    at: queueTime,
  });

  it('points "what is live" at the older build, and keeps the guard: a build queued before the newest released one stays out', () => {
    const released =
      sendToRelease(EMPTY_POINTERS, last(20, '2026-11-28T12:00:00Z')).pointers ?? EMPTY_POINTERS;
    const rolledBack = pointToRelease(released, {
      ...last(10, '2026-11-28T10:00:00Z'),
      flowId: 'a'.repeat(20),
    });
    expect(rolledBack.result).toMatchObject({ buildId: 10, flowId: 'a'.repeat(20) });
    const after = rolledBack.pointers ?? EMPTY_POINTERS;
    // Queued between the two, finishing after the rollback: never released by its event.
    expect(sendToRelease(after, last(15, '2026-11-28T11:00:00Z')).pointers).toBeUndefined();
    // Queued after the newest: released as usual.
    expect(sendToRelease(after, last(30, '2026-11-28T13:00:00Z')).result.buildId).toBe(30);
  });

  it('moves the guard forward when the operator releases a newer build', () => {
    const released =
      sendToRelease(EMPTY_POINTERS, last(10, '2026-11-28T10:00:00Z')).pointers ?? EMPTY_POINTERS;
    const forward = pointToRelease(released, last(20, '2026-11-28T12:00:00Z'));
    expect(forward.result.queueTime).toBe('2026-11-28T12:00:00Z');
  });
});

const settings: ReleaseSettings = {
  project: 'ai-app',
  buildPipelineId: 1,
  branches: ['main'],
  releaseOnPartialSuccess: false,
  releasePipelineId: 2,
};
const facts = (overrides: Partial<BuildFacts> = {}): BuildFacts => ({
  id: 7,
  buildNumber: '20261128.1',
  url: 'https://dev.azure.com/x/_build/results?buildId=7',
  projectName: 'ai-app',
  projectId: 'p',
  pipelineId: 1,
  status: 'completed',
  result: 'succeeded',
  sourceBranch: 'refs/heads/main',
  sourceVersion: sha('c'),
  queueTime: '2026-11-28T10:00:00Z',
  flowId: flowIdOf('fraud', '1.0.0', sha('c')),
  ...overrides,
});

function releasedFlow(
  flowId = flowIdOf('fraud', '1.0.0', sha('c')),
  releasedAt = '2026-11-28T11:00:00Z',
): FlowRecord {
  const delivery = { source: 'servicehook', id: 'x' } as const;
  const queued = newFlow({
    flowId,
    modelName: 'fraud',
    commit: sha('c'),
    branch: 'main',
    trigger: 'model',
    delivery,
    at: '2026-11-28T10:00:00Z',
    state: { status: 'build-queued', model: ref('1.0.0') },
  });
  const build = { id: 7, url: 'u' };
  const releasing = transition(
    queued,
    { status: 'releasing', model: ref('1.0.0'), build, release: { mode: 'pipeline', id: 8, url: 'r' } },
    delivery,
    releasedAt,
  );
  return transition(
    releasing,
    { status: 'released', model: ref('1.0.0'), build, release: { mode: 'pipeline', id: 8, url: 'r' } },
    delivery,
    releasedAt,
  );
}

describe('decideRerelease', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');

  it('releases again a succeeded build of the build pipeline on a release branch', () => {
    expect(decideRerelease(releasedFlow(), facts(), settings, now)).toMatchObject({
      kind: 'release',
      candidate: { buildId: 7, modelVersion: '1.0.0', commit: sha('c') },
    });
  });

  it.each([
    ['a failed build', facts({ result: 'failed' }), /build result failed/],
    ['a build still running', facts({ status: 'inProgress' }), /not-completed/],
    ['a build of another pipeline', facts({ pipelineId: 9 }), /other-pipeline/],
    ['a deploy run', facts({ pipelineId: 2 }), /deploy run/],
    [
      'a build of a branch that is not released',
      facts({ sourceBranch: 'refs/heads/feature/x' }),
      /not-a-release-branch/,
    ],
    ['a build of another flow', facts({ flowId: 'e'.repeat(20) }), /belongs to flow/],
    ['a build that no longer exists', undefined, /no longer exists/],
  ])('refuses %s', (_what, build, reason) => {
    const decision = decideRerelease(releasedFlow(), build, settings, now);
    expect(decision.kind).toBe('refuse');
    expect(decision.kind === 'refuse' ? decision.reason : '').toMatch(reason);
  });

  it('refuses a flow whose release is in progress, or that someone holds', () => {
    const flow = releasedFlow();
    const releasing = transition(
      flow,
      {
        status: 'releasing',
        model: ref('1.0.0'),
        build: { id: 7, url: 'u' },
        release: { mode: 'pipeline', id: 9, url: 'r' },
      },
      { source: 'operator', id: 'x' },
      '2026-11-28T11:30:00Z',
    );
    expect(decideRerelease(releasing, facts(), settings, now)).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('still in progress'),
    });
    const held: FlowRecord = { ...flow, claimedBy: 'rollback:bob:x', claimedUntil: '2026-11-28T12:01:00Z' };
    expect(decideRerelease(held, facts(), settings, now)).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('rollback:bob:x'),
    });
  });
});

describe('previousReleasedFlow', () => {
  it('is the released flow sent to release most recently, other than the current one', () => {
    const a = releasedFlow(flowIdOf('fraud', '1.0.0', sha('a')), '2026-11-28T10:00:00Z');
    const b = releasedFlow(flowIdOf('fraud', '1.0.0', sha('b')), '2026-11-28T11:00:00Z');
    const c = releasedFlow(flowIdOf('fraud', '1.0.0', sha('d')), '2026-11-28T12:00:00Z');
    expect(previousReleasedFlow([c, b, a], c.flowId)?.flowId).toBe(b.flowId);
    // After rolling back to b, rolling back again returns to c (released later than a).
    expect(previousReleasedFlow([c, b, a], b.flowId)?.flowId).toBe(c.flowId);
    const failed = transition(b, failedState(b), { source: 'servicehook', id: 'y' }, '2026-11-28T11:30:00Z');
    expect(previousReleasedFlow([c, failed, a], c.flowId)?.flowId).toBe(a.flowId);
    expect(previousReleasedFlow([c], c.flowId)).toBeUndefined();
  });
});

describe('operatorDelivery', () => {
  it('records who and when in the delivery id', () => {
    expect(operatorDelivery('promote', 'alice', '2026-11-28T12:00:00.000Z')).toEqual({
      source: 'operator',
      id: 'promote:alice:2026-11-28T12:00:00.000Z',
    });
  });
});

describe('service-hook subscriptions', () => {
  const target: SetupTarget = {
    appUrl: 'https://app.example/',
    project: { id: '6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c', name: 'ai-app' },
    buildPipelineName: 'ai-app-build',
    release: { mode: 'pipeline', pipelineName: 'ai-app-deploy' },
    username: 'azure-devops',
    password: 'secret',
  };
  const listed = (
    overrides: Partial<ListedSubscription> = {},
    definitionName = 'ai-app-build',
  ): ListedSubscription => ({
    id: `sub-${definitionName}`,
    status: 'enabled',
    publisherId: 'tfs',
    eventType: 'build.complete',
    resourceVersion: '2.0',
    consumerId: 'webHooks',
    consumerActionId: 'httpRequest',
    publisherInputs: { projectId: target.project.id, definitionName, tfsSubscriptionId: 'sys' },
    consumerInputs: {
      url: 'https://app.example/api/devops/service-hook',
      basicAuthUsername: 'azure-devops',
      basicAuthPassword: '********',
    },
    ...overrides,
  });

  it('posts to the app’s service-hook route, however the URL is given', () => {
    expect(serviceHookUrl('https://app.example')).toBe('https://app.example/api/devops/service-hook');
    expect(serviceHookUrl('https://app.example/api/devops/service-hook/')).toBe(
      'https://app.example/api/devops/service-hook',
    );
    expect(serviceHookUrl('ftp://app.example')).toBeUndefined();
    expect(serviceHookUrl('https://app.example/?code=key')).toBeUndefined();
  });

  it('creates what is missing, leaves what matches, updates what differs', () => {
    const wanted = wantedSubscriptions(target);
    const plan = planSubscriptions(
      [listed({ status: 'disabledBySystem', resourceVersion: '1.0' })],
      wanted,
      target.project,
    );
    expect(plan.map((item) => item.kind)).toEqual(['update', 'create']);
    expect(plan[0]?.kind === 'update' ? plan[0].changes : []).toEqual([
      'status disabledBySystem → enabled',
      'resourceVersion 1.0 → 2.0',
    ]);
    const same = planSubscriptions([listed(), listed({}, 'ai-app-deploy')], wanted, target.project);
    expect(same.map((item) => item.kind)).toEqual(['unchanged', 'unchanged']);
    expect(
      planSubscriptions([listed(), listed({}, 'ai-app-deploy')], wanted, target.project, {
        updatePassword: true,
      }).map((item) => item.kind),
    ).toEqual(['update', 'update']);
  });

  it('does not take another app’s, another project’s or another pipeline’s subscription for ours', () => {
    const wanted = wantedSubscriptions(target);
    const others = [
      listed({ consumerInputs: { url: 'https://other.example/api/devops/service-hook' } }),
      listed({ publisherInputs: { projectId: 'other-project', definitionName: 'ai-app-build' } }),
      listed({}, 'another-pipeline'),
    ];
    expect(planSubscriptions(others, wanted, target.project).map((item) => item.kind)).toEqual([
      'create',
      'create',
    ]);
    // A subscription that names the project by name is ours too.
    const byName = listed({ publisherInputs: { projectId: 'AI-APP', definitionName: 'ai-app-build' } });
    expect(planSubscriptions([byName], wanted, target.project)[0]?.kind).toBe('unchanged');
  });

  it('keeps inputs someone added, drops what the service adds and the masked password', () => {
    const existing = listed({
      consumerInputs: {
        url: 'https://app.example/api/devops/service-hook',
        basicAuthUsername: 'old',
        basicAuthPassword: '********',
        httpHeaders: 'X-Team: ml',
      },
    });
    const [wanted] = wantedSubscriptions(target);
    if (wanted === undefined) throw new Error('nothing wanted');
    const request = subscriptionRequest(wanted, existing);
    expect(request.consumerInputs).toEqual({
      url: 'https://app.example/api/devops/service-hook',
      basicAuthUsername: 'azure-devops',
      basicAuthPassword: 'secret',
      httpHeaders: 'X-Team: ml',
    });
    expect(request.publisherInputs).toEqual({ projectId: target.project.id, definitionName: 'ai-app-build' });
    expect(request.status).toBe('enabled');
  });

  it('in classic mode wants the release definition’s deployment-completed event', () => {
    const wanted = wantedSubscriptions({ ...target, release: { mode: 'classic', definitionId: 3 } });
    expect(wanted[1]).toMatchObject({
      publisherId: 'rm',
      eventType: 'ms.vss-release.deployment-completed-event',
      resourceVersion: '3.0-preview.1',
      publisherInputs: { releaseDefinitionId: '3' },
    });
  });
});
