/**
 * A reverse proxy in front of one storage endpoint (Azurite's blob service) that counts the
 * requests going through it: each one is a network round trip, and a billed transaction in Azure.
 */
import http from 'node:http';

export interface CountedRequest {
  readonly method: string;
  /** Path without the account segment and query, e.g. `/flows-ab12/pointers.json`. */
  readonly path: string;
}

export interface CountingProxy {
  /** The proxy's endpoint, in place of the target's (same account path). */
  readonly endpoint: string;
  readonly requests: CountedRequest[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Headers to add to the answer of a request, as storage would have sent them (e.g. a copy still pending). */
  readonly answerHeaders?: (request: CountedRequest) => Readonly<Record<string, string>>;
}

export async function startCountingProxy(target: string, options: ProxyOptions = {}): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: CountedRequest[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', upstream);
    const counted = { method: request.method ?? '', path: url.pathname.replace(upstream.pathname, '') };
    requests.push(counted);
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, {
          ...answer.headers,
          ...options.answerHeaders?.(counted),
        });
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const { port } = address;
  return {
    endpoint: `http://127.0.0.1:${port}${upstream.pathname}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
