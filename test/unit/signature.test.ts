import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyGitHubSignature } from '../../src/core/signature.js';
import { signGitHubPayload } from '../../tools/github/webhooks.js';

const body = Buffer.from('{"zen":"Keep it logically awesome."}');

describe('verifyGitHubSignature', () => {
  it('accepts the signature GitHub documents for its example', () => {
    // Example from GitHub's "Validating webhook deliveries" documentation.
    const check = verifyGitHubSignature(
      Buffer.from('Hello, World!'),
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      null,
      ["It's a Secret to Everybody"],
    );
    expect(check).toEqual({ valid: true, secretIndex: 0 });
  });

  it('accepts the previous secret during a rotation, and says which one matched', () => {
    expect(verifyGitHubSignature(body, signGitHubPayload(body, 'old'), null, ['new', 'old'])).toEqual({
      valid: true,
      secretIndex: 1,
    });
  });

  it.each([
    ['no signature', null, null, 'missing'],
    ['only SHA-1', null, `sha1=${createHmac('sha1', 's').update(body).digest('hex')}`, 'sha1-only'],
    ['a SHA-1 value in the SHA-256 header', `sha1=${'a'.repeat(40)}`, null, 'malformed'],
    ['a truncated signature', `sha256=${'a'.repeat(63)}`, null, 'malformed'],
    ['another secret', signGitHubPayload(body, 'other'), null, 'mismatch'],
    ['a signature of another body', signGitHubPayload(`${body.toString()} `, 's'), null, 'mismatch'],
  ])('refuses %s', (_name, header, sha1, problem) => {
    expect(verifyGitHubSignature(body, header, sha1, ['s'])).toEqual({ valid: false, problem });
  });
});
