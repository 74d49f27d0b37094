/**
 * Flow events in the sandbox: `npm run demo`'s flows, each transition published once to the
 * local Event Grid topic as a CloudEvent, and printed one line each.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cloudEventProblems, describeEvent } from '../../tools/event-grid-topic/server.js';
import { runDemo, type DemoResult } from '../../tools/sandbox/demo.js';
import { SANDBOX } from '../../tools/sandbox/settings.js';
import { arrayAt, readJson, stringAt } from '../../tools/json.js';

let result: DemoResult;
const lines: string[] = [];
/** Each flow's history statuses, read from GET /api/flows/{id} before the sandbox stopped. */
const histories = new Map<string, readonly string[]>();
let requests: readonly {
  readonly status: number;
  readonly auth: string;
  readonly contentType: string | undefined;
}[] = [];

beforeAll(async () => {
  result = await runDemo({
    log: (line) => lines.push(line),
    beforeStop: async (sandbox) => {
      for (const flow of await listIds(sandbox.urls.flows)) {
        const body = await readJson(await fetch(`${sandbox.urls.flows}/${flow}`));
        histories.set(
          flow,
          (arrayAt(body, 'history') ?? []).map((entry) => stringAt(entry, 'status') ?? ''),
        );
      }
      requests = sandbox.topic.requests();
    },
  });
}, 90_000);

async function listIds(flowsUrl: string): Promise<string[]> {
  const body = await readJson(await fetch(flowsUrl));
  return (arrayAt(body, 'flows') ?? []).map((flow) => stringAt(flow, 'flowId') ?? '');
}

describe('flow events in the sandbox', () => {
  it('publishes each transition of each flow once, in order, with its status as the type', () => {
    expect(histories.size).toBe(result.flows.length);
    for (const [flowId, statuses] of histories) {
      const events = result.events
        .map((received) => received.event)
        .filter((event) => event.subject === `flows/${flowId}`);
      expect(events.map((event) => event.id)).toEqual(statuses.map((_, index) => `${flowId}-${index}`));
      expect(events.map((event) => event.type)).toEqual(
        statuses.map((status) => `ai-app-cicd.flow.${status}`),
      );
    }
    expect(result.events).toHaveLength(
      [...histories.values()].reduce((sum, statuses) => sum + statuses.length, 0),
    );
  });

  it('sends CloudEvents 1.0 from the sandbox app, with the topic key, as Event Grid takes them', () => {
    for (const { event } of result.events) {
      expect(cloudEventProblems(event)).toEqual([]);
      expect(event.source).toBe(`/ai-app-cicd/${SANDBOX.repository}/models/${SANDBOX.modelName}`);
    }
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests)
      expect(request).toMatchObject({
        status: 200,
        auth: 'key',
        contentType: 'application/cloudevents-batch+json; charset=utf-8',
      });
  });

  it('prints every event as one line', () => {
    for (const { event } of result.events) expect(lines).toContain(`        ${describeEvent(event)}`);
    expect(lines.filter((line) => line.trimStart().startsWith('event ai-app-cicd.flow.'))).toHaveLength(
      result.events.length,
    );
  });
});
