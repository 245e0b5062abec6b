/**
 * Goal: what travels through Redis (a job's parameters, a run's figures) arrives as it left,
 * though JSON cannot write NaN, Infinity or -0: a parameter Infinity (a limit turned off)
 * reaches the model as Infinity, and a NaN figure stays NaN in the merge, so the BullMQ
 * backend gives the inline backend's bytes and values for such a model too.
 * Method: a worker in this process (runSweepWorker, threads loading the sources through tsx)
 * on the Redis of DISTSIM_TEST_REDIS_URL, a queue of the test's own, emptied afterwards.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { planSweep, sweep, sweepResultJson } from "../../src/index.js";
import { bullmqBackend, runSweepWorker } from "../../src/sweep/node/index.js";
import * as model from "./nonFiniteModel.js";

const url = process.env.DISTSIM_TEST_REDIS_URL;
const queueName = `distsim-test-transport-${process.pid}`;
const modelId = join(import.meta.dirname, "nonFiniteModel.ts");

afterAll(async () => {
  if (url !== undefined) {
    const queue = new Queue(queueName, { connection: { url } });
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

describe("a sweep's identity", () => {
  it("tells Infinity from -Infinity (JSON writes both as null)", () => {
    const identity = (limit: number) => planSweep({ model, grid: { limit: [limit] } }).job.identity;
    expect(identity(Infinity)).not.toBe(identity(-Infinity));
  });
});

const runIf = url !== undefined || process.env.CI === "true" ? describe : describe.skip;

runIf("bullmqBackend transport", () => {
  it("runs an edited model's new version on a worker that ran the old one", async () => {
    const folder = mkdtempSync(join(tmpdir(), "distsim-edited-model-"));
    const file = join(folder, "model.mjs");
    const source = (version: number) =>
      `import { Simulation } from ${JSON.stringify(join(import.meta.dirname, "../../src/index.ts"))};\n` +
      "export default ({ seed }) => new Simulation({ seed });\n" +
      `export const measure = () => ({ version: ${version} });\n`;
    const stop = new AbortController();
    let ready: () => void = () => {};
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const worker = runSweepWorker({
      url: url!,
      queue: queueName,
      concurrency: 1,
      signal: stop.signal,
      onReady: () => ready(),
    });
    await isReady;
    try {
      const versions: number[] = [];
      for (const version of [1, 2]) {
        writeFileSync(file, source(version));
        const result = await sweep({
          modelId: file,
          // What the CLI gives: the file's bytes name its version.
          modelVersion: source(version),
          backend: bullmqBackend({ url: url!, queue: queueName, scanEveryMs: 200 }),
        });
        versions.push(result.points[0]!.summary.version!.mean);
      }
      expect(versions).toEqual([1, 2]);
    } finally {
      stop.abort();
      await worker;
      rmSync(folder, { recursive: true });
    }
  }, 60_000);

  it("waits for workers without piling up listeners (no MaxListenersExceededWarning)", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    const stop = new AbortController();
    try {
      // No worker yet: the producer scans every 10 ms, many times, before one comes.
      const queued = sweep({
        modelId,
        grid: ["limit=3"],
        backend: bullmqBackend({ url: url!, queue: queueName, scanEveryMs: 10 }),
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const worker = runSweepWorker({ url: url!, queue: queueName, signal: stop.signal });
      expect((await queued).runs.succeeded).toBe(1);
      stop.abort();
      await worker;
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((message) => /MaxListeners/.test(message))).toEqual([]);
  }, 60_000);

  it("carries Infinity, NaN and -0 through Redis unchanged", async () => {
    const options = { modelId, grid: ["limit=2,Infinity,-Infinity"], replications: 2 };
    const inline = await sweep({ ...options, model });
    expect(inline.points[1]!.replications[0]).toMatchObject({ figures: { limit: Infinity } });

    const stop = new AbortController();
    let ready: () => void = () => {};
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const worker = runSweepWorker({
      url: url!,
      queue: queueName,
      concurrency: 1,
      signal: stop.signal,
      onReady: () => ready(),
    });
    await isReady;
    try {
      const queued = await sweep({
        ...options,
        backend: bullmqBackend({ url: url!, queue: queueName, scanEveryMs: 200 }),
      });
      expect(queued.points[1]!.replications).toEqual(inline.points[1]!.replications);
      // toEqual tells -0 from 0 and NaN from null.
      expect(queued.points).toEqual(inline.points);
      expect(sweepResultJson(queued)).toBe(sweepResultJson(inline));
    } finally {
      stop.abort();
      await worker;
    }
  }, 60_000);
});
