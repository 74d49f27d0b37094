import type { HttpRequest } from '@azure/functions';

export type BodyResult =
  { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly tooLarge: true };

/**
 * Reads the raw body, refusing anything over `maxBytes` — by its Content-Length when it
 * declares one, else while reading — so an oversized request is never held in memory whole.
 */
export async function readBody(request: HttpRequest, maxBytes: number): Promise<BodyResult> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, tooLarge: true };
  const body = request.body;
  if (body === null) return { ok: true, bytes: Buffer.alloc(0) };
  const chunks: Buffer[] = [];
  let size = 0;
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return { ok: false, tooLarge: true };
    }
    chunks.push(Buffer.from(value));
  }
  return { ok: true, bytes: Buffer.concat(chunks) };
}

/** The media type of the request without parameters, lower-cased (`application/json`). */
export function mediaTypeOf(request: HttpRequest): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
