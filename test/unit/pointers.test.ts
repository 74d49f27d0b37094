import { describe, expect, it } from 'vitest';
import { branchFlowIdOf, flowIdOf, waitingFlowIdOf } from '../../src/core/flowId.js';
import {
  aliasBranchBuild,
  EMPTY_POINTERS,
  joinPush,
  promoteModel,
  type CurrentModel,
  type Pointers,
  type PushFacts,
} from '../../src/core/pointers.js';

const commit = (seed: string): string => seed.repeat(40).slice(0, 40);
const push = (c: string, pushedAt: string, receivedAt = pushedAt, id = c): PushFacts => ({
  branch: 'main',
  commit: commit(c),
  pushedAt,
  receivedAt,
  delivery: { source: 'github', id },
});
const model = (version: string, uploadedAt = '2026-11-28T09:00:00Z'): CurrentModel => ({
  model: { name: 'fraud', version, uri: `https://x/fraud/${version}/model.json`, sha256: 'a'.repeat(64) },
  uploadedAt,
  promotedAt: uploadedAt,
  delivery: { source: 'eventgrid', id: version },
});
const withModel = (version: string): Pointers => ({ ...EMPTY_POINTERS, models: { fraud: model(version) } });

/** Applies a decision as the ledger would. */
const after = (pointers: Pointers, decision: { readonly pointers?: Pointers }): Pointers =>
  decision.pointers ?? pointers;

describe('joinPush: the branch head', () => {
  it('takes the first push and joins it with the current model', () => {
    const decision = joinPush(withModel('1.0.0'), push('a', '2026-11-28T10:00:00Z'), 'fraud');
    expect(decision.result).toEqual({
      kind: 'build',
      flowId: flowIdOf('fraud', '1.0.0', commit('a')),
      model: model('1.0.0').model,
    });
    expect(decision.pointers?.branches.main?.commit).toBe(commit('a'));
  });

  it('moves forward to a later push, and refuses one delivered late', () => {
    const first = after(
      withModel('1.0.0'),
      joinPush(withModel('1.0.0'), push('b', '2026-11-28T10:00:05Z'), 'fraud'),
    );
    expect(joinPush(first, push('a', '2026-11-28T10:00:00Z'), 'fraud').result).toMatchObject({
      kind: 'older-than-branch-head',
    });
    const later = joinPush(first, push('c', '2026-11-28T10:00:09Z'), 'fraud');
    expect(later.pointers?.branches.main?.commit).toBe(commit('c'));
  });

  it('breaks a tie in push time by the later delivery', () => {
    const first = after(
      EMPTY_POINTERS,
      joinPush(EMPTY_POINTERS, push('a', '2026-11-28T10:00:00Z', '2026-11-28T10:00:01Z'), 'fraud'),
    );
    const tie = joinPush(first, push('b', '2026-11-28T10:00:00Z', '2026-11-28T10:00:02Z'), 'fraud');
    expect(tie.pointers?.branches.main?.commit).toBe(commit('b'));
  });

  it('answers a delivery it has seen with the flow it became then, whatever the current model is now', () => {
    const first = after(
      withModel('1.0.0'),
      joinPush(withModel('1.0.0'), push('a', '2026-11-28T10:00:00Z'), 'fraud'),
    );
    const promoted: Pointers = { ...first, models: { fraud: model('2.0.0') } };
    const again = joinPush(promoted, push('a', '2026-11-28T10:00:00Z'), 'fraud');
    expect(again).toEqual({
      result: { kind: 'known-delivery', flowId: flowIdOf('fraud', '1.0.0', commit('a')) },
    });
  });

  it('makes a push wait when no model was promoted yet, once per commit', () => {
    const decision = joinPush(EMPTY_POINTERS, push('a', '2026-11-28T10:00:00Z'), 'fraud');
    expect(decision.result).toEqual({ kind: 'wait', flowId: waitingFlowIdOf('fraud', commit('a')) });
    const again = joinPush(
      after(EMPTY_POINTERS, decision),
      push('a', '2026-11-28T10:00:00Z', undefined, 'other'),
      'fraud',
    );
    expect(again.pointers?.waiting).toHaveLength(1);
  });

  it('joins a push of the commit a branch build chose with that build’s flow', () => {
    const branchFlow = branchFlowIdOf('fraud', '1.0.0', 'main');
    const aliased = after(
      withModel('1.0.0'),
      aliasBranchBuild(withModel('1.0.0'), {
        flowId: branchFlow,
        model: model('1.0.0').model,
        commit: commit('a'),
      }),
    );
    expect(joinPush(aliased, push('a', '2026-11-28T10:00:00Z'), 'fraud').result).toMatchObject({
      kind: 'build',
      flowId: branchFlow,
    });
  });
});

describe('promoteModel', () => {
  it.each([
    ['nothing promoted yet', undefined, '1.0.0', 'promoted'],
    ['a newer semver', '1.0.0', '1.1.0', 'promoted'],
    ['the same version again (a redelivery)', '1.1.0', '1.1.0', 'promoted'],
    ['an older semver', '1.1.0', '1.0.0', 'older-than-current'],
  ] as const)('%s', (_name, current, candidate, expected) => {
    const pointers = current === undefined ? EMPTY_POINTERS : withModel(current);
    const decision = promoteModel(pointers, model(candidate), 'main');
    expect(decision.result.kind).toBe(expected);
    expect(after(pointers, decision).models.fraud?.model.version).toBe(
      expected === 'promoted' ? candidate : current,
    );
  });

  it('hands over the waiting pushes, saying which is still its branch head, and forgets them', () => {
    let pointers = EMPTY_POINTERS;
    pointers = after(pointers, joinPush(pointers, push('a', '2026-11-28T10:00:00Z'), 'fraud'));
    pointers = after(pointers, joinPush(pointers, push('b', '2026-11-28T10:00:05Z'), 'fraud'));
    const decision = promoteModel(pointers, model('1.0.0'), 'main');
    expect(decision.result).toMatchObject({
      kind: 'promoted',
      head: { commit: commit('b') },
      waiting: [
        { commit: commit('a'), isHead: false },
        { commit: commit('b'), isHead: true },
      ],
    });
    expect(after(pointers, decision).waiting).toEqual([]);
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
