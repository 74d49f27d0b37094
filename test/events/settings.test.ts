/** The settings that turn flow events on: where the topic is, and how the app authenticates there. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { appEnv } from '../support/appEnv.js';

describe('FLOW_EVENTS_TOPIC_ENDPOINT and FLOW_EVENTS_TOPIC_KEY', () => {
  const base = appEnv({
    azurite: { connectionString: 'UseDevelopmentStorage=true' },
    orgUrl: 'https://dev.azure.com/contoso',
  });
  const load = (overrides: Record<string, string | undefined>) => loadConfig({ ...base, ...overrides });
  const endpoint = 'https://evgt-x.westeurope-1.eventgrid.azure.net/api/events';

  it('are off by default', () => {
    expect(load({}).flowEvents).toBeUndefined();
  });

  it('publish with the key when there is one, else with the managed identity', () => {
    expect(load({ FLOW_EVENTS_TOPIC_ENDPOINT: endpoint, FLOW_EVENTS_TOPIC_KEY: 'k' }).flowEvents).toEqual({
      endpoint,
      allowInsecureConnection: false,
      auth: { kind: 'key', key: 'k' },
    });
    expect(load({ FLOW_EVENTS_TOPIC_ENDPOINT: endpoint, AZURE_CLIENT_ID: 'cid' }).flowEvents).toEqual({
      endpoint,
      allowInsecureConnection: false,
      auth: { kind: 'entra', managedIdentityClientId: 'cid' },
    });
  });

  it.each(['http://127.0.0.1:8091/api/events', 'http://localhost:1/api/events', 'http://[::1]:2/api/events'])(
    'allow plain http to a loopback address (%s), with a key',
    (local) => {
      expect(
        load({ FLOW_EVENTS_TOPIC_ENDPOINT: local, FLOW_EVENTS_TOPIC_KEY: 'k' }).flowEvents,
      ).toMatchObject({
        allowInsecureConnection: true,
      });
    },
  );

  it.each([
    [
      'FLOW_EVENTS_TOPIC_ENDPOINT',
      { FLOW_EVENTS_TOPIC_ENDPOINT: 'http://evgt.example.com/api/events', FLOW_EVENTS_TOPIC_KEY: 'k' },
    ],
    [
      'FLOW_EVENTS_TOPIC_ENDPOINT',
      { FLOW_EVENTS_TOPIC_ENDPOINT: 'http://10.0.0.4/api/events', FLOW_EVENTS_TOPIC_KEY: 'k' },
    ],
    ['FLOW_EVENTS_TOPIC_ENDPOINT', { FLOW_EVENTS_TOPIC_ENDPOINT: 'ftp://127.0.0.1/api/events' }],
    ['FLOW_EVENTS_TOPIC_ENDPOINT', { FLOW_EVENTS_TOPIC_ENDPOINT: 'not a url' }],
    ['FLOW_EVENTS_TOPIC_ENDPOINT', { FLOW_EVENTS_TOPIC_ENDPOINT: `${endpoint}?api-version=2018-01-01` }],
    ['FLOW_EVENTS_TOPIC_ENDPOINT', { FLOW_EVENTS_TOPIC_ENDPOINT: 'https://u:p@evgt.example.com/api/events' }],
    ['FLOW_EVENTS_TOPIC_ENDPOINT', { FLOW_EVENTS_TOPIC_KEY: 'a key and no topic' }],
    ['FLOW_EVENTS_TOPIC_KEY', { FLOW_EVENTS_TOPIC_ENDPOINT: 'http://127.0.0.1:8091/api/events' }],
  ])('refuse a bad %s', (setting, overrides) => {
    let thrown: unknown;
    try {
      load(overrides);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toMatchObject({ setting });
    expect(String(thrown)).not.toContain('a key and no topic');
  });
});
