/**
 * Goal: the BullMQ backend on a real Redis gives the inline and thread backends' bytes, with
 * real `distsim worker` processes, one of them killed (SIGKILL) in the middle of a run: BullMQ
 * finds its job stalled and another worker runs it, so every run is in the result exactly
 * once. A run whose model throws is reported with its seed; a job that cannot run fails its
 * attempts and is reported; a producer asking for the same sweep again collects it at once;
 * a bad URL fails before any run.
 * Method: the Redis that .ci/run starts (DISTSIM_TEST_REDIS_URL; locally, start one and set
 * it; without it these tests are skipped, except under CI=true), the built CLI as the
 * workers, a queue of the test's own, emptied afterwards.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { sweep, sweepResultJson } from "../../src/index.js";
import {
  bullmqBackend,
  planSweep,
  replicationSeeds,
  sweepJobId,
  threadsBackend,
} from "../../src/sweep/node/index.js";
import * as fixture from "./fixtureModel.js";

const url = process.env.DISTSIM_TEST_REDIS_URL;
const root = join(import.meta.dirname, "../..");
const cli = join(root, "dist/cli/main.js");
const queueName = `distsim-test-${process.pid}`;
const modelId = join(import.meta.dirname, "fixtureModel.ts");
const children: ChildProcess[] = [];
/** Queues of single tests, apart from the shared one, so their workers see only their jobs. */
const queues = [queueName];
function ownQueue(name: string): string {
  queues.push(`${queueName}-${name}`);
  return queues.at(-1)!;
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  if (url !== undefined) {
    for (const name of queues) {
      const queue = new Queue(name, { connection: { url } });
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }
});

/** A `distsim worker` process, resolved once it waits for jobs; `done` counts its jobs. */
async function startWorker(
  queue = queueName,
  jobsInHand = ["--concurrency", "1"],
): Promise<{ child: ChildProcess; done: () => number }> {
  const child = spawn(
    process.execPath,
    [cli, "worker", "--redis", url!, "--queue", queue, ...jobsInHand].concat([
      "--lock-seconds",
      "2",
      "--stalled-check-seconds",
      "1",
    ]),
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  children.push(child);
  let log = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("waiting for jobs")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`worker exited (${code}): ${log}`)));
  });
  return { child, done: () => log.split("\n").filter((line) => line.includes(" done ")).length };
}

const runIf = url !== undefined || process.env.CI === "true" ? describe : describe.skip;

runIf("bullmqBackend on a real Redis", () => {
  it("needs the build and a Redis", () => {
    expect(url, "DISTSIM_TEST_REDIS_URL (set by .ci/run)").toBeDefined();
    expect(existsSync(cli), "run npm run build first").toBe(true);
  });

  it("survives a worker killed mid-run: every run once, the bytes of inline and threads", async () => {
    const bad = replicationSeeds(1, 3)[1]!;
    // Each run spins 400 ms of wall time, so a worker is always in the middle of one.
    const options = {
      modelId,
      grid: ["rate=5,10", "servers=1,2", "spinMs=400", `failSeed=${bad}`],
      replications: 3,
    };
    const inline = sweepResultJson(await sweep({ ...options, model: fixture }));
    const threads = sweepResultJson(
      await sweep({ ...options, backend: threadsBackend({ workers: 2 }) }),
    );
    expect(threads).toBe(inline);

    const doomed = await startWorker();
    const survivor = await startWorker();
    let killedAt = -1;
    const backend = bullmqBackend({ url: url!, queue: queueName, scanEveryMs: 500 });
    const result = await sweep({
      ...options,
      backend,
      onProgress: (progress) => {
        // The doomed worker has finished a run and taken the next: kill it in the middle.
        if (killedAt < 0 && doomed.done() >= 1) {
          killedAt = progress.done;
          doomed.child.kill("SIGKILL");
        }
      },
    });
    expect(killedAt).toBeGreaterThanOrEqual(0);
    expect(killedAt).toBeLessThan(12);
    expect(doomed.child.signalCode ?? "running").toBe("SIGKILL");
    expect(survivor.done()).toBeGreaterThan(0);
    expect(result.runs).toEqual({ total: 12, succeeded: 8, failed: 4, notRun: 0 });
    expect(result.failures.map((f) => f.seed)).toEqual([bad, bad, bad, bad]);
    expect(result.failures[0]!.error).toBe(`seed ${bad} is the bad one`);
    expect(sweepResultJson(result)).toBe(inline);

    // A producer asking again once the sweep is done (its jobs removed) runs it again, and
    // gets the same bytes.
    const again = await sweep({ ...options, backend });
    expect(sweepResultJson(again)).toBe(inline);
  }, 120_000);

  /** The keys of `queue` in Redis, and those of the sweep `identity`'s jobs among them. */
  async function keysOf(queue: string, identity: string): Promise<{ all: number; jobs: string[] }> {
    const redis = new Redis(url!);
    try {
      const all = await redis.keys(`bull:${queue}:*`);
      return { all: all.length, jobs: all.filter((key) => key.includes(identity)) };
    } finally {
      redis.disconnect();
    }
  }

  it("removes a sweep's jobs once it has every outcome: Redis does not grow sweep after sweep", async () => {
    const queue = ownQueue("clean");
    // More jobs in hand than threads: the extra ones wait for the thread, each runs once.
    const worker = await startWorker(queue, ["--threads", "1", "--concurrency", "3"]);
    const backend = bullmqBackend({ url: url!, queue, scanEveryMs: 200 });
    try {
      const sizes: number[] = [];
      for (const rootSeed of [1, 2, 3]) {
        const options = { modelId, grid: ["rate=5", "servers=1,2"], replications: 4, rootSeed };
        const result = await sweep({ ...options, backend });
        expect(sweepResultJson(result)).toBe(
          sweepResultJson(await sweep({ ...options, model: fixture })),
        );
        const keys = await keysOf(queue, planSweep(options).job.identity);
        expect(keys.jobs).toEqual([]);
        sizes.push(keys.all);
      }
      expect(worker.done()).toBe(24);
      // The queue's own keys (its id counter, events stream, metadata) and nothing per sweep.
      expect(new Set(sizes).size).toBe(1);
      const admin = new Queue(queue, { connection: { url: url! } });
      const counts = await admin.getJobCounts();
      await admin.close();
      expect(Object.values(counts).every((count) => count === 0)).toBe(true);
    } finally {
      worker.child.kill("SIGKILL");
    }
  }, 120_000);

  it("a producer killed midway and started again collects the finished runs, running none twice", async () => {
    const queue = ownQueue("restart");
    const worker = await startWorker(queue);
    const grid = ["rate=5,10", "servers=1,2", "spinMs=300"];
    const producer = spawn(
      process.execPath,
      [cli, "sweep", modelId, "--redis", url!, "--queue", queue, "--replications", "3"].concat(
        grid.flatMap((axis) => ["--grid", axis]),
        ["--quiet"],
      ),
      { stdio: "ignore" },
    );
    children.push(producer);
    try {
      while (worker.done() < 3) await new Promise((resolve) => setTimeout(resolve, 50));
      producer.kill("SIGKILL");
      // The command's sweep, asked for again: the same model bytes, grid, seeds and root seed.
      const options = {
        modelId,
        modelVersion: createHash("sha256").update(readFileSync(modelId)).digest("hex"),
        grid,
        replications: 3,
        rootSeed: 1,
      };
      const result = await sweep({
        ...options,
        backend: bullmqBackend({ url: url!, queue, scanEveryMs: 200 }),
      });
      expect(sweepResultJson(result)).toBe(
        sweepResultJson(await sweep({ ...options, model: fixture })),
      );
      // Every run once: the runs finished under the killed producer were collected, not rerun.
      expect(worker.done()).toBe(12);
      expect((await keysOf(queue, planSweep(options).job.identity)).jobs).toEqual([]);
    } finally {
      worker.child.kill("SIGKILL");
    }
  }, 120_000);

  it("runs again a job removed before the producer collected it", async () => {
    const queue = ownQueue("removed");
    const options = { modelId, grid: ["rate=5"], replications: 3 };
    const identity = planSweep(options).job.identity;
    const admin = new Queue(queue, { connection: { url: url! } });
    const running = sweep({
      ...options,
      backend: bullmqBackend({ url: url!, queue, scanEveryMs: 200 }),
    });
    // No worker yet: the jobs wait; one of them is removed (as another producer would).
    while (((await admin.getJobCounts("waiting")).waiting ?? 0) < 3) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await admin.remove(sweepJobId(identity, 1))).toBe(1);
    const worker = await startWorker(queue);
    try {
      const result = await running;
      expect(result.runs).toEqual({ total: 3, succeeded: 3, failed: 0, notRun: 0 });
      expect(sweepResultJson(result)).toBe(
        sweepResultJson(await sweep({ ...options, model: fixture })),
      );
    } finally {
      worker.child.kill("SIGKILL");
      await admin.close();
    }
  }, 120_000);

  it("reports a job that fails its attempts, with its parameters and seed", async () => {
    const result = await sweep({
      modelId: join(import.meta.dirname, "no-such-model.ts"),
      grid: ["rate=5"],
      replications: 1,
      backend: bullmqBackend({
        url: url!,
        queue: queueName,
        attempts: 2,
        backoffMs: 10,
        scanEveryMs: 200,
      }),
    });
    expect(result.runs.failed).toBe(1);
    expect(result.failures[0]!.params).toEqual({ rate: 5 });
    expect(result.failures[0]!.error).toMatch(/job failed 2 time\(s\): no such file/);
  }, 60_000);

  it("retries a sweep's failed jobs when the sweep is asked again (the model fixed)", async () => {
    // The same worker throughout: a thread forgets a model that failed to load.
    const worker = await startWorker();
    const later = join(import.meta.dirname, `later-model-${process.pid}.ts`);
    const again = {
      modelId: later,
      grid: ["rate=5"],
      replications: 1,
      backend: bullmqBackend({
        url: url!,
        queue: queueName,
        attempts: 1,
        backoffMs: 10,
        scanEveryMs: 200,
      }),
    };
    try {
      expect((await sweep(again)).runs.failed).toBe(1);
      copyFileSync(modelId, later);
      const fixed = await sweep(again);
      expect(fixed.failures).toEqual([]);
      expect(fixed.runs).toEqual({ total: 1, succeeded: 1, failed: 0, notRun: 0 });
    } finally {
      worker.child.kill("SIGKILL");
      rmSync(later, { force: true });
    }
  }, 60_000);

  it("fails before any run on a bad URL", async () => {
    for (const bad of ["http://127.0.0.1:1", "redis://127.0.0.1:1", "not a url"]) {
      const started: number[] = [];
      await expect(
        sweep({
          modelId,
          backend: bullmqBackend({ url: bad }),
          onProgress: (p) => started.push(p.done),
        }),
      ).rejects.toThrow(/option "redis" must be/);
      expect(started).toEqual([]);
    }
  });
});
