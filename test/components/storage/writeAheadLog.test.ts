/**
 * Goal: a WriteAheadLog syncs by its policy and counts what the policy costs; group commit
 * makes fewer, larger syncs and loses nothing acknowledged; segments are dropped once flushed;
 * replay returns the segments' records in order and drops a torn tail; bad options fail loudly.
 * Method: writers append to logs on one disk under each policy; counts and what a crash leaves
 * are compared with what the disk made durable.
 */
import { describe, expect, it, vi } from "vitest";
import {
  ConfigError,
  Disk,
  DiskError,
  DurableLog,
  dist,
  Entity,
  Simulation,
  type WalSyncPolicy,
  WriteAheadLog,
} from "../../../src/index.js";

function setup(sync: WalSyncPolicy, seed = 1) {
  const sim = new Simulation({ seed });
  const node = new Entity(sim, "node");
  const disk = new Disk<string>(sim, "disk", {
    owner: node,
    writeLatency: dist.exponential(0.00002),
    syncLatency: 0.002,
    recordBytes: 100,
    tornWriteProbability: 0,
  });
  const wal = new WriteAheadLog<string>(disk, { sync });
  return { sim, node, disk, wal };
}

/** `writers` processes each appending `each` records back to back; returns the acknowledged. */
function writeLoad(
  node: Entity,
  wal: WriteAheadLog<string>,
  writers: number,
  each: number,
  pace = 0,
) {
  const acknowledged: string[] = [];
  for (let w = 0; w < writers; w++) {
    node.start(function* () {
      for (let i = 0; i < each; i++) {
        try {
          yield* wal.append(`w${w}-${i}`);
          acknowledged.push(`w${w}-${i}`);
        } catch (error) {
          if (!(error instanceof DiskError)) throw error;
        }
        if (pace > 0) yield pace;
      }
    });
  }
  return acknowledged;
}

describe("WriteAheadLog sync policies", () => {
  it('"everyWrite": each append durable on return; concurrent appends share syncs', () => {
    const { sim, node, disk, wal } = setup("everyWrite");
    const acknowledged = writeLoad(node, wal, 8, 20);
    sim.run();
    const s = wal.stats;
    expect(acknowledged.length).toBe(160);
    expect(s.appended).toBe(160);
    expect(s.bytesAppended).toBe(16_000);
    expect(s.recordsSynced).toBe(160);
    expect(s.syncs).toBeLessThan(60);
    expect(s.recordsPerSync).toBeGreaterThan(3);
    expect(disk.stats.unsyncedWrites).toBe(0);
  });

  it("group commit syncs once per batch (or window), and each append waits for its sync", () => {
    const { sim, node, disk, wal } = setup({ batch: 8, window: 0.01 });
    const acknowledged = writeLoad(node, wal, 8, 20);
    let unsyncedAtAck = 0;
    sim.run();
    expect(acknowledged.length).toBe(160);
    expect(wal.stats.syncs).toBe(20);
    expect(wal.stats.recordsPerSync).toBe(8);
    unsyncedAtAck += disk.stats.unsyncedWrites;
    expect(unsyncedAtAck).toBe(0);
    // A lone writer never fills a batch: each append waits out the window, then syncs alone.
    const lone = setup({ batch: 8, window: 0.01 });
    writeLoad(lone.node, lone.wal, 1, 3);
    lone.sim.run();
    expect(lone.wal.stats.syncs).toBe(3);
    expect(lone.sim.now).toBeGreaterThan(0.03);
  });

  it("{ interval } syncs on its grid; appends return from the buffer", () => {
    const { sim, node, wal } = setup({ interval: 0.005 });
    writeLoad(node, wal, 1, 50);
    sim.run({ until: 0.1 });
    expect(wal.stats.appended).toBe(50);
    expect(wal.stats.recordsSynced).toBe(50);
    expect(wal.stats.syncs).toBeGreaterThanOrEqual(1);
    expect(wal.stats.syncs).toBeLessThanOrEqual(2);
  });

  it("a crash loses unsynced appends only; group commit and everyWrite lose nothing acknowledged", () => {
    for (const sync of ["everyWrite", { batch: 4, window: 0.003 }, { interval: 0.01 }] as const) {
      const { sim, node, disk, wal } = setup(sync, 3);
      const acknowledged = writeLoad(node, wal, 4, 30, 0.001);
      sim.at(0.015, () => node.crash());
      sim.run({ until: 0.03 });
      node.recover();
      const replayed = wal.replay();
      expect(replayed, JSON.stringify(sync)).toEqual(
        disk.records("wal.1", "synced").map((r) => r.value),
      );
      const lost = acknowledged.filter((a) => !replayed.includes(a));
      if (sync === "everyWrite" || "batch" in sync) expect(lost, JSON.stringify(sync)).toEqual([]);
      else expect(lost.length, "periodic sync loses acknowledged appends").toBeGreaterThan(0);
    }
  });
});

describe("WriteAheadLog segments and replay", () => {
  it("replays segments in order, drops a torn tail, and deletes dropped segments", () => {
    const sim = new Simulation({ seed: 2 });
    const node = new Entity(sim, "node");
    const disk = new Disk<string>(sim, "disk", { owner: node, tornWriteProbability: 1 });
    const wal = new WriteAheadLog<string>(disk, { sync: "never", file: "log" });
    node.start(function* () {
      yield* wal.append("a");
      wal.rotate();
      yield* wal.append("b");
      yield* wal.append("c");
      yield* wal.flush();
      wal.rotate();
      yield* wal.append("d");
      yield* wal.flush();
      yield* wal.append("e"); // unsynced: torn by the crash
    });
    sim.run();
    expect(disk.files()).toEqual(["log.1", "log.2", "log.3"]);
    node.crash();
    expect(disk.stats.tornWrites).toBe(1);
    node.recover();
    const fresh = new WriteAheadLog<string>(disk, { sync: "never", file: "log" });
    expect(fresh.replay()).toEqual(["a", "b", "c", "d"]);
    // The disk's return cut the torn record already (the first log counted it).
    expect(wal.stats.droppedOnReplay).toBe(1);
    expect(fresh.stats.droppedOnReplay).toBe(0);
    expect(fresh.currentSegment).toBe(4);
    fresh.drop(2);
    expect(disk.files()).toEqual(["log.3"]);
    expect(fresh.replay()).toEqual(["d"]);
  });

  it("a dropped segment leaves nothing behind on its disk: its hook no longer runs at crashes", () => {
    const sim = new Simulation({ seed: 3 });
    const node = new Entity(sim, "node");
    const disk = new Disk<string>(sim, "disk", { owner: node, tornWriteProbability: 0 });
    const wal = new WriteAheadLog<string>(disk, { sync: "everyWrite", file: "log" });
    // A long-running engine: a memtable's worth of records, a rotation, the old segment dropped.
    const rounds = 40;
    node.start(function* () {
      for (let round = 0; round < rounds; round++) {
        yield* wal.append(`r${round}`);
        wal.drop(wal.rotate());
      }
      yield* wal.flush();
    });
    sim.run();
    expect(wal.stats.segments).toBe(0);
    // Every segment's log cuts its damaged tail when the disk comes back: only live ones may.
    const cuts = vi.spyOn(
      DurableLog.prototype as unknown as { cutDamagedTail(): unknown },
      "cutDamagedTail",
    );
    try {
      disk.crash();
      disk.recover();
      expect(cuts).toHaveBeenCalledTimes(0);
    } finally {
      cuts.mockRestore();
    }
    // And the log goes on: a new segment after the restart, replayed alone.
    node.start(function* () {
      yield* wal.append("after");
    });
    sim.run();
    expect(wal.replay()).toEqual(["after"]);
  });

  it("refuses bad options", () => {
    const sim = new Simulation({ seed: 1 });
    const disk = new Disk<string>(sim, "disk");
    for (const options of [
      { sync: { batch: 0, window: 0.001 } },
      { sync: { batch: 2, window: 0 } },
      { sync: "sometimes" },
      { sync: { interval: -1 } },
      { file: "" },
      { recordBytes: 0 },
    ]) {
      expect(
        () => new WriteAheadLog<string>(disk, options as never),
        JSON.stringify(options),
      ).toThrow(ConfigError);
    }
    expect(() => new WriteAheadLog<string>({} as never)).toThrow(ConfigError);
  });
});
