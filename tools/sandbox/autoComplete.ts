/**
 * Optional stand-in for the build agents: completes every run of the given pipelines
 * `seconds` after it was queued, with a fixed result, through the emulator's completion
 * endpoint (which fires build.complete to the subscribers, as a real completion does).
 */
import { completeBuild, listBuilds, type AdoTarget } from './ado.js';
import { errorMessage } from '../json.js';
import { delay } from '../wait.js';

export interface AutoCompleterOptions {
  readonly target: AdoTarget;
  readonly pipelineIds: readonly number[];
  readonly seconds: number;
  readonly result: 'succeeded' | 'failed';
  readonly intervalMs?: number;
  readonly log?: (line: string) => void;
}

export interface AutoCompleter {
  /** Ids of the runs completed so far. */
  completed(): readonly number[];
  stop(): Promise<void>;
}

export function startAutoCompleter(options: AutoCompleterOptions): AutoCompleter {
  const log = options.log ?? (() => undefined);
  const abort = new AbortController();
  const stopped = (): boolean => abort.signal.aborted;
  const scheduled = new Map<number, NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const completed: number[] = [];
  let lastError: string | undefined;

  function complete(buildId: number): void {
    scheduled.delete(buildId);
    if (abort.signal.aborted) return;
    const task = completeBuild(options.target, buildId, options.result).then(
      () => {
        completed.push(buildId);
        log(`[auto-complete] run ${buildId} completed: ${options.result}`);
      },
      (error: unknown) => {
        if (!abort.signal.aborted)
          log(`[auto-complete] completing run ${buildId} failed: ${errorMessage(error)}`);
      },
    );
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }

  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        const builds = await listBuilds(options.target);
        lastError = undefined;
        for (const build of builds) {
          if (!options.pipelineIds.includes(build.definitionId) || build.status === 'completed') continue;
          if (scheduled.has(build.id) || completed.includes(build.id)) continue;
          const queued = Date.parse(build.queueTime);
          const due = (Number.isNaN(queued) ? Date.now() : queued) + options.seconds * 1000;
          scheduled.set(
            build.id,
            setTimeout(
              () => {
                complete(build.id);
              },
              Math.max(0, due - Date.now()),
            ),
          );
        }
      } catch (error) {
        const message = errorMessage(error);
        if (message !== lastError && !stopped()) log(`[auto-complete] ${message}`);
        lastError = message;
      }
      await delay(options.intervalMs ?? 500, abort.signal);
    }
  })();

  return {
    completed: () => [...completed],
    stop: async () => {
      abort.abort();
      for (const timer of scheduled.values()) clearTimeout(timer);
      scheduled.clear();
      await loop;
      await Promise.all([...inFlight]);
    },
  };
}
