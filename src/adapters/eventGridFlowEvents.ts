/**
 * Flow events to an Event Grid custom topic with `EventGridPublisherClient` (@azure/eventgrid),
 * in the CloudEvents 1.0 input schema: one `POST <endpoint>?api-version=…` per batch,
 * `content-type: application/cloudevents-batch+json; charset=utf-8`, authenticated with the
 * topic's key (`aeg-sas-key`) or a Microsoft Entra token of the app's managed identity.
 *
 * Loaded only when FLOW_EVENTS_TOPIC_ENDPOINT is set (app/services.ts, loadAdapters).
 */
import { AzureKeyCredential, EventGridPublisherClient, type SendCloudEventInput } from '@azure/eventgrid';
import { isRestError } from '@azure/core-rest-pipeline';
import type { FlowEventsConfig } from '../config.js';
import type { FlowEvent, FlowEventData } from '../core/flowEvents.js';
import { InfrastructureError } from '../errors.js';
import type { CallOptions } from '../ports/buildPipeline.js';
import type { FlowEventPublisher } from '../ports/flowEvents.js';

/**
 * The SDK's own retries, kept short: the caller bounds a publication with a deadline and
 * keeps what did not go out pending, for the flow's next write or the sweep.
 */
export const FLOW_EVENTS_RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 } as const;

export class EventGridFlowEventPublisher implements FlowEventPublisher {
  constructor(private readonly client: EventGridPublisherClient<'CloudEvent'>) {}

  async publish(events: readonly FlowEvent[], options: CallOptions = {}): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.client.send(
        events.map(toCloudEvent),
        options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal },
      );
    } catch (error) {
      const status = isRestError(error) ? error.statusCode : undefined;
      // The SDK's error carries the request (and its headers): only the status is kept.
      throw new InfrastructureError(
        'EVENTS_UNAVAILABLE',
        status === undefined
          ? `Event Grid topic did not answer (${errorName(error)})`
          : `Event Grid topic answered ${status}`,
        {
          // 401/403: a wrong key or a missing role; anything else may pass on a later try.
          transient: status !== 401 && status !== 403,
          ...(status === undefined ? {} : { status }),
        },
      );
    }
  }
}

export function toCloudEvent(event: FlowEvent): SendCloudEventInput<FlowEventData> {
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    subject: event.subject,
    time: new Date(event.time),
    datacontenttype: 'application/json',
    data: event.data,
  };
}

export async function createFlowEventPublisher(config: FlowEventsConfig): Promise<FlowEventPublisher> {
  const options = {
    allowInsecureConnection: config.allowInsecureConnection,
    retryOptions: FLOW_EVENTS_RETRY,
  };
  if (config.auth.kind === 'key')
    return new EventGridFlowEventPublisher(
      new EventGridPublisherClient(
        config.endpoint,
        'CloudEvent',
        new AzureKeyCredential(config.auth.key),
        options,
      ),
    );
  const { DefaultAzureCredential } = await import('@azure/identity');
  const clientId = config.auth.managedIdentityClientId;
  return new EventGridFlowEventPublisher(
    new EventGridPublisherClient(
      config.endpoint,
      'CloudEvent',
      new DefaultAzureCredential(clientId === undefined ? {} : { managedIdentityClientId: clientId }),
      options,
    ),
  );
}

function errorName(error: unknown): string {
  if (error instanceof Error && error.name === 'AbortError') return 'deadline passed';
  return isRestError(error) && error.code !== undefined ? error.code : 'no answer';
}
