/**
 * Storage-queue bindings for the local host, behaving like the Functions queue extension:
 * output bindings write base64 messages when the function returns; triggers poll, hide a
 * message while it runs, delete it on success, make it visible again after
 * `visibilityTimeout` on failure, and move it to `<queue>-poison` after `maxDequeueCount`
 * deliveries. Settings come from host.json (`extensions.queues`), like the real host.
 */
import { QueueServiceClient, type DequeuedMessageItem, type QueueClient } from '@azure/storage-queue';
import { readFileSync } from 'node:fs';
import { delay } from '../wait.js';

export interface QueueSettings {
  readonly maxPollingIntervalMs: number;
  readonly visibilityTimeoutSeconds: number;
  readonly batchSize: number;
  /** A new batch is fetched once no more than this many messages are still running. */
  readonly newBatchThreshold: number;
  readonly maxDequeueCount: number;
  readonly messageEncoding: 'base64' | 'none';
  /** How long a received message stays hidden while the function runs (the real host renews a 10-minute lease). */
  readonly leaseSeconds: number;
}

export function readQueueSettings(hostJsonPath: string, leaseSeconds: number): QueueSettings {
  const parsed: unknown = JSON.parse(readFileSync(hostJsonPath, 'utf8'));
  const queues = pick(pick(parsed, 'extensions'), 'queues');
  const number = (key: string, fallback: number): number => {
    const value = pick(queues, key);
    return typeof value === 'number' ? value : fallback;
  };
  const timespan = (key: string, fallbackMs: number): number => {
    const value = pick(queues, key);
    if (typeof value !== 'string') return fallbackMs;
    const match = /^(\d+):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value);
    if (match === null) return fallbackMs;
    const [, hours = '0', minutes = '0', seconds = '0'] = match;
    return ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
  };
  return {
    maxPollingIntervalMs: timespan('maxPollingInterval', 60_000),
    visibilityTimeoutSeconds: timespan('visibilityTimeout', 0) / 1000,
    batchSize: number('batchSize', 16),
    newBatchThreshold: number('newBatchThreshold', 8),
    maxDequeueCount: number('maxDequeueCount', 5),
    messageEncoding: pick(queues, 'messageEncoding') === 'none' ? 'none' : 'base64',
    leaseSeconds,
  };
}

function pick(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value ? Reflect.get(value, key) : undefined;
}

/** A queue's storage became unreachable, or reachable again. */
export type QueueOutage =
  | { readonly kind: 'unreachable'; readonly queueName: string; readonly error: unknown }
  | { readonly kind: 'recovered'; readonly queueName: string; readonly downMs: number };

/** The first wait after an empty receive, doubled up to `maxPollingInterval`. */
const IDLE_DELAY_MS = 50;
/** The first wait after storage could not be reached, doubled up to `maxPollingInterval` (at least this). */
const OUTAGE_FIRST_DELAY_MS = 250;

/**
 * A few quick tries per request: the poller backs off on its own while storage is away, and the
 * SDK's default retries (some 16 s of them for a refused connection) would only hide an outage.
 */
const SDK_RETRY = { maxTries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 1_000 } as const;

export class QueueBindings {
  private readonly clients = new Map<string, QueueClient>();
  private readonly created = new Map<string, Promise<unknown>>();

  constructor(
    private readonly settings: QueueSettings,
    private readonly connectionString: (connection: string) => string,
  ) {}

  /** Writes output-binding values: one message per array element, encoded as the host does. */
  async send(connection: string, queueName: string, value: unknown): Promise<void> {
    const queue = await this.queue(connection, queueName);
    for (const item of Array.isArray(value) ? value : [value]) {
      const text = typeof item === 'string' ? item : JSON.stringify(item);
      await queue.sendMessage(
        this.settings.messageEncoding === 'base64' ? Buffer.from(text).toString('base64') : text,
      );
    }
  }

  /**
   * Polls a queue and hands each message to `invoke` until `signal` aborts. Resolves when
   * the loop has stopped and no invocation is running. Like the Functions host, it outlives
   * storage outages: the first failure of an outage and the recovery are reported to
   * `onOutage`, and polling goes on meanwhile, backing off up to `maxPollingInterval`.
   */
  async poll(
    connection: string,
    queueName: string,
    invoke: (body: unknown, metadata: Record<string, unknown>) => Promise<void>,
    signal: AbortSignal,
    onError: (error: unknown) => void,
    onOutage: (event: QueueOutage) => void = () => undefined,
  ): Promise<void> {
    let idleDelay = IDLE_DELAY_MS;
    let outage: { readonly since: number; delayMs: number } | undefined;
    const running = new Set<Promise<void>>();
    while (!signal.aborted) {
      // Like the host: fetch more once the messages still running drop to the threshold.
      while (running.size > this.settings.newBatchThreshold) await Promise.race(running);
      let received;
      let queue: QueueClient;
      let poison: QueueClient;
      try {
        queue = await this.queue(connection, queueName);
        poison = await this.queue(connection, `${queueName}-poison`);
        received = await queue.receiveMessages({
          numberOfMessages: this.settings.batchSize,
          visibilityTimeout: this.settings.leaseSeconds,
        });
      } catch (error) {
        // Stopping the host closes connections under a pending receive: not an error then.
        if (isAborted(signal)) break;
        if (outage === undefined) {
          outage = { since: Date.now(), delayMs: OUTAGE_FIRST_DELAY_MS };
          onOutage({ kind: 'unreachable', queueName, error });
        }
        await delay(outage.delayMs, signal);
        outage.delayMs = Math.min(
          outage.delayMs * 2,
          Math.max(this.settings.maxPollingIntervalMs, OUTAGE_FIRST_DELAY_MS),
        );
        continue;
      }
      if (outage !== undefined) {
        onOutage({ kind: 'recovered', queueName, downMs: Date.now() - outage.since });
        outage = undefined;
      }
      const messages = received.receivedMessageItems;
      if (messages.length === 0) {
        await delay(idleDelay, signal);
        idleDelay = Math.min(idleDelay * 2, this.settings.maxPollingIntervalMs);
        continue;
      }
      idleDelay = IDLE_DELAY_MS;
      for (const message of messages) {
        const task = this.deliver(queue, poison, message, invoke, onError);
        running.add(task);
        void task.finally(() => running.delete(task));
      }
    }
    await Promise.allSettled(running);
  }

  /** One delivery of one message: invoke, then delete, retry later, or move to poison. */
  private async deliver(
    queue: QueueClient,
    poison: QueueClient,
    message: DequeuedMessageItem,
    invoke: (body: unknown, metadata: Record<string, unknown>) => Promise<void>,
    onError: (error: unknown) => void,
  ): Promise<void> {
    const text =
      this.settings.messageEncoding === 'base64'
        ? Buffer.from(message.messageText, 'base64').toString('utf8')
        : message.messageText;
    // Keep the message hidden while the function runs, as the host does (at half the lease).
    let popReceipt = message.popReceipt;
    const renewal = setInterval(
      () => {
        queue
          .updateMessage(message.messageId, popReceipt, undefined, this.settings.leaseSeconds)
          .then((updated) => {
            if (updated.popReceipt !== undefined) popReceipt = updated.popReceipt;
          })
          .catch(onError);
      },
      (this.settings.leaseSeconds * 1000) / 2,
    );
    const moveToPoison = async (): Promise<void> => {
      await poison.sendMessage(message.messageText);
      await queue.deleteMessage(message.messageId, popReceipt);
    };
    try {
      if (message.dequeueCount > this.settings.maxDequeueCount) {
        await moveToPoison();
        return;
      }
      await invoke(parseBody(text), {
        id: message.messageId,
        dequeueCount: message.dequeueCount,
        insertionTime: message.insertedOn.toISOString(),
        expirationTime: message.expiresOn.toISOString(),
        nextVisibleTime: message.nextVisibleOn.toISOString(),
        popReceipt: message.popReceipt,
      });
      clearInterval(renewal);
      await queue.deleteMessage(message.messageId, popReceipt);
    } catch (error) {
      clearInterval(renewal);
      onError(error);
      try {
        if (message.dequeueCount >= this.settings.maxDequeueCount) await moveToPoison();
        else
          await queue.updateMessage(
            message.messageId,
            popReceipt,
            undefined,
            this.settings.visibilityTimeoutSeconds,
          );
      } catch (queueError) {
        // The lease runs out on its own and the message comes back: nothing is lost.
        onError(queueError);
      }
    }
  }

  private async queue(connection: string, queueName: string): Promise<QueueClient> {
    const key = `${connection}/${queueName}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      client = QueueServiceClient.fromConnectionString(this.connectionString(connection), {
        retryOptions: SDK_RETRY,
      }).getQueueClient(queueName);
      this.clients.set(key, client);
    }
    let creating = this.created.get(key);
    if (creating === undefined) {
      creating = client.createIfNotExists();
      this.created.set(key, creating);
      // Storage unreachable: the next call tries again instead of failing for good.
      creating.catch(() => this.created.delete(key));
    }
    await creating;
    return client;
  }
}

function parseBody(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return value;
  } catch {
    return text;
  }
}

/** Read through a call: TypeScript would otherwise keep the value it narrowed at the loop's head. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
