/**
 * Goal: a Memtable keeps the newest entry per key in key order with its size in bytes, and
 * refuses writes once frozen; an SSTable written from it reads a key with at most one block
 * read, skips absent keys by its bloom filter (counted), survives a restart (loaded from the
 * disk) and refuses to load when its file is incomplete.
 * Method: direct calls, counts read from the parts' stats.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  Disk,
  Entity,
  type LsmEntry,
  Memtable,
  Simulation,
  SimulationError,
  SSTable,
  type SSTableRecord,
} from "../../../src/index.js";

describe("Memtable", () => {
  it("keeps the newest entry per key, sorted, with its size; frozen, it refuses writes", () => {
    const table = new Memtable<string>({ capacityBytes: 20 });
    table.put("b", 2, "xx", 3);
    table.put("a", 1, "y", 2);
    table.put("b", 1, "old", 4); // older than the held one: ignored
    table.delete("c", 3, 1);
    expect(table.sorted().map((e) => [e.key, e.seq, e.value, e.deleted])).toEqual([
      ["a", 1, "y", false],
      ["b", 2, "xx", false],
      ["c", 3, undefined, true],
    ]);
    expect(table.sizeBytes).toBe(6);
    expect(table.range("b", undefined).map((e) => e.key)).toEqual(["b", "c"]);
    expect(table.isFull).toBe(false);
    table.put("d", 4, "z".repeat(20), 21);
    expect(table.isFull).toBe(true);
    expect(table.maxSeq).toBe(4);
    table.freeze();
    expect(() => table.put("e", 5, "v", 2)).toThrow(SimulationError);
    expect(() => new Memtable({ capacityBytes: 0 })).toThrow(ConfigError);
  });
});

describe("SSTable", () => {
  function entries(n: number): LsmEntry<number>[] {
    return Array.from({ length: n }, (_, i) => ({
      key: `k${String(i * 2).padStart(4, "0")}`,
      seq: i + 1,
      value: i,
      deleted: false,
      bytes: 20,
    }));
  }

  it("reads one block per lookup, skips absent keys by its filter, and loads after a restart", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    const disk = new Disk<SSTableRecord<number>>(sim, "disk", { owner: node });
    let table: SSTable<number> | null = null;
    const found: (number | undefined)[] = [];
    node.start(function* () {
      table = yield* SSTable.write(disk, "t1", entries(500), {
        blockBytes: 280,
        bloomFalsePositiveRate: 0.01,
      });
      for (const key of ["k0000", "k0500", "k0998"]) {
        if (table.mayContain(key)) found.push((yield* table.get(key))?.value);
      }
      let skipped = 0;
      for (let i = 0; i < 200; i++)
        if (!table.mayContain(`k${String(i * 2 + 1).padStart(4, "0")}`)) skipped++;
      found.push(skipped);
    });
    sim.run();
    const t = table as unknown as SSTable<number>;
    expect(t.blocks).toBe(500 / 10);
    expect(found.slice(0, 3)).toEqual([0, 250, 499]);
    expect(found[3]).toBeGreaterThan(190);
    expect(t.stats.blocksRead).toBe(3);
    expect(t.stats.bloomNegatives).toBe(found[3]);
    expect(t.fileBytes).toBe(disk.records("t1").reduce((sum, r) => sum + r.sizeBytes, 0));
    node.crash();
    node.recover();
    const loaded = SSTable.load(disk, "t1")!;
    expect([loaded.minKey, loaded.maxKey, loaded.blocks]).toEqual(["k0000", "k0998", 50]);
    expect(SSTable.load(disk, "missing")).toBeNull();
  });

  it("does not load a table whose write a crash cut short", () => {
    const sim = new Simulation({ seed: 2 });
    const node = new Entity(sim, "node");
    const disk = new Disk<SSTableRecord<number>>(sim, "disk", { owner: node, syncLatency: 0.01 });
    node.start(function* () {
      yield* SSTable.write(disk, "t1", entries(100), { blockBytes: 280 });
    });
    sim.run({ until: 0.005 }); // written, not yet synced
    node.crash();
    node.recover();
    expect(SSTable.load(disk, "t1")).toBeNull();
  });
});
