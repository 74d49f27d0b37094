/**
 * Service-hook subscriptions (Azure DevOps REST `hooks/subscriptions`). `azure-devops-node-api`
 * ships no client for this area, so this one is made the way its generated clients are: the
 * location is discovered through the WebApi's `VsoClient` (area `hooks`, the Subscriptions
 * location id), and requests go through the WebApi's REST client, with its credentials,
 * timeouts and retry settings.
 */
import { isObject, stringAt, type JsonObject } from '../../core/guards.js';
import { InfrastructureError } from '../../errors.js';
import type {
  HookSubscription,
  HookSubscriptionRequest,
  ServiceHookSubscriptions,
} from '../../ports/serviceHooks.js';
import { toAzureDevOpsError, type AzureDevOpsConnection } from './connection.js';

/** Subscriptions (`/_apis/hooks/subscriptions/{subscriptionId}`), as the service's location table names it. */
export const HOOK_SUBSCRIPTIONS_LOCATION_ID = 'fc50d02a-849f-41fb-8af1-0a5216103269';
/** The released version of the API (Subscriptions - Create, 7.1). */
const API_VERSION = '7.1';

export class AzureDevOpsServiceHooks implements ServiceHookSubscriptions {
  constructor(private readonly connection: AzureDevOpsConnection) {}

  async list(filter: {
    readonly publisherId: string;
    readonly eventType: string;
  }): Promise<readonly HookSubscription[]> {
    const operation = `list ${filter.eventType} subscriptions`;
    try {
      const { api, url, accept } = await this.locate({}, filter);
      const response = await api.rest.get<unknown>(url, { acceptHeader: accept });
      const value: unknown = isObject(response.result) ? response.result.value : undefined;
      if (!Array.isArray(value)) throw unexpected(operation);
      return value.flatMap((item) => {
        const subscription = subscriptionOf(item);
        return subscription === undefined ? [] : [subscription];
      });
    } catch (error) {
      throw toAzureDevOpsError(error, operation, false);
    }
  }

  async create(request: HookSubscriptionRequest): Promise<HookSubscription> {
    const operation = `create a ${request.eventType} subscription`;
    try {
      const { api, url, accept } = await this.locate({});
      const response = await api.rest.create<unknown>(url, request, { acceptHeader: accept });
      return subscriptionOf(response.result) ?? throwUnexpected(operation);
    } catch (error) {
      throw toAzureDevOpsError(error, operation, true);
    }
  }

  async replace(id: string, request: HookSubscriptionRequest): Promise<HookSubscription> {
    const operation = `replace subscription ${id}`;
    try {
      const { api, url, accept } = await this.locate({ subscriptionId: id });
      const response = await api.rest.replace<unknown>(url, request, { acceptHeader: accept });
      return subscriptionOf(response.result) ?? throwUnexpected(operation);
    } catch (error) {
      // Replacing with the same body twice is harmless: not ambiguous.
      throw toAzureDevOpsError(error, operation, false);
    }
  }

  private async locate(
    routeValues: Readonly<Record<string, string>>,
    query?: Readonly<Record<string, string>>,
  ) {
    const api = await this.connection.api();
    const versioning = await api.vsoClient.getVersioningData(
      API_VERSION,
      'hooks',
      HOOK_SUBSCRIPTIONS_LOCATION_ID,
      routeValues,
      query,
    );
    const url = versioning.requestUrl;
    if (url === undefined) throw unexpected('locate the hooks API');
    return { api, url, accept: `application/json;api-version=${versioning.apiVersion ?? API_VERSION}` };
  }
}

function subscriptionOf(value: unknown): HookSubscription | undefined {
  if (!isObject(value)) return undefined;
  const id = stringAt(value, 'id');
  const publisherId = stringAt(value, 'publisherId');
  const eventType = stringAt(value, 'eventType');
  if (id === undefined || publisherId === undefined || eventType === undefined) return undefined;
  return {
    id,
    status: stringAt(value, 'status') ?? '',
    publisherId,
    eventType,
    resourceVersion: stringAt(value, 'resourceVersion') ?? '',
    consumerId: stringAt(value, 'consumerId') ?? '',
    consumerActionId: stringAt(value, 'consumerActionId') ?? '',
    publisherInputs: stringsOf(value.publisherInputs),
    consumerInputs: stringsOf(value.consumerInputs),
  };
}

function stringsOf(value: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (isObject(value)) {
    const inputs: JsonObject = value;
    for (const [key, item] of Object.entries(inputs)) if (typeof item === 'string') out[key] = item;
  }
  return out;
}

function unexpected(operation: string): InfrastructureError {
  return new InfrastructureError('ADO_REJECTED', `${operation}: unexpected answer from Azure DevOps`, {
    transient: false,
  });
}

function throwUnexpected(operation: string): never {
  throw unexpected(operation);
}
