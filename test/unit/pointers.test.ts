import { describe, expect, it } from 'vitest';
import { nextBranchHead, type BranchHead } from '../../src/core/pointers.js';
import { flowIdOf, waitingFlowIdOf } from '../../src/core/flowId.js';

const head = (commit: string, pushedAt: string, receivedAt = pushedAt): BranchHead => ({
  branch: 'main',
  commit,
  pushedAt,
  receivedAt,
  delivery: { source: 'github', id: commit },
});

describe('nextBranchHead', () => {
  it('takes the first push', () => {
    expect(nextBranchHead(undefined, head('a', '2026-11-28T10:00:00Z'))?.commit).toBe('a');
  });
  it('moves forward to a later push', () => {
    expect(nextBranchHead(head('a', '2026-11-28T10:00:00Z'), head('b', '2026-11-28T10:00:05Z'))?.commit).toBe(
      'b',
    );
  });
  it('does not move back for a push delivered late', () => {
    expect(
      nextBranchHead(head('b', '2026-11-28T10:00:05Z'), head('a', '2026-11-28T10:00:00Z')),
    ).toBeUndefined();
  });
  it('breaks a tie in push time by the later delivery', () => {
    const current = head('a', '2026-11-28T10:00:00Z', '2026-11-28T10:00:01Z');
    expect(nextBranchHead(current, head('b', '2026-11-28T10:00:00Z', '2026-11-28T10:00:02Z'))?.commit).toBe(
      'b',
    );
  });
  it('leaves the head as it is for the same commit', () => {
    expect(
      nextBranchHead(head('a', '2026-11-28T10:00:00Z'), head('a', '2026-11-28T11:00:00Z')),
    ).toBeUndefined();
  });
});

describe('flow ids', () => {
  it('are stable, short, and differ per model version, commit and kind', () => {
    const id = flowIdOf('fraud', '1.4.0', 'ABCDEF'.padEnd(40, '0'));
    expect(id).toMatch(/^[0-9a-f]{20}$/);
    expect(flowIdOf('fraud', '1.4.0', 'abcdef'.padEnd(40, '0'))).toBe(id);
    expect(flowIdOf('fraud', '1.4.1', 'abcdef'.padEnd(40, '0'))).not.toBe(id);
    expect(waitingFlowIdOf('fraud', 'abcdef'.padEnd(40, '0'))).not.toBe(id);
  });
});
