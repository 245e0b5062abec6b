/**
 * Goal: the write-ahead-log pattern keeps exactly what was synced. A component that logs its
 * changes through a `DurableLog` and replays it on recovery holds, after a crash at any event
 * boundary of a scripted run, exactly the state of the log's intact synced prefix: nothing
 * acknowledged under "everyWrite" is lost, nothing never written appears, and a torn tail is
 * dropped. Sync policies sync when they say; bad options fail loudly.
 * Method: a small WAL-backed entity driven by a scripted writer; the run is cut after k events
 * for every k, the entity crashed and recovered, and its state compared with what the disk
 * had made durable before the crash (an oracle the entity's code does not compute).
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  Disk,
  DiskError,
  DurableLog,
  dist,
  Entity,
  Simulation,
  type SyncPolicy,
} from "../../../src/index.js";

/** A WAL-backed list of numbers: memory is volatile, the log is what survives. */
class Ledger extends Entity {
  readonly disk: Disk<number>;
  readonly log: DurableLog<number>;
  entries: number[] = [];
  constructor(sim: Simulation, sync: SyncPolicy) {
    super(sim, "ledger");
    this.disk = new Disk<number>(sim, "ledger-disk", {
      owner: this,
      writeLatency: dist.exponential(0.0002),
      syncLatency: dist.exponential(0.002),
      recordBytes: 64,
    });
    this.log = new DurableLog(this.disk, { sync, file: "ledger.wal" });
  }
  *add(n: number) {
    yield* this.log.append(n);
    this.entries.push(n);
  }
  protected override onCrash(): void {
    this.entries = [];
  }
  protected override onRecover(): void {
    this.entries = this.log.replay();
  }
}

const WRITES = 30;

function build(sync: SyncPolicy, seed: number) {
  const sim = new Simulation({ seed });
  const ledger = new Ledger(sim, sync);
  const client = new Entity(sim, "client");
  const acknowledged: number[] = [];
  client.start(function* () {
    for (let i = 1; i <= WRITES; i++) {
      try {
        yield* ledger.add(i);
        acknowledged.push(i);
      } catch (error) {
        if (!(error instanceof DiskError)) throw error;
      }
      yield 0.0007;
    }
  });
  return { sim, ledger, acknowledged };
}

/** Values of the intact prefix of what the disk made durable (the oracle). */
function syncedPrefix(disk: Disk<number>, file: string): number[] {
  const values: number[] = [];
  for (const record of disk.records(file, "synced")) {
    if (record.damage !== null) break;
    values.push(record.value);
  }
  return values;
}

describe("DurableLog: a crash at every event boundary", () => {
  for (const sync of ["everyWrite", { interval: 0.005 }, "never"] as const) {
    it(`recovers exactly the synced state (sync ${JSON.stringify(sync)})`, () => {
      const total = build(sync, 11).sim.run().eventsProcessed;
      expect(total).toBeGreaterThan(60);
      let tornSeen = 0;
      let mostRecovered = 0;
      let acknowledgedLost = 0;
      for (let k = 1; k <= total; k++) {
        const { sim, ledger, acknowledged } = build(sync, 11);
        sim.run({ maxEvents: k });
        const synced = syncedPrefix(ledger.disk, ledger.log.file);
        const issued = Array.from({ length: ledger.log.length }, (_, i) => i + 1);
        ledger.crash();
        tornSeen += ledger.disk.stats.tornWrites;
        ledger.recover();
        const at = `crash after ${k} events`;
        expect(ledger.entries, at).toEqual(synced);
        mostRecovered = Math.max(mostRecovered, synced.length);
        if (acknowledged.length > synced.length) acknowledgedLost++;
        // Nothing that was never written: the synced values are a prefix of the writes.
        expect(synced, at).toEqual(issued.slice(0, synced.length));
        if (sync === "everyWrite") {
          // Nothing acknowledged is lost.
          expect(ledger.entries.slice(0, acknowledged.length), at).toEqual(acknowledged);
        }
        if (sync === "never") expect(ledger.entries, at).toEqual([]);
        // The run goes on after the restart, and a second crash keeps the same promise.
        sim.run();
        const again = syncedPrefix(ledger.disk, ledger.log.file);
        ledger.crash();
        ledger.recover();
        expect(ledger.entries, `${at}, then a second crash at the end`).toEqual(again);
      }
      if (sync !== "everyWrite") expect(tornSeen, "some crashes tore a write").toBeGreaterThan(0);
      // The run is not trivially safe: with a sync, most of it survives a late crash; without
      // one on every write, some crashes take writes already acknowledged.
      if (sync !== "never") expect(mostRecovered).toBeGreaterThan(WRITES / 2);
      expect(acknowledgedLost > 0).toBe(sync !== "everyWrite");
    });
  }
});

describe("DurableLog", () => {
  it("replay drops a torn tail and cuts the log back, so later appends follow the intact records", () => {
    const sim = new Simulation({ seed: 2 });
    const node = new Entity(sim, "node");
    const disk = new Disk<string>(sim, "disk", { owner: node, tornWriteProbability: 1 });
    const log = new DurableLog(disk, { sync: "never" });
    let replayed: string[] = [];
    node.start(function* () {
      yield* log.append("a");
      yield* log.flush();
      yield* log.append("b");
    });
    sim.at(1, () => {
      node.crash();
      node.recover();
      replayed = log.replay();
    });
    sim.at(2, () =>
      node.start(function* () {
        yield* log.append("c");
        yield* log.flush();
      }),
    );
    sim.run();
    expect(replayed).toEqual(["a"]);
    expect(log.stats).toEqual({ appended: 3, replayed: 1, droppedOnReplay: 1, length: 2 });
    expect(disk.records("log", "synced").map((r) => [r.value, r.damage])).toEqual([
      ["a", null],
      ["c", null],
    ]);
  });

  it("cuts a torn tail when its disk comes back, so a later append never follows it (the disk's power lost while its component ran, or a replay while the disk was down)", () => {
    for (const replayWhileDown of [false, true]) {
      const sim = new Simulation({ seed: 2 });
      const node = new Entity(sim, "node");
      const disk = new Disk<string>(sim, "disk", { tornWriteProbability: 1 });
      const log = new DurableLog(disk, { sync: "never" });
      node.start(function* () {
        yield* log.append("a");
        yield* log.flush();
        yield* log.append("b"); // unsynced: torn by the power loss
        yield 1;
        yield* log.append("c");
        yield* log.flush(); // durable
      });
      sim.at(0.5, () => {
        disk.crash();
        if (replayWhileDown) expect(log.replay()).toEqual(["a"]);
        disk.recover();
      });
      sim.run();
      const at = `replay while down: ${replayWhileDown}`;
      expect(
        disk.records("log", "synced").map((r) => [r.value, r.damage]),
        at,
      ).toEqual([
        ["a", null],
        ["c", null],
      ]);
      expect(log.replay(), at).toEqual(["a", "c"]);
      expect(log.stats.droppedOnReplay, at).toBe(1);
    }
  });

  it('"everyWrite" never acknowledges a record its disk lost between its write and its sync', () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    const disk = new Disk<string>(sim, "disk", {
      writeLatency: 0.001,
      syncLatency: 0.002,
      tornWriteProbability: 0,
    });
    const log = new DurableLog(disk);
    const outcome: string[] = [];
    node.start(function* () {
      try {
        yield* log.append("a");
        outcome.push("acknowledged");
      } catch (error) {
        if (!(error instanceof DiskError)) throw error;
        outcome.push(`${error.code}`);
      }
    });
    // The power loss falls after the write completed, before its writer asked for the sync.
    new Entity(sim, "crasher").start(function* () {
      yield 0.001;
      disk.crash();
      disk.recover();
    });
    sim.run();
    expect(disk.records("log", "synced")).toEqual([]);
    expect(outcome).toEqual(["crashed"]);
  });

  it("syncs on its policy: every write waits for a sync, an interval syncs on a grid only when there is something to sync", () => {
    const times = (sync: SyncPolicy) => {
      const sim = new Simulation({ seed: 1 });
      const node = new Entity(sim, "node");
      const disk = new Disk<number>(sim, "disk", {
        owner: node,
        writeLatency: 0.001,
        syncLatency: 0.004,
      });
      const log = new DurableLog(disk, { sync, recordBytes: (n: number) => 10 + n });
      const returned: number[] = [];
      node.start(function* () {
        for (let i = 0; i < 3; i++) {
          yield* log.append(i);
          returned.push(node.now);
        }
        yield 0.1;
        yield* log.append(9);
      });
      sim.run({ until: 0.2 });
      return { returned, syncs: disk.stats.syncs, bytes: disk.stats.bytesWritten };
    };
    const every = times("everyWrite");
    expect(every.returned.map((t) => +t.toFixed(6))).toEqual([0.005, 0.01, 0.015]);
    expect(every.syncs).toBe(4);
    expect(every.bytes).toBe(10 + 11 + 12 + 19);
    const periodic = times({ interval: 0.05 });
    expect(periodic.returned.map((t) => +t.toFixed(6))).toEqual([0.001, 0.002, 0.003]);
    // At 0.05 (three appends to sync), not at 0.1 (nothing), at 0.15 (the last append).
    expect(periodic.syncs).toBe(2);
    expect(times("never").syncs).toBe(0);
  });

  it("refuses bad options", () => {
    const sim = new Simulation({ seed: 1 });
    const disk = new Disk(sim, "disk");
    expect(() => new DurableLog({} as Disk)).toThrow(ConfigError);
    expect(() => new DurableLog(disk, { file: "" })).toThrow(/option "file"/);
    expect(() => new DurableLog(disk, { sync: "sometimes" as SyncPolicy })).toThrow(
      /option "sync" must be "everyWrite", "never" or \{ interval: seconds \}/,
    );
    expect(() => new DurableLog(disk, { sync: { interval: 0 } })).toThrow(/sync.interval/);
    // Shorter than the clock's nanosecond: its grid would not move (it hung).
    expect(() => new DurableLog(disk, { sync: { interval: 1e-10 } })).toThrow(/sync.interval/);
    expect(() => new DurableLog(disk, { recordBytes: 0 })).toThrow(/recordBytes/);
  });
});
