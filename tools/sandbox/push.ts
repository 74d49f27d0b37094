/**
 * `npm run sandbox:push -- --branch main [--commit <sha>] [--message "..."] [--url http://127.0.0.1:7071]
 *                          [--secret ...] [--repository owner/name] [--file path]...`
 *
 * Sends a GitHub `push` delivery as GitHub does: the documented payload, the event and delivery
 * headers, and an HMAC SHA-256 signature (X-Hub-Signature-256) with the webhook secret.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  githubDelivery,
  postDelivery,
  pushPayload as githubPushPayload,
  randomSha,
} from '../github/webhooks.js';
import { errorMessage } from '../json.js';
import { SANDBOX, setting } from './settings.js';

export interface PushOptions {
  readonly branch: string;
  /** 40-hex commit SHA (default: a random one). */
  readonly commit?: string;
  /** The commit before the push (default: a random one). */
  readonly before?: string;
  readonly message?: string;
  readonly repository?: string;
  /** Paths the commit modified (default: src/app.py). */
  readonly files?: readonly string[];
  readonly pushedAt?: Date;
}

export interface PushDelivery {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly deliveryId: string;
  readonly commit: string;
}

export interface PushResult extends PushDelivery {
  readonly url: string;
  readonly status: number;
  readonly response: unknown;
}

const SHA = /^[0-9a-f]{40}$/;

export { randomSha };

/** The push payload GitHub sends (docs.github.com → Webhook events and payloads → push). */
export function pushPayload(options: PushOptions): Record<string, unknown> & { readonly after: string } {
  const after = (options.commit ?? randomSha()).toLowerCase();
  const payload = githubPushPayload({
    repository: options.repository ?? SANDBOX.repository,
    ref: `refs/heads/${options.branch.replace(/^refs\/heads\//, '')}`,
    after,
    before: (options.before ?? randomSha()).toLowerCase(),
    ...(options.message === undefined ? {} : { message: options.message }),
    files: { modified: options.files ?? ['src/app.py'] },
    pushedAt: Math.floor((options.pushedAt ?? new Date()).getTime() / 1000),
  });
  return { ...payload, after };
}

/** The delivery (body, headers with signature) for a push, signed with `secret`. */
export function pushDelivery(options: PushOptions, secret: string): PushDelivery {
  if (options.commit !== undefined && !SHA.test(options.commit.toLowerCase()))
    throw new Error(`--commit must be a 40-hex commit SHA, got "${options.commit}"`);
  const payload = pushPayload(options);
  return { ...githubDelivery(payload, secret), commit: payload.after };
}

/** Signs and POSTs a push to `<hostUrl>/api/github`; resolves with the app's answer. */
export async function sendPush(hostUrl: string, secret: string, options: PushOptions): Promise<PushResult> {
  const delivery = pushDelivery(options, secret);
  const { status, body } = await postDelivery(hostUrl, delivery);
  return { ...delivery, url: `${hostUrl.replace(/\/+$/, '')}/api/github`, status, response: body };
}

function usage(): string {
  return [
    'Usage: npm run sandbox:push -- --branch <name> [options]',
    '  --branch <name>          branch pushed to (default: main)',
    '  --commit <sha>           40-hex commit SHA (default: random)',
    '  --message <text>         head commit message',
    '  --file <path>            a path the commit modified (repeatable; default src/app.py)',
    '  --url <url>              the Functions host (default: http://127.0.0.1:$PORT, PORT default 7071)',
    `  --secret <secret>        webhook secret (default: $GITHUB_WEBHOOK_SECRET or ${SANDBOX.webhookSecret})`,
    `  --repository <o/name>    repository (default: $GITHUB_REPOSITORY or ${SANDBOX.repository})`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      branch: { type: 'string' },
      commit: { type: 'string' },
      message: { type: 'string' },
      file: { type: 'string', multiple: true },
      url: { type: 'string' },
      secret: { type: 'string' },
      repository: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) {
    console.log(usage());
    return;
  }
  const hostUrl = values.url ?? `http://127.0.0.1:${setting(process.env, 'PORT', '7071')}`;
  const secret = values.secret ?? setting(process.env, 'GITHUB_WEBHOOK_SECRET', SANDBOX.webhookSecret);
  const options: PushOptions = {
    branch: values.branch ?? 'main',
    repository: values.repository ?? setting(process.env, 'GITHUB_REPOSITORY', SANDBOX.repository),
    ...(values.commit === undefined ? {} : { commit: values.commit }),
    ...(values.message === undefined ? {} : { message: values.message }),
    ...(values.file === undefined ? {} : { files: values.file }),
  };
  let result: PushResult;
  try {
    result = await sendPush(hostUrl, secret, options);
  } catch (error) {
    console.error(
      `Push to ${hostUrl}/api/github failed: ${errorMessage(error)} (is \`npm run sandbox\` running?)`,
    );
    process.exitCode = 1;
    return;
  }
  console.log(
    `push ${options.repository ?? ''} ${options.branch} ${result.commit} (delivery ${result.deliveryId}) → ${result.status}`,
  );
  console.log(
    result.response === undefined
      ? '(no body)'
      : typeof result.response === 'string'
        ? result.response
        : JSON.stringify(result.response, null, 2),
  );
  if (result.status >= 400) process.exitCode = 1;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  main().catch((error: unknown) => {
    console.error(errorMessage(error));
    console.error(usage());
    process.exitCode = 1;
  });
}
