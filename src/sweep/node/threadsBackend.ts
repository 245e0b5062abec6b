/**
 * The worker-thread backend: runs a sweep on every core of this machine through a Piscina
 * pool. Each thread loads the model itself, by its id (a file path or module id), since a
 * function cannot be sent to a thread; the outcomes come back as plain data and are merged
 * by index, so the result is the inline backend's, byte for byte.
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { ConfigError } from "../../errors/errors.js";
import type { SweepBackend, SweepJob } from "../sweep.js";
import type { ThreadAnswer, ThreadTask } from "./threadWorker.js";

export interface ThreadsBackendOptions {
  /** Threads in the pool. Default: the cores Node may use (`os.availableParallelism()`). */
  readonly workers?: number;
}

/**
 * The worker file, next to this one: threadWorker.js in the build; from distsim's TypeScript
 * sources (its tests), a plain module that loads threadWorker.ts through tsx.
 */
export function threadWorkerFile(): string {
  const isSource = import.meta.url.endsWith(".ts");
  return new URL(isSource ? "./threadWorkerFromSource.mjs" : "./threadWorker.js", import.meta.url)
    .href;
}

/** Node's options that load a module into every thread before its own code. */
const PRELOAD_OPTIONS = new Set([
  "--import",
  "--require",
  "-r",
  "--loader",
  "--experimental-loader",
]);

/**
 * This process's Node options minus those preloading tsx: a thread inheriting
 * `--import tsx` (a script run with `tsx script.ts`) cannot load tsx's API, with which it
 * loads TypeScript models itself ("Cannot find module .../tsx/dist/esm/api/esm/index.mjs").
 */
export function threadExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let at = 0; at < execArgv.length; at++) {
    const option = execArgv[at]!;
    const equals = option.indexOf("=");
    const name = equals < 0 ? option : option.slice(0, equals);
    if (!PRELOAD_OPTIONS.has(name)) {
      kept.push(option);
      continue;
    }
    const value = equals < 0 ? (execArgv[at + 1] ?? "") : option.slice(equals + 1);
    const isTsx = /(^|[/\\])tsx([/\\]|$)/.test(value);
    if (!isTsx) kept.push(option, ...(equals < 0 ? [value] : []));
    if (equals < 0) at++;
  }
  return kept;
}

/**
 * A pool of `workers` threads for running sweep tasks (the BullMQ worker uses one too). The
 * caller destroys it.
 */
export function sweepThreadPool(workers: number): Piscina<ThreadTask, ThreadAnswer> {
  return new Piscina<ThreadTask, ThreadAnswer>({
    filename: threadWorkerFile(),
    execArgv: threadExecArgv(process.execArgv),
    minThreads: workers,
    maxThreads: workers,
    // One task per thread at a time: a run is CPU-bound, a second one would only wait.
    concurrentTasksPerWorker: 1,
  });
}

/** Checks a worker count: an integer >= 1. */
export function checkWorkers(component: string, workers: number | undefined): number {
  const count = workers ?? availableParallelism();
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ConfigError(component, "workers", "an integer >= 1", workers);
  }
  return count;
}

/** The model id a worker backend loads, or a ConfigError saying why it has none. */
export function workerModelId(backend: string, job: SweepJob): string {
  if (job.modelId === undefined) {
    throw new ConfigError(
      `sweep (${backend} backend)`,
      "modelId",
      "a model file path or module id (workers load the model themselves; a function cannot travel to them)",
      undefined,
    );
  }
  if (job.measure !== undefined) {
    throw new ConfigError(
      `sweep (${backend} backend)`,
      "measure",
      "left out: workers use the model file's own `measure` export",
      job.measure,
    );
  }
  return job.modelId;
}

/**
 * Runs the sweep on a pool of worker threads, at most one run per thread at a time. The model
 * is loaded once in a thread before any run, so a model that does not load fails the sweep
 * with its reason instead of failing every run.
 */
export function threadsBackend(options: ThreadsBackendOptions = {}): SweepBackend {
  const workers = checkWorkers("threadsBackend", options.workers);
  return {
    name: "threads",
    async run(job, events) {
      const modelId = workerModelId("threads", job);
      const kind = job.kind ?? "sweep";
      const pool = sweepThreadPool(Math.min(workers, Math.max(1, job.tasks.length)));
      try {
        const check = await pool.run({ modelId, kind });
        if ("loadError" in check)
          throw new ConfigError("sweep", "modelId", check.loadError, modelId);
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < job.tasks.length && !job.signal.aborted) {
            const task = job.tasks[next++]!;
            events.started(task.index);
            let answer: ThreadAnswer;
            try {
              answer = await pool.run({
                modelId,
                kind,
                task,
                ...(job.until === undefined ? {} : { until: job.until }),
              });
            } catch (error) {
              // The thread itself died (the model called process.exit, ran out of memory):
              // Piscina rejects the task and starts a fresh thread, so only this run failed.
              const reason = error instanceof Error ? error.message : String(error);
              events.finished(task.index, { error: `the worker thread ended: ${reason}` });
              continue;
            }
            events.finished(
              task.index,
              "loadError" in answer ? { error: answer.loadError } : answer.outcome,
            );
          }
        };
        await Promise.all(Array.from({ length: workers }, lane));
      } finally {
        await pool.destroy();
      }
    },
  };
}
