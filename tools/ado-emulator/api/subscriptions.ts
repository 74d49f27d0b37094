/** Service hook subscriptions: `{org}/_apis/hooks/subscriptions[/{id}]`. */
import { Errors } from '../errors.js';
import { newGuid } from '../ids.js';
import { isRecord, putOwn, type JsonObject } from '../../json.js';
import type { Router } from '../router.js';
import * as shapes from '../shapes.js';
import type { OrgState, SubscriptionState } from '../store.js';
import { collection, ok, orgOf, param, specBody, type ApiDeps } from './common.js';

const PUBLISHERS = new Set(['tfs', 'rm', 'pipelines']);

/** Allowed values of the publisher inputs the emulator filters on (per the service-hook events docs). */
const INPUT_VALUES: Readonly<Record<string, Readonly<Record<string, RegExp>>>> = {
  'build.complete': { buildStatus: /^(succeeded|partiallySucceeded|failed|stopped)$/i },
  'ms.vss-release.deployment-completed-event': {
    releaseDefinitionId: /^\d+$/,
    releaseEnvironmentId: /^\d+$/,
    releaseEnvironmentStatus: /^(4|8|16|128)$/,
  },
};

function strings(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(input))
    for (const [k, v] of Object.entries(input)) if (typeof v === 'string') putOwn(out, k, v);
  return out;
}

type SubscriptionInput = Pick<
  SubscriptionState,
  | 'publisherId'
  | 'eventType'
  | 'resourceVersion'
  | 'consumerId'
  | 'consumerActionId'
  | 'publisherInputs'
  | 'consumerInputs'
  | 'status'
>;

/** Rules beyond the spec (which has already checked the types and the status enum). */
function parseSubscription(deps: ApiDeps, org: OrgState, body: JsonObject): SubscriptionInput {
  const text = (key: string): string => {
    const value = body[key];
    return typeof value === 'string' ? value : '';
  };
  const publisherId = text('publisherId');
  if (!PUBLISHERS.has(publisherId))
    throw Errors.invalidSubscription(`VS403114: Publisher '${publisherId}' does not exist.`);
  const eventType = text('eventType');
  if (eventType.trim() === '') throw Errors.invalidSubscription('eventType is required.');
  const consumerId = text('consumerId');
  const consumerActionId = text('consumerActionId');
  if (consumerId !== 'webHooks' || consumerActionId !== 'httpRequest')
    throw Errors.invalidSubscription(
      `Consumer '${consumerId}' action '${consumerActionId}' is not supported by the emulator (use webHooks/httpRequest).`,
    );
  const publisherInputs = strings(body.publisherInputs);
  const consumerInputs = strings(body.consumerInputs);
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
  for (const [input, allowed] of Object.entries(INPUT_VALUES[eventType] ?? {})) {
    const value = publisherInputs[input];
    if (value !== undefined && value !== '' && !allowed.test(value))
      throw Errors.invalidSubscription(
        `The publisher input '${input}' has a value that is not valid: '${value}'.`,
      );
  }
  return {
    publisherId,
    eventType,
    resourceVersion: text('resourceVersion') || '1.0',
    consumerId,
    consumerActionId,
    publisherInputs,
    consumerInputs,
    status: text('status') || 'enabled',
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
    const input = parseSubscription(deps, org, specBody(deps, req, 'createSubscription', 'subscription'));
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
    const input = parseSubscription(deps, org, specBody(deps, req, 'replaceSubscription', 'subscription'));
    // Masked secrets sent back unchanged keep their stored value, like the real service.
    if (
      input.consumerInputs.basicAuthPassword === '********' &&
      s.consumerInputs.basicAuthPassword !== undefined
    )
      input.consumerInputs.basicAuthPassword = s.consumerInputs.basicAuthPassword;
    Object.assign(s, input, { modifiedDate: deps.now() });
    return ok(shapes.subscription(deps.urls, org, s));
  });

  // The spec answers 200 (no body), not 204.
  router.add('org', 'DELETE', `${base}/:subscriptionId`, (_req, params) => {
    const org = orgOf(deps, params);
    org.subscriptions.delete(subscriptionOf(org, param(params, 'subscriptionId')).id);
    return { status: 200 };
  });
}
