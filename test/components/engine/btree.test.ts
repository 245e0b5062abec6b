/**
 * Goal: a BTree answers the key-value protocol exactly as a Map would, by message and from a
 * process, while its nodes split and its pages move through the page cache as disk I/O;
 * amplification comes from bytes it moved; a bigger cache misses less; bad options fail typed;
 * and it keeps the component laws.
 * Method: scripted and random (fast-check) workloads against a Map oracle; the tree's pages
 * checked for order after each run; cache and engine statistics compared across sizes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  arrivals,
  BTree,
  type BTreeOptions,
  ConfigError,
  Disk,
  dist,
  Entity,
  RemoteError,
  Simulation,
  SimulationError,
  Source,
  TimeoutError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

function setup(options: BTreeOptions<number> = {}, seed = 1) {
  const sim = new Simulation({ seed });
  const tree = new BTree<number>(sim, "tree", {
    order: 4,
    cachePages: 8,
    disk: { readLatency: 0.001, writeLatency: 0.0001, syncLatency: 0.001 },
    ...options,
  });
  const client = new Entity(sim, "client");
  return { sim, tree, client };
}

/** Every key in order, and no node over `order` keys (checked off the disk and the cache). */
function checkOrder(tree: BTree<number>): void {
  const keys = tree.entries().map((e) => e.key);
  expect(keys).toEqual([...keys].sort());
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys.length).toBe(tree.size);
}

const key = (i: number) => `k${String(i).padStart(4, "0")}`;

describe("BTree", () => {
  it("splits keep every key in order; gets, scans, deletes and increments answer as a Map", () => {
    const { sim, tree, client } = setup();
    const seen: unknown[] = [];
    client.start(function* () {
      for (let i = 0; i < 60; i++) yield* tree.put(key((i * 37) % 60), i);
      seen.push(yield* tree.get(key(5)));
      seen.push(yield* tree.get("absent"));
      seen.push((yield* tree.scan({ from: key(10), to: key(14) })).map((e) => e.key));
      seen.push((yield* tree.scan({ from: key(55), limit: 3 })).map((e) => e.key));
      seen.push(yield* tree.delete(key(11)));
      seen.push(yield* tree.delete(key(11)));
      seen.push((yield* tree.scan({ from: key(10), to: key(14) })).map((e) => e.key));
      seen.push(yield* tree.increment("n", 2));
      seen.push(yield* tree.increment("n"));
      const entry = yield* tree.getEntry("n");
      seen.push(entry?.value);
      try {
        yield* tree.put("s", "text" as unknown as number);
        yield* tree.increment("s");
      } catch (error) {
        seen.push((error as RemoteError).reason);
      }
    });
    sim.run();
    expect(seen).toEqual([
      5, // 5 * 37 % 60 = 5
      undefined,
      [key(10), key(11), key(12), key(13)],
      [key(55), key(56), key(57)],
      true,
      false,
      [key(10), key(12), key(13)],
      2,
      3,
      3,
      "value is not a number",
    ]);
    expect(tree.stats.splits).toBeGreaterThan(10);
    expect(tree.stats.height).toBeGreaterThanOrEqual(3);
    checkOrder(tree);
    expect(tree.size).toBe(61);
  });

  it("answers by message as from a process", () => {
    const { sim, tree, client } = setup();
    const seen: unknown[] = [];
    client.start(function* () {
      seen.push(yield* client.call(tree, "put", { key: "a", value: 1 }));
      seen.push(yield* client.call(tree, "get", { key: "a" }));
      seen.push(yield* client.call(tree, "scan", {}));
      seen.push(yield* client.call(tree, "delete", { key: "a" }));
    });
    sim.run();
    expect(seen).toEqual([1, 1, [{ key: "a", value: 1, version: 1 }], true]);
  });

  it("random workloads agree with a Map (fast-check)", () => {
    const opArb = fc.oneof(
      fc.tuple(fc.constant("put" as const), fc.integer({ min: 0, max: 80 }), fc.integer()),
      fc.tuple(fc.constant("delete" as const), fc.integer({ min: 0, max: 80 }), fc.constant(0)),
      fc.tuple(fc.constant("get" as const), fc.integer({ min: 0, max: 80 }), fc.constant(0)),
      fc.tuple(
        fc.constant("scan" as const),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 1, max: 20 }),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 150 }),
        fc.integer({ min: 3, max: 6 }),
        fc.integer({ min: 1, max: 12 }),
        (ops, order, cachePages) => {
          const { sim, tree, client } = setup({ order, cachePages, checkpointEvery: 17 });
          const oracle = new Map<string, number>();
          const mismatches: string[] = [];
          client.start(function* () {
            for (const [kind, k, n] of ops) {
              const name = key(k);
              if (kind === "put") {
                yield* tree.put(name, n);
                oracle.set(name, n);
              } else if (kind === "delete") {
                const was = yield* tree.delete(name);
                if (was !== oracle.delete(name)) mismatches.push(`delete ${name}`);
              } else if (kind === "get") {
                if ((yield* tree.get(name)) !== oracle.get(name)) mismatches.push(`get ${name}`);
              } else {
                const got = (yield* tree.scan({ from: name, limit: n })).map((e) => [
                  e.key,
                  e.value,
                ]);
                const want = [...oracle.entries()]
                  .filter(([x]) => x >= name)
                  .sort(([a], [b]) => (a < b ? -1 : 1))
                  .slice(0, n);
                if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`scan ${name}`);
              }
            }
          });
          sim.run();
          expect(mismatches).toEqual([]);
          expect(tree.entries().map((e) => [e.key, e.value])).toEqual(
            [...oracle.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
          );
          expect(tree.stats.cache.hits + tree.stats.cache.misses).toBe(tree.stats.cache.reads);
        },
      ),
      { numRuns: 60, seed: 18 },
    );
  });

  it("a bigger cache misses less, and a get reads fewer pages from the disk", () => {
    const perGet = (cachePages: number) => {
      const { sim, tree, client } = setup({ order: 8, cachePages });
      tree.load(Array.from({ length: 4000 }, (_, i) => [key(i), i] as const));
      const draws = client.random("keys");
      client.start(function* () {
        for (let n = 0; n < 1500; n++) {
          // Skewed: key i with weight about 1/(i+1).
          const i = Math.min(3999, Math.floor(Math.exp(draws.next() * Math.log(4001))) - 1);
          yield* tree.get(key(i));
        }
      });
      sim.run();
      return tree.stats;
    };
    const sizes = [8, 32, 128, 512].map(perGet);
    for (let i = 1; i < sizes.length; i++) {
      expect(sizes[i]!.cache.misses).toBeLessThan(sizes[i - 1]!.cache.misses);
      expect(sizes[i]!.diskReadsPerGet).toBeLessThan(sizes[i - 1]!.diskReadsPerGet);
      expect(sizes[i]!.readAmplification).toBeLessThan(sizes[i - 1]!.readAmplification);
    }
    expect(sizes[0]!.cache.hitRate).toBeLessThan(sizes[3]!.cache.hitRate);
  });

  it("read-ahead makes a range scan of a loaded tree faster", () => {
    const scanTime = (readAhead: number) => {
      const { sim, tree, client } = setup({ order: 16, cachePages: 64, readAhead });
      tree.load(Array.from({ length: 4000 }, (_, i) => [key(i), i] as const));
      let seconds = 0;
      client.start(function* () {
        const start = client.now;
        const got = yield* tree.scan({ from: key(1000), limit: 2000 });
        expect(got.length).toBe(2000);
        seconds = client.now - start;
      });
      sim.run();
      return { seconds, stats: tree.stats.cache };
    };
    const off = scanTime(0);
    const on = scanTime(16);
    expect(on.stats.readAheadHits).toBeGreaterThan(100);
    expect(on.seconds).toBeLessThan(off.seconds / 4);
  });

  it("reports amplification from the bytes it moved", () => {
    const { sim, tree, client } = setup({
      order: 8,
      pageBytes: 1024,
      valueBytes: 50,
      checkpointEvery: 50,
    });
    client.start(function* () {
      for (let i = 0; i < 200; i++) yield* tree.put(key(i), i);
      for (let i = 0; i < 100; i++) yield* tree.get(key(i));
    });
    sim.run();
    const e = tree.engineStats;
    expect(e.userWrites).toBe(200);
    expect(e.userBytesWritten).toBe(200 * (5 + 50));
    expect(e.liveBytes).toBe(200 * 55);
    expect(e.userReads).toBe(100);
    // Log records (16 + 55 bytes each) and page writebacks at checkpoints.
    expect(e.diskBytesWritten).toBeGreaterThan(200 * 71);
    expect(e.writeAmplification).toBeCloseTo(e.diskBytesWritten / e.userBytesWritten);
    expect(e.writeAmplification).toBeGreaterThan(1);
    expect(e.spaceAmplification).toBeGreaterThan(1);
    expect(tree.stats.checkpoints).toBe(4);
  });

  it("a full disk refuses a write (RemoteError) and the tree stays whole", () => {
    const { sim, tree, client } = setup({ cachePages: 2 });
    const refused: string[] = [];
    client.start(function* () {
      for (let i = 0; i < 20; i++) yield* tree.put(key(i), i);
      const full = tree.disk.fill();
      for (let i = 20; i < 30; i++) {
        try {
          yield* tree.put(key(i), i);
        } catch (error) {
          refused.push((error as RemoteError).reason);
        }
      }
      full.heal();
      for (let i = 30; i < 40; i++) yield* tree.put(key(i), i);
      expect(yield* tree.get(key(5))).toBe(5);
    });
    sim.run();
    expect(refused.length).toBe(10);
    expect(refused[0]).toMatch(/^disk: /);
    checkOrder(tree);
    // What a refused write changed in memory stays until a crash takes it, as in a KVStore.
    const keys = new Set(tree.entries().map((e) => e.key));
    for (let i = 0; i < 20; i++) expect(keys.has(key(i))).toBe(true);
    for (let i = 30; i < 40; i++) expect(keys.has(key(i))).toBe(true);
    tree.crash();
    tree.recover();
    expect(tree.entries().map((e) => e.key)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => key(i)),
      ...Array.from({ length: 10 }, (_, i) => key(30 + i)),
    ]);
  });

  it("refuses versions and tombstones (not supported), and bad options, typed", () => {
    const { sim, tree } = setup();
    const caller = new Entity(sim, "caller");
    caller.start(function* () {
      yield* caller.call(tree, "put", { key: "a", value: 1, version: 3 });
    });
    expect(() => sim.run()).toThrow(SimulationError);
    const fresh = new Simulation({ seed: 1 });
    const bad: BTreeOptions<number>[] = [
      { order: 2 },
      { pageBytes: 0 },
      { cachePages: 0 },
      { readAhead: -1 },
      { writebackInterval: 0 },
      { sync: "sometimes" as never },
      { checkpointEvery: 0 },
      { valueBytes: -1 },
      { disk: { syncLatency: -1 } },
      { disk: { owner: new Entity(fresh, "x") } as never },
      { disk: new Disk(new Simulation({ seed: 2 }), "other") },
    ];
    for (const options of bad) {
      expect(() => new BTree(fresh, "t", options), JSON.stringify(Object.keys(options))).toThrow(
        ConfigError,
      );
      expect(fresh.entity("t")).toBeUndefined();
    }
    expect(() => new BTree(fresh, "t", null as never)).toThrow(ConfigError);
  });
});

class EngineCaller extends Entity<number> {
  constructor(
    sim: Simulation,
    name: string,
    private readonly tree: BTree<number>,
  ) {
    super(sim, name);
  }
  override *handle(arrival: { payload: number }) {
    const i = arrival.payload;
    const k = `k${(i * 7919) % 50}`;
    try {
      if (i % 4 === 0) yield* this.tree.put(k, i);
      else if (i % 4 === 1) yield* this.tree.increment(`n${i % 5}`);
      else if (i % 4 === 2) yield* this.call(this.tree, "delete", { key: k }, { timeout: 0.5 });
      else if (i % 8 === 3) yield* this.call(this.tree, "get", { key: k }, { timeout: 0.5 });
      else yield* this.tree.scan({ from: k, limit: 5 });
    } catch (error) {
      if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
    }
  }
}

componentLaws<BTree<number>>({
  type: BTree,
  options: () => ({
    order: 8,
    pageBytes: 4096,
    cachePages: 16,
    readAhead: 2,
    writebackInterval: 0.05,
    sync: { interval: 0.01 },
    checkpointEvery: 40,
    valueBytes: 8,
    disk: { syncLatency: 0.002 },
  }),
  construct: (sim, name, options) => new BTree<number>(sim, name, options as BTreeOptions<number>),
  invalid: [{ order: 1 }, { cachePages: 0 }, { disk: { syncLatency: "slow" } }, { sync: 3 }],
  scenario(sim) {
    const tree = new BTree<number>(sim, SUBJECT, {
      order: 5,
      cachePages: 6,
      readAhead: 2,
      writebackInterval: 0.05,
      checkpointEvery: 30,
      disk: {
        readLatency: dist.exponential(0.0005),
        syncLatency: dist.exponential(0.003),
      },
    });
    const caller = new EngineCaller(sim, "caller", tree);
    new Source<number>(sim, "source", {
      target: caller,
      arrivals: arrivals.poisson(400),
      payload: (i) => i,
      stopAfter: { count: 1000 },
    });
    return tree;
  },
  crashAt: 1,
  recoverAt: 1.5,
});
