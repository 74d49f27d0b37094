/** Low-level HTTP helpers: body reading, JSON responses, auth and api-version parsing. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Errors } from './errors.js';
import { MAX_API_VERSION, RELEASED_API_VERSION } from './locations.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor() {
    super('request body too large');
    this.name = 'BodyTooLargeError';
  }
}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
    req.on('close', () => {
      if (done) return;
      done = true;
      reject(new Error('request closed before its body was read'));
    });
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string | readonly string[]>> = {},
  apiVersion?: string,
): void {
  if (res.headersSent || res.destroyed) return;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('ActivityId', randomUUID());
  res.setHeader('X-VSS-E2EID', randomUUID());
  if (status === 204 || body === undefined) {
    res.statusCode = status;
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader(
    'Content-Type',
    `application/json; charset=utf-8${apiVersion === undefined ? '' : `; api-version=${apiVersion}`}`,
  );
  res.setHeader('Content-Length', Buffer.byteLength(text, 'utf8'));
  res.end(text);
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** Basic auth whose password is the PAT (any user name), or any non-empty Bearer token. */
export function isAuthorized(header: string | undefined, pat: string): boolean {
  if (header === undefined) return false;
  const match = /^(\w+)\s+(.*)$/s.exec(header.trim());
  if (!match) return false;
  const scheme = (match[1] ?? '').toLowerCase();
  const value = (match[2] ?? '').trim();
  if (scheme === 'bearer') return value !== '';
  if (scheme !== 'basic' || value === '') return false;
  let decoded: string;
  try {
    decoded = Buffer.from(value, 'base64').toString('utf8');
  } catch {
    return false;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  return safeEqual(decoded.slice(colon + 1), pat);
}

/** api-version from the query string or the Accept header (`application/json;api-version=7.2-preview.7`). */
export function apiVersionOf(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const fromQuery = query.get('api-version');
  if (fromQuery !== null && fromQuery !== '') return fromQuery;
  const accept = req.headers.accept ?? '';
  const match = /api-version=([^;,\s]+)/i.exec(accept);
  return match?.[1];
}

export function checkApiVersion(version: string): void {
  const match = /^(\d+)\.(\d+)(-preview(\.\d+)?)?$/.exec(version.trim());
  if (!match) {
    throw Errors.invalidApiVersion(
      `The following api-version is not valid: '${version}'. Use a version like 7.1 or 7.2-preview.1.`,
      'VssInvalidApiVersionException',
    );
  }
  const numeric = Number(`${match[1] ?? '0'}.${match[2] ?? '0'}`);
  if (numeric > MAX_API_VERSION) {
    throw Errors.invalidApiVersion(
      `The requested REST API version of ${numeric.toFixed(1)} is out of range for this server. The latest REST API version this server supports is ${MAX_API_VERSION.toFixed(1)}.`,
      'VssVersionOutOfRangeException',
    );
  }
  if (numeric > RELEASED_API_VERSION && match[3] === undefined) {
    throw Errors.invalidApiVersion(
      `The requested version "${version}" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: "${version}-preview"`,
      'VssInvalidPreviewVersionException',
    );
  }
}
