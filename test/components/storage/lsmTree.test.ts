/**
 * Goal: an LSMTree answers the key-value protocol exactly as a map would, across flushes and
 * compactions of every strategy, by process call and by message; bloom filters spare reads of
 * tables without the key; writers stall while a frozen memtable flushes; its amplification
 * comes from bytes it moved and orders the strategies as their design says; bad options and
 * unsupported requests fail loudly; and it keeps the laws of every component.
 * Method: scripted workloads against a Map oracle; counts read from its stats.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  dist,
  Entity,
  fifoCompaction,
  LSMTree,
  type LSMTreeOptions,
  leveledCompaction,
  RemoteError,
  Simulation,
  SimulationError,
  sizeTieredCompaction,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

const STRATEGIES = {
  leveled: () => leveledCompaction({ l0Trigger: 2, tableBytes: 1500, levelBytes: 3000, fanout: 3 }),
  sizeTiered: () => sizeTieredCompaction({ minThreshold: 3 }),
  fifo: () => fifoCompaction({ maxBytes: 1_000_000 }),
};

function tree(sim: Simulation, options: LSMTreeOptions<number> = {}) {
  return new LSMTree<number>(sim, "db", {
    memtableBytes: 1000,
    blockBytes: 300,
    valueBytes: 20,
    ...options,
  });
}

/** Puts, deletes and reads over 300 keys, checked against a Map after each read. */
function workload(db: LSMTree<number>, client: Entity, ops: number, mismatches: string[]) {
  const model = new Map<string, number>();
  client.start(function* () {
    for (let i = 0; i < ops; i++) {
      const key = `k${String((i * 7919) % 300).padStart(3, "0")}`;
      if (i % 7 === 6) {
        const was = yield* db.delete(key);
        if (was !== model.has(key)) mismatches.push(`delete ${key} at ${i}: ${was}`);
        model.delete(key);
      } else {
        yield* db.put(key, i);
        model.set(key, i);
      }
      if (i % 3 === 0) {
        const probe = `k${String((i * 31) % 300).padStart(3, "0")}`;
        const value = yield* db.get(probe);
        if (value !== model.get(probe)) mismatches.push(`get ${probe} at ${i}: ${value}`);
      }
      if (i % 250 === 249) {
        const from = "k100";
        const to = "k200";
        const got = yield* db.scan({ from, to, limit: 50 });
        const want = [...model.keys()]
          .filter((k) => k >= from && k < to)
          .sort()
          .slice(0, 50)
          .map((k) => [k, model.get(k)]);
        const seen = got.map((e) => [e.key, e.value]);
        if (JSON.stringify(seen) !== JSON.stringify(want)) mismatches.push(`scan at ${i}`);
      }
    }
  });
  return model;
}

describe("LSMTree answers as a map would", () => {
  for (const [name, strategy] of Object.entries(STRATEGIES)) {
    it(`across flushes and ${name} compactions`, () => {
      const sim = new Simulation({ seed: 1 });
      const db = tree(sim, { compaction: strategy() });
      const mismatches: string[] = [];
      const model = workload(db, new Entity(sim, "client"), 2000, mismatches);
      sim.run();
      expect(mismatches).toEqual([]);
      const s = db.stats;
      expect(s.flushes).toBeGreaterThan(20);
      if (name !== "fifo") expect(s.compactions).toBeGreaterThan(3);
      expect(db.size).toBe(model.size);
      expect(s.completed).toBe(s.requests);
      expect(s.liveBytes).toBe([...model.keys()].reduce((sum, k) => sum + k.length + 20, 0));
      expect(s.bloomNegatives).toBeGreaterThan(0);
      // One block at most per table a get reads.
      expect(s.getBytesRead).toBeLessThanOrEqual(s.gets * s.tables * 400 + s.gets * 2000);
    });
  }

  it("answers by message, and refuses what it does not support", () => {
    const sim = new Simulation({ seed: 2 });
    const db = tree(sim);
    const client = new Entity(sim, "client");
    const seen: unknown[] = [];
    client.start(function* () {
      seen.push(yield* this.call(db, "put", { key: "a", value: 1 }));
      seen.push(yield* this.call(db, "get", { key: "a" }));
      seen.push(yield* this.call(db, "scan", { from: "" }));
      seen.push(yield* this.call(db, "delete", { key: "a" }));
      seen.push(yield* this.call(db, "get", { key: "a" }));
      for (const [kind, payload] of [
        ["increment", { key: "a" }],
        ["put", { key: "a", value: 2, version: 9 }],
      ] as const) {
        try {
          yield* this.call(db, kind, payload);
        } catch (error) {
          seen.push(error instanceof RemoteError ? "refused" : error);
        }
      }
    });
    sim.run();
    expect(seen).toEqual([
      1,
      1,
      [{ key: "a", value: 1, version: 1 }],
      true,
      undefined,
      "refused",
      "refused",
    ]);
    expect(db.stats.rejected).toBe(2);
    expect(() => db.put(undefined as never, 1).next()).toThrow(SimulationError);
  });

  it("reads no block of a table whose bloom filter says the key is absent", () => {
    const sim = new Simulation({ seed: 3 });
    const db = tree(sim, { compaction: STRATEGIES.sizeTiered() });
    const client = new Entity(sim, "client");
    client.start(function* () {
      for (let i = 0; i < 400; i++) yield* db.put(`k${i}`, i);
      const before = db.stats.blocksRead;
      for (let i = 0; i < 200; i++) yield* db.get(`k${i}x`); // absent, inside the key range
      const absentBlocks = db.stats.blocksRead - before;
      expect(absentBlocks).toBeLessThan(20);
    });
    sim.run();
    expect(db.stats.bloomNegatives).toBeGreaterThan(150);
  });

  it("stalls writers while the frozen memtable is still flushing", () => {
    const sim = new Simulation({ seed: 4 });
    const db = tree(sim, { disk: { syncLatency: 0.05 }, sync: "never" });
    const client = new Entity(sim, "client");
    client.start(function* () {
      for (let i = 0; i < 500; i++) yield* db.put(`k${i}`, i);
    });
    sim.run();
    expect(db.stats.stalls).toBeGreaterThan(0);
    expect(db.size).toBe(500);
  });

  it("fifo compaction deletes the oldest tables whole: old keys expire, nothing is rewritten", () => {
    const sim = new Simulation({ seed: 5 });
    const db = tree(sim, { compaction: fifoCompaction({ maxBytes: 5000 }) });
    const client = new Entity(sim, "client");
    let first: number | undefined = 0;
    client.start(function* () {
      for (let i = 0; i < 1000; i++) yield* db.put(`k${String(i).padStart(4, "0")}`, i);
      first = yield* db.get("k0000");
    });
    sim.run();
    expect(first).toBeUndefined();
    expect(db.stats.compactionBytesWritten).toBe(0);
    expect(db.stats.compactions).toBeGreaterThan(0);
    expect(db.size).toBeLessThan(1000);
  });

  it("write amplification: leveled > size-tiered > fifo on the same workload", () => {
    const amp: Record<string, number> = {};
    for (const [name, strategy] of Object.entries(STRATEGIES)) {
      const sim = new Simulation({ seed: 6 });
      const db = tree(sim, { compaction: strategy(), sync: "never" });
      // New keys in random order: the data grows, and each strategy rewrites it its own way.
      new Entity(sim, "client").start(function* () {
        for (let i = 0; i < 3000; i++) yield* db.put(`k${(i * 7919) % 3000}`, i);
      });
      sim.run();
      amp[name] = db.engineStats.writeAmplification;
    }
    expect(amp.leveled!).toBeGreaterThan(amp.sizeTiered!);
    expect(amp.sizeTiered!).toBeGreaterThan(amp.fifo!);
    expect(amp.fifo!).toBeGreaterThan(1);
  });

  it("space amplification counts the bytes its files hold on the disk", () => {
    // The write that fills the memtable starts a new log segment: its record lands there,
    // and its bytes must be counted there (not in the segment the flush deletes). Checked
    // once the run drains (while a table is written, its blocks count only once it is whole).
    const sim = new Simulation({ seed: 8 });
    const db = tree(sim, { memtableBytes: 16, blockBytes: 16, valueBytes: 4 });
    const onDisk = () => {
      let held = 0;
      for (const file of db.disk.files()) {
        if (!file.startsWith("db.")) continue;
        for (const record of db.disk.records(file)) held += record.keptBytes;
      }
      return held;
    };
    new Entity(sim, "client").start(function* () {
      for (let i = 0; i < 40; i++) yield* db.put(`k${i % 5}`, i);
    });
    sim.run();
    expect(db.stats.flushes).toBeGreaterThan(3);
    expect(db.stats.fileBytes).toBe(onDisk());
  });

  it("goes down with its disk's power loss and comes back as the disk kept it", () => {
    // The disk alone loses power while a put waits for its sync: the put fails, and its log
    // record is gone. A tree that stayed up would keep the write in its memtable (readable,
    // flushed later), its file sizes counting the lost bytes, until a crash of its own took
    // the value back: a read must not see what the next crash undoes.
    const sim = new Simulation({ seed: 9 });
    const db = tree(sim, { disk: { syncLatency: 0.01 } });
    const seen: (number | undefined)[] = [];
    let refused = false;
    new Entity(sim, "client").start(function* () {
      yield* db.put("a", 1);
      try {
        yield* db.put("b", 2);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        refused = true;
      }
      yield 0.05;
      seen.push(yield* db.get("b"));
    });
    const chaos = new Entity(sim, "chaos");
    chaos.start(function* () {
      yield 0.015;
      db.disk.crash();
      yield 0.01;
      db.disk.recover();
    });
    sim.run();
    expect(refused).toBe(true);
    db.crash();
    db.recover();
    new Entity(sim, "reader").start(function* () {
      seen.push(yield* db.get("b"));
      seen.push(yield* db.get("a"));
    });
    sim.run();
    expect(seen).toEqual([undefined, undefined, 1]);
    let held = 0;
    for (const file of db.disk.files()) {
      for (const record of db.disk.records(file)) held += record.keptBytes;
    }
    expect(db.stats.fileBytes).toBe(held);
  });

  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    for (const [options, name] of [
      [{ memtableBytes: 0 }, "memtableBytes"],
      [{ blockBytes: 1.5 }, "blockBytes"],
      [{ bloomFalsePositiveRate: 1 }, "bloomFalsePositiveRate"],
      [{ compaction: "tiered" }, "compaction"],
      [{ valueBytes: -1 }, "valueBytes"],
      [{ sync: { batch: 0, window: 1 } }, "sync.batch"],
      [{ disk: { owner: new Entity(sim, "x") } }, "disk.owner"],
    ] as const) {
      expect(() => new LSMTree(sim, "bad", options as never), name).toThrow(ConfigError);
      expect(() => new LSMTree(sim, "bad", options as never), name).toThrow(name);
    }
    expect(() => leveledCompaction({ fanout: 1 })).toThrow(ConfigError);
    expect(() => sizeTieredCompaction({ minThreshold: 1 })).toThrow(ConfigError);
    expect(() => fifoCompaction({ maxBytes: 0 })).toThrow(ConfigError);
    expect(sim.entity("bad")).toBeUndefined();
  });
});

componentLaws<LSMTree<number>>({
  type: LSMTree,
  options: () => ({
    disk: { syncLatency: dist.exponential(0.002), tornWriteProbability: 0.5 },
    sync: { batch: 4, window: 0.002 },
    memtableBytes: 2000,
    blockBytes: 400,
    bloomFalsePositiveRate: 0.02,
    compaction: "sizeTiered",
    valueBytes: (value: number) => 8 + (value % 4),
  }),
  construct: (sim, name, options) =>
    new LSMTree<number>(sim, name, options as LSMTreeOptions<number>),
  invalid: [
    { memtableBytes: 0 },
    { blockBytes: 0 },
    { bloomFalsePositiveRate: 0 },
    { compaction: 3 },
    { valueBytes: "big" },
    { sync: "sometimes" },
    { disk: { syncLatency: -1 } },
  ],
  scenario(sim) {
    const db = new LSMTree<number>(sim, SUBJECT, {
      memtableBytes: 600,
      blockBytes: 200,
      valueBytes: 10,
      compaction: leveledCompaction({ l0Trigger: 2, tableBytes: 600, levelBytes: 1200, fanout: 2 }),
      disk: { syncLatency: dist.exponential(0.002), readLatency: dist.exponential(0.0005) },
    });
    for (let w = 0; w < 3; w++) {
      const client = new Entity(sim, `client-${w}`);
      client.start(function* () {
        for (let i = 0; i < 150; i++) {
          const key = `k${(i * 13 + w * 101) % 120}`;
          try {
            if (i % 5 === 4) yield* db.delete(key);
            else if (i % 3 === 2) yield* db.get(key);
            else if (i % 40 === 39) yield* db.scan({ from: "k1", to: "k5", limit: 20 });
            else yield* db.put(key, i);
          } catch (error) {
            if (!(error instanceof RemoteError)) throw error;
          }
          yield 0.001;
        }
      });
    }
    return db;
  },
  crashAt: 0.05,
  recoverAt: 0.07,
});
