import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  ConnectionResetError,
  Disk,
  dist,
  Entity,
  type FaultHandle,
  type FaultRecord,
  FaultSchedule,
  type FaultScheduleSpec,
  faultScheduleJson,
  KVStore,
  LoadBalancer,
  type Message,
  Network,
  NodeClock,
  nodeClocksOf,
  parseFaultSchedule,
  type RandomFaultOptions,
  RemoteError,
  randomFaultSchedule,
  Server,
  Simulation,
  Source,
  strategy,
  ThreadPool,
  TimeoutError,
} from "../../src/index.js";
import { genericIdentities } from "../support/laws.js";

function faultRecords(sim: Simulation): FaultRecord[] {
  const records: FaultRecord[] = [];
  sim.onTrace((record) => {
    if (record.type === "fault") records.push(record);
  });
  return records;
}

/** A server under steady load, with a client calling it with a timeout. */
function serverModel(seed = 1) {
  const sim = new Simulation({ seed });
  const server = new Server(sim, "s1", { concurrency: 4, serviceTime: dist.exponential(0.01) });
  new Source(sim, "load", {
    target: server,
    arrivals: arrivals.poisson(100),
    stopAfter: { time: 10 },
  });
  return { sim, server };
}

function expectConfigError(run: () => void, parameter: string, expected: string) {
  try {
    run();
  } catch (error) {
    expect(error, parameter).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).parameter).toBe(parameter);
    expect((error as ConfigError).expected).toContain(expected);
    return;
  }
  throw new Error(`no ConfigError for ${parameter}`);
}

/** Calls its target once a `every` seconds with a timeout; records how each call ended. */
class Caller extends Entity {
  readonly outcomes: string[] = [];
  constructor(
    sim: Simulation,
    name: string,
    target: Entity<string, string>,
    every: number,
    timeout?: number,
  ) {
    super(sim, name);
    this.start(function* (this: Caller) {
      for (;;) {
        yield every;
        try {
          yield* this.call(target, "job", "x", timeout === undefined ? {} : { timeout });
          this.outcomes.push("ok");
        } catch (error) {
          this.outcomes.push(
            error instanceof ConnectionResetError
              ? "reset"
              : error instanceof TimeoutError
                ? "timeout"
                : "error",
          );
        }
      }
    });
  }
}

class Slow extends Entity<string, string> {
  override *handle(request: Message<string>) {
    yield this.workTime(1);
    this.reply(request, "done");
  }
}

describe("crash kinds", () => {
  it("a process crash resets callers' open calls at once; a host crash leaves them to time out", () => {
    for (const kind of ["process", "host"] as const) {
      const sim = new Simulation({ seed: 1 });
      const worker = new Slow(sim, "worker");
      const caller = new Caller(sim, "caller", worker, 0.1, 5);
      const records = faultRecords(sim);
      const schedule = new FaultSchedule(sim, {
        faults: [{ kind: "crash", targets: ["worker"], at: 0.5, for: 1, params: { kind } }],
      });
      sim.run({ until: 3 });
      const row = schedule.rows()[0]!;
      expect(row.status).toBe("healed");
      expect(row.effects.crashes).toBe(1);
      if (kind === "process") {
        expect(row.effects.callsReset).toBe(1);
        expect(caller.outcomes[0]).toBe("reset");
      } else {
        expect(row.effects.callsReset).toBeUndefined();
        expect(caller.outcomes).not.toContain("reset");
      }
      expect(records.filter((r) => r.fault === "crash").map((r) => r.phase)).toEqual([
        "activated",
        "healed",
      ]);
    }
  });

  it("refuses a crash kind it does not know, in every crash fault", () => {
    const sim = new Simulation({ seed: 1 });
    new Slow(sim, "worker");
    for (const kind of ["crash", "crash-loop", "crash-on-event"]) {
      const params: Record<string, number | string> = { kind: "power" };
      if (kind === "crash-loop") Object.assign(params, { downSeconds: 1, upSeconds: 1 });
      if (kind === "crash-on-event") Object.assign(params, { nth: 1 });
      expectConfigError(
        () => new FaultSchedule(sim, { faults: [{ kind, targets: ["worker"], at: 1, params }] }),
        "faults[0].params.kind",
        '"host" or "process"',
      );
    }
  });
});

describe("node fault kinds", () => {
  it("pause: the target's events wait and run late; the row counts what it held", () => {
    const { sim, server } = serverModel();
    const records = faultRecords(sim);
    const schedule = new FaultSchedule(sim, {
      faults: [{ kind: "pause", targets: ["s1"], at: 2, for: 0.5 }],
    });
    let pausedAt = -1;
    sim.at(2.25, () => {
      pausedAt = server.isPaused ? 1 : 0;
    });
    sim.run({ until: 12 });
    expect(pausedAt).toBe(1);
    const row = schedule.rows()[0]!;
    expect(row.status).toBe("healed");
    expect(row.effects.pauses).toBe(1);
    expect(row.effects.messagesHeld).toBeGreaterThan(20);
    expect(row.effects.eventsHeld).toBeGreaterThanOrEqual(row.effects.messagesHeld!);
    // One pair, the schedule's: the entity's pause is part of the fault and writes none.
    expect(records.map((r) => [r.timeNs / 1e9, r.fault, r.phase, r.faultId])).toEqual([
      [2, "pause", "activated", row.faultId],
      [2.5, "pause", "healed", row.faultId],
    ]);
    expect(server.isPaused).toBe(false);
  });

  it("pause skips a target that is down when it fires", () => {
    const { sim } = serverModel();
    const schedule = new FaultSchedule(sim, {
      faults: [
        { kind: "crash", targets: ["s1"], at: 1, for: 2 },
        { kind: "pause", targets: ["s1"], at: 2, for: 0.5 },
      ],
    });
    sim.run({ until: 12 });
    const row = schedule.rows()[1]!;
    expect(row.detail).toContain("skipped: s1");
    expect(row.effects.pauses).toBeUndefined();
  });

  it("slow: service times x factor while in force", () => {
    const sim = new Simulation({ seed: 1 });
    const worker = new Slow(sim, "worker");
    const caller = new Caller(sim, "caller", worker, 0.01);
    const schedule = new FaultSchedule(sim, {
      faults: [{ kind: "slow", targets: ["worker"], at: 0, for: 2.5, params: { factor: 3 } }],
    });
    let during = 0;
    sim.at(1, () => {
      during = worker.slowdown;
    });
    sim.run({ until: 5.5 });
    expect(during).toBe(3);
    expect(worker.slowdown).toBe(1);
    // Started at 0.01 (3 s), then at 3.02 and 4.03 at full speed (1 s each): three answers by
    // 5.5 s, where five would have been without the fault.
    expect(caller.outcomes).toEqual(["ok", "ok", "ok"]);
    expect(schedule.rows()[0]!.effects).toEqual({ slowed: 1 });
    expect(schedule.rows()[0]!.detail).toBe("service times x3");
  });

  it("capacity: the target's station shrinks, then waiting work starts at once", () => {
    const { sim, server } = serverModel();
    const schedule = new FaultSchedule(sim, {
      faults: [{ kind: "capacity", targets: ["s1"], at: 2, for: 1, params: { fraction: 0.25 } }],
    });
    let limit = -1;
    sim.at(2.5, () => {
      limit = server.metrics().limit as number;
    });
    sim.run({ until: 12 });
    expect(limit).toBe(1);
    expect(server.metrics().limit).toBe(4);
    const row = schedule.rows()[0]!;
    expect(row.effects.reduced).toBe(1);
    expect(row.effects.completed).toBeGreaterThan(50);
  });

  it("checks params and targets", () => {
    const { sim } = serverModel();
    new Entity(sim, "plain");
    const bad: [FaultScheduleSpec["faults"][number], string, string][] = [
      [
        { kind: "slow", targets: ["s1"], at: 1, params: { factor: 0 } },
        "faults[0].params.factor",
        "> 0",
      ],
      [{ kind: "slow", targets: ["s1"], at: 1 }, "faults[0].params.factor", "finite number"],
      [
        { kind: "capacity", targets: ["s1"], at: 1, params: { fraction: 1.5 } },
        "faults[0].params.fraction",
        "<= 1",
      ],
      [
        { kind: "capacity", targets: ["plain"], at: 1, params: { fraction: 0.5 } },
        "faults[0].targets[0]",
        "capacity",
      ],
      [
        { kind: "pause", targets: ["s1"], at: 1, params: { long: true } },
        "faults[0].params.long",
        "takes no parameters",
      ],
      [{ kind: "pause", targets: ["nobody"], at: 1 }, "faults[0].targets", "entity"],
    ];
    for (const [fault, parameter, expected] of bad) {
      expectConfigError(() => new FaultSchedule(sim, { faults: [fault] }), parameter, expected);
    }
  });
});

/** A node writing to its disk: appends every 10 ms, syncs every `syncEvery` appends. */
class Writer extends Entity {
  appended = 0;
  readonly errors: string[] = [];
  constructor(
    sim: Simulation,
    name: string,
    readonly disk: Disk<number>,
  ) {
    super(sim, name);
  }
  protected override onRecover(): void {
    this.begin();
  }
  begin(syncEvery = 5) {
    this.start(function* (this: Writer) {
      for (let i = 0; ; i++) {
        yield 0.01;
        try {
          yield* this.disk.append("log", i, { checksum: true });
          this.appended++;
          if (i % syncEvery === syncEvery - 1) yield* this.disk.sync();
          if (i % 3 === 0 && this.disk.stats.syncedWrites > 0) yield* this.disk.read("log", 0);
        } catch (error) {
          this.errors.push((error as Error).name);
        }
      }
    });
  }
}

function diskModel(seed = 1) {
  const sim = new Simulation({ seed });
  const node = new Entity(sim, "node");
  const disk = new Disk<number>(sim, "disk", {
    owner: node,
    writeLatency: dist.constant(0.001),
    readLatency: dist.constant(0.001),
    syncLatency: dist.constant(0.004),
  });
  const writer = new Writer(sim, "writer", disk);
  writer.begin();
  return { sim, node, disk, writer };
}

describe("disk fault kinds", () => {
  it("disk-full refuses writes, disk-read-errors fails reads, disk-slow slows, lie-on-sync lies", () => {
    const { sim, disk, writer } = diskModel();
    const records = faultRecords(sim);
    const schedule = new FaultSchedule(sim, {
      faults: [
        { kind: "disk-full", targets: ["disk"], at: 1, for: 0.5 },
        { kind: "disk-read-errors", targets: ["disk"], at: 2, for: 1, params: { probability: 1 } },
        { kind: "disk-slow", targets: ["disk"], at: 3.5, for: 1, params: { factor: 10 } },
        { kind: "disk-lie-on-sync", targets: ["disk"], at: 5, for: 1 },
      ],
    });
    sim.run({ until: 7 });
    const [full, reads, slow, lie] = schedule.rows();
    expect(full!.effects.disks).toBe(1);
    expect(full!.effects.refusedFull).toBeGreaterThan(30);
    expect(reads!.effects.readErrors).toBeGreaterThan(10);
    expect(slow!.effects.completed).toBeGreaterThan(10);
    expect(slow!.detail).toBe("latency x10");
    expect(lie!.effects.liedSyncs).toBeGreaterThan(5);
    expect(writer.errors).toContain("DiskFullError");
    expect(writer.errors).toContain("DiskError");
    expect(disk.stats.refusedFull).toBe(full!.effects.refusedFull);
    // Each fault one pair, the schedule's, under its row's id: the disk's own handles are part
    // of it and write none.
    schedule.rows().forEach((row) => {
      expect(records.filter((r) => r.faultId === row.faultId).map((r) => r.phase)).toEqual([
        "activated",
        "healed",
      ]);
    });
    expect(records.filter((r) => r.phase === "activated").length).toBe(4);
  });

  it("disk-corrupt flips a record a checksum then catches; a disk with nothing synced is left alone", () => {
    const { sim, writer } = diskModel();
    const schedule = new FaultSchedule(sim, {
      faults: [
        { kind: "disk-corrupt", targets: ["disk"], at: 0.001 },
        {
          kind: "disk-corrupt",
          targets: ["disk"],
          at: 1,
          for: 2,
          params: { file: "log", index: 0 },
        },
      ],
    });
    sim.run({ until: 3.5 });
    const [early, late] = schedule.rows();
    expect(early!.detail).toContain("no record to corrupt on disk");
    expect(early!.effects.corruptedRecords).toBeUndefined();
    expect(late!.detail).toBe("log[0]");
    expect(late!.effects.corruptedRecords).toBe(1);
    expect(late!.effects.checksumFailures).toBeGreaterThan(5);
    expect(writer.errors).toContain("ChecksumError");
  });

  it("checks targets and params", () => {
    const { sim } = diskModel();
    const bad: [FaultScheduleSpec["faults"][number], string, string][] = [
      [{ kind: "disk-full", targets: ["node"], at: 1 }, "faults[0].targets[0]", "Disk"],
      [
        { kind: "disk-slow", targets: ["disk"], at: 1, params: { factor: -1 } },
        "faults[0].params.factor",
        "> 0",
      ],
      [
        { kind: "disk-read-errors", targets: ["disk"], at: 1, params: { probability: 2 } },
        "faults[0].params.probability",
        "<= 1",
      ],
      [
        { kind: "disk-corrupt", targets: ["disk"], at: 1, params: { file: "log" } },
        "faults[0].params.index",
        "record index",
      ],
      [
        { kind: "disk-corrupt", targets: ["disk"], at: 1, params: { index: 1.5, file: "log" } },
        "faults[0].params.index",
        "integer",
      ],
      [
        { kind: "disk-lie-on-sync", targets: ["disk"], at: 1, params: { often: 1 } },
        "faults[0].params.often",
        "takes no parameters",
      ],
    ];
    for (const [fault, parameter, expected] of bad) {
      expectConfigError(() => new FaultSchedule(sim, { faults: [fault] }), parameter, expected);
    }
  });
});

describe("a disk and its owner's crash kinds", () => {
  function run(kind: "process" | "host") {
    const sim = new Simulation({ seed: 3 });
    const node = new Entity(sim, "node");
    const disk = new Disk<string>(sim, "disk", { owner: node, tornWriteProbability: 0 });
    let read: string[] = [];
    node.start(function* () {
      yield* disk.append("log", "synced");
      yield* disk.sync();
      yield* disk.append("log", "buffered");
    });
    sim.at(1, () => node.crash({ kind }));
    sim.at(2, () => {
      node.recover();
      node.start(function* () {
        read = [];
        const records = disk.length("log");
        for (let i = 0; i < records; i++) read.push(yield* disk.read("log", i));
      });
    });
    sim.run({ until: 3 });
    return { read, stats: disk.stats };
  }

  it("a process crash keeps the unsynced buffer (the page cache outlives the process)", () => {
    const { read, stats } = run("process");
    expect(read).toEqual(["synced", "buffered"]);
    expect(stats.powerLosses).toBe(0);
    expect(stats.lostWrites).toBe(0);
  });

  it("a host crash loses it (a power loss)", () => {
    const { read, stats } = run("host");
    expect(read).toEqual(["synced"]);
    expect(stats.powerLosses).toBe(1);
    expect(stats.lostWrites).toBe(1);
  });
});

describe("clock fault kinds", () => {
  function clockModel() {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "b");
    const clock = new NodeClock(node, { slewRatePpm: 100_000 });
    new Entity(sim, "clockless");
    return { sim, node, clock };
  }

  it("clock-step jumps the clock and steps it back when it heals", () => {
    const { sim, clock } = clockModel();
    const schedule = new FaultSchedule(sim, {
      faults: [{ kind: "clock-step", targets: ["b"], at: 1, for: 2, params: { by: -0.5 } }],
    });
    const offsets: number[] = [];
    for (const t of [0.5, 2, 4]) sim.at(t, () => offsets.push(clock.offset()));
    sim.run({ until: 5 });
    expect(offsets).toEqual([0, -0.5, 0]);
    expect(schedule.rows()[0]!.effects).toEqual({ stepped: 1, movedMicroseconds: 500_000 });
  });

  it("clock-slew slews, and what it slewed is slewed back; clock-drift's gain stays", () => {
    const { sim, clock } = clockModel();
    const schedule = new FaultSchedule(sim, {
      faults: [
        { kind: "clock-slew", targets: ["b"], at: 1, for: 0.5, params: { by: 1 } },
        { kind: "clock-drift", targets: ["b"], at: 10, for: 10, params: { ppm: 1000 } },
      ],
    });
    const offsets: number[] = [];
    for (const t of [1.5, 9, 15, 30]) sim.at(t, () => offsets.push(clock.offset()));
    sim.run({ until: 31 });
    // 100,000 ppm for 0.5 s: 0.05 s slewed, slewed back by 1.5 s.
    expect(offsets[0]).toBeCloseTo(0.05, 9);
    expect(offsets[1]).toBeCloseTo(0, 9);
    expect(offsets[2]).toBeCloseTo(0.005, 9);
    expect(offsets[3]).toBeCloseTo(0.01, 9);
    const [slew, drift] = schedule.rows();
    expect(slew!.effects).toEqual({ slewed: 1, movedMicroseconds: 50_000 });
    expect(drift!.effects).toEqual({ drifted: 1, movedMicroseconds: 10_000 });
  });

  it("a local timer moves with the clock's faults", () => {
    const { sim, clock } = clockModel();
    new FaultSchedule(sim, {
      faults: [{ kind: "clock-step", targets: ["b"], at: 1, params: { by: 2 } }],
    });
    let firedAt = -1;
    clock.at(5, () => {
      firedAt = sim.now;
    });
    sim.run({ until: 10 });
    expect(firedAt).toBe(3);
    expect(nodeClocksOf(clock.owner)).toEqual([clock]);
  });

  it("checks targets and params", () => {
    const { sim } = clockModel();
    const bad: [FaultScheduleSpec["faults"][number], string, string][] = [
      [
        { kind: "clock-step", targets: ["clockless"], at: 1, params: { by: 1 } },
        "faults[0].targets[0]",
        "NodeClock",
      ],
      [
        { kind: "clock-step", targets: ["b"], at: 1, params: { by: 0 } },
        "faults[0].params.by",
        "non-zero",
      ],
      [
        { kind: "clock-slew", targets: ["b"], at: 1, params: { by: 1, correction: "jump" } },
        "faults[0].params.correction",
        '"step", "slew" or "none"',
      ],
      [
        { kind: "clock-drift", targets: ["b"], at: 1, params: { ppm: 200_000 } },
        "faults[0].params.ppm",
        "<= 100000",
      ],
    ];
    for (const [fault, parameter, expected] of bad) {
      expectConfigError(() => new FaultSchedule(sim, { faults: [fault] }), parameter, expected);
    }
  });
});

describe("fault handles", () => {
  it("node, network and disk faults share FaultHandle", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    const network = new Network(sim, "net");
    const disk = new Disk(sim, "disk", { owner: node });
    const handles: FaultHandle[] = [node.pause(), network.partition([node], [disk]), disk.fill()];
    expect(handles.map((h) => [h.kind, h.targets.length > 0, h.active])).toEqual([
      ["pause", true, true],
      ["partition", true, true],
      ["disk-full", true, true],
    ]);
    expect(new Set(handles.map((h) => h.faultId)).size).toBe(3);
    for (const handle of handles) handle.heal();
    expect(handles.every((h) => !h.active)).toBe(true);
  });
});

describe("a JSON schedule mixing node, disk and clock faults", () => {
  function model(schedule: FaultScheduleSpec) {
    const sim = new Simulation({ seed: 5 });
    const server = new Server(sim, "s1", { concurrency: 2, serviceTime: dist.exponential(0.01) });
    new Source(sim, "load", {
      target: server,
      arrivals: arrivals.poisson(80),
      stopAfter: { time: 8 },
    });
    new NodeClock(server);
    const { disk } = (() => {
      const node = new Entity(sim, "node");
      const d = new Disk<number>(sim, "disk", {
        owner: node,
        syncLatency: dist.exponential(0.003),
      });
      const w = new Writer(sim, "writer", d);
      w.begin();
      return { disk: d };
    })();
    const applied = new FaultSchedule(sim, schedule);
    const summary = sim.run({ until: 10 });
    return { summary, rows: applied.rows(), disk };
  }

  it("replays exactly from its printed text", () => {
    const spec: FaultScheduleSpec = {
      faults: [
        { kind: "crash", targets: ["s1"], at: 0.5, for: 0.3, params: { kind: "process" } },
        { kind: "pause", targets: ["s1"], at: 1, for: 0.2 },
        { kind: "slow", targets: ["s1"], at: 2, for: 1, params: { factor: 4 } },
        { kind: "capacity", targets: ["s1"], at: 3, for: 1, params: { fraction: 0.5 } },
        { kind: "disk-slow", targets: ["disk"], at: 1, for: 1, params: { factor: 5 } },
        { kind: "disk-full", targets: ["disk"], at: 2.5, for: 0.2 },
        {
          kind: "disk-read-errors",
          targets: ["disk"],
          at: 3,
          for: 0.5,
          params: { probability: 0.5 },
        },
        { kind: "disk-corrupt", targets: ["disk"], at: 4 },
        { kind: "disk-lie-on-sync", targets: ["disk"], at: 5, for: 1 },
        { kind: "crash", targets: ["node"], at: 5.5, for: 0.5 },
        { kind: "clock-step", targets: ["s1"], at: 1, for: 1, params: { by: 0.25 } },
        { kind: "clock-slew", targets: ["s1"], at: 3, for: 1, params: { by: -0.01 } },
        {
          kind: "clock-drift",
          targets: ["s1"],
          at: 5,
          for: 2,
          params: { ppm: -50, correction: "step" },
        },
      ],
    };
    const first = model(spec);
    const again = model(parseFaultSchedule(faultScheduleJson(spec)));
    expect(again.summary.traceHash).toBe(first.summary.traceHash);
    expect(again.rows).toEqual(first.rows);
    expect(first.rows.every((row) => row.status === "healed" || row.healedAt === null)).toBe(true);
    expect(first.rows[9]!.effects.crashes).toBe(1);
    expect(first.disk.stats.powerLosses).toBe(1);
    expect(first.disk.stats.lostAcknowledged).toBeGreaterThan(0);
    expect(first.rows[8]!.effects.liedSyncs).toBeGreaterThan(0);
  });
});

describe("random schedules with node faults", () => {
  it("draws each failure's kind from the class's kinds, the same for the same seed", () => {
    const options: RandomFaultOptions = {
      seed: 7,
      horizon: 100,
      classes: [
        {
          name: "servers",
          targets: ["s0", "s1"],
          timeBetweenFailures: 5,
          timeToRepair: 1,
          kinds: [
            { kind: "crash", params: { kind: "process" }, weight: 2 },
            { kind: "pause" },
            { kind: "slow", params: { factor: 3 } },
          ],
        },
      ],
    };
    const spec = randomFaultSchedule(options);
    expect(randomFaultSchedule(options)).toEqual(spec);
    const kinds = new Set(spec.faults.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(["crash", "pause", "slow"]);
    const crashes = spec.faults.filter((f) => f.kind === "crash");
    expect(crashes.every((f) => f.params?.kind === "process")).toBe(true);
    expect(crashes.length).toBeGreaterThan(spec.faults.length / 3);
    // A class without kinds draws the same schedule as before kinds existed.
    const plain = randomFaultSchedule({
      ...options,
      classes: [{ ...options.classes[0]!, kinds: undefined }],
    });
    expect(plain.faults.every((f) => f.kind === "crash")).toBe(true);
    expect(plain.faults.map((f) => f.at)).not.toEqual(spec.faults.map((f) => f.at).slice(0, 0));
  });

  it("refuses bad kinds", () => {
    const base = { seed: 1, horizon: 10 };
    const cls = { targets: ["a"], timeBetweenFailures: 1, timeToRepair: 1 };
    expect(() => randomFaultSchedule({ ...base, classes: [{ ...cls, kinds: [] }] })).toThrow(
      "classes[0].kinds",
    );
    expect(() =>
      randomFaultSchedule({
        ...base,
        classes: [{ ...cls, kinds: [{ kind: "pause", weight: 0 }] }],
      }),
    ).toThrow("classes[0].kinds[0].weight");
    expect(() =>
      randomFaultSchedule({
        ...base,
        classes: [{ ...cls, kind: "pause", kinds: [{ kind: "pause" }] }],
      }),
    ).toThrow("classes[0].kinds");
  });
});

/** One store operation per arrival, with a timeout. */
class StoreCaller extends Entity<number> {
  constructor(
    sim: Simulation,
    name: string,
    private readonly store: KVStore<number>,
  ) {
    super(sim, name);
  }
  override *handle(arrival: { payload: number }) {
    const i = arrival.payload;
    const key = `k${(i * 7919) % 20}`;
    try {
      if (i % 2 === 0) yield* this.store.put(key, i);
      else yield* this.call(this.store, "get", { key }, { timeout: 0.5 });
    } catch (error) {
      if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
    }
  }
}

describe("identities under random pauses, slowdowns and process crashes", () => {
  it("hold at every instant for Server, ThreadPool, LoadBalancer and a KVStore on a disk", () => {
    for (const seed of [1, 2]) {
      const sim = new Simulation({ seed });
      const servers = [0, 1].map(
        (i) =>
          new Server(sim, `s${i}`, {
            concurrency: 2,
            queueCapacity: 30,
            serviceTime: dist.exponential(0.02),
          }),
      );
      const pool = new ThreadPool(sim, "pool", {
        workers: 2,
        queueCapacity: 30,
        taskTime: dist.exponential(0.02),
      });
      const lb = new LoadBalancer(sim, "lb", {
        backends: [...servers, pool],
        strategy: strategy.leastConnections(),
        timeout: 0.5,
      });
      new Source(sim, "load", {
        target: lb,
        arrivals: arrivals.poisson(120),
        stopAfter: { time: 12 },
      });
      const node = new Entity(sim, "db-node");
      const disk = new Disk<never>(sim, "db-disk", {
        owner: node,
        syncLatency: dist.exponential(0.002),
      });
      const store = new KVStore<number>(sim, "store", {
        writeLatency: dist.exponential(0.002),
        readLatency: dist.exponential(0.001),
        durable: { disk: disk as never, sync: { interval: 0.05 } },
      });
      const caller = new StoreCaller(sim, "caller", store);
      new Source<number>(sim, "store-load", {
        target: caller,
        arrivals: arrivals.poisson(150),
        payload: (i) => i,
        stopAfter: { time: 12 },
      });
      const spec = randomFaultSchedule({
        seed,
        horizon: 12,
        classes: [
          {
            name: "nodes",
            targets: ["s0", "s1", "pool", "lb", "store"],
            timeBetweenFailures: 2,
            timeToRepair: 0.5,
            maxConcurrent: 2,
            kinds: [
              { kind: "crash", params: { kind: "process" } },
              { kind: "pause" },
              { kind: "slow", params: { factor: 5 } },
            ],
          },
          {
            name: "disk",
            targets: ["db-disk"],
            timeBetweenFailures: 4,
            timeToRepair: 0.5,
            kinds: [{ kind: "disk-slow", params: { factor: 10 } }],
          },
        ],
      });
      const schedule = new FaultSchedule(sim, spec);
      const watched = [lb, ...servers, pool, store, disk];
      const check = () => {
        for (const entity of watched) {
          for (const [label, left, right] of genericIdentities(entity.metrics())) {
            expect(left, `seed ${seed}, ${entity.name} at ${sim.now}s: ${label}`).toBe(right);
          }
        }
        sim.after(0.01, check, undefined, { daemon: true });
      };
      sim.after(0, check, undefined, { daemon: true });
      sim.run({ until: 16 });
      const rows = schedule.rows();
      const kinds = new Set(rows.map((row) => row.kind));
      expect([...kinds].sort()).toEqual(["crash", "disk-slow", "pause", "slow"]);
      expect(rows.every((row) => row.status === "healed")).toBe(true);
      expect(lb.stats.inFlight).toBe(0);
      expect(rows.reduce((sum, row) => sum + (row.effects.pauses ?? 0), 0)).toBe(
        watched.reduce((sum, entity) => sum + entity.counters.pauses, 0),
      );
    }
  });
});
