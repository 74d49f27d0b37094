/** Which events a flow owes and what each says (core/flowEvents.ts). */
import { describe, expect, it } from 'vitest';
import { newFlow, transition, type FlowRecord, type ModelRef } from '../../src/core/flow.js';
import {
  flowEventAt,
  flowEventSource,
  pendingEventCount,
  pendingFlowEvents,
  withEventsPublished,
  withEventsTracked,
  withoutQuery,
} from '../../src/core/flowEvents.js';

const SOURCE = flowEventSource('contoso/fraud-app', 'fraud');
const FLOW_ID = 'ab'.repeat(10);
const MODEL: ModelRef = {
  name: 'fraud',
  version: '1.4.0',
  uri: 'https://st.blob.core.windows.net/models/fraud/1.4.0/model.json',
  sha256: 'c'.repeat(64),
};
const build = {
  id: 42,
  url: 'https://dev.azure.com/contoso/ai-app/_build/results?buildId=42',
  buildNumber: '20260101.1',
};
const delivery = { source: 'github', id: 'd1' } as const;

/** A flow through queued → started → succeeded → releasing → released, events tracked. */
function releasedFlow(model: ModelRef = MODEL): FlowRecord {
  let flow = withEventsTracked(
    newFlow({
      flowId: FLOW_ID,
      modelName: 'fraud',
      commit: 'f'.repeat(40),
      branch: 'main',
      trigger: 'push',
      delivery,
      at: '2026-01-01T10:00:00.000Z',
      state: { status: 'build-queued', model },
    }),
  );
  flow = transition(flow, { status: 'build-started', model, build }, delivery, '2026-01-01T10:00:01.000Z');
  flow = transition(
    flow,
    { status: 'build-succeeded', model, build: { ...build, result: 'succeeded' } },
    delivery,
    '2026-01-01T10:05:00.000Z',
  );
  const release = {
    mode: 'pipeline',
    id: 7,
    url: 'https://dev.azure.com/contoso/ai-app/_build/results?buildId=7',
  } as const;
  flow = transition(
    flow,
    { status: 'releasing', model, build: { ...build, result: 'succeeded' }, release },
    delivery,
    '2026-01-01T10:05:01.000Z',
  );
  return transition(
    flow,
    { status: 'released', model, build: { ...build, result: 'succeeded' }, release },
    delivery,
    '2026-01-01T10:09:00.000Z',
    { reason: 'deployment succeeded' },
  );
}

describe('flow events', () => {
  it('owes one event per transition, ids <flowId>-<index>, types ai-app-cicd.flow.<status>', () => {
    const events = pendingFlowEvents(releasedFlow(), SOURCE);
    expect(events.map((event) => [event.id, event.type, event.time])).toEqual([
      [`${FLOW_ID}-0`, 'ai-app-cicd.flow.build-queued', '2026-01-01T10:00:00.000Z'],
      [`${FLOW_ID}-1`, 'ai-app-cicd.flow.build-started', '2026-01-01T10:00:01.000Z'],
      [`${FLOW_ID}-2`, 'ai-app-cicd.flow.build-succeeded', '2026-01-01T10:05:00.000Z'],
      [`${FLOW_ID}-3`, 'ai-app-cicd.flow.releasing', '2026-01-01T10:05:01.000Z'],
      [`${FLOW_ID}-4`, 'ai-app-cicd.flow.released', '2026-01-01T10:09:00.000Z'],
    ]);
    for (const event of events) {
      expect(event.source).toBe('/ai-app-cicd/contoso/fraud-app/models/fraud');
      expect(event.subject).toBe(`flows/${FLOW_ID}`);
    }
  });

  it('says in each event what its transition knew, whenever it is published', () => {
    const flow = releasedFlow();
    const [queued, started, succeeded, releasing, released] = pendingFlowEvents(flow, SOURCE).map(
      (event) => event.data,
    );
    expect(queued).toEqual({
      flowId: FLOW_ID,
      sequence: 0,
      status: 'build-queued',
      at: '2026-01-01T10:00:00.000Z',
      model: MODEL,
      commit: 'f'.repeat(40),
      branch: 'main',
      trigger: 'push',
    });
    expect(started?.build).toEqual({ id: 42, url: build.url, buildNumber: '20260101.1' });
    expect(started?.release).toBeUndefined();
    expect(succeeded?.build?.result).toBe('succeeded');
    expect(releasing?.release).toEqual({
      mode: 'pipeline',
      id: 7,
      url: 'https://dev.azure.com/contoso/ai-app/_build/results?buildId=7',
    });
    expect(released).toMatchObject({ status: 'released', reason: 'deployment succeeded', sequence: 4 });
  });

  it('an event is the same whoever publishes it, however late', () => {
    const flow = releasedFlow();
    expect(flowEventAt(flow, 1, SOURCE)).toEqual(pendingFlowEvents(flow, SOURCE)[1]);
    expect(JSON.stringify(flowEventAt(structuredClone(flow), 3, SOURCE))).toBe(
      JSON.stringify(flowEventAt(flow, 3, SOURCE)),
    );
  });

  it('never carries a SAS token (or any query) in the model URI', () => {
    const sas = '?sv=2025-01-05&se=2026-01-02&sr=b&sp=r&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D';
    const model = MODEL;
    const events = pendingFlowEvents(releasedFlow({ ...model, uri: `${model.uri}${sas}` }), SOURCE);
    expect(JSON.stringify(events)).not.toContain('sig=');
    for (const event of events) expect(event.data.model.uri).toBe(model.uri);
    expect(withoutQuery(`${model.uri}${sas}`)).toBe(model.uri);
    expect(withoutQuery('https://user:pw@st.blob.core.windows.net/m/x#f')).toBe(
      'https://st.blob.core.windows.net/m/x',
    );
    expect(withoutQuery('not a url?sig=x')).toBe('not a url');
    expect(withoutQuery(model.uri)).toBe(model.uri);
  });

  it('owes nothing for a flow created while events were off, and only what was not published', () => {
    const flow = releasedFlow();
    const { eventsPublished: _none, ...untracked } = flow;
    expect(pendingFlowEvents(untracked, SOURCE)).toEqual([]);
    expect(pendingEventCount(untracked)).toBe(0);
    const partly = withEventsPublished(flow, 3);
    expect(pendingEventCount(partly)).toBe(2);
    expect(pendingFlowEvents(partly, SOURCE).map((event) => event.data.sequence)).toEqual([3, 4]);
    // Progress never goes back, nor past the history.
    expect(withEventsPublished(partly, 1).eventsPublished).toBe(3);
    expect(withEventsPublished(partly, 99).eventsPublished).toBe(5);
  });
});
