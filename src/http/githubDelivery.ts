import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { parsePushEvent, type PushEvent } from '../core/githubPush.js';
import { parseJsonLimited } from '../core/jsonLimited.js';
import { verifyGitHubSignature } from '../core/signature.js';
import { mediaTypeOf, readBody } from './body.js';
import { json, problem } from './responses.js';

/** GitHub caps webhook payloads at 25 MB and drops larger ones; so do we. */
export const GITHUB_MAX_BODY_BYTES = 25 * 1024 * 1024;
const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

/** A webhook request, checked: answered already (refused, ping, another event), or a verified push. */
export type GitHubDelivery =
  | { readonly kind: 'answered'; readonly response: HttpResponseInit; readonly warning?: string }
  | { readonly kind: 'push'; readonly event: PushEvent; readonly deliveryId: string };

const SIGNATURE_MESSAGES = {
  missing: 'X-Hub-Signature-256 is missing: configure a secret on the webhook.',
  'sha1-only': 'Only an SHA-1 signature was sent; X-Hub-Signature-256 is required.',
  malformed: 'X-Hub-Signature-256 is not of the form sha256=<hex>.',
  mismatch: 'X-Hub-Signature-256 does not match the payload.',
} as const;

/**
 * Verifies a GitHub webhook request the way octokit's `verifyAndReceive` does — the signature
 * over the exact bytes received before anything is parsed — then checks its headers and
 * decodes the push. Every refusal is an answer with a stable code; nothing is thrown.
 */
export async function readGitHubDelivery(
  request: HttpRequest,
  secrets: readonly string[],
  correlationId: string,
): Promise<GitHubDelivery> {
  const answer = (response: HttpResponseInit, warning?: string): GitHubDelivery =>
    warning === undefined ? { kind: 'answered', response } : { kind: 'answered', response, warning };
  const body = await readBody(request, GITHUB_MAX_BODY_BYTES);
  if (!body.ok)
    return answer(problem(413, 'PAYLOAD_TOO_LARGE', 'The payload is larger than 25 MB.', correlationId));

  const signature = verifyGitHubSignature(
    body.bytes,
    request.headers.get('x-hub-signature-256'),
    request.headers.get('x-hub-signature'),
    secrets,
  );
  if (!signature.valid) {
    return answer(
      problem(401, 'SIGNATURE_INVALID', SIGNATURE_MESSAGES[signature.problem], correlationId),
      `bad signature (${signature.problem})`,
    );
  }

  const event = request.headers.get('x-github-event');
  const deliveryId = request.headers.get('x-github-delivery');
  if (event === null || deliveryId === null) {
    const missing = [event === null ? 'X-GitHub-Event' : '', deliveryId === null ? 'X-GitHub-Delivery' : ''];
    return answer(
      problem(
        400,
        'HEADER_MISSING',
        `Missing required header(s): ${missing.filter(Boolean).join(', ')}.`,
        correlationId,
      ),
    );
  }
  if (!EVENT_NAME.test(event))
    return answer(problem(400, 'HEADER_INVALID', 'X-GitHub-Event is not an event name.', correlationId));
  if (!DELIVERY_ID.test(deliveryId))
    return answer(problem(400, 'HEADER_INVALID', 'X-GitHub-Delivery is not a delivery id.', correlationId));
  if (event === 'ping') return answer(json(200, { status: 'pong', deliveryId }));
  if (event !== 'push')
    return answer(json(202, { status: 'ignored', message: `ignored: ${event}`, deliveryId }));

  const text = payloadText(mediaTypeOf(request), body.bytes);
  if (text.kind === 'unsupported') {
    return answer(
      problem(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Send the webhook as JSON: in the GitHub webhook settings set "Content type" to application/json.',
        correlationId,
      ),
    );
  }
  if (text.kind === 'no-payload-field')
    return answer(
      problem(400, 'PAYLOAD_INVALID', 'The form-encoded delivery has no "payload" field.', correlationId),
    );
  const payload = parseJsonLimited(text.text);
  if (!payload.ok)
    return answer(problem(400, 'PAYLOAD_INVALID', `The payload is ${payload.problem}.`, correlationId));
  const parsed = parsePushEvent(payload.value);
  if (!parsed.ok)
    return answer(problem(400, 'PAYLOAD_INVALID', `Not a push event: ${parsed.problem}.`, correlationId));
  return { kind: 'push', event: parsed.event, deliveryId };
}

/** GitHub sends JSON, or with the legacy form content type a `payload=` field holding the JSON. */
function payloadText(
  mediaType: string,
  bytes: Buffer,
):
  | { readonly kind: 'json'; readonly text: string }
  | { readonly kind: 'no-payload-field' }
  | { readonly kind: 'unsupported' } {
  if (mediaType === 'application/json' || mediaType === '')
    return { kind: 'json', text: bytes.toString('utf8') };
  if (mediaType === 'application/x-www-form-urlencoded') {
    const text = new URLSearchParams(bytes.toString('utf8')).get('payload');
    return text === null ? { kind: 'no-payload-field' } : { kind: 'json', text };
  }
  return { kind: 'unsupported' };
}
