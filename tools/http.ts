/** What the tools' own HTTP servers (local host, stand-in Event Grid topic) share. */
import type { IncomingMessage } from 'node:http';

/**
 * The request's body, read to its end; `'too-large'` when it is over `limit` bytes (what is over
 * the limit is read and dropped, so the connection can still be answered).
 */
export function readLimitedBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.once('end', () => {
      resolve(size > limit ? 'too-large' : Buffer.concat(chunks));
    });
    request.once('error', reject);
  });
}
