/** host.json and the code agree on the queue: the worker knows which delivery is its last. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_DEQUEUE_COUNT } from '../../src/app/flowQueue.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_RETRY } from '../../src/usecases/retry.js';
import { appEnv } from '../support/appEnv.js';
import { at } from '../../tools/json.js';

const hostJson: unknown = JSON.parse(readFileSync('host.json', 'utf8'));

/** A host.json time span (`hh:mm:ss`) in milliseconds. */
function timeSpanMs(value: unknown): number {
  const match = typeof value === 'string' ? /^(\d+):(\d{2}):(\d{2})$/.exec(value) : null;
  if (match === null) throw new Error(`${String(value)} is not a hh:mm:ss time span`);
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

/** The app's Azure DevOps request timeout when AZURE_DEVOPS_TIMEOUT_SECONDS is not set. */
const requestTimeoutMs =
  loadConfig(
    appEnv({
      azurite: { connectionString: 'UseDevelopmentStorage=true' },
      orgUrl: 'https://dev.azure.com/x',
    }),
  ).azureDevOps.timeoutSeconds * 1000;

/**
 * The longest one Azure DevOps call with its retries can run (`withRetries`): its whole budget,
 * plus what is under way when the budget ends — a request (its own timeout) or the wait before
 * the next try (at most the longest Retry-After honoured; the backoff waits are shorter).
 */
const oneCallMs =
  DEFAULT_RETRY.maxTotalMs +
  Math.max(requestTimeoutMs, DEFAULT_RETRY.maxRetryAfterMs, DEFAULT_RETRY.maxDelayMs);

describe('host.json', () => {
  it('sets the queue maxDequeueCount the worker assumes', () => {
    expect(at(hostJson, 'extensions', 'queues', 'maxDequeueCount')).toBe(MAX_DEQUEUE_COUNT);
  });

  it('uses version 2.0 and the extension bundle [4.*, 5.0.0)', () => {
    expect(at(hostJson, 'version')).toBe('2.0');
    expect(at(hostJson, 'extensionBundle', 'version')).toBe('[4.*, 5.0.0)');
  });

  it('keeps the function timeout above the retry budget of the longest delivery: three Azure DevOps calls', () => {
    // A build completion re-reads the build, looks for the release an earlier attempt may have
    // made, then creates it: three calls, each with its own retry budget.
    expect(oneCallMs).toBeGreaterThan(DEFAULT_RETRY.maxTotalMs);
    expect(timeSpanMs(at(hostJson, 'functionTimeout'))).toBeGreaterThan(3 * oneCallMs);
  });

  it('hands a failed message back after a wait no shorter than the longest backoff between retries', () => {
    // The queue's redelivery is the next retry after the app's own: it must not come sooner than those did.
    expect(timeSpanMs(at(hostJson, 'extensions', 'queues', 'visibilityTimeout'))).toBeGreaterThanOrEqual(
      DEFAULT_RETRY.maxDelayMs,
    );
  });
});
