import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck =
  | { readonly valid: true; readonly secretIndex: number }
  | { readonly valid: false; readonly problem: 'missing' | 'sha1-only' | 'malformed' | 'mismatch' };

const SHA256_SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks GitHub's `X-Hub-Signature-256` over the exact bytes received, against each
 * accepted secret (current first, then the previous one during a rotation). The
 * comparison is constant-time; SHA-1 (`X-Hub-Signature`) is never accepted.
 */
export function verifyGitHubSignature(
  rawBody: Uint8Array,
  signatureHeader: string | null,
  sha1Header: string | null,
  secrets: readonly string[],
): SignatureCheck {
  if (signatureHeader === null || signatureHeader === '') {
    return { valid: false, problem: sha1Header === null ? 'missing' : 'sha1-only' };
  }
  const match = SHA256_SIGNATURE.exec(signatureHeader.trim());
  const hex = match?.[1];
  if (hex === undefined) return { valid: false, problem: 'malformed' };
  const received = Buffer.from(hex, 'hex');
  // Every secret is tried, so the time taken does not tell which one matched.
  let matched = -1;
  secrets.forEach((secret, index) => {
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    if (timingSafeEqual(expected, received) && matched === -1) matched = index;
  });
  return matched === -1 ? { valid: false, problem: 'mismatch' } : { valid: true, secretIndex: matched };
}
