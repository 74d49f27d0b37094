import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks an `Authorization: Basic …` header against the expected user and password in
 * constant time (both sides are hashed first, so lengths do not leak either).
 */
export function basicAuthMatches(header: string | null, username: string, password: string): boolean {
  if (header === null) return false;
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(header);
  const encoded = match?.[1];
  if (encoded === undefined) return false;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return false;
  const userOk = sameSecret(decoded.slice(0, separator), username);
  const passwordOk = sameSecret(decoded.slice(separator + 1), password);
  return userOk && passwordOk;
}

function sameSecret(received: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(received), digest(expected));
}
