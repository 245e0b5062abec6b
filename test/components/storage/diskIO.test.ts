/**
 * Goal: the DiskIO device models time a Disk as the devices they name. An HDD's seek grows
 * with distance and matches its datasheet (track-to-track, average over all pairs, full
 * stroke); sequential access streams and random access pays seeks; one head serializes. SSD
 * channels give a parallel speed-up up to their count and queueing past it; the write cliff
 * slows writes once the spare area is used. A seed gives the same run; bad options fail typed;
 * a Disk timed by a model still keeps every law. Method: constant latencies where a number
 * must be exact, the closed-loop queue-depth curve for throughput, the law suite for the rest.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  Disk,
  DiskError,
  DiskIO,
  type DiskLatencyModel,
  type DiskOptions,
  DurableLog,
  dist,
  Entity,
  queueDepthCurve,
  Simulation,
  SimulationError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

/** When each of `reads`, all issued at time 0 by their own processes, finishes (in order of finishing). */
function burst(model: DiskOptions["latencyModel"], reads: [string, number][]) {
  const sim = new Simulation({ seed: 1 });
  const disk = new Disk<number>(sim, "disk", { latencyModel: model });
  for (const file of new Set(reads.map(([f]) => f))) disk.restore(file, new Array(100).fill(0));
  const node = new Entity(sim, "node");
  const done: number[] = [];
  for (const [file, index] of reads) {
    node.start(function* () {
      yield* disk.read(file, index);
      done.push(node.now);
    });
  }
  sim.run();
  return done;
}

describe("DiskIO.hdd", () => {
  it("seeks grow with distance and match the datasheet: track-to-track, average, full stroke", () => {
    const hdd = DiskIO.hdd({ capacityBytes: 1e12 });
    let previous = 0;
    for (let d = 1; d <= 1e12; d *= 3) {
      const seek = hdd.seekSeconds(d);
      expect(seek, `distance ${d}`).toBeGreaterThan(previous);
      previous = seek;
    }
    expect(hdd.seekSeconds(0)).toBe(0);
    expect(hdd.seekSeconds(1)).toBeCloseTo(0.001, 6);
    expect(hdd.seekSeconds(1e12)).toBeCloseTo(0.017, 12);
    // The mean over the distance between two uniform positions (density 2(1 - d)), midpoint rule.
    const steps = 100_000;
    let mean = 0;
    for (let i = 0; i < steps; i++) {
      const d = (i + 0.5) / steps;
      mean += hdd.seekSeconds(d * 1e12) * 2 * (1 - d);
    }
    expect(mean / steps).toBeCloseTo(0.0085, 6);
  });

  it("reads a file sequentially at its transfer rate and pays seeks when reading at random", () => {
    const hdd = DiskIO.hdd();
    const [sequential] = queueDepthCurve(hdd, { depths: [1], pattern: "sequential" });
    const [random] = queueDepthCurve(hdd, { depths: [1], pattern: "random" });
    // 4 KiB at 160 MB/s; a file boundary costs one seek in 4096 reads.
    expect(sequential!.bytesPerSecond).toBeGreaterThan(150e6);
    expect(sequential!.bytesPerSecond).toBeLessThanOrEqual(160e6 * (1 + 1e-9));
    // Random reads over the platter: about the average seek plus half a revolution each.
    expect(random!.meanLatency).toBeGreaterThan(0.009);
    expect(random!.meanLatency).toBeLessThan(0.016);
    expect(sequential!.iops / random!.iops).toBeGreaterThan(300);
  });

  it("has one head: operations started together finish one after another", () => {
    const hdd = DiskIO.hdd();
    const done = burst(hdd, [
      ["a", 50],
      ["b", 10],
      ["a", 60],
    ]);
    expect(done).toHaveLength(3);
    expect(done[0]).toBeLessThan(done[1]!);
    expect(done[1]).toBeLessThan(done[2]!);
    // The head was never idle: the last finishes after the sum of the three services.
    expect(done[2]).toBeCloseTo(hdd.stats.busySeconds, 9);
    expect(hdd.stats).toMatchObject({ seeks: 3, sequential: 0 });
    // More depth adds only waiting: the same IOPS, latency in proportion.
    const [one, eight] = queueDepthCurve(DiskIO.hdd(), { depths: [1, 8], operations: 400 });
    expect(eight!.iops / one!.iops).toBeCloseTo(1, 1);
    expect(eight!.meanLatency / one!.meanLatency).toBeGreaterThan(6);
  });

  it("lays files out apart and records one after another, the same for the same creation order", () => {
    const hdd = DiskIO.hdd({ capacityBytes: 1000 });
    expect(hdd.positionOf("a", 0, 10)).toBe(0);
    expect(hdd.positionOf("b", 0, 10)).toBe(500);
    expect(hdd.positionOf("c", 2, 10)).toBe(270);
    expect(hdd.positionOf("a", 3, 10)).toBe(30);
    expect(hdd.positionOf("a", 1, 10)).toBe(10);
  });

  it("does not keep a power loss's cancelled operations booked on the head", () => {
    const hdd = DiskIO.hdd();
    const sim = new Simulation({ seed: 1 });
    const disk = new Disk<number>(sim, "disk", { latencyModel: hdd });
    disk.restore("f", new Array(10).fill(0));
    const node = new Entity(sim, "node");
    const log: string[] = [];
    for (let i = 0; i < 10; i++) {
      node.start(function* () {
        try {
          yield* disk.read("f", 9 - i);
        } catch (error) {
          if (error instanceof DiskError) log.push(error.code);
        }
      });
    }
    sim.at(0.001, () => disk.crash());
    sim.at(0.002, () => disk.recover());
    sim.at(0.003, () =>
      node.start(function* () {
        yield* disk.read("f", 0);
        log.push(`read after ${(node.now - 0.003).toFixed(4)}`);
      }),
    );
    sim.run();
    expect(log.filter((l) => l === "crashed")).toHaveLength(10);
    // One random read's time (under 40 ms), not the ten cancelled ones' (over 50 ms).
    expect(log.at(-1)).toMatch(/^read after 0\.0[0-3]/);
  });
});

describe("DiskIO.ssd and DiskIO.nvme", () => {
  it("channels give a parallel speed-up up to their count, then queueing", () => {
    const ssd = DiskIO.ssd({ channels: 4, readLatency: 0.0001, transferRate: 1e15 });
    const rows = queueDepthCurve(ssd, { depths: [1, 2, 4, 8, 16], operations: 800 });
    const iops = rows.map((r) => Math.round(r.iops));
    expect(iops).toEqual([10_000, 20_000, 40_000, 40_000, 40_000]);
    const latency = rows.map((r) => Math.round(r.meanLatency * 1e6));
    expect(latency.slice(0, 4)).toEqual([100, 100, 100, 200]);
    // Depth 16 waits 4 rounds in the steady state; its first reads found the channels empty.
    expect(latency[4]).toBeGreaterThan(390);
    expect(latency[4]).toBeLessThanOrEqual(400);
  });

  it("shares the host link: large transfers are bounded by its rate", () => {
    const ssd = DiskIO.ssd({ readLatency: 0.00001 });
    const [row] = queueDepthCurve(ssd, { depths: [32], recordBytes: 1 << 20, recordsPerFile: 16 });
    expect(row!.bytesPerSecond).toBeGreaterThan(540e6);
    expect(row!.bytesPerSecond).toBeLessThanOrEqual(550e6 * (1 + 1e-9));
  });

  it("nvme is faster than ssd at every depth and scales further", () => {
    const ssd = queueDepthCurve(DiskIO.ssd(), { depths: [1, 64], operations: 1000 });
    const nvme = queueDepthCurve(DiskIO.nvme(), { depths: [1, 64], operations: 1000 });
    for (let i = 0; i < 2; i++) expect(nvme[i]!.iops).toBeGreaterThan(3 * ssd[i]!.iops);
    expect(nvme[1]!.iops / nvme[0]!.iops).toBeGreaterThan(10);
  });

  it("the write cliff slows every write once the spare area is written", () => {
    const ssd = DiskIO.ssd({
      channels: 1,
      writeLatency: 0.0001,
      transferRate: 4096e6, // 1 µs per record
      writeCliff: { spareBytes: 10 * 4096, factor: 5, extraSeconds: 0.0002 },
    });
    const sim = new Simulation({ seed: 1 });
    const disk = new Disk<number>(sim, "disk", { latencyModel: ssd });
    const node = new Entity(sim, "node");
    const latencies: number[] = [];
    node.start(function* () {
      for (let i = 0; i < 14; i++) {
        const started = node.now;
        yield* disk.append("f", i);
        latencies.push(Math.round((node.now - started) * 1e6));
      }
    });
    sim.run();
    expect(latencies).toEqual([...new Array(10).fill(101), ...new Array(4).fill(701)]);
    expect(ssd.stats).toMatchObject({ writes: 14, cliffWrites: 4, bytesWritten: 14 * 4096 });
  });

  it("a sync waits for the operations started before it, then flushes", () => {
    const ssd = DiskIO.ssd({
      channels: 2,
      writeLatency: 0.0001,
      syncLatency: 0.001,
      transferRate: 1e15,
    });
    const sim = new Simulation({ seed: 1 });
    const disk = new Disk<number>(sim, "disk", { latencyModel: ssd });
    const node = new Entity(sim, "node");
    let synced = 0;
    for (let i = 0; i < 4; i++) {
      node.start(function* () {
        yield* disk.append(`f${i}`, i);
      });
    }
    node.start(function* () {
      yield* disk.sync();
      synced = node.now;
    });
    sim.run();
    expect(synced).toBeCloseTo(0.0002 + 0.001, 9);
  });
});

describe("DiskIO: a sync holds the device where the device does", () => {
  // A read issued 0.1 ms into a 1 ms flush: on each model, when is it answered?
  const readDuringSync = (model: DiskLatencyModel) => {
    const sim = new Simulation({ seed: 1 });
    const disk = new Disk<number>(sim, "disk", { latencyModel: model });
    const node = new Entity(sim, "node");
    let readDone = 0;
    let syncDone = 0;
    node.start(function* () {
      yield* disk.append("f", 1);
      yield* disk.sync();
      syncDone = node.now;
    });
    node.start(function* () {
      yield 0.0002;
      yield* disk.read("f", 0);
      readDone = node.now;
    });
    sim.run();
    return { readDone, syncDone };
  };

  it("a SATA ssd's flush is not queued: a read issued during it waits for its end", () => {
    const { readDone, syncDone } = readDuringSync(
      DiskIO.ssd({
        channels: 8,
        readLatency: 0.0001,
        writeLatency: 0.0001,
        syncLatency: 0.001,
        transferRate: 1e15,
      }),
    );
    expect(syncDone).toBeCloseTo(0.0011, 9);
    expect(readDone).toBeCloseTo(0.0011 + 0.0001, 9);
  });

  it("an nvme drive's Flush is queued: a read passes it on a free channel", () => {
    const { readDone, syncDone } = readDuringSync(
      DiskIO.nvme({
        channels: 8,
        readLatency: 0.0001,
        writeLatency: 0.0001,
        syncLatency: 0.001,
        transferRate: 1e15,
      }),
    );
    expect(syncDone).toBeCloseTo(0.0011, 9);
    expect(readDone).toBeCloseTo(0.0002 + 0.0001, 9);
  });

  it("an hdd's flush holds the head: a read issued during it waits for its end", () => {
    const { readDone, syncDone } = readDuringSync(DiskIO.hdd({ syncLatency: 0.001 }));
    expect(readDone).toBeGreaterThan(syncDone);
  });
});

describe("DiskIO: determinism and bad input", () => {
  it("gives the same run for a seed, and another for another seed", () => {
    const curve = (seed: number) =>
      queueDepthCurve(DiskIO.hdd(), { depths: [1, 4], operations: 300, seed });
    expect(curve(7)).toEqual(curve(7));
    expect(curve(7)).not.toEqual(curve(8));
    const ssd = (seed: number) =>
      queueDepthCurve(DiskIO.ssd(), { depths: [1, 4], operations: 300, seed });
    expect(ssd(7)).toEqual(ssd(7));
  });

  it("refuses bad options with a ConfigError naming the profile, option, expected and given", () => {
    const bad: [() => unknown, string, string][] = [
      [() => DiskIO.hdd({ rpm: 0 }), "DiskIO.hdd", "rpm"],
      [() => DiskIO.hdd({ averageSeek: -1 }), "DiskIO.hdd", "averageSeek"],
      [() => DiskIO.hdd({ averageSeek: 0.0005 }), "DiskIO.hdd", "averageSeek"],
      [() => DiskIO.hdd({ averageSeek: 0.002 }), "DiskIO.hdd", "averageSeek"],
      [() => DiskIO.hdd({ averageSeek: 0.016 }), "DiskIO.hdd", "averageSeek"],
      [() => DiskIO.hdd({ fullStrokeSeek: 0.008 }), "DiskIO.hdd", "fullStrokeSeek"],
      [() => DiskIO.hdd({ transferRate: Number.NaN }), "DiskIO.hdd", "transferRate"],
      [() => DiskIO.hdd({ capacityBytes: "1TB" } as never), "DiskIO.hdd", "capacityBytes"],
      [() => DiskIO.hdd({ syncLatency: -1 }), "DiskIO.hdd", "syncLatency"],
      [() => DiskIO.hdd({ rpms: 5400 } as never), "DiskIO.hdd", "rpms"],
      [() => DiskIO.hdd(null as never), "DiskIO.hdd", "options"],
      [() => DiskIO.ssd({ channels: 0 }), "DiskIO.ssd", "channels"],
      [() => DiskIO.ssd({ channels: 2.5 }), "DiskIO.ssd", "channels"],
      [() => DiskIO.ssd({ readLatency: "fast" } as never), "DiskIO.ssd", "readLatency"],
      [
        () => DiskIO.ssd({ writeLatency: dist.normal({ mean: 1e-4, sd: 1e-4 }) }),
        "DiskIO.ssd",
        "writeLatency",
      ],
      [() => DiskIO.nvme({ writeCliff: 5 } as never), "DiskIO.nvme", "writeCliff"],
      [
        () => DiskIO.nvme({ writeCliff: { spareBytes: -1 } }),
        "DiskIO.nvme",
        "writeCliff.spareBytes",
      ],
      [
        () => DiskIO.ssd({ writeCliff: { spareBytes: 1, factor: 0.5 } }),
        "DiskIO.ssd",
        "writeCliff.factor",
      ],
      [() => queueDepthCurve(DiskIO.ssd(), { depths: [0] }), "DiskIO.queueDepthCurve", "depths"],
      [
        () => queueDepthCurve(DiskIO.ssd(), { pattern: "zipf" } as never),
        "DiskIO.queueDepthCurve",
        "pattern",
      ],
      [() => queueDepthCurve({} as never), "DiskIO.queueDepthCurve", "model"],
    ];
    for (const [make, component, parameter] of bad) {
      let thrown: unknown;
      try {
        make();
      } catch (error) {
        thrown = error;
      }
      expect(thrown, parameter).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).component, parameter).toBe(component);
      expect((thrown as ConfigError).parameter, parameter).toBe(parameter);
    }
    expect(() => DiskIO.hdd({ averageSeek: 0.016 })).toThrow(/between 0\.\d+ and 0\.\d+ s/);
    expect(() => DiskIO.hdd({ rpms: 5400 } as never)).toThrow(
      'DiskIO.hdd: option "rpms" must be absent: DiskIO.hdd takes rpm, averageSeek',
    );
  });

  it("refuses one model timing two disks (each keeps one device's state)", () => {
    const hdd = DiskIO.hdd();
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    const a = new Disk<number>(sim, "a", { latencyModel: hdd });
    const b = new Disk<number>(sim, "b", { latencyModel: hdd });
    node.start(function* () {
      yield* a.append("f", 1);
      yield* b.append("f", 1);
    });
    expect(() => sim.run()).toThrow(SimulationError);
    expect(() => new Disk(sim, "c", { latencyModel: hdd.clone() })).not.toThrow();
  });
});

describe("DiskIO: a durable log on a modelled disk", () => {
  /** A log of 20 numbers appended under "everyWrite" on a disk timed by `model()`. */
  function build(model: () => DiskOptions["latencyModel"]) {
    const sim = new Simulation({ seed: 5 });
    const node = new Entity(sim, "node");
    const disk = new Disk<number>(sim, "disk", {
      owner: node,
      latencyModel: model(),
      recordBytes: 64,
    });
    const log = new DurableLog(disk, { sync: "everyWrite" });
    const acknowledged: number[] = [];
    node.start(function* () {
      for (let i = 1; i <= 20; i++) {
        yield* log.append(i);
        acknowledged.push(i);
      }
    });
    return { sim, node, disk, log, acknowledged };
  }

  for (const [name, model] of [
    ["hdd", () => DiskIO.hdd()],
    ["ssd", () => DiskIO.ssd()],
  ] as const) {
    it(`recovers exactly the synced records after a crash at every event (${name})`, () => {
      const total = build(model).sim.run().eventsProcessed;
      expect(total).toBeGreaterThan(40);
      for (let k = 1; k <= total; k++) {
        const { sim, node, disk, log, acknowledged } = build(model);
        sim.run({ maxEvents: k });
        const synced = disk
          .records(log.file, "synced")
          .filter((r) => r.damage === null)
          .map((r) => r.value);
        node.crash();
        node.recover();
        const replayed = log.replay();
        expect(replayed, `crash after ${k} events`).toEqual(synced);
        expect(replayed.slice(0, acknowledged.length), `crash after ${k} events`).toEqual(
          acknowledged,
        );
      }
    });
  }
});

for (const [title, model] of [
  ["Disk laws with DiskIO.hdd", () => DiskIO.hdd()],
  [
    "Disk laws with DiskIO.ssd and a write cliff",
    () => DiskIO.ssd({ writeCliff: { spareBytes: 100_000 } }),
  ],
] as const) {
  componentLaws<Disk<number>>({
    type: Disk,
    title,
    options: (sim) => ({
      owner: new Entity(sim, "node"),
      readLatency: 0.0005,
      writeLatency: dist.exponential(0.0002),
      syncLatency: dist.lognormal({ median: 0.002, sigma: 0.5 }),
      latencyModel: model(),
      capacityBytes: 1_000_000,
      recordBytes: 512,
      checksums: true,
      tornWriteProbability: 0.5,
      corruptValue: (value: number) => -value,
    }),
    construct: (sim, name, options) => new Disk<number>(sim, name, options as DiskOptions<number>),
    invalid: [{ latencyModel: 5 }, { capacityBytes: 0 }],
    scenario(sim) {
      const node = new Entity(sim, "node");
      const disk = new Disk<number>(sim, SUBJECT, {
        owner: node,
        latencyModel: model(),
        capacityBytes: 200 * 4096,
      });
      // Three writers: appends with a sync every few, overwrites and reads; each shrugs off
      // the disk's errors (down, crashed, full) and goes on, so the load ends by itself.
      for (let w = 0; w < 3; w++) {
        node.start(function* () {
          const file = `f${w}`;
          for (let i = 0; i < 150; i++) {
            try {
              yield* disk.append(file, i);
              if (i % (w + 2) === 0) yield* disk.sync();
              const length = disk.length(file);
              if (length > 0) yield* disk.read(file, (i * 7) % length);
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
    crashAt: 0.3,
    recoverAt: 0.4,
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
}
