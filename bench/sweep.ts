/**
 * `npm run bench:sweep`: what the sweep backends cost and gain on this machine.
 * 1. Worker threads against inline: the same sweep of RUNS runs (each about 0.2 s of one
 *    core) both ways; the speed-up is inline wall time over threads wall time.
 * 2. BullMQ's overhead per job against threads: TINY_RUNS runs that cost almost nothing, on
 *    threads and through Redis (DISTSIM_BENCH_REDIS_URL; skipped without it) with one
 *    in-process worker of the same thread count; the difference per job is BullMQ's cost.
 * 3. A projection for a 10,000-seed exploration from those numbers.
 * Wall time is what a user waits for, and it is only as good as the machine is idle: the
 * load average is printed beside the numbers, and CPU time of this process beside wall time.
 */
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { sweep } from "../src/index.js";
import { bullmqBackend, runSweepWorker, threadsBackend } from "../src/sweep/node/index.js";

const RUNS = Number(process.env.RUNS ?? 100);
const TINY_RUNS = Number(process.env.TINY_RUNS ?? 300);
const WORKERS = Number(process.env.WORKERS ?? cpus().length);
const modelId = join(import.meta.dirname, "sweepModel.ts");
const redis = process.env.DISTSIM_BENCH_REDIS_URL;

async function timed<T>(
  label: string,
  work: () => Promise<T>,
): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await work();
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `  ${label}: ${seconds.toFixed(2)} s wall (load average ${loadavg()[0]!.toFixed(1)})`,
  );
  return { seconds, value };
}

console.log(`sweep benchmark: ${cpus().length} cores, ${WORKERS} workers, Node ${process.version}`);
console.log(
  `1. ${RUNS} runs of the benchmark model (until = 60 s simulated), inline and on threads`,
);
const model = await import("./sweepModel.js");
const grid = ["rate=2000"];
const inline = await timed("inline", () => sweep({ model, modelId, grid, replications: RUNS }));
const threads = await timed(`threads (${WORKERS})`, () =>
  sweep({ modelId, grid, replications: RUNS, backend: threadsBackend({ workers: WORKERS }) }),
);
const perRun = inline.seconds / RUNS;
console.log(
  `  one run: ${(perRun * 1000).toFixed(0)} ms inline; speed-up ${(inline.seconds / threads.seconds).toFixed(2)}x`,
);
const same = JSON.stringify(inline.value) === JSON.stringify(threads.value);
console.log(`  same result bytes: ${same}`);

console.log(`2. ${TINY_RUNS} tiny runs (until = 0.01 s): threads against BullMQ`);
const tiny = { modelId, grid, replications: TINY_RUNS, until: 0.01 };
const tinyThreads = await timed("threads", () =>
  sweep({ ...tiny, backend: threadsBackend({ workers: WORKERS }) }),
);
let overheadMs: number | null = null;
if (redis === undefined) {
  console.log("  BullMQ skipped: set DISTSIM_BENCH_REDIS_URL=redis://127.0.0.1:PORT");
} else {
  const queue = `distsim-bench-${process.pid}`;
  const stop = new AbortController();
  const worker = runSweepWorker({ url: redis, queue, concurrency: WORKERS, signal: stop.signal });
  const viaRedis = await timed("BullMQ", () =>
    sweep({ ...tiny, backend: bullmqBackend({ url: redis, queue, scanEveryMs: 1000 }) }),
  );
  stop.abort();
  await worker;
  overheadMs = ((viaRedis.seconds - tinyThreads.seconds) * 1000) / TINY_RUNS;
  console.log(
    `  BullMQ overhead: ${overheadMs.toFixed(2)} ms per job (one producer, one worker process, loopback)`,
  );
}

console.log("3. projection: 10,000 seeds of a run like this benchmark's");
const seeds = 10_000;
for (const workers of [1, 2, 8, 32, 128]) {
  const onThreads = (seeds * perRun) / Math.min(workers, WORKERS);
  const onRedis = (seeds * (perRun + (overheadMs ?? 0) / 1000)) / workers;
  console.log(
    `  ${String(workers).padStart(3)} workers: ${workers <= WORKERS ? `threads ${(onThreads / 60).toFixed(1)} min, ` : ""}BullMQ ${(onRedis / 60).toFixed(1)} min`,
  );
}
