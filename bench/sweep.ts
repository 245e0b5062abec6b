/**
 * `npm run bench:sweep`: what the sweep backends cost and gain on this machine.
 * 1. Worker threads against inline: the same sweep of RUNS runs (each about 0.2 s of one
 *    core on an idle machine) both ways; the speed-up is inline wall time over threads wall
 *    time. A threads sweep starts its pool and loads the model in every thread (from the
 *    TypeScript sources here, through tsx; a user's build loads plain JavaScript), so that
 *    start is timed alone and shown beside the speed-up without it.
 * 2. BullMQ's overhead per job against threads: sweeps of TINY_RUNS and 2 × TINY_RUNS runs
 *    that cost almost nothing, on threads and through Redis (DISTSIM_BENCH_REDIS_URL; skipped
 *    without it) with one in-process worker of the same thread count, warmed up first (its
 *    threads have loaded the model). Each backend's cost per job is the difference between
 *    its two sweeps divided by TINY_RUNS, so what every sweep pays once (a pool's start,
 *    connecting, the last scan's wait) cancels out; BullMQ's overhead is the difference
 *    between the two per-job costs. The worker holds JOBS_IN_HAND jobs at once (default
 *    2 × threads: one job's Redis round trips overlap another's run).
 * 3. A projection for a 10,000-seed exploration from those numbers.
 * It measures the build (`npm run build` first), as users run it.
 * Wall time is what a user waits for, and it is only as good as the machine is idle. Beside
 * it: the load average, and CPU time, which a loaded machine inflates far less: this
 * process's (every thread's) and, for BullMQ, Redis's own (from INFO). From CPU time,
 * "speed-up if idle" is inline CPU over threads CPU per thread: what the wall-time speed-up
 * would be with each thread on a core of its own.
 */

import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";

// The build, as users run it (`npm run build` first): worker threads load compiled
// JavaScript, where the TypeScript sources would be compiled through tsx in every thread.
if (!existsSync(join(import.meta.dirname, "../dist/sweep/node/index.js"))) {
  console.error("bench:sweep measures the build: run npm run build first");
  process.exit(1);
}
const { sweep } = await import("distsim");
const { bullmqBackend, runSweepWorker, threadsBackend } = await import("distsim/sweep");
type SweepOptions = import("distsim").SweepOptions;

const RUNS = Number(process.env.RUNS ?? 100);
const TINY_RUNS = Number(process.env.TINY_RUNS ?? 300);
const WORKERS = Number(process.env.WORKERS ?? cpus().length);
const JOBS_IN_HAND = Number(process.env.JOBS_IN_HAND ?? 2 * WORKERS);
const modelId = join(import.meta.dirname, "sweepModel.mjs");
const redisUrl = process.env.DISTSIM_BENCH_REDIS_URL;

interface Timing<T> {
  /** Wall seconds. */
  readonly seconds: number;
  /** CPU seconds of this process, every thread. */
  readonly cpuSeconds: number;
  /** CPU seconds of the Redis server, when one is watched. */
  readonly redisCpuSeconds: number;
  readonly value: T;
}

/** Redis's own CPU seconds so far (user + system), from INFO. */
async function redisCpuSeconds(redis: Redis | null): Promise<number> {
  if (redis === null) return 0;
  const info = await redis.info("cpu");
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return read("used_cpu_user") + read("used_cpu_sys");
}

async function timed<T>(
  label: string,
  work: () => Promise<T>,
  redis: Redis | null = null,
): Promise<Timing<T>> {
  const redisBefore = await redisCpuSeconds(redis);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const value = await work();
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const redisCpu = (await redisCpuSeconds(redis)) - redisBefore;
  console.log(
    `  ${label}: ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU${redis === null ? "" : ` + Redis ${redisCpu.toFixed(2)} s CPU`} (load average ${loadavg()[0]!.toFixed(1)})`,
  );
  return { seconds, cpuSeconds, redisCpuSeconds: redisCpu, value };
}

console.log(
  `sweep benchmark: ${cpus().length} cores, ${WORKERS} threads, Node ${process.version}, load average ${loadavg()
    .map((load) => load.toFixed(1))
    .join(" ")}`,
);
console.log(
  `1. ${RUNS} runs of the benchmark model (until = 60 s simulated), inline and on threads`,
);
const model = (await import(pathToFileURL(modelId).href)) as SweepOptions["model"];
// The default is a stable server (72 servers of 10 ms at 6,000/s: utilization 0.83), about
// 0.25 s of one core per run on an idle machine, above the 0.2 s per run the speed-up goal is
// stated for. SERVERS=4 RATE=4000 is the overloaded model this benchmark ran before: its queue
// grows all run long (utilization 10), so half of a run's CPU is V8's garbage collector on its
// helper threads, which already use the second core inline (docs/sweeps.md).
const grid = [
  `rate=${Number(process.env.RATE ?? 6000)}`,
  `servers=${Number(process.env.SERVERS ?? 72)}`,
];
const start = await timed(`threads' start (${WORKERS} threads, ${WORKERS} empty runs)`, () =>
  sweep({
    modelId,
    grid,
    replications: WORKERS,
    until: 0,
    backend: threadsBackend({ workers: WORKERS }),
  }),
);
const inline = await timed("inline", () => sweep({ model, modelId, grid, replications: RUNS }));
const threads = await timed(`threads (${WORKERS})`, () =>
  sweep({ modelId, grid, replications: RUNS, backend: threadsBackend({ workers: WORKERS }) }),
);
const perRun = inline.seconds / RUNS;
const idleSpeedUp = inline.cpuSeconds / (threads.cpuSeconds / WORKERS);
console.log(
  `  one run: ${(perRun * 1000).toFixed(0)} ms inline (${((inline.cpuSeconds / RUNS) * 1000).toFixed(0)} ms CPU)`,
);
console.log(
  `  speed-up: ${(inline.seconds / threads.seconds).toFixed(2)}x wall, ${(inline.seconds / (threads.seconds - start.seconds)).toFixed(2)}x wall without the threads' start, ${idleSpeedUp.toFixed(2)}x if idle (from CPU time)`,
);
const same = JSON.stringify(inline.value) === JSON.stringify(threads.value);
console.log(`  same result bytes: ${same}`);

console.log(
  `2. ${TINY_RUNS} and ${2 * TINY_RUNS} tiny runs (until = 0.01 s): threads against BullMQ`,
);
const tiny = (replications: number, rootSeed: number): SweepOptions => ({
  modelId,
  grid,
  replications,
  rootSeed,
  until: 0.01,
});
/** Cost per job from a sweep of TINY_RUNS and one of twice as many. */
function perJob(one: Timing<unknown>, two: Timing<unknown>) {
  return {
    wallMs: ((two.seconds - one.seconds) * 1000) / TINY_RUNS,
    cpuMs:
      ((two.cpuSeconds + two.redisCpuSeconds - one.cpuSeconds - one.redisCpuSeconds) * 1000) /
      TINY_RUNS,
  };
}
const threadsOne = await timed("threads", () =>
  sweep({ ...tiny(TINY_RUNS, 1), backend: threadsBackend({ workers: WORKERS }) }),
);
const threadsTwo = await timed("threads, twice the runs", () =>
  sweep({ ...tiny(2 * TINY_RUNS, 1), backend: threadsBackend({ workers: WORKERS }) }),
);
const measured = perJob(threadsOne, threadsTwo);
console.log(
  `  threads: ${measured.wallMs.toFixed(2)} ms wall, ${measured.cpuMs.toFixed(2)} ms CPU per job`,
);
// A tiny run costs threads next to nothing: on a loaded machine the pools' start varies by
// more than all the runs cost, and a negative cost is that noise. Taken as 0, BullMQ's own
// cost per job is an upper bound on its overhead.
const onThreads = { wallMs: Math.max(0, measured.wallMs), cpuMs: Math.max(0, measured.cpuMs) };
if (measured.wallMs < 0 || measured.cpuMs < 0) {
  console.log("  (below the noise of the pools' start: taken as 0)");
}
let overheadMs: number | null = null;
if (redisUrl === undefined) {
  console.log("  BullMQ skipped: set DISTSIM_BENCH_REDIS_URL=redis://127.0.0.1:PORT");
} else {
  const queue = `distsim-bench-${process.pid}`;
  const redis = new Redis(redisUrl);
  const stop = new AbortController();
  const worker = runSweepWorker({
    url: redisUrl,
    queue,
    threads: WORKERS,
    concurrency: JOBS_IN_HAND,
    signal: stop.signal,
  });
  const backend = bullmqBackend({ url: redisUrl, queue, scanEveryMs: 1000 });
  // Warm-up: the worker's threads load the model; rootSeeds apart, so no sweep reuses jobs.
  await timed("BullMQ warm-up", () => sweep({ ...tiny(4 * WORKERS, 7), backend }), redis);
  const viaRedisOne = await timed(
    `BullMQ (${JOBS_IN_HAND} jobs in hand)`,
    () => sweep({ ...tiny(TINY_RUNS, 2), backend }),
    redis,
  );
  const viaRedisTwo = await timed(
    "BullMQ, twice the runs",
    () => sweep({ ...tiny(2 * TINY_RUNS, 3), backend }),
    redis,
  );
  stop.abort();
  await worker;
  const flushed = await redis.keys(`bull:${queue}:*`);
  if (flushed.length > 0) await redis.del(...flushed);
  redis.disconnect();
  const onRedis = perJob(viaRedisOne, viaRedisTwo);
  overheadMs = onRedis.wallMs - onThreads.wallMs;
  console.log(
    `  BullMQ: ${onRedis.wallMs.toFixed(2)} ms wall, ${onRedis.cpuMs.toFixed(2)} ms CPU (this process and Redis) per job`,
  );
  console.log(
    `  BullMQ overhead per job against threads: ${overheadMs.toFixed(2)} ms wall, ${(onRedis.cpuMs - onThreads.cpuMs).toFixed(2)} ms CPU (one producer and one worker in this process, loopback)`,
  );
}

console.log("3. projection: 10,000 seeds of a run like this benchmark's");
const seeds = 10_000;
for (const workers of [1, 2, 8, 32, 128]) {
  const onThreadsMin = (seeds * perRun) / Math.min(workers, WORKERS);
  const onRedisMin = (seeds * (perRun + (overheadMs ?? 0) / 1000)) / workers;
  console.log(
    `  ${String(workers).padStart(3)} workers: ${workers <= WORKERS ? `threads ${(onThreadsMin / 60).toFixed(1)} min, ` : ""}BullMQ ${(onRedisMin / 60).toFixed(1)} min`,
  );
}
