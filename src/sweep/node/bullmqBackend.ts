/**
 * The BullMQ backend: a sweep's runs as jobs on a Redis queue, run by any number of
 * `distsim worker --redis URL` processes on any machines, their outcomes merged here by index
 * (so the result is the inline backend's, byte for byte).
 *
 * Nothing here is a queue of our own: BullMQ retries a job whose worker threw (`attempts`,
 * exponential backoff), and a job whose worker died (a killed process stops renewing its
 * lock) is found stalled by another worker and run again. A job's id is the sweep's identity
 * and the run's index, so asking for the same sweep again (a restarted producer) adds nothing
 * and collects what is already done. A run whose model throws is not a job failure: the job
 * completes with the error as its outcome (running it again would throw again), so only a
 * worker that cannot run the job at all (the model does not load there) uses up attempts.
 *
 * Finished jobs stay in Redis until the producer has every outcome, so a producer restarted
 * midway collects them instead of running them again; once it has them all (or stops early)
 * it removes its sweep's jobs, so Redis does not grow sweep after sweep. A job nobody
 * collects (its producer never came back) is removed by BullMQ `keepFinishedSeconds` after it
 * finished.
 */
import { availableParallelism } from "node:os";
import { Job, Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import { ConfigError } from "../../errors/errors.js";
import type { RunTask } from "../runTask.js";
import type { SweepBackend } from "../sweep.js";
import type { TaskKind, TaskOutcome } from "../taskKinds.js";
import { fromWire, toWire } from "../wire.js";
import { sweepThreadPool, workerModelId } from "./threadsBackend.js";

/** The queue sweeps use unless told otherwise (producer and workers must agree). */
export const DEFAULT_SWEEP_QUEUE = "distsim-sweep";

/**
 * What a job carries: enough for any worker to run it. The task is written with `toWire` (its
 * parameters may be Infinity, which JSON would turn into null), and so is the job's return
 * value, the run's outcome (a figure may be NaN).
 */
export interface SweepJobData {
  readonly sweep: string;
  readonly modelId: string;
  /** The model's version, so a worker that loaded an older one loads it again. */
  readonly modelVersion?: string;
  readonly until?: number;
  /** What the task is; absent: a sweep's run. */
  readonly kind?: TaskKind;
  readonly task: RunTask;
}

export interface BullmqBackendOptions {
  /** Redis, as `redis://host:port` (or `rediss://` for TLS). */
  readonly url: string;
  /** The queue's name. Default "distsim-sweep". */
  readonly queue?: string;
  /** Tries per job before it is reported failed (a worker that threw). Default 3. */
  readonly attempts?: number;
  /** First retry delay in milliseconds, doubling per retry. Default 1000. */
  readonly backoffMs?: number;
  /** Milliseconds between scans of the queue for finished jobs besides its events. Default 2000. */
  readonly scanEveryMs?: number;
  /**
   * Seconds a finished job may wait for a producer to collect it before BullMQ removes it (a
   * producer that never came back). A producer removes its jobs itself once it has them all;
   * a job removed before it was collected is only run again. Default 7 days.
   */
  readonly keepFinishedSeconds?: number;
}

/** Jobs removed at once: each is one script call, sent together on one connection. */
const REMOVE_BATCH = 500;

/** Jobs whose state a scan reads at once, the same way. */
const SCAN_BATCH = 500;

/**
 * Connects to the Redis at `url` and checks it answers, or throws a `ConfigError` naming the
 * URL and what went wrong: a sweep with a bad URL fails before any run.
 */
export async function connectRedis(component: string, url: string): Promise<Redis> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(component, "redis", "a URL such as redis://127.0.0.1:6379", url);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new ConfigError(component, "redis", "a redis:// or rediss:// URL", url);
  }
  const connection = new Redis(url, {
    // BullMQ's workers block on Redis; ioredis must not give up on their commands.
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: 5000,
    // Fail the first connection at once (a wrong port is a usage error), reconnect later.
    retryStrategy: (times) => (ready ? Math.min(times * 200, 2000) : null),
  });
  let ready = false;
  let lastError: Error | null = null;
  connection.on("error", (error: Error) => {
    // Reported by connect() below, or retried by ioredis once connected.
    lastError = error;
  });
  try {
    await connection.connect();
    await connection.ping();
    ready = true;
  } catch (error) {
    connection.disconnect();
    throw new ConfigError(
      component,
      "redis",
      `a reachable Redis (${(lastError ?? (error as Error)).message})`,
      url,
    );
  }
  return connection;
}

function checkCount(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
): number {
  const count = value ?? fallback;
  if (!Number.isSafeInteger(count) || count < min) {
    throw new ConfigError("bullmqBackend", name, `an integer >= ${min}`, value);
  }
  return count;
}

/** A sweep's job id for one run (BullMQ refuses ids with ":"). */
export function sweepJobId(identity: string, index: number): string {
  return `${identity}-${index}`;
}

/**
 * Moves this sweep's failed jobs (ids in `ids`) back to waiting, their attempts counted
 * afresh. Looked up before this producer adds anything, so only failures of earlier starts
 * are retried.
 */
async function retryFailedJobs(
  queue: Queue<SweepJobData, TaskOutcome>,
  ids: ReadonlyMap<string, number>,
): Promise<void> {
  const page = 1000;
  const failed: Job<SweepJobData, TaskOutcome>[] = [];
  // Collected first: retrying moves jobs out of the failed set and would shift the pages.
  for (let at = 0; ; at += page) {
    const jobs = await queue.getFailed(at, at + page - 1);
    for (const found of jobs) if (found?.id !== undefined && ids.has(found.id)) failed.push(found);
    if (jobs.length < page) break;
  }
  for (const found of failed) {
    await found.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
  }
}

/** What a scan needs to know of a job: it ended, it runs, it is gone, or neither yet. */
type ScannedState = "completed" | "failed" | "active" | "gone" | "waiting";

/**
 * One letter per job of ARGV: c(ompleted), f(ailed), g(one), a(ctive) or w(aiting: waiting,
 * delayed or prioritized). KEYS: the completed, failed and active keys, and the queue's key
 * prefix (a job's hash is the prefix and its id), as BullMQ's own scripts build job keys.
 */
const SCAN_SCRIPT = `local out = {}
for i, id in ipairs(ARGV) do
  if redis.call("ZSCORE", KEYS[1], id) then out[i] = "c"
  elseif redis.call("ZSCORE", KEYS[2], id) then out[i] = "f"
  elseif redis.call("EXISTS", KEYS[4] .. id) == 0 then out[i] = "g"
  elseif redis.call("LPOS", KEYS[3], id) then out[i] = "a"
  else out[i] = "w" end
end
return table.concat(out)`;

const SCANNED: Record<string, ScannedState> = {
  c: "completed",
  f: "failed",
  g: "gone",
  a: "active",
  w: "waiting",
};

/**
 * The states of the jobs `ids`, in one script call that costs Redis O(log n) per job (only the
 * short active list is walked) and the producer one string to read. BullMQ's `getJobState`
 * finds a waiting job by walking the wait list (LPOS), so reading every pending job that way,
 * one call each, cost a scan O(n²): 10,000 waiting jobs took Redis 0.7-1.1 s of CPU and the
 * producer 0.3-0.5 s per scan; this takes 40 ms and 25 ms.
 */
async function scanStates(
  connection: Redis,
  queue: Queue<SweepJobData, TaskOutcome>,
  ids: readonly string[],
): Promise<ScannedState[]> {
  const letters = (await connection.eval(
    SCAN_SCRIPT,
    4,
    queue.toKey("completed"),
    queue.toKey("failed"),
    queue.toKey("active"),
    queue.toKey(""),
    ...ids,
  )) as string;
  return Array.from(letters, (letter) => SCANNED[letter]!);
}

/**
 * Removes the jobs `ids` from the queue; a job a worker is running (locked) stays, and
 * BullMQ's age limit removes it later.
 */
async function removeJobs(
  queue: Queue<SweepJobData, TaskOutcome>,
  ids: readonly string[],
): Promise<void> {
  for (let at = 0; at < ids.length; at += REMOVE_BATCH) {
    await Promise.all(
      ids.slice(at, at + REMOVE_BATCH).map((id) => queue.remove(id).catch(() => 0)),
    );
  }
}

/** Runs a sweep's tasks as BullMQ jobs and collects their outcomes. */
export function bullmqBackend(options: BullmqBackendOptions): SweepBackend {
  const queueName = options.queue ?? DEFAULT_SWEEP_QUEUE;
  const attempts = checkCount("attempts", options.attempts, 3, 1);
  const backoffMs = checkCount("backoffMs", options.backoffMs, 1000, 0);
  const scanEveryMs = checkCount("scanEveryMs", options.scanEveryMs, 2000, 10);
  const keepFinishedSeconds = checkCount(
    "keepFinishedSeconds",
    options.keepFinishedSeconds,
    7 * 24 * 3600,
    1,
  );
  return {
    name: "bullmq",
    async run(job, events) {
      const modelId = workerModelId("bullmq", job);
      const connection = await connectRedis("bullmqBackend", options.url);
      const queue = new Queue<SweepJobData, TaskOutcome>(queueName, { connection });
      const queueEvents = new QueueEvents(queueName, { connection: connection.duplicate() });
      const indexOf = new Map(
        job.tasks.map((task) => [sweepJobId(job.identity, task.index), task.index]),
      );
      const taskOf = new Map(job.tasks.map((task) => [task.index, task]));
      const pending = new Set(taskOf.keys());
      let wake: () => void = () => {};
      /**
       * Reads a job's state and reports it when it has ended; ignores anyone else's jobs.
       * Says whether the job is missing from the queue.
       */
      const collect = async (jobId: string): Promise<boolean> => {
        const index = indexOf.get(jobId);
        if (index === undefined || !pending.has(index)) return false;
        // The state first: a job read as completed has its return value written (one script
        // moves it and stores the value), while a job read first might complete in between.
        const state = await queue.getJobState(jobId);
        if (state === "unknown") return true;
        if (state === "active") {
          events.started(index);
          return false;
        }
        if (state !== "completed" && state !== "failed") return false;
        const found = await Job.fromId<SweepJobData, TaskOutcome>(queue, jobId);
        // Removed in between: the next scan finds it missing.
        if (found === undefined) return false;
        finish(
          index,
          state === "completed"
            ? (fromWire(found.returnvalue) as TaskOutcome)
            : { error: `job failed ${found.attemptsMade} time(s): ${found.failedReason}` },
        );
        return false;
      };
      const finish = (index: number, outcome: TaskOutcome): void => {
        if (!pending.delete(index)) return;
        events.finished(index, outcome);
        if (pending.size === 0) wake();
      };
      const enqueue = async (tasks: readonly RunTask[]): Promise<void> => {
        await queue.addBulk(
          tasks.map((task) => ({
            name: "run",
            data: {
              sweep: job.identity,
              modelId,
              ...(job.modelVersion === undefined ? {} : { modelVersion: job.modelVersion }),
              ...(job.until === undefined ? {} : { until: job.until }),
              ...(job.kind === undefined || job.kind === "sweep" ? {} : { kind: job.kind }),
              task: toWire(task) as RunTask,
            },
            opts: {
              jobId: sweepJobId(job.identity, task.index),
              attempts,
              backoff: { type: "exponential", delay: backoffMs },
              removeOnComplete: { age: keepFinishedSeconds },
              removeOnFail: { age: keepFinishedSeconds },
            },
          })),
        );
      };
      try {
        // A completed job's event carries its return value (written by the same script that
        // completes it), and an active job's event says it started: no round trip to Redis
        // per run. A failed one is read (its attempts and reason).
        queueEvents.on("completed", ({ jobId, returnvalue }) => {
          const index = indexOf.get(jobId);
          if (index !== undefined) finish(index, fromWire(returnvalue) as TaskOutcome);
        });
        queueEvents.on("active", ({ jobId }) => {
          const index = indexOf.get(jobId);
          if (index !== undefined && pending.has(index)) events.started(index);
        });
        queueEvents.on("failed", ({ jobId }) => void collect(jobId));
        await queueEvents.waitUntilReady();
        // A job of this sweep that failed all its attempts before (a producer asking again,
        // perhaps after the workers were fixed) is retried, or it would be reported failed
        // forever: BullMQ leaves a failed job as it is when its id is added again.
        await retryFailedJobs(queue, indexOf);
        // An id already in the queue (a producer asking again) is left as it is by BullMQ.
        const chunk = 500;
        for (let at = 0; at < job.tasks.length && !job.signal.aborted; at += chunk) {
          await enqueue(job.tasks.slice(at, at + chunk));
        }
        // Jobs that ended before we listened (a restarted producer), then every scanEveryMs
        // in case an event was missed (Redis events are not durable).
        while (pending.size > 0 && !job.signal.aborted) {
          const missing: RunTask[] = [];
          const unseen = [...pending];
          // Read together (ioredis sends them back to back), not one round trip after another;
          // only the finished ones are read in full.
          for (let at = 0; at < unseen.length && !job.signal.aborted; at += SCAN_BATCH) {
            const batch = unseen.slice(at, at + SCAN_BATCH);
            const ids = batch.map((index) => sweepJobId(job.identity, index));
            const states = await scanStates(connection, queue, ids);
            const reads: Promise<boolean>[] = [];
            states.forEach((state, k) => {
              const index = batch[k]!;
              if (state === "completed" || state === "failed") reads.push(collect(ids[k]!));
              else if (state === "active" && pending.has(index)) events.started(index);
              else if (state === "gone") missing.push(taskOf.get(index)!);
            });
            await Promise.all(reads);
          }
          if (pending.size === 0) break;
          // Removed before this producer had it (another producer of the same sweep finished
          // and cleaned up, or it outlived keepFinishedSeconds): run it again.
          if (missing.length > 0 && !job.signal.aborted) await enqueue(missing);
          await new Promise<void>((resolve) => {
            // One abort listener per wait, removed after it: a listener left behind per scan
            // piles up (Node warns past 10) over a sweep of many scans.
            const done = () => {
              clearTimeout(timer);
              job.signal.removeEventListener("abort", done);
              resolve();
            };
            wake = done;
            const timer = setTimeout(done, scanEveryMs);
            job.signal.addEventListener("abort", done);
          });
        }
        // Every outcome is in hand (or the sweep stopped early and wants no more): the
        // sweep's jobs go, finished or not started (a running one finishes, then ages out).
        await removeJobs(
          queue,
          job.tasks.map((task) => sweepJobId(job.identity, task.index)),
        );
      } finally {
        await queueEvents.close();
        await queue.close();
        connection.disconnect();
      }
    },
  };
}

export interface SweepWorkerOptions {
  /** Redis, as `redis://host:port`. */
  readonly url: string;
  /** The queue's name. Default "distsim-sweep". */
  readonly queue?: string;
  /**
   * Jobs in hand at once. Default: `threads`. More than `threads` keeps a job's Redis round
   * trips (fetching it, storing its outcome) off the threads' time, which pays for runs of a
   * few milliseconds; a job in hand waits for a free thread, and no other worker can take it.
   */
  readonly concurrency?: number;
  /**
   * Worker threads running jobs. Default: the cores Node may use, or `concurrency` when that
   * is fewer.
   */
  readonly threads?: number;
  /**
   * Seconds a job's lock lasts without renewal: how soon another worker takes over the jobs
   * of one that died. The worker renews it every half of this (its main thread stays free:
   * runs go to worker threads). Default 30.
   */
  readonly lockSeconds?: number;
  /** Seconds between this worker's checks for stalled jobs (of dead workers). Default 30. */
  readonly stalledCheckSeconds?: number;
  /** Stops the worker (after its runs in hand finish). */
  readonly signal?: AbortSignal;
  /** Told once the worker is connected and waiting for jobs. */
  readonly onReady?: () => void;
  /** Told of each job this worker ended. */
  readonly onJob?: (ended: { jobId: string; index: number; ok: boolean }) => void;
}

/**
 * Consumes sweep jobs until `signal` aborts: what `distsim worker --redis URL` runs. Runs go
 * to a pool of worker threads, each loading the job's model by its id (the same path or
 * module id must resolve on this machine).
 */
export async function runSweepWorker(options: SweepWorkerOptions): Promise<void> {
  for (const [name, value] of [
    ["concurrency", options.concurrency],
    ["threads", options.threads],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) {
      throw new ConfigError("distsim worker", name, "an integer >= 1", value);
    }
  }
  const threads =
    options.threads ?? Math.min(availableParallelism(), options.concurrency ?? Infinity);
  const concurrency = options.concurrency ?? threads;
  const lockSeconds = options.lockSeconds ?? 30;
  const stalledSeconds = options.stalledCheckSeconds ?? 30;
  for (const [name, value] of [
    ["lockSeconds", lockSeconds],
    ["stalledCheckSeconds", stalledSeconds],
  ] as const) {
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new ConfigError("distsim worker", name, "a number of seconds > 0", value);
    }
  }
  const connection = await connectRedis("distsim worker", options.url);
  const pool = sweepThreadPool(threads);
  const worker = new Worker<SweepJobData, TaskOutcome>(
    options.queue ?? DEFAULT_SWEEP_QUEUE,
    async (job) => {
      const { modelId, modelVersion, until, kind } = job.data;
      const task = fromWire(job.data.task) as RunTask;
      const answer = await pool.run({
        modelId,
        task,
        ...(modelVersion === undefined ? {} : { modelVersion }),
        ...(until === undefined ? {} : { until }),
        ...(kind === undefined ? {} : { kind }),
      });
      // Only a model that cannot run here is a job failure (BullMQ retries it elsewhere).
      if ("loadError" in answer) throw new Error(answer.loadError);
      return toWire(answer.outcome) as TaskOutcome;
    },
    {
      connection,
      concurrency,
      lockDuration: lockSeconds * 1000,
      stalledInterval: stalledSeconds * 1000,
    },
  );
  worker.on("completed", (job) =>
    options.onJob?.({ jobId: job.id ?? "", index: job.data.task.index, ok: true }),
  );
  worker.on("failed", (job) => {
    if (job !== undefined) {
      options.onJob?.({ jobId: job.id ?? "", index: job.data.task.index, ok: false });
    }
  });
  worker.on("error", () => {
    // Connection trouble: ioredis reconnects and BullMQ carries on.
  });
  try {
    await worker.waitUntilReady();
    options.onReady?.();
    await new Promise<void>((resolve) => {
      if (options.signal?.aborted) resolve();
      options.signal?.addEventListener("abort", () => resolve());
    });
  } finally {
    await worker.close();
    await pool.destroy();
    connection.disconnect();
  }
}
