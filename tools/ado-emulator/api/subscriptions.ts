/** Service hook subscriptions: `{org}/_apis/hooks/subscriptions[/{id}]`. */
import { Errors } from '../errors.js';
import { newGuid } from '../ids.js';
import { isRecord, putOwn, stringField, type JsonObject } from '../json.js';
import type { Router } from '../router.js';
import * as shapes from '../shapes.js';
import type { OrgState, SubscriptionState } from '../store.js';
import { collection, objectBody, ok, orgOf, param, type ApiDeps } from './common.js';

const PUBLISHERS = new Set(['tfs', 'rm', 'pipelines']);

function stringMap(input: unknown, what: string): Record<string, string> {
  if (input === undefined || input === null) return {};
  if (!isRecord(input)) throw Errors.invalidSubscription(`${what} must be an object of strings.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') putOwn(out, k, v);
    else if (typeof v === 'number' || typeof v === 'boolean') putOwn(out, k, String(v));
    else throw Errors.invalidSubscription(`${what}.${k} must be a string.`);
  }
  return out;
}

interface SubscriptionInput {
  publisherId: string;
  eventType: string;
  resourceVersion: string;
  consumerId: string;
  consumerActionId: string;
  publisherInputs: Record<string, string>;
  consumerInputs: Record<string, string>;
  status: string;
}

function parseSubscription(deps: ApiDeps, org: OrgState, body: JsonObject): SubscriptionInput {
  const publisherId = stringField(body, 'publisherId') ?? '';
  if (!PUBLISHERS.has(publisherId))
    throw Errors.invalidSubscription(`VS403114: Publisher '${publisherId}' does not exist.`);
  const eventType = stringField(body, 'eventType') ?? '';
  if (eventType.trim() === '') throw Errors.invalidSubscription('eventType is required.');
  const consumerId = stringField(body, 'consumerId') ?? '';
  const consumerActionId = stringField(body, 'consumerActionId') ?? '';
  if (consumerId !== 'webHooks' || consumerActionId !== 'httpRequest')
    throw Errors.invalidSubscription(
      `Consumer '${consumerId}' action '${consumerActionId}' is not supported by the emulator (use webHooks/httpRequest).`,
    );
  const publisherInputs = stringMap(body.publisherInputs, 'publisherInputs');
  const consumerInputs = stringMap(body.consumerInputs, 'consumerInputs');
  const url = consumerInputs.url;
  let parsedUrl: URL | undefined;
  try {
    parsedUrl = url === undefined ? undefined : new URL(url);
  } catch {
    parsedUrl = undefined;
  }
  if (!parsedUrl || (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:'))
    throw Errors.invalidSubscription(
      `VS403101: The consumer input 'url' must be an absolute http(s) URL (got '${url ?? ''}').`,
    );
  const projectId = publisherInputs.projectId;
  if (projectId !== undefined && projectId !== '' && !deps.store.findProject(org, projectId))
    throw Errors.invalidSubscription(
      `The publisher input 'projectId' does not match a project: ${projectId}`,
    );
  const status = stringField(body, 'status') ?? 'enabled';
  if (!['enabled', 'onProbation', 'disabledByUser', 'disabledBySystem'].includes(status))
    throw Errors.invalidSubscription(`status is not valid: ${status}`);
  return {
    publisherId,
    eventType,
    resourceVersion: stringField(body, 'resourceVersion') ?? '1.0',
    consumerId,
    consumerActionId,
    publisherInputs,
    consumerInputs,
    status: status === 'onProbation' ? 'enabled' : status,
  };
}

function subscriptionOf(org: OrgState, id: string): SubscriptionState {
  const s = org.subscriptions.get(id.toLowerCase());
  if (!s) throw Errors.subscriptionNotFound(id);
  return s;
}

export function registerSubscriptionRoutes(router: Router, deps: ApiDeps): void {
  const base = ':org/_apis/hooks/subscriptions';

  router.add('org', 'GET', base, (req, params) => {
    const org = orgOf(deps, params);
    const filters: [keyof SubscriptionState, string | null][] = [
      ['publisherId', req.query.get('publisherId')],
      ['eventType', req.query.get('eventType')],
      ['consumerId', req.query.get('consumerId')],
      ['consumerActionId', req.query.get('consumerActionId')],
    ];
    const list = [...org.subscriptions.values()]
      .filter((s) => filters.every(([key, value]) => value === null || value === '' || s[key] === value))
      .sort((a, b) => a.createdDate.getTime() - b.createdDate.getTime());
    return collection(list.map((s) => shapes.subscription(deps.urls, org, s)));
  });

  router.add('org', 'POST', base, (req, params) => {
    const org = orgOf(deps, params);
    const input = parseSubscription(deps, org, objectBody(req, 'subscription'));
    const now = deps.now();
    const s: SubscriptionState = {
      id: newGuid(),
      ...input,
      createdDate: now,
      modifiedDate: now,
      lastNotificationId: 0,
    };
    org.subscriptions.set(s.id, s);
    return ok(shapes.subscription(deps.urls, org, s));
  });

  router.add('org', 'GET', `${base}/:subscriptionId`, (_req, params) => {
    const org = orgOf(deps, params);
    return ok(shapes.subscription(deps.urls, org, subscriptionOf(org, param(params, 'subscriptionId'))));
  });

  router.add('org', 'PUT', `${base}/:subscriptionId`, (req, params) => {
    const org = orgOf(deps, params);
    const s = subscriptionOf(org, param(params, 'subscriptionId'));
    const input = parseSubscription(deps, org, objectBody(req, 'subscription'));
    // Masked secrets sent back unchanged keep their stored value, like the real service.
    if (
      input.consumerInputs.basicAuthPassword === '********' &&
      s.consumerInputs.basicAuthPassword !== undefined
    )
      input.consumerInputs.basicAuthPassword = s.consumerInputs.basicAuthPassword;
    Object.assign(s, input, { modifiedDate: deps.now() });
    return ok(shapes.subscription(deps.urls, org, s));
  });

  router.add('org', 'DELETE', `${base}/:subscriptionId`, (_req, params) => {
    const org = orgOf(deps, params);
    const s = subscriptionOf(org, param(params, 'subscriptionId'));
    org.subscriptions.delete(s.id);
    return { status: 204 };
  });
}
