/**
 * GitHub `push` webhook deliveries, shaped after GitHub's documented payload
 * (docs.github.com, "Webhook events and payloads" → push), signed with a real HMAC.
 * Used by the tests, the sandbox's `sandbox:push` and the benchmarks.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readJson } from '../json.js';

export interface PushOptions {
  readonly repository?: string;
  readonly ref?: string;
  readonly before?: string;
  readonly after?: string;
  readonly message?: string;
  readonly deleted?: boolean;
  readonly created?: boolean;
  readonly files?: {
    readonly added?: readonly string[];
    readonly modified?: readonly string[];
    readonly removed?: readonly string[];
  };
  readonly pushedAt?: number;
  readonly commits?: number;
}

/** The `X-Hub-Signature-256` header GitHub would send for this body and secret. */
export function signGitHubPayload(rawBody: Uint8Array | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** A commit SHA derived from a seed (stable across runs). */
export function sha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

export function randomSha(): string {
  return randomBytes(20).toString('hex');
}

export function pushPayload(options: PushOptions = {}): Record<string, unknown> {
  const fullName = options.repository ?? 'contoso/fraud-app';
  const [owner = 'contoso', name = 'fraud-app'] = fullName.split('/');
  const after = options.after ?? sha('head');
  const before = options.before ?? sha('parent');
  const ref = options.ref ?? 'refs/heads/main';
  const pushedAt = options.pushedAt ?? 1795000000;
  const timestamp = new Date(pushedAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const files = options.files ?? { modified: ['src/app.py'] };
  const commitCount = options.commits ?? 1;
  const deleted = options.deleted ?? false;
  const commits = deleted
    ? []
    : Array.from({ length: commitCount }, (_, index) => ({
        id: index === commitCount - 1 ? after : sha(`commit-${index}`),
        tree_id: sha(`tree-${index}`),
        distinct: true,
        message: options.message ?? 'Improve scoring endpoint',
        timestamp,
        url: `https://github.com/${fullName}/commit/${after}`,
        author: { name: 'Ada Lovelace', email: 'ada@contoso.com', username: 'ada' },
        committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
        added: files.added ?? [],
        removed: files.removed ?? [],
        modified: files.modified ?? [],
      }));
  return {
    ref,
    before,
    after: deleted ? '0000000000000000000000000000000000000000' : after,
    repository: {
      id: 123456789,
      node_id: 'R_kgDOHxyzAB',
      name,
      full_name: fullName,
      private: true,
      owner: { name: owner, email: null, login: owner, id: 4242, type: 'Organization' },
      html_url: `https://github.com/${fullName}`,
      default_branch: 'main',
      master_branch: 'main',
      created_at: 1700000000,
      updated_at: '2026-11-28T09:00:00Z',
      pushed_at: pushedAt,
    },
    pusher: { name: 'ada', email: 'ada@contoso.com' },
    organization: { login: owner, id: 4242 },
    sender: { login: 'ada', id: 1001, type: 'User' },
    created: options.created ?? false,
    deleted,
    forced: false,
    base_ref: null,
    compare: `https://github.com/${fullName}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits,
    head_commit: deleted ? null : (commits[commits.length - 1] ?? null),
  };
}

export interface Delivery {
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly deliveryId: string;
}

/** A delivery as GitHub sends it: JSON body, event and delivery headers, SHA-256 signature. */
export function githubDelivery(
  payload: unknown,
  secret: string,
  options: {
    readonly event?: string;
    readonly deliveryId?: string;
    readonly headers?: Record<string, string>;
  } = {},
): Delivery {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  return {
    body,
    deliveryId,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/8f0a6e2',
      'x-github-event': options.event ?? 'push',
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '512345678',
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': '123456789',
      'x-hub-signature-256': signGitHubPayload(body, secret),
      ...options.headers,
    },
  };
}

/** POSTs a delivery to `<hostUrl>/api/github` as GitHub does; answers the status and the body (JSON, else its text). */
export async function postDelivery(
  hostUrl: string,
  delivery: Pick<Delivery, 'body' | 'headers'>,
): Promise<{ readonly status: number; readonly body: unknown }> {
  const response = await fetch(`${hostUrl.replace(/\/+$/, '')}/api/github`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: await readJson(response) };
}
