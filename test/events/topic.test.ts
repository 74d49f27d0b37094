/**
 * The Event Grid adapter (EventGridPublisherClient, CloudEvents 1.0 input schema) against the
 * local stand-in topic, and the stand-in against what Event Grid refuses: the request the SDK
 * sends (path, api-version, content type, aeg-sas-key), the events' CloudEvents attributes,
 * and the answers a publisher must survive (401, 503, a topic that is not there).
 */
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFlowEventPublisher, FLOW_EVENTS_RETRY } from '../../src/adapters/eventGridFlowEvents.js';
import type { FlowEvent } from '../../src/core/flowEvents.js';
import { InfrastructureError } from '../../src/errors.js';
import type { FlowEventPublisher } from '../../src/ports/flowEvents.js';
import {
  BATCH_CONTENT_TYPE,
  cloudEventProblems,
  startLocalTopic,
  type LocalTopic,
} from '../../tools/event-grid-topic/server.js';

const KEY = 'topic-key-5f1e9a7c3b2d4e60';
let topic: LocalTopic;
let publisher: FlowEventPublisher;

const event = (sequence: number): FlowEvent => ({
  id: `${'ab'.repeat(10)}-${sequence}`,
  type: 'ai-app-cicd.flow.build-queued',
  source: '/ai-app-cicd/contoso/fraud-app/models/fraud',
  subject: `flows/${'ab'.repeat(10)}`,
  time: '2026-01-01T10:00:00.123Z',
  data: {
    flowId: 'ab'.repeat(10),
    sequence,
    status: 'build-queued',
    at: '2026-01-01T10:00:00.123Z',
    model: { name: 'fraud' },
    branch: 'main',
    trigger: 'push',
  },
});

beforeAll(async () => {
  topic = await startLocalTopic({ key: KEY });
  publisher = await createFlowEventPublisher({
    endpoint: topic.endpoint,
    allowInsecureConnection: true,
    auth: { kind: 'key', key: KEY },
  });
});
afterAll(async () => {
  await topic.close();
});
beforeEach(() => {
  topic.heal();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('EventGridPublisherClient → the local topic', () => {
  it('sends a CloudEvents batch as Event Grid expects it, and the topic takes it', async () => {
    const before = topic.requests().length;
    await publisher.publish([event(0), event(1)]);
    const [request] = topic.requests().slice(before);
    expect(request).toMatchObject({
      method: 'POST',
      path: '/api/events',
      query: { 'api-version': '2018-01-01' },
      contentType: BATCH_CONTENT_TYPE,
      auth: 'key',
      status: 200,
      events: 2,
    });
    expect(request?.userAgent).toMatch(/azsdk-js-eventgrid\/5\./);
    const received = topic
      .events()
      .slice(-2)
      .map((entry) => entry.event);
    for (const cloudEvent of received) expect(cloudEventProblems(cloudEvent)).toEqual([]);
    expect(received[0]).toEqual({
      specversion: '1.0',
      id: event(0).id,
      type: 'ai-app-cicd.flow.build-queued',
      source: '/ai-app-cicd/contoso/fraud-app/models/fraud',
      subject: `flows/${'ab'.repeat(10)}`,
      time: '2026-01-01T10:00:00.123Z',
      datacontenttype: 'application/json',
      data: event(0).data,
    });
  });

  it('fails with a permanent EVENTS_UNAVAILABLE on a wrong key, and the topic keeps nothing', async () => {
    const wrong = await createFlowEventPublisher({
      endpoint: topic.endpoint,
      allowInsecureConnection: true,
      auth: { kind: 'key', key: 'not-the-key' },
    });
    const count = topic.events().length;
    const error = await rejection(wrong.publish([event(5)]));
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error).toMatchObject({ code: 'EVENTS_UNAVAILABLE', transient: false, details: { status: 401 } });
    expect(String(error)).not.toContain('not-the-key');
    expect(topic.events()).toHaveLength(count);
    expect(topic.requests().at(-1)).toMatchObject({ status: 401, auth: 'wrong-key' });
  });

  it('retries a 503 with the SDK policy, then fails transiently; accepted once the topic heals', async () => {
    topic.fail(503);
    const before = topic.requests().length;
    const error = await rejection(publisher.publish([event(6)]));
    expect(error).toMatchObject({ code: 'EVENTS_UNAVAILABLE', transient: true, details: { status: 503 } });
    expect(
      topic
        .requests()
        .slice(before)
        .map((request) => request.status),
    ).toEqual(Array.from({ length: FLOW_EVENTS_RETRY.maxRetries + 1 }, () => 503));
    topic.heal();
    await publisher.publish([event(6)]);
    expect(topic.events().at(-1)?.event.id).toBe(event(6).id);
  });

  it('fails transiently while the topic is stopped, and publishes once it is back on the same port', async () => {
    const port = topic.port;
    await topic.stop();
    const error = await rejection(publisher.publish([event(7)]));
    expect(error).toMatchObject({ code: 'EVENTS_UNAVAILABLE', transient: true });
    await topic.start();
    expect(topic.port).toBe(port);
    await publisher.publish([event(7)]);
    expect(topic.events().at(-1)?.event.id).toBe(event(7).id);
  });

  it('gives up at the deadline the caller sets when the topic never answers', async () => {
    // A topic that takes the connection and never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    try {
      const hung = await createFlowEventPublisher({
        endpoint: `http://127.0.0.1:${port}/api/events`,
        allowInsecureConnection: true,
        auth: { kind: 'key', key: KEY },
      });
      const error = await rejection(hung.publish([event(8)], { abortSignal: AbortSignal.timeout(300) }));
      expect(error).toMatchObject({ code: 'EVENTS_UNAVAILABLE', transient: true });
      expect(String(error)).toContain('deadline passed');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('the local topic refuses what Event Grid refuses', () => {
  const post = (
    body: string,
    headers: Record<string, string> = {},
    path = '/api/events?api-version=2018-01-01',
  ): Promise<Response> =>
    fetch(`${topic.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': BATCH_CONTENT_TYPE, 'aeg-sas-key': KEY, ...headers },
      body,
    });
  const valid = JSON.stringify([
    { specversion: '1.0', id: '1', source: '/x', type: 't', time: '2026-01-01T00:00:00Z', data: {} },
  ]);

  it.each([
    ['no key → 401', valid, { 'aeg-sas-key': '' }, undefined, 401],
    ['no api-version → 400', valid, {}, '/api/events', 400],
    ['another path → 404', valid, {}, '/api/other?api-version=2018-01-01', 404],
    [
      'an Event Grid schema content type → 400',
      valid,
      { 'content-type': 'application/json' },
      undefined,
      400,
    ],
    ['a body that is not JSON → 400', '[{', {}, undefined, 400],
    ['an empty batch → 400', '[]', {}, undefined, 400],
    ['no specversion → 400', JSON.stringify([{ id: '1', source: '/x', type: 't' }]), {}, undefined, 400],
    [
      'specversion 0.3 → 400',
      JSON.stringify([{ specversion: '0.3', id: '1', source: '/x', type: 't' }]),
      {},
      undefined,
      400,
    ],
    [
      'an empty id → 400',
      JSON.stringify([{ specversion: '1.0', id: '', source: '/x', type: 't' }]),
      {},
      undefined,
      400,
    ],
    ['no source → 400', JSON.stringify([{ specversion: '1.0', id: '1', type: 't' }]), {}, undefined, 400],
    ['no type → 400', JSON.stringify([{ specversion: '1.0', id: '1', source: '/x' }]), {}, undefined, 400],
    [
      'a time that is not RFC 3339 → 400',
      JSON.stringify([{ specversion: '1.0', id: '1', source: '/x', type: 't', time: 'yesterday' }]),
      {},
      undefined,
      400,
    ],
    [
      'an upper-case attribute name → 400',
      JSON.stringify([{ specversion: '1.0', id: '1', source: '/x', type: 't', Extra: 1 }]),
      {},
      undefined,
      400,
    ],
    ['more than 1 MB → 413', JSON.stringify([{ big: 'x'.repeat(1024 * 1024) }]), {}, undefined, 413],
  ])('%s', async (_name, body, headers, path, status) => {
    const count = topic.events().length;
    const response = await post(body, headers, path);
    expect(response.status).toBe(status);
    const answer: unknown = await response.json();
    expect(answer).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(JSON.stringify(answer)).not.toContain(KEY);
    expect(topic.events()).toHaveLength(count);
  });

  it('takes a valid batch (200, empty body)', async () => {
    const response = await post(valid);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});
