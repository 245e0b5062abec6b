/**
 * Goal: a PageCache holds a fixed number of pages between an engine and its disk: hits cost
 * nothing, misses read the disk, LRU decides what leaves, a dirty page reaches the disk only
 * when evicted, written back on the interval or synced, and a crash loses it unless synced.
 * Read-ahead turns a sequential scan's misses into hits. Bad options fail typed.
 * Method: pages of numbers on a disk with fixed latencies, read and written from a process of
 * the owner; what the disk holds is read off it directly (written and synced).
 */
import { describe, expect, it } from "vitest";
import { ConfigError, Disk, Entity, PageCache, Simulation } from "../../../src/index.js";

function setup(options: { pages: number; readAhead?: number; writebackInterval?: number }) {
  const sim = new Simulation({ seed: 1 });
  const owner = new Entity(sim, "engine");
  const disk = new Disk<number>(sim, "disk", {
    owner,
    readLatency: 0.001,
    writeLatency: 0.0001,
    syncLatency: 0.002,
    tornWriteProbability: 0,
  });
  disk.restore(
    "data",
    Array.from({ length: 100 }, (_, i) => i),
    { sizeBytes: 4096 },
  );
  const cache = new PageCache<number>(disk, { pageBytes: 4096, ...options });
  return { sim, owner, disk, cache };
}

describe("PageCache", () => {
  it("a hit costs nothing, a miss a disk read; LRU evicts the least recently used", () => {
    const { sim, owner, cache } = setup({ pages: 2 });
    const times: number[] = [];
    owner.start(function* () {
      for (const index of [1, 2, 1, 3, 1, 2]) {
        const before = owner.now;
        expect(yield* cache.read("data", index)).toBe(index);
        times.push(+(owner.now - before).toFixed(6));
      }
    });
    sim.run();
    // 1 miss, 2 miss, 1 hit, 3 miss (evicts 2), 1 hit, 2 miss (evicts 3).
    expect(times).toEqual([0.001, 0.001, 0, 0.001, 0, 0.001]);
    expect(cache.stats).toMatchObject({ reads: 6, hits: 2, misses: 4, evictions: 2, size: 2 });
    expect(cache.stats.hitRate).toBeCloseTo(2 / 6);
    expect(cache.stats.bytesRead).toBe(4 * 4096);
  });

  it("a write stays in memory until evicted (its writer waits the writeback), synced or written back on the interval", () => {
    const { sim, owner, disk, cache } = setup({ pages: 2 });
    owner.start(function* () {
      yield* cache.write("data", 5, 500);
      expect(disk.records("data")[5]!.value).toBe(5); // dirty: in memory only
      expect(yield* cache.read("data", 5)).toBe(500);
      yield* cache.read("data", 6);
      const before = owner.now;
      yield* cache.read("data", 7); // evicts page 5, dirty: written first
      expect(+(owner.now - before).toFixed(6)).toBe(0.0011);
      expect(disk.records("data")[5]!.value).toBe(500);
      expect(disk.records("data", "synced")[5]!.value).toBe(5);
      yield* cache.write("data", 8, 800);
      yield* cache.sync();
      expect(disk.records("data", "synced")[8]!.value).toBe(800);
    });
    sim.run();
    expect(cache.stats).toMatchObject({ writebacks: 2, dirty: 0, syncs: 1 });

    const periodic = setup({ pages: 4, writebackInterval: 0.5 });
    periodic.owner.start(function* () {
      yield* periodic.cache.write("data", 3, 300);
    });
    periodic.sim.run({ until: 0.4 });
    expect(periodic.disk.records("data")[3]!.value).toBe(3);
    periodic.sim.run({ until: 0.6 });
    expect(periodic.disk.records("data")[3]!.value).toBe(300);
    expect(periodic.cache.dirty).toBe(0);
  });

  it("a new page past the file's end reaches the disk after the pages before it", () => {
    const { sim, owner, disk, cache } = setup({ pages: 8 });
    owner.start(function* () {
      yield* cache.write("data", 101, 1010);
      yield* cache.write("data", 100, 1000);
      yield* cache.sync();
    });
    sim.run();
    expect(disk.length("data")).toBe(102);
    expect(disk.records("data", "synced")[101]!.value).toBe(1010);
  });

  it("a crash loses every cached and dirty page: only what was synced remains", () => {
    const { sim, owner, disk, cache } = setup({ pages: 8 });
    owner.start(function* () {
      yield* cache.write("data", 1, 10);
      yield* cache.sync();
      yield* cache.write("data", 2, 20);
      yield* cache.read("data", 3);
    });
    sim.run();
    owner.crash();
    expect(cache.size).toBe(0);
    expect(cache.stats.lostDirty).toBe(1);
    owner.recover();
    owner.start(function* () {
      expect(yield* cache.read("data", 1)).toBe(10);
      expect(yield* cache.read("data", 2)).toBe(2);
    });
    sim.run();
    expect(disk.records("data")[2]!.value).toBe(2);
  });

  it("read-ahead turns a sequential scan's misses into hits, and more pages mean fewer misses", () => {
    const scan = (readAhead: number) => {
      const { sim, owner, cache } = setup({ pages: 32, readAhead });
      owner.start(function* () {
        for (let i = 0; i < 64; i++) yield* cache.read("data", i);
      });
      sim.run();
      return { seconds: sim.now, stats: cache.stats };
    };
    const off = scan(0);
    const on = scan(8);
    expect(off.stats.misses).toBe(64);
    expect(on.stats.misses).toBeLessThan(16);
    expect(on.stats.readAheadHits).toBeGreaterThan(48);
    expect(on.stats.hits + on.stats.misses).toBe(64);
    expect(on.seconds).toBeLessThan(off.seconds / 4);

    const missesWith = (pages: number) => {
      const { sim, owner, cache } = setup({ pages });
      const draws = owner.random("keys");
      owner.start(function* () {
        // Skewed: page i with weight 1/(i+1).
        for (let n = 0; n < 2000; n++) {
          const index = Math.min(99, Math.floor(Math.exp(draws.next() * Math.log(101))) - 1);
          yield* cache.read("data", index);
        }
      });
      sim.run();
      return cache.stats.misses;
    };
    const misses = [1, 5, 20, 50, 100].map(missesWith);
    for (let i = 1; i < misses.length; i++) expect(misses[i]).toBeLessThan(misses[i - 1]!);
    // Every page fits: each misses once at most.
    expect(misses[4]).toBeLessThanOrEqual(100);
  });

  it("a page written while its read-ahead is in flight keeps the write (the stale read never lands)", () => {
    const { sim, owner, cache } = setup({ pages: 2, readAhead: 4 });
    const seen: number[] = [];
    owner.start(function* () {
      yield* cache.read("data", 0);
      yield* cache.read("data", 1); // sequential: reads 2..5 ahead, in flight now
      yield* cache.write("data", 3, 333); // before page 3's read lands
      yield* cache.write("data", 9, 999); // evicts page 3, written back
      yield 0.01; // every read-ahead has landed
      seen.push(yield* cache.read("data", 3));
    });
    sim.run();
    expect(seen).toEqual([333]);
  });

  it("bad options fail typed", () => {
    const { sim, disk } = setup({ pages: 1 });
    const bad: unknown[] = [
      { pages: 0 },
      { pages: 1.5 },
      { pages: 4, readAhead: -1 },
      { pages: 4, writebackInterval: 0 },
      { pages: 4, pageBytes: 0 },
      { pages: 4, owner: {} },
      null,
    ];
    for (const options of bad) {
      expect(() => new PageCache(disk, options as never), JSON.stringify(options)).toThrow(
        ConfigError,
      );
    }
    expect(() => new PageCache({} as never, { pages: 1 })).toThrow(ConfigError);
    expect(sim.now).toBe(0);
  });
});
