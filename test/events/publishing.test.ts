/**
 * Flow events end to end through the use cases, over Azurite, the Azure DevOps emulator and a
 * local Event Grid topic (the real SDK in between): one event per transition, published after
 * the ledger write; the same id from two instances; nothing lost and nothing blocked while
 * the topic is down; no secret in any event; and what events cost in blob requests.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFlowEventPublisher } from '../../src/adapters/eventGridFlowEvents.js';
import { flowEventId, pendingEventCount } from '../../src/core/flowEvents.js';
import { flowIdOf } from '../../src/core/flowId.js';
import { parsePushEvent } from '../../src/core/githubPush.js';
import type { FlowEventPublisher } from '../../src/ports/flowEvents.js';
import type { FlowLedger } from '../../src/ports/flowLedger.js';
import { flowView } from '../../src/usecases/flowView.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import { cloudEventProblems, startLocalTopic, type LocalTopic } from '../../tools/event-grid-topic/server.js';
import { pushPayload, randomSha } from '../../tools/github/webhooks.js';
import { TEST_SECRETS } from '../support/appEnv.js';
import { waitFor } from '../../tools/wait.js';
import { startTestEmulator } from '../support/stack.js';
import { freshContainer } from '../support/storage.js';
import {
  composed,
  lines,
  MODEL,
  promote,
  proxiedConnectionString,
  push,
  pushToReleased,
  runMessage,
  startCountingProxy,
  type CountingProxy,
} from './support.js';

const TOPIC_KEY = 'topic-key-8d2c6b1a9e4f3a70';
const STATUSES = ['build-queued', 'build-started', 'build-succeeded', 'releasing', 'released'];

let emulator: AdoEmulator;
let topic: LocalTopic;
let proxy: CountingProxy;
let connectionString: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  topic = await startLocalTopic({ key: TOPIC_KEY });
  proxy = await startCountingProxy(inject('azurite').blobEndpoint);
  connectionString = proxiedConnectionString(inject('azurite').connectionString, proxy.port);
});
afterAll(async () => {
  await topic.close();
  await proxy.close();
  await emulator.close();
});

const eventsOn = { FLOW_EVENTS_TOPIC_ENDPOINT: '', FLOW_EVENTS_TOPIC_KEY: TOPIC_KEY };

/** The app with events on (or off), over a ledger container of its own unless one is given. */
async function app(
  options: {
    readonly events?: boolean;
    readonly publisher?: FlowEventPublisher;
    readonly ledgerContainer?: string;
    readonly flowEvents?: Parameters<typeof composed>[0]['flowEvents'];
  } = {},
) {
  const container = options.ledgerContainer ?? (await freshContainer('flows')).containerName;
  const result = await composed({
    connectionString,
    emulator,
    ledgerContainer: container,
    settings: options.events === false ? {} : { ...eventsOn, FLOW_EVENTS_TOPIC_ENDPOINT: topic.endpoint },
    ...(options.publisher === undefined ? {} : { adapters: { flowEvents: options.publisher } }),
    ...(options.flowEvents === undefined ? {} : { flowEvents: options.flowEvents }),
  });
  return { ...result, container };
}

function eventsOf(flowId: string) {
  return topic
    .events()
    .map((received) => received.event)
    .filter((event) => event.subject === `flows/${flowId}`);
}

describe('flow events', () => {
  it('publishes one CloudEvent per transition, each after its ledger write', async () => {
    const log: string[] = [];
    const checked: string[] = [];
    // Between the app and the topic: every event's transition must already be in the ledger.
    const reader: { ledger?: FlowLedger } = {};
    const real = await createFlowEventPublisher({
      endpoint: topic.endpoint,
      allowInsecureConnection: true,
      auth: { kind: 'key', key: TOPIC_KEY },
    });
    const afterTheWrite: FlowEventPublisher = {
      publish: async (events, options) => {
        for (const event of events) {
          const stored = await reader.ledger?.getFlow(event.data.flowId);
          if ((stored?.value.history.length ?? 0) <= event.data.sequence)
            throw new Error(`${event.id} published before its transition was written`);
          checked.push(event.id);
        }
        await real.publish(events, options);
      },
    };
    const composedApp = await app({ publisher: afterTheWrite });
    reader.ledger = composedApp.ledger;
    await promote(composedApp.ledger);
    const flowId = await pushToReleased(composedApp.app, emulator, composedApp.ledger, lines(log));

    const flow = (await composedApp.ledger.getFlow(flowId))?.value;
    if (flow === undefined) throw new Error('no flow');
    expect(flow.history.map((entry) => entry.status)).toEqual(STATUSES);
    const events = eventsOf(flowId);
    expect(events.map((event) => event.id)).toEqual(STATUSES.map((_, index) => flowEventId(flowId, index)));
    expect(checked).toEqual(events.map((event) => event.id));
    events.forEach((event, index) => {
      expect(cloudEventProblems(event)).toEqual([]);
      expect(event).toMatchObject({
        specversion: '1.0',
        type: `ai-app-cicd.flow.${STATUSES[index] ?? ''}`,
        source: '/ai-app-cicd/contoso/fraud-app/models/fraud',
        subject: `flows/${flowId}`,
        time: flow.history[index]?.at,
        datacontenttype: 'application/json',
        data: {
          flowId,
          sequence: index,
          status: STATUSES[index],
          model: MODEL,
          commit: flow.commit,
          branch: 'main',
        },
      });
    });
    expect(events[1]).toMatchObject({ data: { build: { id: flow.build?.id } } });
    expect(events[4]).toMatchObject({ data: { release: { id: flow.release?.id, mode: 'pipeline' } } });
    expect(flowView(flow)).toMatchObject({ events: { published: 5, pending: 0 } });
    expect(log.filter((line) => line.includes('not published'))).toEqual([]);
  });

  it('publishes nothing and records nothing when FLOW_EVENTS_TOPIC_ENDPOINT is not set', async () => {
    const off = await app({ events: false });
    await promote(off.ledger);
    const before = topic.requests().length;
    const flowId = await pushToReleased(off.app, emulator, off.ledger, lines([]));
    const flow = (await off.ledger.getFlow(flowId))?.value;
    expect(flow?.status).toBe('released');
    expect(flow?.eventsPublished).toBeUndefined();
    expect(flow === undefined ? undefined : flowView(flow)).not.toHaveProperty('events');
    expect(topic.requests().length).toBe(before);
  });

  it('gives the same transition the same event id from two instances over one ledger', async () => {
    const container = (await freshContainer('flows')).containerName;
    const real = await createFlowEventPublisher({
      endpoint: topic.endpoint,
      allowInsecureConnection: true,
      auth: { kind: 'key', key: TOPIC_KEY },
    });
    // Instance 1's publications reach the topic, but their answers are lost (a timeout after the topic took them).
    const answerLost: FlowEventPublisher = {
      publish: async (events, options) => {
        await real.publish(events, options);
        throw new Error('the answer was lost');
      },
    };
    const first = await app({ ledgerContainer: container, publisher: answerLost });
    const second = await app({ ledgerContainer: container });
    await promote(first.ledger);
    const log: string[] = [];
    const { flow, message } = await push(first.app, lines(log));
    expect(log.some((line) => line.includes('Flow events not published'))).toBe(true);
    expect((await second.ledger.getFlow(flow.flowId))?.value.eventsPublished).toBe(0);
    // Instance 2 runs the flow's build: its first write publishes what instance 1 could not confirm.
    await runMessage(second.app, message, lines(log));

    const events = eventsOf(flow.flowId);
    const queued = events.filter((event) => event.id === flowEventId(flow.flowId, 0));
    expect(queued).toHaveLength(2);
    expect(queued[1]).toEqual(queued[0]);
    // Deduplicated by id, the consumer sees every transition once, in order.
    const unique = [...new Map(events.map((event) => [event.id, event])).values()];
    expect(unique.map((event) => event.type)).toEqual([
      'ai-app-cicd.flow.build-queued',
      'ai-app-cicd.flow.build-started',
    ]);
    expect((await first.ledger.getFlow(flow.flowId))?.value.eventsPublished).toBe(2);
  });

  it('sends a transition once per instance when two writes of one flow race (one commit pushed twice)', async () => {
    const real = await createFlowEventPublisher({
      endpoint: topic.endpoint,
      allowInsecureConnection: true,
      auth: { kind: 'key', key: TOPIC_KEY },
    });
    // The first publication waits at a gate, so that the second delivery writes the flow meanwhile.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let calls = 0;
    const gated: FlowEventPublisher = {
      publish: async (events, options) => {
        calls += 1;
        if (calls === 1) await gate;
        await real.publish(events, options);
      },
    };
    const composedApp = await app({ publisher: gated });
    await promote(composedApp.ledger);
    const commit = randomSha();
    const flowId = flowIdOf(MODEL.name, MODEL.version, commit);
    const deliver = () => {
      const parsed = parsePushEvent(pushPayload({ after: commit, pushedAt: Math.floor(Date.now() / 1000) }));
      if (!parsed.ok) throw new Error(parsed.problem);
      return composedApp.app.acceptPush({ event: parsed.event, deliveryId: randomUUID() }, lines([]));
    };
    const first = deliver();
    await waitFor(() => calls === 1, { what: 'the first publication to start' });
    const second = deliver();
    await waitFor(
      async () => ((await composedApp.ledger.getFlow(flowId))?.value.triggers.length ?? 0) === 2,
      { what: "the second delivery's write" },
    );
    open();
    expect((await Promise.all([first, second])).map((outcome) => outcome.kind)).toEqual([
      'accepted',
      'in-progress',
    ]);
    expect(eventsOf(flowId).map((event) => event.id)).toEqual([flowEventId(flowId, 0)]);
    expect((await composedApp.ledger.getFlow(flowId))?.value.eventsPublished).toBe(1);
  });

  it('publishes each transition once under concurrency: 10 commits pushed at once, each delivered twice, then built', async () => {
    const composedApp = await app();
    await promote(composedApp.ledger);
    const log: string[] = [];
    const commits = Array.from({ length: 10 }, () => randomSha());
    const outcomes = await Promise.all(
      commits.flatMap((commit) =>
        [0, 1].map(() => {
          const parsed = parsePushEvent(
            pushPayload({ after: commit, pushedAt: Math.floor(Date.now() / 1000) }),
          );
          if (!parsed.ok) throw new Error(parsed.problem);
          return composedApp.app.acceptPush({ event: parsed.event, deliveryId: randomUUID() }, lines(log));
        }),
      ),
    );
    const messages = outcomes.flatMap((outcome) => ('messages' in outcome ? outcome.messages : []));
    await Promise.all(messages.map((message) => runMessage(composedApp.app, message, lines(log))));
    for (const commit of commits) {
      const flowId = flowIdOf(MODEL.name, MODEL.version, commit);
      const flow = (await composedApp.ledger.getFlow(flowId))?.value;
      expect(flow?.status).toBe('build-started');
      expect(eventsOf(flowId).map((event) => event.id)).toEqual([
        flowEventId(flowId, 0),
        flowEventId(flowId, 1),
      ]);
      expect(flow?.eventsPublished).toBe(2);
    }
  });

  it.each([
    ['stopped', () => topic.stop(), () => topic.start()],
    [
      'answering 503',
      () => {
        topic.fail(503);
        return Promise.resolve();
      },
      () => {
        topic.heal();
        return Promise.resolve();
      },
    ],
  ])(
    'loses nothing and blocks nothing while the topic is %s: the sweep publishes every event afterwards',
    async (_name, down, up) => {
      const composedApp = await app({ flowEvents: { pauseMs: 60_000, sweepGraceMs: 0 } });
      await promote(composedApp.ledger);
      const log: string[] = [];
      await down();
      let flowId: string;
      try {
        // The whole flow goes through, topic or not.
        flowId = await pushToReleased(composedApp.app, emulator, composedApp.ledger, lines(log));
        const flow = (await composedApp.ledger.getFlow(flowId))?.value;
        expect(flow?.status).toBe('released');
        expect(flow === undefined ? undefined : flowView(flow)).toMatchObject({
          events: { published: 0, pending: 5 },
        });
        expect(eventsOf(flowId)).toEqual([]);
        // A sweep while the topic is still down stops at the first failure and keeps everything pending.
        const stillDown = await composedApp.app.sweepStalledFlows('sweep-down', lines(log));
        expect(stillDown).toEqual([]);
        expect(pendingEventCount((await composedApp.ledger.getFlow(flowId))?.value ?? flow ?? never())).toBe(
          5,
        );
      } finally {
        await up();
      }
      expect(log.filter((line) => line.startsWith('warn Flow events not published')).length).toBeGreaterThan(
        0,
      );

      await composedApp.app.sweepStalledFlows('sweep-up', lines(log));
      const events = eventsOf(flowId);
      expect(events.map((event) => event.id)).toEqual(STATUSES.map((_, index) => flowEventId(flowId, index)));
      for (const event of events) expect(cloudEventProblems(event)).toEqual([]);
      const flow = (await composedApp.ledger.getFlow(flowId))?.value;
      expect(flow === undefined ? undefined : flowView(flow)).toMatchObject({
        events: { published: 5, pending: 0 },
      });
      // Nothing is left for a later sweep.
      const before = topic.requests().length;
      await composedApp.app.sweepStalledFlows('sweep-again', lines(log));
      expect(topic.requests().length).toBe(before);
    },
  );

  it('leaves a flow that is still moving to its own next write (the sweep waits for quiet flows)', async () => {
    const composedApp = await app({ flowEvents: { pauseMs: 60_000, sweepGraceMs: 60 * 60_000 } });
    await promote(composedApp.ledger);
    topic.fail(503);
    let flowId: string;
    try {
      ({
        flow: { flowId },
      } = await push(composedApp.app, lines([])));
    } finally {
      topic.heal();
    }
    await composedApp.app.sweepStalledFlows('sweep-grace', lines([]));
    expect(eventsOf(flowId)).toEqual([]);
    expect(pendingEventCount((await composedApp.ledger.getFlow(flowId))?.value ?? never())).toBe(1);
  });

  it('puts no secret in any event: PAT, webhook secret, service-hook password, topic key, SAS', async () => {
    const sas = `sv=2025-01-05&se=2030-01-01&sr=b&sp=r&sig=${randomBytes(32).toString('base64url')}`;
    const composedApp = await app();
    await promote(composedApp.ledger, { ...MODEL, uri: `${MODEL.uri}?${sas}` });
    const flowId = await pushToReleased(composedApp.app, emulator, composedApp.ledger, lines([]));
    const events = eventsOf(flowId);
    expect(events).toHaveLength(5);
    const text = JSON.stringify(events);
    const secrets = [
      TEST_SECRETS.pat,
      TEST_SECRETS.webhook,
      TEST_SECRETS.serviceHookPassword,
      TOPIC_KEY,
      sas,
      sas.slice(sas.indexOf('sig=')),
    ];
    for (const secret of secrets)
      for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])
        expect(text, 'a secret in an event').not.toContain(form);
    for (const event of events) expect(event).toMatchObject({ data: { model: { uri: MODEL.uri } } });
  });
});

describe('flow events: what they cost in blob requests on the push path', () => {
  async function measure(events: boolean): Promise<{ accept: number; perPush: number }> {
    const composedApp = await app({ events });
    await promote(composedApp.ledger);
    const log: string[] = [];
    // Warm: the ledger's container check and the pointers are not part of a push.
    await push(composedApp.app, log.length === 0 ? lines(log) : lines(log)).then(({ message }) =>
      runMessage(composedApp.app, message, lines(log)),
    );
    const start = proxy.count();
    const { message } = await push(composedApp.app, lines(log));
    const accept = proxy.count() - start;
    await runMessage(composedApp.app, message, lines(log));
    return { accept, perPush: proxy.count() - start };
  }

  it('with events off: at most 4 on accept and 7 per push in all, as before', async () => {
    const off = await measure(false);
    console.log(`blob requests, events off: accept ${off.accept}, per push ${off.perPush}`);
    expect(off.accept).toBeLessThanOrEqual(4);
    expect(off.perPush).toBeLessThanOrEqual(7);
  });

  it('with events on: one more write after each write that adds a transition (accept 5, per push 9)', async () => {
    const on = await measure(true);
    console.log(`blob requests, events on: accept ${on.accept}, per push ${on.perPush}`);
    expect(on.accept).toBeLessThanOrEqual(5);
    expect(on.perPush).toBeLessThanOrEqual(9);
  });
});

function never(): never {
  throw new Error('unreachable: no flow');
}
