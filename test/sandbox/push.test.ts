/** The signed push `npm run sandbox:push` sends is one the app accepts: signature, shape, decision. */
import { describe, expect, it } from 'vitest';
import { parsePushEvent } from '../../src/core/githubPush.js';
import { decidePush } from '../../src/core/pushDecision.js';
import { verifyGitHubSignature } from '../../src/core/signature.js';
import { pushDelivery } from '../../tools/sandbox/push.js';

describe('sandbox push', () => {
  it('signs the exact body with HMAC SHA-256 and sends GitHub’s headers', () => {
    const delivery = pushDelivery({ branch: 'main', repository: 'contoso/ai-app' }, 'sandbox-webhook-secret');
    expect(delivery.headers).toMatchObject({
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery.deliveryId,
    });
    const check = verifyGitHubSignature(
      Buffer.from(delivery.body),
      delivery.headers['x-hub-signature-256'] ?? null,
      null,
      ['sandbox-webhook-secret'],
    );
    expect(check.valid).toBe(true);
    expect(
      verifyGitHubSignature(
        Buffer.from(delivery.body),
        delivery.headers['x-hub-signature-256'] ?? null,
        null,
        ['another-secret'],
      ).valid,
    ).toBe(false);
  });

  it('is a push the app builds: branch, commit, repository, pushed_at, changed paths', () => {
    const commit = 'a'.repeat(40);
    const delivery = pushDelivery(
      { branch: 'main', commit, repository: 'contoso/ai-app', message: 'Ship it', files: ['src/score.py'] },
      'secret',
    );
    expect(delivery.commit).toBe(commit);
    const parsed = parsePushEvent(JSON.parse(delivery.body));
    if (!parsed.ok) throw new Error(parsed.problem);
    expect(parsed.event).toMatchObject({
      ref: 'refs/heads/main',
      after: commit,
      repositoryFullName: 'contoso/ai-app',
      headCommitMessage: 'Ship it',
      changedPaths: ['src/score.py'],
      pushedAt: expect.any(String),
    });
    expect(
      decidePush(parsed.event, {
        repository: 'contoso/ai-app',
        branches: ['main'],
        pathsInclude: [],
        pathsExclude: [],
      }),
    ).toEqual({ kind: 'build', branch: 'main', commit });
  });

  it('refuses a commit that is not a SHA', () => {
    expect(() => pushDelivery({ branch: 'main', commit: 'HEAD' }, 'secret')).toThrow(/40-hex/);
  });
});
