import type { AppProbe } from '../ports/appProbe.js';

/** A notification of an event the app does not subscribe to: answered 200 `ignored`, nothing queued. */
const PING = { eventType: 'ai-app-cicd.doctor', notificationId: 'doctor', resource: {} };

export class HttpAppProbe implements AppProbe {
  constructor(private readonly timeoutMs = 10_000) {}

  async pingServiceHook(
    url: string,
    credentials: { readonly username: string; readonly password: string },
  ): Promise<{ readonly status: number } | { readonly error: string }> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
        },
        body: JSON.stringify(PING),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body?.cancel();
      return { status: response.status };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return { error: `${error instanceof Error ? error.message : 'request failed'}${cause}` };
    }
  }
}
