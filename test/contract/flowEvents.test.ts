/**
 * infra/, docs/events.md and the app agree on flow events: a custom topic that takes
 * CloudEvents 1.0 from the app's managed identity only, the app told where it is, and every
 * event type documented with an example of what the app really publishes.
 */
import { describe, expect, it } from 'vitest';
import { SETTING_SPECS } from '../../src/config.js';
import { FLOW_STATUSES } from '../../src/core/flow.js';
import { FLOW_EVENT_TYPE_PREFIX, flowEventId, flowEventSource } from '../../src/core/flowEvents.js';
import { cloudEventProblems } from '../../tools/event-grid-topic/server.js';
import { bicepObjectKeys, bicepUnionKeys, readText, record } from './support.js';

const main = readText('infra/main.bicep');
const topic = readText('infra/modules/flow-events.bicep');

describe('the flow events topic (infra/modules/flow-events.bicep)', () => {
  it('is a custom topic with the CloudEvents 1.0 input schema the app publishes in', () => {
    expect(topic).toMatch(/resource topic 'Microsoft\.EventGrid\/topics@[0-9-]+' = \{/);
    expect(topic).toContain("inputSchema: 'CloudEventSchemaV1_0'");
  });

  it('takes Microsoft Entra tokens only, and only the app identity may send (EventGrid Data Sender on the topic)', () => {
    expect(topic).toContain('disableLocalAuth: true');
    expect(topic).toContain(
      "var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7' // EventGrid Data Sender",
    );
    const assignment =
      /resource appSender 'Microsoft\.Authorization\/roleAssignments@[0-9-]+' = \{([\s\S]*?)\n\}/.exec(
        topic,
      )?.[1];
    expect(assignment).toContain('scope: topic');
    expect(assignment).toContain('principalId: appIdentity.properties.principalId');
    expect(assignment).toContain(
      "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)",
    );
    expect(topic).not.toMatch(/listKeys|output .*[Kk]ey/);
  });

  it("is wired into main.bicep with the app's identity, and the app is told its endpoint", () => {
    expect(main).toMatch(
      /module flowEvents 'modules\/flow-events\.bicep' = \{[\s\S]*?appIdentityName: identityName/,
    );
    expect(bicepObjectKeys(main, 'appSettings').get('FLOW_EVENTS_TOPIC_ENDPOINT')).toBe(
      'flowEvents.outputs.endpoint',
    );
    expect(topic).toContain('output endpoint string = topic.properties.endpoint');
    // No key anywhere: the identity publishes.
    expect(bicepObjectKeys(main, 'appSettings').has('FLOW_EVENTS_TOPIC_KEY')).toBe(false);
    expect(bicepUnionKeys(main, 'conditionalAppSettings').has('FLOW_EVENTS_TOPIC_KEY')).toBe(false);
    expect(SETTING_SPECS.FLOW_EVENTS_TOPIC_ENDPOINT.need).toBe('optional');
  });
});

describe('docs/events.md', () => {
  const doc = readText('docs/events.md');
  const examples = [
    ...doc.matchAll(/<summary><code>([^<]+)<\/code><\/summary>\s+```json\n([\s\S]*?)\n```/g),
  ].map(([, type, json]) => ({ type: type ?? '', event: record(JSON.parse(json ?? ''), type ?? 'example') }));

  it('documents every event type, in the table and with an example', () => {
    const types = FLOW_STATUSES.map((status) => `${FLOW_EVENT_TYPE_PREFIX}${status}`);
    for (const type of types) expect(doc, type).toContain(`| \`${type}\``);
    expect(examples.map((example) => example.type).sort()).toEqual([...types].sort());
  });

  it('shows examples that are CloudEvents 1.0 exactly as the app publishes them, without a SAS', () => {
    for (const { type, event } of examples) {
      expect(cloudEventProblems(event), type).toEqual([]);
      expect(event.type).toBe(type);
      const data = record(event.data, `${type} data`);
      expect(data.status).toBe(type.slice(FLOW_EVENT_TYPE_PREFIX.length));
      expect(event.id).toBe(flowEventId(String(data.flowId), Number(data.sequence)));
      expect(event.subject).toBe(`flows/${String(data.flowId)}`);
      expect(event.source).toBe(flowEventSource('contoso/fraud-app', 'fraud'));
      expect(event.time).toBe(data.at);
      expect(JSON.stringify(record(data.model, 'model'))).not.toContain('?');
    }
  });
});
