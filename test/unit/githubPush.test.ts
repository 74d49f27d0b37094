import { describe, expect, it } from 'vitest';
import { parsePushEvent } from '../../src/core/githubPush.js';
import { decidePush, type PushFilter } from '../../src/core/pushDecision.js';
import { pushPayload, sha, type PushOptions } from '../support/github.js';

const filter: PushFilter = {
  repository: 'contoso/fraud-app',
  branches: ['main', 'release/*'],
  pathsInclude: [],
  pathsExclude: [],
};

function decide(options: PushOptions, overrides: Partial<PushFilter> = {}) {
  const parsed = parsePushEvent(pushPayload(options));
  if (!parsed.ok) throw new Error(parsed.problem);
  return decidePush(parsed.event, { ...filter, ...overrides });
}

describe('decidePush', () => {
  it.each([
    ['a push to main', {}, {}, { kind: 'build', branch: 'main', commit: sha('head') }],
    [
      'a push to a release/* branch',
      { ref: 'refs/heads/release/2026.11' },
      {},
      { kind: 'build', branch: 'release/2026.11' },
    ],
    ['the repository name in another case', { repository: 'Contoso/Fraud-App' }, {}, { kind: 'build' }],
  ] as const)('builds %s', (_name, options, overrides, expected) => {
    expect(decide(options, overrides)).toMatchObject(expected);
  });

  it.each([
    ['another repository', { repository: 'contoso/other-app' }, {}, 'repository-not-allowed'],
    ['a tag', { ref: 'refs/tags/v1.0.0' }, {}, 'tag-push'],
    ['a note ref', { ref: 'refs/notes/commits' }, {}, 'not-a-branch'],
    ['a branch deletion', { deleted: true }, {}, 'branch-deleted'],
    ['a feature branch', { ref: 'refs/heads/feature/x' }, {}, 'branch-not-matched'],
    ['[skip ci]', { message: 'Fix typo [skip ci]' }, {}, 'skip-ci-requested'],
    ['[ci skip]', { message: '[ci skip] docs' }, {}, 'skip-ci-requested'],
    ['[no ci]', { message: 'wip [no ci]' }, {}, 'skip-ci-requested'],
    ['***NO_CI***', { message: 'bump ***NO_CI***' }, {}, 'skip-ci-requested'],
    ['a skip-checks trailer', { message: 'Docs\n\nskip-checks: true' }, {}, 'skip-ci-requested'],
    [
      'no path matching the include globs',
      { files: { modified: ['docs/readme.md'] } },
      { pathsInclude: ['src/**'] },
      'no-matching-paths',
    ],
    [
      'only excluded paths',
      { files: { modified: ['docs/a.md', 'README.md'] } },
      { pathsExclude: ['docs/**', '*.md'] },
      'no-matching-paths',
    ],
    [
      'a branch name a shell would interpret',
      { ref: 'refs/heads/main;rm -rf /' },
      { branches: ['**'] },
      'unsafe-branch-name',
    ],
    [
      'a branch name with $(…)',
      { ref: 'refs/heads/$(curl evil)' },
      { branches: ['**'] },
      'unsafe-branch-name',
    ],
    ['an "after" that is not a SHA', { after: 'not-a-sha' }, {}, 'invalid-commit'],
  ] as const)('skips %s', (_name, options, overrides, reason) => {
    expect(decide(options, overrides)).toMatchObject({ kind: 'skip', reason });
  });

  it('builds when an included path changed and is not excluded', () => {
    const decision = decide(
      { files: { modified: ['docs/a.md'], added: ['src/model/score.py'] } },
      { pathsInclude: ['src/**'], pathsExclude: ['docs/**'] },
    );
    expect(decision.kind).toBe('build');
  });

  it('builds when GitHub did not list the changed paths (a force push of known commits)', () => {
    expect(decide({ commits: 0 }, { pathsInclude: ['src/**'] }).kind).toBe('build');
  });

  it('ignores a skip marker that is not in the head commit message', () => {
    expect(decide({ message: 'mention skip ci without brackets' }).kind).toBe('build');
  });
});

describe('parsePushEvent', () => {
  it.each([
    ['not an object', [1, 2]],
    ['no ref', { after: sha('x'), repository: { full_name: 'a/b' } }],
    ['no after', { ref: 'refs/heads/main', repository: { full_name: 'a/b' } }],
    ['no repository', { ref: 'refs/heads/main', after: sha('x') }],
    ['a ref that is not a string', { ref: 42, after: sha('x'), repository: { full_name: 'a/b' } }],
  ])('refuses a payload with %s', (_name, payload) => {
    expect(parsePushEvent(payload).ok).toBe(false);
  });

  it('reads pushed_at (Unix seconds) as the push time', () => {
    const parsed = parsePushEvent(pushPayload({ pushedAt: 1795000000 }));
    expect(parsed.ok && parsed.event.pushedAt).toBe('2026-11-18T11:06:40.000Z');
  });
});
