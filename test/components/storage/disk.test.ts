/**
 * Goal: a Disk tells written from synced. Reads see a write at once; a power loss (the owner's
 * crash or the disk's own) keeps only what a sync made durable and may leave the last unsynced
 * write torn (seeded: the same seed tears at the same byte), which a checksum catches on read;
 * syncs run one at a time and callers share the next; every fault does what it says, is
 * counted and writes fault records; bad input fails loudly. Method: scripted processes with
 * constant latencies, so every time and count is exact; the law suite for the rest.
 */
import { describe, expect, it } from "vitest";
import {
  ChecksumError,
  ConfigError,
  Disk,
  DiskError,
  DiskFullError,
  type DiskLatencyModel,
  type DiskOptions,
  dist,
  Entity,
  type FaultRecord,
  Simulation,
  SimulationError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

function setup(options: DiskOptions<string> = {}, seed = 1) {
  const sim = new Simulation({ seed });
  const node = new Entity(sim, "node");
  const disk = new Disk<string>(sim, "disk", {
    owner: node,
    readLatency: 0.001,
    writeLatency: 0.0001,
    syncLatency: 0.002,
    ...options,
  });
  return { sim, node, disk };
}

/** Runs `body` as a process of `entity` at `at`; pushes what it threw (class and message). */
function run(
  sim: Simulation,
  entity: Entity,
  body: () => Generator<unknown, void, unknown>,
  log: string[],
  at = 0,
) {
  sim.at(at, () =>
    entity.start(function* () {
      try {
        yield* body() as Generator<never, void, unknown>;
      } catch (error) {
        if (error instanceof DiskError) log.push(`${error.name}(${error.code})@${entity.now}`);
        else throw error;
      }
    }),
  );
}

describe("Disk: written vs synced", () => {
  it("a write is read back at once, and a restarted owner sees only what was synced", () => {
    const { sim, node, disk } = setup({ tornWriteProbability: 0 });
    const log: string[] = [];
    run(
      sim,
      node,
      function* () {
        log.push(`append a -> ${yield* disk.append("wal", "a")} @${node.now}`);
        log.push(`append b -> ${yield* disk.append("wal", "b")}`);
        log.push(`read 1 before sync: ${yield* disk.read("wal", 1)}`);
        yield* disk.sync();
        log.push(`synced @${node.now}`);
        yield* disk.append("wal", "c");
        yield* disk.write("wal", 0, "A");
        log.push(`written ${disk.records("wal").map((r) => r.value)}`);
        log.push(`synced ${disk.records("wal", "synced").map((r) => r.value)}`);
      },
      log,
    );
    sim.at(0.1, () => {
      node.crash();
      node.recover();
      log.push(`after restart ${disk.records("wal").map((r) => r.value)}`);
    });
    sim.run();
    expect(log).toEqual([
      "append a -> 0 @0.0001",
      "append b -> 1",
      "read 1 before sync: b",
      "synced @0.0032",
      "written A,b,c",
      "synced a,b",
      "after restart a,b",
    ]);
    const s = disk.stats;
    expect([s.writes, s.syncedWrites, s.lostWrites, s.unsyncedWrites]).toEqual([4, 2, 2, 0]);
    expect(s.powerLosses).toBe(1);
    expect(disk.counters.crashes).toBe(1);
    expect(disk.isUp).toBe(true);
  });

  it("a sync covers the writes issued before it starts; callers during a sync share the next one", () => {
    const { sim, node, disk } = setup();
    const log: string[] = [];
    run(
      sim,
      node,
      function* () {
        yield* disk.append("f", "x");
        yield* disk.sync();
        log.push(`first sync done @${node.now}`);
      },
      log,
    );
    // Issued while the first sync runs (it started at 0.0001): not covered by it.
    for (const [i, at] of [
      [1, 0.001],
      [2, 0.0015],
    ] as const) {
      run(
        sim,
        node,
        function* () {
          yield* disk.append("f", `y${i}`);
          const synced = disk.records("f", "synced").length;
          yield* disk.sync();
          log.push(`sync ${i} done @${node.now} (synced before: ${synced})`);
        },
        log,
        at,
      );
    }
    sim.run();
    expect(log).toEqual([
      "first sync done @0.0021",
      "sync 1 done @0.0041 (synced before: 0)",
      "sync 2 done @0.0041 (synced before: 0)",
    ]);
    expect(disk.stats.syncs).toBe(2);
    expect(disk.records("f", "synced").map((r) => r.value)).toEqual(["x", "y1", "y2"]);
  });

  it("the disk's own crash (its owner up) fails the operations in progress with DiskError('crashed')", () => {
    const { sim, node, disk } = setup({ tornWriteProbability: 0 });
    const log: string[] = [];
    run(
      sim,
      node,
      function* () {
        yield* disk.append("f", "x");
        yield* disk.sync();
      },
      log,
    );
    run(
      sim,
      node,
      function* () {
        yield* disk.append("f", "late");
      },
      log,
      0.003,
    );
    sim.at(0.001, () => disk.crash());
    sim.at(0.002, () => disk.recover());
    sim.run();
    expect(log).toEqual(["DiskError(crashed)@0.001"]);
    expect(disk.stats.lostToCrash).toBe(1);
    expect(disk.records("f").map((r) => r.value)).toEqual(["late"]);
  });

  it("calls while the disk is down fail at once with DiskError('down')", () => {
    const { sim, node, disk } = setup();
    const log: string[] = [];
    sim.at(0, () => disk.crash());
    run(
      sim,
      node,
      function* () {
        yield* disk.sync();
      },
      log,
      0.5,
    );
    sim.run();
    expect(log).toEqual(["DiskError(down)@0.5"]);
    expect(disk.stats.rejected).toBe(1);
  });

  it("a disk brought back by hand while its owner is down stays up when the owner recovers", () => {
    const { sim, node, disk } = setup();
    sim.at(1, () => node.crash());
    sim.at(2, () => disk.recover());
    sim.at(3, () => node.recover());
    sim.run();
    expect([node.isUp, disk.isUp, disk.stats.powerLosses]).toEqual([true, true, 1]);
  });

  it("takes latencies from distributions and from a latency model (times its slow factor)", () => {
    const seen: string[] = [];
    const model: DiskLatencyModel = {
      description: "one head",
      seconds(operation, context) {
        seen.push(
          `${operation.kind} ${operation.file}[${operation.index}] ${operation.sizeBytes}B`,
        );
        return operation.kind === "sync" ? 0.01 : context.baseSeconds() * 2;
      },
    };
    const { sim, node, disk } = setup({ latencyModel: model, recordBytes: 100 });
    const log: string[] = [];
    run(
      sim,
      node,
      function* () {
        yield* disk.append("f", "x", { sizeBytes: 10 });
        log.push(`appended @${node.now}`);
        yield* disk.sync();
        log.push(`synced @${node.now}`);
        const slow = disk.slow(3);
        yield* disk.read("f", 0);
        slow.heal();
        log.push(`read @${node.now}`);
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["appended @0.0002", "synced @0.0102", "read @0.0162"]);
    expect(seen).toEqual(["write f[0] 10B", "sync [-1] 10B", "read f[0] 10B"]);
  });
});

describe("Disk: torn writes", () => {
  function tornRun(seed: number, checksum: boolean) {
    const { sim, node, disk } = setup({ tornWriteProbability: 1, checksums: checksum }, seed);
    const log: string[] = [];
    run(
      sim,
      node,
      function* () {
        yield* disk.append("wal", "a");
        yield* disk.sync();
        yield* disk.append("wal", "b");
        yield* disk.append("wal", "c");
      },
      log,
    );
    const faults: FaultRecord[] = [];
    sim.onTrace((record) => {
      if (record.type === "fault") faults.push(record);
    });
    sim.at(0.01, () => {
      node.crash();
      node.recover();
    });
    run(
      sim,
      node,
      function* () {
        for (let i = 0; i < disk.length("wal"); i++) {
          try {
            log.push(`read ${i}: ${yield* disk.read("wal", i)}`);
          } catch (error) {
            if (!(error instanceof ChecksumError)) throw error;
            log.push(`read ${i}: ${error.message}`);
          }
        }
      },
      log,
      0.02,
    );
    sim.run();
    return { disk, log, faults };
  }

  it("a crash may leave the last unsynced write torn where the synced data ends; its checksum catches it", () => {
    const { disk, log, faults } = tornRun(1, true);
    const records = disk.records("wal");
    expect(records.map((r) => [r.value, r.damage])).toEqual([
      ["a", null],
      ["c", "torn"],
    ]);
    const kept = records[1]!.keptBytes;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(4096);
    expect(log).toEqual([
      "read 0: a",
      "read 1: disk failed the request: checksum mismatch in wal[1] (torn)",
    ]);
    const s = disk.stats;
    expect([s.lostWrites, s.tornWrites, s.checksumFailures, s.silentCorruptions]).toEqual([
      2, 1, 1, 0,
    ]);
    expect(faults).toEqual([
      {
        type: "fault",
        timeNs: 10_000_000,
        faultId: 1,
        fault: "disk-power-loss",
        phase: "activated",
        targets: ["disk"],
        detail: `lost 2 unsynced writes (8192 bytes); torn: wal[1] kept ${kept} of 4096 bytes`,
      },
    ]);
  });

  it("without a checksum a torn record reads back silently, and is counted", () => {
    const { disk, log } = tornRun(1, false);
    expect(log).toEqual(["read 0: a", "read 1: c"]);
    expect(disk.stats.silentCorruptions).toBe(1);
    expect(disk.stats.checksumFailures).toBe(0);
  });

  it("tears at the same byte for the same seed, and elsewhere for other seeds", () => {
    const offsets = (seed: number) => tornRun(seed, true).disk.records("wal")[1]!.keptBytes;
    expect(offsets(3)).toBe(offsets(3));
    const many = new Set([1, 2, 3, 4, 5, 6].map(offsets));
    expect(many.size).toBeGreaterThan(3);
  });

  /** Runs `body` on a disk that always tears, then its owner crashes at 1 s and recovers. */
  function crashAfter(
    body: (disk: Disk<string>) => Generator<unknown, void, unknown>,
    options: DiskOptions<string> = {},
    seed = 1,
  ) {
    const { sim, node, disk } = setup({ tornWriteProbability: 1, ...options }, seed);
    run(sim, node, () => body(disk), []);
    sim.at(1, () => {
      node.crash();
      node.recover();
    });
    sim.run();
    return disk;
  }
  const shape = (disk: Disk<string>, file: string) =>
    disk
      .records(file)
      .map((r) => `${r.value}${r.damage === null ? "" : ` ${r.damage} ${r.keptBytes}`}`);

  it("an overwrite tears in place, over the synced record it replaced (a torn page)", () => {
    const disk = crashAfter(function* (disk) {
      for (const value of ["a", "b", "c"]) yield* disk.append("f", value);
      yield* disk.sync();
      yield* disk.truncate("f", 2); // cut above the overwrite: "b" is still the one replaced
      yield* disk.write("f", 1, "B");
    });
    expect(shape(disk, "f")).toEqual(["a", `B torn ${disk.records("f")[1]!.keptBytes}`, "c"]);
    expect(disk.stats).toMatchObject({ tornWrites: 1, lostWrites: 2 });
  });

  it("never damages a synced record its owner did not overwrite: a write after an unsynced truncate or delete is lost whole", () => {
    const truncated = crashAfter(function* (disk) {
      for (const value of ["a", "b", "c"]) yield* disk.append("f", value);
      yield* disk.sync();
      yield* disk.truncate("f", 1);
      yield* disk.append("f", "x"); // at 1, where the synced "b" is on the medium
    });
    expect(shape(truncated, "f")).toEqual(["a", "b", "c"]);
    expect(truncated.stats).toMatchObject({ tornWrites: 0, lostWrites: 2 });

    const rewritten = crashAfter(function* (disk) {
      for (const value of ["a", "b"]) yield* disk.append("f", value);
      yield* disk.sync();
      yield* disk.deleteFile("f");
      yield* disk.append("f", "x");
      yield* disk.append("f", "y");
      yield* disk.write("f", 0, "z");
    });
    expect(shape(rewritten, "f")).toEqual(["a", "b"]);
    expect(rewritten.stats.tornWrites).toBe(0);

    // An append past the synced data still tears where that data ends.
    const appended = crashAfter(function* (disk) {
      for (const value of ["a", "b"]) yield* disk.append("f", value);
      yield* disk.sync();
      yield* disk.truncate("f", 0);
      for (const value of ["x", "y", "z"]) yield* disk.append("f", value);
    });
    expect(shape(appended, "f")).toEqual([
      "a",
      "b",
      `z torn ${appended.records("f")[2]!.keptBytes}`,
    ]);
  });

  it("never tears past capacityBytes: the room the lost writes freed is not there after the crash", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const disk = crashAfter(
        function* (disk) {
          yield* disk.append("f", "a", { sizeBytes: 9_999 });
          yield* disk.sync();
          yield* disk.truncate("f", 0);
          yield* disk.append("g", "x", { sizeBytes: 9_000 }); // fits once "a" is cut
        },
        { capacityBytes: 10_000 },
        seed,
      );
      // One byte of room on the medium: the tear keeps one.
      expect(shape(disk, "g"), `seed ${seed}`).toEqual(["x torn 1"]);
      expect(disk.stats.usedBytes).toBe(10_000);
    }
    const full = crashAfter(
      function* (disk) {
        yield* disk.append("f", "a", { sizeBytes: 10_000 });
        yield* disk.sync();
        yield* disk.deleteFile("f");
        yield* disk.append("g", "x", { sizeBytes: 9_000 });
      },
      { capacityBytes: 10_000 },
    );
    expect(full.files()).toEqual(["f"]); // no room at all: lost whole
    expect(full.stats).toMatchObject({ tornWrites: 0, usedBytes: 10_000 });
  });

  it("tears with the probability given (0: the unsynced writes are lost whole)", () => {
    let torn = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const { sim, node, disk } = setup({ tornWriteProbability: 0.25 }, seed);
      run(
        sim,
        node,
        function* () {
          yield* disk.append("f", "x");
        },
        [],
      );
      sim.at(1, () => node.crash());
      sim.run();
      torn += disk.stats.tornWrites;
    }
    expect(torn).toBeGreaterThan(30);
    expect(torn).toBeLessThan(70);
    const { sim, node, disk } = setup({ tornWriteProbability: 0 });
    run(
      sim,
      node,
      function* () {
        yield* disk.append("f", "x");
      },
      [],
    );
    sim.at(1, () => node.crash());
    sim.run();
    expect(disk.records("f")).toEqual([]);
  });
});

describe("Disk: faults", () => {
  function traced(sim: Simulation) {
    const faults: string[] = [];
    sim.onTrace((r) => {
      if (r.type === "fault") faults.push(`${r.faultId} ${r.fault} ${r.phase} ${r.detail}`);
    });
    return faults;
  }

  it("fill(): writes fail with DiskFullError until healed; capacityBytes does the same", () => {
    const { sim, node, disk } = setup({ capacityBytes: 10_000 });
    const faults = traced(sim);
    const log: string[] = [];
    run(
      sim,
      node,
      function* () {
        yield* disk.append("f", "1");
        yield* disk.append("f", "2");
        try {
          yield* disk.append("f", "3");
        } catch (error) {
          expect(error).toBeInstanceOf(DiskFullError);
          log.push((error as DiskFullError).reason);
        }
        yield* disk.write("f", 1, "two", { sizeBytes: 10 });
        const full = disk.fill();
        try {
          yield* disk.append("f", "4", { sizeBytes: 1 });
        } catch (error) {
          log.push((error as DiskFullError).reason);
        }
        full.heal();
        full.heal();
        yield* disk.append("f", "4", { sizeBytes: 1 });
        log.push(`held ${disk.stats.usedBytes} bytes`);
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["disk full (8192 of 10000 bytes used)", "disk full", "held 4107 bytes"]);
    expect(disk.stats.refusedFull).toBe(2);
    expect(faults).toEqual([
      "1 disk-full activated writes refused",
      "1 disk-full healed refused 1 writes",
    ]);
  });

  it("readErrors(p): reads fail with DiskError('io') at that rate, seeded", () => {
    const { sim, node, disk } = setup();
    disk.restore("f", ["x"]);
    let failed = 0;
    let fault: ReturnType<Disk["readErrors"]> | null = null;
    sim.at(0, () => {
      fault = disk.readErrors(0.3);
    });
    node.start(function* () {
      for (let i = 0; i < 1000; i++) {
        try {
          yield* disk.read("f", 0);
        } catch (error) {
          if (!(error instanceof DiskError) || error.code !== "io") throw error;
          failed++;
        }
      }
      fault!.heal();
      yield* disk.read("f", 0);
    });
    sim.run();
    expect(failed).toBeGreaterThan(250);
    expect(failed).toBeLessThan(350);
    expect(disk.stats.readErrors).toBe(failed);
    expect(disk.stats.reads).toBe(1001 - failed);
  });

  it("corrupt(): a checksum catches the flipped record on read; without one it reads back wrong and is counted", () => {
    const { sim, node, disk } = setup({ corruptValue: (v) => `garbage(${v})` });
    const faults = traced(sim);
    disk.restore("sums", ["a", "b"], { checksum: true });
    disk.restore("plain", ["c"]);
    const log: string[] = [];
    sim.at(0, () => {
      disk.corrupt({ file: "sums", index: 1 });
      disk.corrupt({ file: "plain", index: 0 }).heal();
    });
    run(
      sim,
      node,
      function* () {
        log.push(yield* disk.read("sums", 0));
        log.push(yield* disk.read("plain", 0));
        yield* disk.read("sums", 1);
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["a", "garbage(c)", "ChecksumError(checksum)@0.003"]);
    const s = disk.stats;
    expect([s.corruptedRecords, s.checksumFailures, s.silentCorruptions]).toEqual([2, 1, 1]);
    expect(faults).toEqual([
      "1 disk-corruption activated sums[1]",
      "2 disk-corruption activated plain[0]",
      "2 disk-corruption healed ",
    ]);
    // A random pick is seeded: the same seed flips the same record.
    const pick = (seed: number) => {
      const { disk: d } = setup({}, seed);
      d.restore("f", ["a", "b", "c", "d"]);
      d.restore("g", ["e", "f", "g", "h"]);
      d.corrupt();
      return ["f", "g"].flatMap((f) => d.records(f).map((r) => r.damage ?? "-")).join("");
    };
    expect(pick(4)).toBe(pick(4));
    expect(pick(4).split("corrupt").length).toBe(2);
  });

  it("lieOnSync(): the sync reports success, the data is lost at the next crash (lostAcknowledged)", () => {
    const { sim, node, disk } = setup({ tornWriteProbability: 0 });
    const faults = traced(sim);
    const log: string[] = [];
    run(
      sim,
      node,
      function* () {
        yield* disk.append("f", "kept");
        yield* disk.sync();
        const lie = disk.lieOnSync();
        yield* disk.append("f", "acknowledged");
        yield* disk.sync();
        log.push(`sync returned @${node.now}`);
        lie.heal();
      },
      log,
    );
    sim.at(1, () => {
      node.crash();
      node.recover();
    });
    sim.run();
    expect(log).toEqual(["sync returned @0.0042"]);
    expect(disk.records("f").map((r) => r.value)).toEqual(["kept"]);
    const s = disk.stats;
    expect([s.liedSyncs, s.lostWrites, s.lostAcknowledged]).toEqual([1, 1, 1]);
    expect(faults).toEqual([
      "1 disk-lost-writes activated syncs acknowledge without flushing",
      "1 disk-lost-writes healed 1 syncs lied",
      "2 disk-power-loss activated lost 1 unsynced writes (4096 bytes), 1 of them acknowledged by a lying sync",
    ]);
  });

  it("a true sync after a lying one makes the acknowledged writes durable after all", () => {
    const { sim, node, disk } = setup();
    node.start(function* () {
      const lie = disk.lieOnSync();
      yield* disk.append("f", "x");
      yield* disk.sync();
      lie.heal();
      yield* disk.sync();
    });
    sim.at(1, () => node.crash());
    sim.run();
    expect(disk.records("f").map((r) => r.value)).toEqual(["x"]);
    expect(disk.stats.lostAcknowledged).toBe(0);
  });
});

describe("Disk: bad input", () => {
  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const other = new Entity(new Simulation({ seed: 1 }), "elsewhere");
    const bad: [Record<string, unknown>, string][] = [
      [{ owner: other }, "owner"],
      [{ owner: {} }, "owner"],
      [{ readLatency: "fast" }, "readLatency"],
      [{ syncLatency: -1 }, "syncLatency"],
      [{ writeLatency: dist.normal({ mean: 0.001, sd: 0.01 }) }, "writeLatency"],
      [{ latencyModel: { seconds: 1 } }, "latencyModel"],
      [{ capacityBytes: 0 }, "capacityBytes"],
      [{ recordBytes: 1.5 }, "recordBytes"],
      [{ checksums: "yes" }, "checksums"],
      [{ tornWriteProbability: 2 }, "tornWriteProbability"],
      [{ corruptValue: 3 }, "corruptValue"],
    ];
    for (const [options, name] of bad) {
      expect(() => new Disk(sim, "d", options as DiskOptions), name).toThrow(
        new RegExp(`option "${name}"`),
      );
      expect(sim.entity("d")).toBeUndefined();
    }
    expect(() => new Disk(sim, "d", null as unknown as DiskOptions)).toThrow(ConfigError);
  });

  it("refuses bad calls: file names, indexes, record sizes, fault arguments", () => {
    const { sim, node, disk } = setup();
    disk.restore("f", ["a"]);
    expect(() => disk.appendFuture("", "x")).toThrow(ConfigError);
    expect(() => disk.readFuture("f", 1)).toThrow(/f holds 1 records/);
    expect(() => disk.readFuture("f", 1)).toThrow(SimulationError);
    expect(() => disk.writeFuture("f", 2, "x")).toThrow(/an index in \[0, 1\]/);
    expect(() => disk.appendFuture("f", "x", { sizeBytes: 0 })).toThrow(/sizeBytes/);
    expect(() => disk.truncateFuture("f", -1)).toThrow(/length/);
    expect(() => disk.slow(0)).toThrow(/factor/);
    expect(() => disk.readErrors(1.5)).toThrow(/probability/);
    expect(() => disk.corrupt({ file: "f", index: 5 })).toThrow(/no record f\[5\]/);
    expect(() => setup().disk.corrupt()).toThrow(/no record on the medium/);
    node.start(function* () {
      yield* disk.append("f", "b");
    });
    sim.run();
    expect(() => disk.restore("f", ["c"])).toThrow(/unsynced writes/);
    // A refused call is no request: the identity still holds (a bad read index broke it).
    const s = disk.stats;
    expect(s.requests).toBe(s.completed + s.rejected + s.lostToCrash + s.active + s.queued);
    expect(s.requests).toBe(1);
  });
});

componentLaws<Disk<number>>({
  type: Disk,
  options: (sim) => ({
    owner: new Entity(sim, "node"),
    readLatency: 0.0005,
    writeLatency: dist.exponential(0.0002),
    syncLatency: dist.lognormal({ median: 0.002, sigma: 0.5 }),
    latencyModel: {
      description: "the options",
      seconds: (_: unknown, context: { baseSeconds(): number }) => context.baseSeconds(),
    },
    capacityBytes: 1_000_000,
    recordBytes: 512,
    checksums: true,
    tornWriteProbability: 0.5,
    corruptValue: (value: number) => -value,
  }),
  construct: (sim, name, options) => new Disk<number>(sim, name, options as DiskOptions<number>),
  invalid: [
    { readLatency: "slow" },
    { syncLatency: -0.5 },
    { capacityBytes: 0 },
    { recordBytes: 0 },
    { checksums: 1 },
    { tornWriteProbability: -0.1 },
    { latencyModel: 5 },
    { corruptValue: "no" },
  ],
  scenario(sim) {
    const node = new Entity(sim, "node");
    const disk = new Disk<number>(sim, SUBJECT, {
      owner: node,
      writeLatency: dist.exponential(0.0005),
      syncLatency: dist.exponential(0.004),
      capacityBytes: 200 * 4096,
    });
    // Three writers: appends with a sync every few, overwrites and reads; each shrugs off the
    // disk's errors (down, crashed, full) and goes on, so the load ends by itself.
    for (let w = 0; w < 3; w++) {
      node.start(function* () {
        const file = `f${w}`;
        for (let i = 0; i < 150; i++) {
          try {
            yield* disk.append(file, i);
            if (i % (w + 2) === 0) yield* disk.sync();
            const length = disk.length(file);
            if (length > 0) yield* disk.read(file, length - 1);
            if (i % 20 === 19) yield* disk.truncate(file, Math.floor(disk.length(file) / 2));
          } catch (error) {
            if (!(error instanceof DiskError)) throw error;
          }
          yield 0.002;
        }
      });
    }
    return disk;
  },
  crashAt: 0.15,
  recoverAt: 0.2,
  identities: (disk) => {
    const s = disk.stats;
    return [
      [
        "writes = syncedWrites + lostWrites + unsyncedWrites",
        s.writes,
        s.syncedWrites + s.lostWrites + s.unsyncedWrites,
      ],
    ];
  },
});
