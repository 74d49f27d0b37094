import { createHash, randomUUID } from 'node:crypto';

/** A stable, GUID-shaped id (version-5 style) derived from `input`. */
export function stableGuid(input: string): string {
  const h = createHash('sha1').update(input).digest('hex');
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function newGuid(): string {
  return randomUUID();
}

/** Deterministic 40-hex commit sha for a branch ref that has no explicit head. */
export function shaForBranch(ref: string): string {
  return createHash('sha1').update(ref).digest('hex');
}

export function projectIdFor(org: string, project: string): string {
  return stableGuid(`project:${org.toLowerCase()}/${project.toLowerCase()}`);
}

export function orgIdFor(org: string): string {
  return stableGuid(`org:${org.toLowerCase()}`);
}

/** `main` → `refs/heads/main`; refs are kept as given. */
export function normalizeRef(branch: string): string {
  const trimmed = branch.trim();
  return trimmed.startsWith('refs/') ? trimmed : `refs/heads/${trimmed}`;
}

export function isSha(value: string): boolean {
  return /^[0-9a-f]{40}$/i.test(value);
}
