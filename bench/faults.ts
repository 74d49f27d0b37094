/**
 * `npm run bench:faults` — delivery guarantees under load, on this machine only (127.0.0.1):
 *   1. duplicate storm: 1,000 deliveries that are copies of 10 GitHub pushes → 10 runs;
 *   2. 500 distinct pushes while 30 % of Azure DevOps requests fail (429 with Retry-After,
 *      503, timeouts after the request was carried out, connection resets) → 500 runs.
 * Prints runs created, duplicates, lost, and accept → run-created latency (p50/p99).
 */
import { TEST_SECRETS } from '../test/support/appEnv.js';
import { githubDelivery, postDelivery, pushPayload, sha, type Delivery } from '../test/support/github.js';
import { at } from '../tools/json.js';
import { drained, publishModel, runsCreated, startStack, type Stack } from '../test/support/stack.js';

const DISTINCT_UNDER_FAULTS = Number(process.env.BENCH_EVENTS ?? 500);
const DUPLICATES = Number(process.env.BENCH_DUPLICATES ?? 1000);
const DUPLICATED_PUSHES = 10;
const CONCURRENCY = 25;

async function send(
  stack: Stack,
  delivery: Delivery,
): Promise<{ status: number; flowId: string; acceptedAt: number }> {
  const { status, body } = await postDelivery(stack.host.url, delivery);
  const flowId = at(body, 'flowId');
  return {
    status,
    flowId: typeof flowId === 'string' ? flowId : '',
    acceptedAt: Date.now(),
  };
}

async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size)
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  return results;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs created (the request was carried out, whether or not its answer was lost), by flow id. */
function runTimesByFlow(stack: Stack, sinceIndex: number): Map<string, number[]> {
  const byFlow = new Map<string, number[]>();
  for (const run of runsCreated(stack.emulator, 1).slice(sinceIndex)) {
    const flowId = String(at(run.body, 'templateParameters', 'flowId'));
    const times = byFlow.get(flowId) ?? [];
    times.push(Date.parse(String(Reflect.get(run, 'at'))));
    byFlow.set(flowId, times);
  }
  return byFlow;
}

function report(
  name: string,
  accepted: readonly { flowId: string; acceptedAt: number }[],
  runs: Map<string, number[]>,
  seconds: number,
): boolean {
  const expected = new Set(accepted.map((item) => item.flowId));
  const total = [...runs.values()].reduce((sum, times) => sum + times.length, 0);
  const duplicates = total - runs.size;
  const lost = [...expected].filter((flowId) => !runs.has(flowId)).length;
  const firstAccept = new Map<string, number>();
  for (const item of accepted)
    if (!firstAccept.has(item.flowId)) firstAccept.set(item.flowId, item.acceptedAt);
  const latencies = [...firstAccept].flatMap(([flowId, acceptedAt]) => {
    const created = runs.get(flowId)?.[0];
    return created === undefined ? [] : [Math.max(0, created - acceptedAt)];
  });
  console.log(
    `${name}: ${accepted.length} deliveries, ${expected.size} flows → runs created ${total}, duplicates ${duplicates}, lost ${lost}; ` +
      `accept→run p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms; ${seconds.toFixed(1)} s`,
  );
  return duplicates === 0 && lost === 0 && total === expected.size;
}

const stack = await startStack({ AZURE_DEVOPS_TIMEOUT_SECONDS: '2' });
let ok = true;
try {
  await publishModel(stack, '1.0.0');

  // 1. Duplicate storm.
  let since = runsCreated(stack.emulator, 1).length;
  let started = Date.now();
  const originals = Array.from({ length: DUPLICATED_PUSHES }, (_, index) =>
    githubDelivery(pushPayload({ after: sha(`bench-dup-${index}`) }), TEST_SECRETS.webhook),
  );
  const copies = Array.from(
    { length: DUPLICATES },
    (_, index) => originals[index % DUPLICATED_PUSHES] ?? originals[0],
  );
  const stormAccepted = await inBatches(copies, CONCURRENCY * 4, (delivery) =>
    delivery === undefined ? Promise.reject(new Error('no delivery')) : send(stack, delivery),
  );
  await drained(stack, 300_000);
  ok =
    report('duplicate storm', stormAccepted, runTimesByFlow(stack, since), (Date.now() - started) / 1000) &&
    ok;

  // 2. Distinct events under faults.
  since = runsCreated(stack.emulator, 1).length;
  started = Date.now();
  stack.emulator.setFaults({
    probability: 0.3,
    kinds: (process.env.BENCH_KINDS ?? '429,503,timeout,reset').split(',').filter(isFaultKind),
    retryAfterSeconds: 1,
  });
  const distinct = Array.from({ length: DISTINCT_UNDER_FAULTS }, (_, index) =>
    githubDelivery(pushPayload({ after: sha(`bench-fault-${index}`) }), TEST_SECRETS.webhook),
  );
  const faultAccepted = await inBatches(distinct, CONCURRENCY, (delivery) => send(stack, delivery));
  await drained(stack, 900_000);
  stack.emulator.setFaults(null);
  const faults = stack.emulator.requests().filter((request) => request.fault !== undefined);
  const kinds = faults.reduce<Record<string, number>>(
    (counts, request) => ({ ...counts, [request.fault ?? '']: (counts[request.fault ?? ''] ?? 0) + 1 }),
    {},
  );
  console.log(
    `faults injected: ${faults.length} ${JSON.stringify(kinds)} of ${stack.emulator.requests().length} Azure DevOps requests`,
  );
  ok =
    report(
      'distinct under 30 % faults',
      faultAccepted,
      runTimesByFlow(stack, since),
      (Date.now() - started) / 1000,
    ) && ok;
} finally {
  if (process.env.BENCH_DEBUG !== undefined) {
    for (const request of stack.emulator.requests().slice(-60)) {
      console.log(
        request.at.slice(11),
        request.method,
        request.path.replace(/^.*_apis/, ''),
        request.status,
        request.fault ?? '',
        request.responded === false ? 'NO-ANSWER' : '',
      );
    }
    const counts: Record<string, number> = {};
    for (const line of stack.logs) {
      const key = line
        .replace(/\{.*$/, '')
        .replace(/[0-9a-f-]{20,}/g, 'ID')
        .slice(0, 100);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    console.log(JSON.stringify(counts, null, 1));
    console.log(
      stack.logs
        .filter((line) => /warn|error|fail/i.test(line))
        .slice(0, 20)
        .join('\n'),
    );
  }
  await stack.stop();
}
console.log(ok ? 'bench:faults: all guarantees held' : 'bench:faults: A GUARANTEE WAS BROKEN');
process.exit(ok ? 0 : 1);

function isFaultKind(value: string): value is '429' | '503' | 'timeout' | 'reset' {
  return value === '429' || value === '503' || value === 'timeout' || value === 'reset';
}
