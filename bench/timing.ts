/**
 * `npm run bench:timing` — how fast the app refuses what is built to be slow, and how long the
 * demo takes, on this machine only (127.0.0.1). The tests check what happens; the times are
 * measured here, printed, and compared with their targets (exit 1 when one is missed).
 */
import { jsonNestingDepth, parseJsonLimited } from '../src/core/jsonLimited.js';
import { runDemo } from '../tools/sandbox/demo.js';
import { TEST_SECRETS } from '../test/support/appEnv.js';
import { githubDelivery, postDelivery } from '../test/support/github.js';
import { startStack } from '../test/support/stack.js';
import { BUILD_PIPELINE, clientFor, PROJECT, startSeededEmulator } from '../test/emulator/support.js';
import { waitFor } from '../tools/wait.js';

interface Measured {
  readonly name: string;
  readonly ms: number;
  readonly targetMs: number;
}

const measured: Measured[] = [];

async function measure(name: string, targetMs: number, work: () => Promise<void> | void): Promise<void> {
  const started = performance.now();
  await work();
  const ms = Math.round(performance.now() - started);
  measured.push({ name, ms, targetMs });
  console.log(`${name}: ${ms} ms (target < ${targetMs} ms)${ms < targetMs ? '' : ' MISSED'}`);
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`bench:timing: ${what}`);
}

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

// 1. The JSON depth limit refuses a million levels without parsing them.
await measure('parseJsonLimited: 1,000,000 nested arrays and 5,000,000 open brackets', 1_000, () => {
  check(!parseJsonLimited(nested(1_000_000)).ok, 'a million levels were accepted');
  check(!parseJsonLimited('['.repeat(5_000_000)).ok, 'five million open brackets were accepted');
  check(jsonNestingDepth(nested(10)) === 10, 'the depth is measured wrong');
});

// 2. The same through the local host, signed, as JSON and as a form.
const stack = await startStack();
try {
  const post = async (body: string, contentType?: string): Promise<number> => {
    const delivery = githubDelivery(body, TEST_SECRETS.webhook, {
      headers: contentType === undefined ? {} : { 'content-type': contentType },
    });
    return (await postDelivery(stack.host.url, delivery)).status;
  };
  await measure('POST /api/github: a million nested arrays, then a form of 100,000', 5_000, async () => {
    check((await post(nested(1_000_000))) === 400, 'the nested push was not refused with 400');
    const form = `payload=${encodeURIComponent(nested(100_000))}`;
    check(
      (await post(form, 'application/x-www-form-urlencoded')) === 400,
      'the nested form was not refused with 400',
    );
  });
} finally {
  await stack.stop();
}

// 3. The emulator closes at once while it holds a request it will never answer.
const emulator = await startSeededEmulator();
emulator.setFaults({ kinds: ['timeout'], next: 1, methods: ['POST'] });
const pipelines = await clientFor(emulator, { socketTimeout: 60_000 }).getPipelinesApi();
const pending = pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id).catch((error: unknown) => error);
await waitFor(() => emulator.requests().some((request) => request.fault === 'timeout'), {
  what: 'the held request',
});
await measure('ado-emulator close() while holding a timed-out request', 1_000, () => emulator.close());
check((await pending) instanceof Error, 'the held request did not fail');

// 4. The demo, start to finish.
await measure('npm run demo', 60_000, async () => {
  await runDemo({ log: () => undefined });
});

const missed = measured.filter((item) => item.ms >= item.targetMs);
console.log(
  missed.length === 0
    ? 'bench:timing: every target met'
    : `bench:timing: ${missed.length} target(s) missed: ${missed.map((item) => item.name).join('; ')}`,
);
process.exit(missed.length === 0 ? 0 : 1);
