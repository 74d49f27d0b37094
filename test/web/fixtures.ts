/** Flows in the API's JSON shape (what `flowView()` answers), for the renderer's tests. */
import type { ViewedFlow } from '../../src/web/flowShape.js';
import type { PageContext } from '../../src/web/lineagePage.js';
import { pageLinks } from '../../src/web/links.js';

export const NOW = new Date('2026-05-01T12:00:00.000Z');

export const HOSTILE = {
  script: '<script>alert(1)</script>',
  attribute: '"><img src=x onerror=alert(1)>',
  singleQuote: "' onmouseover='alert(1)",
  javascriptUrl: 'javascript:alert(1)',
} as const;

export function context(
  overrides: { readonly links?: PageContext['links']; readonly refresh?: boolean } = {},
): PageContext {
  return {
    now: NOW,
    links: overrides.links ?? pageLinks('http://localhost:7071/api/flows/view', undefined),
    ...(overrides.refresh === false ? {} : { refreshSeconds: 30 }),
  };
}

const minutesAgo = (minutes: number): string => new Date(NOW.getTime() - minutes * 60_000).toISOString();

export function releasedFlow(overrides: Partial<ViewedFlow> = {}): ViewedFlow {
  return {
    flowId: '0123456789abcdef0123',
    status: 'released',
    reason: 'release succeeded',
    model: {
      name: 'fraud',
      version: '1.4.0',
      uri: 'https://models.example/fraud/1.4.0',
      sha256: 'ab'.repeat(32),
    },
    commit: 'c0ffee0000000000000000000000000000000001',
    branch: 'main',
    trigger: 'push',
    triggers: [{ kind: 'push', source: 'github', deliveryId: 'd-1', at: minutesAgo(30) }],
    build: {
      id: 12,
      url: 'https://dev.azure.com/contoso/ai-app/_build/results?buildId=12',
      result: 'succeeded',
      buildNumber: '20260501.3',
      queuedAt: minutesAgo(29),
    },
    release: {
      mode: 'pipeline',
      id: 14,
      url: 'https://dev.azure.com/contoso/ai-app/_build/results?buildId=14',
    },
    history: [
      { status: 'build-queued', at: minutesAgo(30), delivery: { source: 'github', id: 'd-1' } },
      { status: 'build-started', at: minutesAgo(29), delivery: { source: 'github', id: 'd-1' } },
      { status: 'build-succeeded', at: minutesAgo(20), delivery: { source: 'servicehook', id: 's:1' } },
      { status: 'releasing', at: minutesAgo(19), delivery: { source: 'servicehook', id: 's:1' } },
      {
        status: 'released',
        at: minutesAgo(12),
        delivery: { source: 'servicehook', id: 's:2' },
        reason: 'release succeeded',
      },
    ],
    createdAt: minutesAgo(30),
    updatedAt: minutesAgo(12),
    ...overrides,
  };
}

export function failedFlow(overrides: Partial<ViewedFlow> = {}): ViewedFlow {
  return {
    flowId: 'fedcba9876543210fedc',
    status: 'build-failed',
    reason: 'build failed',
    model: { name: 'fraud', version: '1.4.0', uri: '', sha256: '' },
    commit: 'c0ffee0000000000000000000000000000000002',
    branch: 'release/2026-05',
    trigger: 'push',
    triggers: [{ kind: 'push', source: 'github', deliveryId: 'd-2', at: minutesAgo(8) }],
    build: {
      id: 15,
      url: 'https://dev.azure.com/contoso/ai-app/_build/results?buildId=15',
      result: 'failed',
    },
    release: null,
    history: [
      { status: 'build-queued', at: minutesAgo(8), delivery: { source: 'github', id: 'd-2' } },
      {
        status: 'build-failed',
        at: minutesAgo(2),
        delivery: { source: 'servicehook', id: 's:3' },
        reason: 'build failed',
      },
    ],
    createdAt: minutesAgo(8),
    updatedAt: minutesAgo(2),
    ...overrides,
  };
}

export function waitingFlow(overrides: Partial<ViewedFlow> = {}): ViewedFlow {
  return {
    flowId: 'aaaaaaaaaabbbbbbbbbb',
    status: 'waiting-for-model',
    model: { name: 'fraud' },
    commit: 'c0ffee0000000000000000000000000000000003',
    branch: 'main',
    trigger: 'push',
    triggers: [{ kind: 'push', source: 'github', deliveryId: 'd-3', at: minutesAgo(1) }],
    build: null,
    release: null,
    history: [{ status: 'waiting-for-model', at: minutesAgo(1), delivery: { source: 'github', id: 'd-3' } }],
    createdAt: minutesAgo(1),
    updatedAt: minutesAgo(1),
    ...overrides,
  };
}

/** Every string a flow shows set to `value` (URLs too), for the escaping tests. */
export function hostileFlow(value: string, overrides: Partial<ViewedFlow> = {}): ViewedFlow {
  return {
    flowId: value,
    status: value,
    reason: value,
    model: { name: value, version: value, uri: value, sha256: value },
    commit: value,
    branch: value,
    trigger: value,
    triggers: [{ kind: value, source: value, deliveryId: value, at: value }],
    build: { id: 7, url: value, result: value, buildNumber: value, queuedAt: value },
    release: { mode: value, id: 8, url: value },
    lastError: { code: value, message: value, at: value },
    history: [{ status: value, at: value, delivery: { source: value, id: value }, reason: value }],
    createdAt: value,
    updatedAt: value,
    ...overrides,
  };
}
