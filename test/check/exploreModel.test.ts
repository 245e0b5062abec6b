/**
 * Goal: `exploreModel` runs a check-model file's seeds on every sweep backend and gives the
 * same bytes on each (inline, worker threads with 1 and 2 threads, BullMQ with workers on a
 * real Redis), the same verdicts as `explore` given the model's functions; the planted bugs
 * are found on exactly the seeds whose schedules trigger them, each failure grouped by its
 * invariant and the fault kinds started before it broke; what cannot run fails before any seed.
 * Method: the fixture model file (two tickers under random crashes and pauses) and an oracle
 * reading its schedules by hand; BullMQ through an in-process `runSweepWorker` (the Redis of
 * DISTSIM_TEST_REDIS_URL; without it the BullMQ test is skipped, except under CI=true).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  explore,
  exploreModel,
  exploreResultJson,
  type FaultSpec,
} from "../../src/index.js";
import { bullmqBackend, runSweepWorker, threadsBackend } from "../../src/sweep/node/index.js";
import * as fixture from "./exploreFixtureModel.js";

const modelId = join(import.meta.dirname, "exploreFixtureModel.ts");
const source = join(import.meta.dirname, "../../src/index.ts");
const scratch = mkdtempSync(join(tmpdir(), "distsim-explore-"));
const url = process.env.DISTSIM_TEST_REDIS_URL;
const queueName = `distsim-explore-test-${process.pid}`;
const SEEDS = 40;

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  if (url !== undefined) {
    const queue = new Queue(queueName, { connection: { url } });
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

/**
 * What the fixture's seed must give, read from its schedule alone: both nodes down at once
 * (the first overlap of a fault on "a" with one on "b" in the safety phase), else "a" crashed
 * (no progress after the heal), else a pass.
 */
function expected(seed: number): { name: string; time?: number } | null {
  const faults = fixture.faults(seed).faults;
  const on = (target: string): FaultSpec[] => faults.filter((f) => f.targets[0] === target);
  let first = Infinity;
  for (const a of on("a")) {
    for (const b of on("b")) {
      const start = Math.max(a.at, b.at);
      const end = Math.min(a.at + (a.for ?? Infinity), b.at + (b.for ?? Infinity));
      if (start < end && start <= fixture.SAFETY) first = Math.min(first, start);
    }
  }
  if (first < Infinity) return { name: "one node serves", time: first };
  if (on("a").some((f) => f.kind === "crash")) return { name: "progress after heal", time: 22 };
  return null;
}

describe("exploreModel", () => {
  it("finds the planted bugs on exactly the seeds whose schedules trigger them, grouped", async () => {
    const result = await exploreModel({ model: fixture, seeds: SEEDS });
    const oracle = Array.from({ length: SEEDS }, (_, seed) => expected(seed));
    expect(result.failures.map((f) => f.seed)).toEqual(
      oracle.flatMap((verdict, seed) => (verdict === null ? [] : [seed])),
    );
    // Both bugs, each on several seeds: the fixture's schedules are not all alike.
    expect([...result.byInvariant].map(([name, seeds]) => [name, seeds.length])).toEqual([
      ["progress after heal", 14],
      ["one node serves", 6],
    ]);
    expect(result).toMatchObject({ runs: SEEDS, passed: 20, failed: 20, notRun: 0 });
    for (const failure of result.failures) {
      const verdict = oracle[failure.seed]!;
      expect(failure.violation.name).toBe(verdict.name);
      expect(failure.violation.time).toBeCloseTo(verdict.time!, 9);
      // The schedule it ran is the seed's own, and its kinds are those activated by then.
      expect(failure.faults).toEqual(fixture.faults(failure.seed));
      const kinds = failure
        .faults!.faults.filter((f) => f.at <= failure.violation.time)
        .map((f) => f.kind);
      expect(failure.faultKinds).toEqual([...new Set(kinds)].sort());
    }
    // Every failure is in exactly one group of each grouping, in seed order.
    const grouped = result.groups.flatMap((g) => g.seeds).sort((x, y) => x - y);
    expect(grouped).toEqual(result.failures.map((f) => f.seed));
    expect(result.groups).toContainEqual({
      invariant: "one node serves",
      kind: "always",
      faultKinds: ["crash"],
      seeds: [21],
    });
    expect([...result.byFaultKind.keys()]).toEqual(["crash", "pause"]);
    const crash = result.byFaultKind.get("crash");
    expect(crash).toEqual(
      result.failures.filter((f) => f.faultKinds.includes("crash")).map((f) => f.seed),
    );
  });

  it("gives explore's verdicts for the same functions, and stops at the first failure when asked", async () => {
    const inline = explore({ ...fixture, build: fixture.default, seeds: SEEDS });
    const fromModule = await exploreModel({ model: fixture, seeds: SEEDS });
    expect(exploreResultJson(fromModule)).toBe(exploreResultJson(inline));
    const stopped = await exploreModel({ model: fixture, seeds: SEEDS, stopOnFirstFailure: true });
    expect(stopped).toMatchObject({ passed: 1, failed: 1, notRun: 38, stopped: "first-failure" });
  });

  it("gives the same bytes inline and on 1 and 2 worker threads", async () => {
    const seeds = 24;
    const inline = exploreResultJson(await exploreModel({ model: fixture, modelId, seeds }));
    expect(JSON.parse(inline).failed).toBeGreaterThan(5);
    // The maps are written as [key, seeds] pairs, in order.
    expect(JSON.parse(inline).byFaultKind.map((pair: [string, number[]]) => pair[0])).toEqual([
      "crash",
      "pause",
    ]);
    for (const workers of [1, 2]) {
      const threads = await exploreModel({ modelId, seeds, backend: threadsBackend({ workers }) });
      expect(exploreResultJson(threads)).toBe(inline);
    }
  }, 120_000);

  it("reports a seed whose worker thread died as model-failed, and goes on", async () => {
    const exiting = join(scratch, "exiting.ts");
    writeFileSync(
      exiting,
      `import { Simulation } from ${JSON.stringify(source)};\n` +
        `export const safety = 1;\n` +
        `export default ({ seed }: { seed: number }) => {\n` +
        `  if (seed === 2) process.exit(7);\n` +
        `  return new Simulation({ seed });\n` +
        `};\n`,
    );
    const result = await exploreModel({
      modelId: exiting,
      seeds: 4,
      backend: threadsBackend({ workers: 2 }),
    });
    expect(result).toMatchObject({ passed: 3, failed: 1 });
    expect(result.failures[0]).toMatchObject({
      seed: 2,
      violation: { name: "model-failed" },
      faults: null,
      faultKinds: [],
    });
    expect(result.failures[0]!.violation.message).toMatch(/worker thread ended/);
  }, 60_000);

  it("refuses what it cannot run before any seed runs", async () => {
    await expect(exploreModel({ seeds: 3 })).rejects.toThrow(ConfigError);
    await expect(exploreModel({ model: fixture, seeds: 0 })).rejects.toThrow(/seeds/);
    await expect(exploreModel({ model: fixture, seeds: [1, 1] })).rejects.toThrow(/distinct/);
    await expect(exploreModel({ model: { default: fixture.default }, seeds: 1 })).rejects.toThrow(
      /must export "safety"/,
    );
    await expect(exploreModel({ model: { ...fixture, safety: -1 }, seeds: 1 })).rejects.toThrow(
      /safety/,
    );
    expect(() =>
      explore({ ...fixture, build: fixture.default, seeds: 2, safety: Number.NaN }),
    ).toThrow(ConfigError);
    const noSafety = join(scratch, "no-safety.ts");
    writeFileSync(
      noSafety,
      `import { Simulation } from ${JSON.stringify(source)};\n` +
        `export default ({ seed }: { seed: number }) => new Simulation({ seed });\n`,
    );
    const progress: number[] = [];
    await expect(
      exploreModel({
        modelId: noSafety,
        seeds: 3,
        backend: threadsBackend({ workers: 1 }),
        onProgress: (p) => progress.push(p.done),
      }),
    ).rejects.toThrow(/must export "safety" \(or "until"\)/);
    expect(progress).toEqual([]);
  }, 60_000);
});

const runIf = url !== undefined || process.env.CI === "true" ? describe : describe.skip;

runIf("exploreModel on BullMQ (a real Redis)", () => {
  it("gives the inline bytes, with sweep workers running the explore jobs", async () => {
    expect(url, "DISTSIM_TEST_REDIS_URL (set by .ci/run)").toBeDefined();
    const seeds = 16;
    const inline = exploreResultJson(await exploreModel({ model: fixture, modelId, seeds }));
    const stop = new AbortController();
    let ready: () => void = () => {};
    const listening = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const worker = runSweepWorker({
      url: url!,
      queue: queueName,
      concurrency: 2,
      signal: stop.signal,
      onReady: () => ready(),
    });
    try {
      await listening;
      const backend = bullmqBackend({ url: url!, queue: queueName, scanEveryMs: 200 });
      const queued = await exploreModel({ modelId, modelVersion: "v1", seeds, backend });
      expect(exploreResultJson(queued)).toBe(inline);
      // Asked again (a restarted producer), the same jobs are collected, not run again.
      const again = await exploreModel({ modelId, modelVersion: "v1", seeds, backend });
      expect(exploreResultJson(again)).toBe(inline);
    } finally {
      stop.abort();
      await worker;
    }
  }, 180_000);
});
