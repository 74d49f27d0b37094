/** host.json and the code agree on the queue: the worker knows which delivery is its last. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_DEQUEUE_COUNT } from '../../src/app/flowQueue.js';
import { at } from '../support/json.js';

const hostJson: unknown = JSON.parse(readFileSync('host.json', 'utf8'));

describe('host.json', () => {
  it('sets the queue maxDequeueCount the worker assumes', () => {
    expect(at(hostJson, 'extensions', 'queues', 'maxDequeueCount')).toBe(MAX_DEQUEUE_COUNT);
  });

  it('uses version 2.0 and the extension bundle [4.*, 5.0.0)', () => {
    expect(at(hostJson, 'version')).toBe('2.0');
    expect(at(hostJson, 'extensionBundle', 'version')).toBe('[4.*, 5.0.0)');
  });

  it('keeps the function timeout above the retry budget of one delivery', () => {
    expect(at(hostJson, 'functionTimeout')).toBe('00:05:00');
  });
});
