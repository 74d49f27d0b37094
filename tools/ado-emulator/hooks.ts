/**
 * Service hook delivery (consumer `webHooks`, action `httpRequest`): an HTTP POST of the event JSON to
 * `consumerInputs.url`, with basic auth and extra headers from the consumer inputs. Delivery runs in
 * the background; 408/502/503/504 and network errors are retried with a short backoff (real Azure
 * DevOps retries too, on a much longer schedule). Every attempt is recorded.
 */
import http from 'node:http';
import https from 'node:https';
import type { HookDelivery } from './types.js';
import { newGuid } from './ids.js';
import { putOwn } from '../json.js';
import type { OrgState, ProjectState, SubscriptionState } from './store.js';

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 502, 503, 504]);

export interface HookDispatcherOptions {
  /** Delay before each retry; its length is the number of retries. Default [200, 400, 800]. */
  retryDelaysMs?: readonly number[];
  /** Per-attempt timeout. Default 5000. */
  attemptTimeoutMs?: number;
}

export interface HookTarget {
  subscriptionId: string;
  url: string;
  eventType: string;
  notificationId: number;
  resourceId: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the `httpHeaders` consumer input: one `Name: value` per line. */
export function parseHeaderLines(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!text) return headers;
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) continue;
    putOwn(headers, name, line.slice(colon + 1).trim());
  }
  return headers;
}

export class HookDispatcher {
  private readonly log: HookDelivery[] = [];
  private readonly controllers = new Set<AbortController>();
  private readonly sleepers = new Map<NodeJS.Timeout, () => void>();
  private generation = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retryDelaysMs: readonly number[];
  private readonly attemptTimeoutMs: number;

  constructor(options: HookDispatcherOptions = {}) {
    this.retryDelaysMs = options.retryDelaysMs ?? [200, 400, 800];
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
  }

  deliveries(): readonly HookDelivery[] {
    return [...this.log];
  }

  /** Resolves once no notification is being delivered, those dispatched meanwhile included. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  dispatch(target: HookTarget): void {
    const generation = this.generation;
    const task = this.deliver(target, generation).catch((err: unknown) => {
      console.error('[ado-emulator] hook delivery crashed', err);
    });
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  /** Cancels pending deliveries and forgets the log. */
  clear(): void {
    this.cancelAll();
    this.log.length = 0;
  }

  cancelAll(): void {
    this.generation++;
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
    for (const [timer, wake] of this.sleepers) {
      clearTimeout(timer);
      wake();
    }
    this.sleepers.clear();
  }

  private async deliver(target: HookTarget, generation: number): Promise<void> {
    const maxAttempts = this.retryDelaysMs.length + 1;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (generation !== this.generation) return;
      const outcome = await this.attempt(target);
      if (generation !== this.generation) return;
      const entry: HookDelivery = {
        subscriptionId: target.subscriptionId,
        url: target.url,
        eventType: target.eventType,
        notificationId: target.notificationId,
        status: outcome.status,
        attempt,
        at: new Date().toISOString(),
        resourceId: target.resourceId,
      };
      if (outcome.error !== undefined) entry.error = outcome.error;
      this.log.push(entry);
      const retryable = outcome.status === 'error' || RETRYABLE_STATUSES.has(outcome.status);
      const delay = this.retryDelaysMs[attempt - 1];
      if (!retryable || delay === undefined) return;
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleepers.delete(timer);
        resolve();
      }, ms);
      this.sleepers.set(timer, resolve);
    });
  }

  private attempt(target: HookTarget): Promise<{ status: number | 'error'; error?: string }> {
    let url: URL;
    try {
      url = new URL(target.url);
    } catch {
      return Promise.resolve({ status: 'error', error: 'invalid url' });
    }
    const controller = new AbortController();
    this.controllers.add(controller);
    const transport = url.protocol === 'https:' ? https : http;
    const body = Buffer.from(target.body, 'utf8');
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: { status: number | 'error'; error?: string }): void => {
        if (settled) return;
        settled = true;
        this.controllers.delete(controller);
        resolve(result);
      };
      try {
        const req = transport.request(
          url,
          {
            method: 'POST',
            agent: false,
            signal: controller.signal,
            timeout: this.attemptTimeoutMs,
            headers: { ...target.headers, 'Content-Length': String(body.length) },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              finish({ status: res.statusCode ?? 0 });
            });
            res.on('error', (err) => {
              finish({ status: res.statusCode ?? 'error', error: err.message });
            });
          },
        );
        req.on('timeout', () => {
          req.destroy(new Error(`timed out after ${this.attemptTimeoutMs} ms`));
        });
        req.on('error', (err) => {
          finish({ status: 'error', error: err.message });
        });
        req.end(body);
      } catch (err) {
        finish({ status: 'error', error: err instanceof Error ? err.message : String(err) });
      }
    });
  }
}

/** An event raised by the service: delivered to every enabled subscription that selects it. */
export interface ServiceHookEvent {
  publisherId: string;
  eventType: string;
  project: ProjectState;
  /** Build id or release id, recorded with each delivery. */
  resourceId: number;
  /** Whether the subscription's publisher inputs (besides `projectId`) select this event. */
  matches(inputs: Readonly<Record<string, string>>): boolean;
  body(subscription: SubscriptionState, notificationId: number, eventId: string): unknown;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export function notifySubscribers(dispatcher: HookDispatcher, org: OrgState, event: ServiceHookEvent): void {
  const eventId = newGuid();
  for (const s of org.subscriptions.values()) {
    if (s.status !== 'enabled' && s.status !== 'onProbation') continue;
    if (!same(s.publisherId, event.publisherId) || !same(s.eventType, event.eventType)) continue;
    const projectId = s.publisherInputs.projectId?.trim() ?? '';
    if (projectId !== '' && !same(projectId, event.project.id) && !same(projectId, event.project.name))
      continue;
    const url = s.consumerInputs.url;
    if (!url || !event.matches(s.publisherInputs)) continue;
    const notificationId = ++s.lastNotificationId;
    const headers: Record<string, string> = {
      ...parseHeaderLines(s.consumerInputs.httpHeaders),
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'VSServices/16.255.35525.5 (ado-emulator)',
    };
    const user = s.consumerInputs.basicAuthUsername;
    const password = s.consumerInputs.basicAuthPassword;
    if (user || password)
      headers.Authorization = `Basic ${Buffer.from(`${user ?? ''}:${password ?? ''}`, 'utf8').toString('base64')}`;
    dispatcher.dispatch({
      subscriptionId: s.id,
      url,
      eventType: event.eventType,
      notificationId,
      resourceId: event.resourceId,
      headers,
      body: JSON.stringify(event.body(s, notificationId, eventId)),
    });
  }
}
