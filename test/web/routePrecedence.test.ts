/**
 * The local host picks routes as the Functions host does (ASP.NET Core route precedence):
 * `flows/view/{flowId?}` answers `/api/flows/view` although `flows/{flowId?}`, registered
 * first, matches that path too.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDefinition } from '../../src/app/functionDefinition.js';
import { compareRoutePrecedence, startLocalHost, type LocalHost } from '../../tools/local-host/server.js';

function stub(name: string, route: string): FunctionDefinition {
  return {
    kind: 'http',
    name,
    options: {
      methods: ['GET'],
      authLevel: 'anonymous',
      route,
      handler: (request: HttpRequest): Promise<HttpResponseInit> =>
        Promise.resolve({ status: 200, jsonBody: { name, params: { ...request.params } } }),
    },
  };
}

let host: LocalHost;

beforeAll(async () => {
  // In the order allFunctions registers them: the parameter route first.
  host = await startLocalHost({
    definitions: [stub('flows', 'flows/{flowId?}'), stub('flowsPage', 'flows/view/{flowId?}')],
    log: () => undefined,
    env: {},
  });
});
afterAll(async () => {
  await host.close();
});

async function answer(path: string): Promise<unknown> {
  const response = await fetch(`${host.url}${path}`);
  expect(response.status).toBe(200);
  return response.json();
}

describe('local host route precedence', () => {
  it.each([
    ['/api/flows/view', { name: 'flowsPage', params: {} }],
    ['/api/flows/view/', { name: 'flowsPage', params: {} }],
    [
      '/api/flows/view/0123456789abcdef0123',
      { name: 'flowsPage', params: { flowId: '0123456789abcdef0123' } },
    ],
    ['/api/flows/VIEW', { name: 'flowsPage', params: {} }],
    ['/api/flows', { name: 'flows', params: {} }],
    ['/api/flows/current', { name: 'flows', params: { flowId: 'current' } }],
    ['/api/flows/viewer', { name: 'flows', params: { flowId: 'viewer' } }],
  ])('%s is answered by the most specific route', async (path, expected) => {
    expect(await answer(path)).toEqual(expected);
  });

  it('orders literal before constrained parameter before parameter before catch-all, segment by segment', () => {
    const routes = [
      '{*rest}',
      'flows/{flowId}',
      'flows/{flowId:int}',
      'flows/view',
      'flows',
      'flows/view/{id?}',
    ];
    expect([...routes].sort(compareRoutePrecedence)).toEqual([
      'flows',
      'flows/view',
      'flows/view/{id?}',
      'flows/{flowId:int}',
      'flows/{flowId}',
      '{*rest}',
    ]);
    // Equal precedence keeps the order of registration.
    expect(compareRoutePrecedence('a/{x}', 'b/{y}')).toBe(0);
  });
});
