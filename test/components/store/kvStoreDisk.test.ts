/**
 * Goal: a KVStore with `durable: { disk, sync }` is as durable as its write-ahead log was
 * synced, no more and no less. After a crash at any event boundary of a scripted workload it
 * holds exactly the state of the log's intact synced prefix (every write acknowledged under
 * "everyWrite" included, nothing never written); a write is answered only once logged (and
 * synced); a full disk refuses writes; `load` data is durable; bad options fail loudly.
 * Method: a scripted client whose every operation makes exactly one log record, so the
 * synced state is the fold of the first m operations, m read off the disk before the crash.
 */
import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  Disk,
  dist,
  Entity,
  KVStore,
  type KVStoreOptions,
  RemoteError,
  Simulation,
  Source,
  type SyncPolicy,
  TimeoutError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

type Op =
  | readonly ["put", string, number]
  | readonly ["increment", string]
  | readonly ["delete", string];

/** 40 operations, each changing the store (so each is one log record): a delete takes a live key. */
const OPS: readonly Op[] = (() => {
  const ops: Op[] = [];
  const live: string[] = [];
  for (let i = 0; i < 40; i++) {
    if (i % 5 === 4) ops.push(["delete", live.shift()!]);
    else if (i % 3 === 2) ops.push(["increment", "n"]);
    else {
      ops.push(["put", `k${i}`, i]);
      live.push(`k${i}`);
    }
  }
  return ops;
})();

function fold(ops: readonly Op[]): Map<string, number> {
  const state = new Map<string, number>();
  for (const op of ops) {
    if (op[0] === "put") state.set(op[1], op[2]);
    else if (op[0] === "increment") state.set(op[1], (state.get(op[1]) ?? 0) + 1);
    else state.delete(op[1]);
  }
  return state;
}

const KEYS = ["n", ...OPS.map((_, i) => `k${i}`)];

function stateOf<V>(store: KVStore<V>): Map<string, V> {
  const state = new Map<string, V>();
  for (const key of KEYS) if (store.has(key)) state.set(key, store.peek(key)!);
  return state;
}

function build(sync: SyncPolicy, seed = 5) {
  const sim = new Simulation({ seed });
  const store = new KVStore<number>(sim, "db", {
    readLatency: 0.0005,
    writeLatency: dist.exponential(0.0005),
    durable: {
      disk: { writeLatency: dist.exponential(0.0001), syncLatency: dist.exponential(0.002) },
      sync,
    },
  });
  const client = new Entity(sim, "client");
  let acknowledged = 0;
  client.start(function* () {
    for (const op of OPS) {
      try {
        if (op[0] === "put") yield* store.put(op[1], op[2]);
        else if (op[0] === "increment") yield* store.increment(op[1]);
        else yield* store.delete(op[1]);
        acknowledged++;
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        // The store crashed under this operation: the client moves on.
      }
      yield 0.0003;
    }
  });
  return { sim, store, disk: store.disk!, acknowledged: () => acknowledged };
}

function intactSynced(disk: Disk, file: string): number {
  let n = 0;
  for (const record of disk.records(file, "synced")) {
    if (record.damage !== null) break;
    n++;
  }
  return n;
}

describe("KVStore on a disk: a crash at every event boundary", () => {
  for (const sync of ["everyWrite", { interval: 0.004 }] as const) {
    it(`recovers exactly the synced state (sync ${JSON.stringify(sync)})`, () => {
      const total = build(sync).sim.run().eventsProcessed;
      let lostAcknowledged = 0;
      for (let k = 1; k <= total; k++) {
        const { sim, store, disk, acknowledged } = build(sync);
        sim.run({ maxEvents: k });
        const m = intactSynced(disk, "db.wal");
        const acked = acknowledged();
        store.crash();
        store.recover();
        const at = `crash after ${k} events`;
        // The client runs one operation at a time, so the log is the operations in order.
        expect(stateOf(store), at).toEqual(fold(OPS.slice(0, m)));
        if (sync === "everyWrite") expect(m, at).toBeGreaterThanOrEqual(acked);
        else if (acked > m) lostAcknowledged++;
      }
      expect(lostAcknowledged > 0).toBe(sync !== "everyWrite");
    });
  }
});

describe("KVStore on a disk", () => {
  it("answers a write once its record is logged and synced (everyWrite), or once logged (an interval)", () => {
    const putTimes = (sync: SyncPolicy) => {
      const sim = new Simulation({ seed: 1 });
      const store = new KVStore<number>(sim, "db", {
        writeLatency: 0.001,
        durable: { disk: { writeLatency: 0.0001, syncLatency: 0.003 }, sync },
      });
      const times: number[] = [];
      const client = new Entity(sim, "client");
      client.start(function* () {
        for (let i = 0; i < 2; i++) {
          yield* store.put("a", i);
          times.push(+client.now.toFixed(6));
        }
      });
      sim.run();
      return { times, p99: store.latencyOf("put").p99, disk: store.disk! };
    };
    const every = putTimes("everyWrite");
    expect(every.times).toEqual([0.0041, 0.0082]);
    expect(every.p99).toBeCloseTo(0.0041, 4);
    expect(every.disk.name).toBe("db.disk");
    expect(every.disk.owner?.name).toBe("db");
    expect(putTimes({ interval: 1 }).times).toEqual([0.0011, 0.0022]);
  });

  it("an operation's records stay together in the log: a later write's record never lands between them", () => {
    // The first put evicts k0 (two records: the eviction, then the put); the second put of
    // the same key finishes 1 ms later, while the first's records are still being written.
    for (const second of ["put", "delete"] as const) {
      const sim = new Simulation({ seed: 1 });
      const store = new KVStore<string>(sim, "db", {
        writeLatency: 0.005,
        capacity: 1,
        whenFull: "evictOldest",
        durable: { disk: { writeLatency: 0.01, syncLatency: 0.001 } },
      });
      store.load([["k0", "zero"]]);
      const client = new Entity(sim, "client");
      client.start(function* () {
        yield* store.put("k1", "a");
      });
      client.start(function* () {
        yield 0.001;
        if (second === "put") yield* store.put("k1", "b");
        else yield* store.delete("k1");
      });
      sim.run();
      const before = stateOf(store);
      expect(store.peek("k1")).toBe(second === "put" ? "b" : undefined);
      store.crash();
      store.recover();
      // Both writes were acknowledged and synced: the recovered store is the one before.
      expect(stateOf(store), second).toEqual(before);
      expect(store.versionOf("k1"), second).toBe(second === "put" ? 3 : 0);
    }
  });

  it("a write the disk refuses fails with the disk's reason", () => {
    const sim = new Simulation({ seed: 1 });
    const store = new KVStore<number>(sim, "db", {
      durable: { disk: { capacityBytes: 600 }, recordBytes: 256 },
    });
    const log: string[] = [];
    const client = new Entity(sim, "client");
    client.start(function* () {
      for (let i = 0; i < 3; i++) {
        try {
          yield* store.put(`k${i}`, i);
          log.push(`k${i} ok`);
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
          log.push(`k${i} ${error.reason}`);
        }
      }
    });
    sim.run();
    expect(log).toEqual(["k0 ok", "k1 ok", "k2 disk: disk full (512 of 600 bytes used)"]);
  });

  it("data loaded before the run is on the medium: a crash keeps it", () => {
    const sim = new Simulation({ seed: 1 });
    const disk = new Disk(sim, "shared-disk");
    const store = new KVStore<number>(sim, "db", { durable: { disk, sync: "never" } });
    store.load([
      ["a", 1],
      ["b", 2],
    ]);
    store.crash();
    disk.crash();
    disk.recover();
    store.recover();
    expect([store.peek("a"), store.peek("b"), store.versionOf("b")]).toEqual([1, 2, 2]);
    expect(disk.stats.unsyncedWrites).toBe(0);
  });

  it("a versioned delete's tombstone is logged: after a crash an older write still cannot pass it", () => {
    const sim = new Simulation({ seed: 1 });
    const store = new KVStore<number>(sim, "db", {
      writeLatency: 0.001,
      durable: { disk: { syncLatency: 0.001 }, sync: "everyWrite" },
    });
    const seen: unknown[] = [];
    class Driver extends Entity {
      *run() {
        yield* store.put("k", 3, { version: 3 });
        yield* store.delete("k", { version: 5 });
        yield* store.put("j", 1);
      }
      *later() {
        seen.push(yield* store.put("k", 4, { version: 4 })); // older than the delete
        seen.push(yield* store.get("k"));
        seen.push(yield* store.getEntry("k", { tombstones: true }));
      }
    }
    const driver = new Driver(sim, "driver");
    driver.start(driver.run());
    sim.at(1, () => store.crash());
    sim.at(2, () => store.recover());
    sim.at(3, () => driver.start(driver.later()));
    sim.run();
    expect(store.tombstoneOf("k")).toBe(5);
    expect(seen).toEqual([5, undefined, { key: "k", version: 5, deleted: true }]);
    expect(store.stats.notFound).toBe(2);
  });

  it("a delete at its own next version is logged with that version: recovery keeps the tombstone", () => {
    const sim = new Simulation({ seed: 1 });
    const store = new KVStore<number>(sim, "db", {
      writeLatency: 0.001,
      durable: { disk: { syncLatency: 0.001 }, sync: "everyWrite" },
    });
    const seen: unknown[] = [];
    class Driver extends Entity {
      *run() {
        yield* store.put("k", 3, { version: 3 });
        seen.push(yield* this.call(store, "delete", { key: "k", tombstone: true })); // at 4
        yield* store.put("j", 1); // 5
      }
      *later() {
        seen.push(yield* store.put("k", 4, { version: 4 })); // as old as the delete: refused
        seen.push(yield* store.getEntry("k", { tombstones: true }));
        seen.push(yield* store.put("n", 1)); // the counter came back with the log
      }
    }
    const driver = new Driver(sim, "driver");
    driver.start(driver.run());
    sim.at(1, () => store.crash());
    sim.at(2, () => store.recover());
    sim.at(3, () => driver.start(driver.later()));
    sim.run();
    expect(store.disk!.records("db.wal").map((r) => r.value)).toContainEqual({
      op: "delete",
      key: "k",
      version: 4,
    });
    expect(seen).toEqual([true, 4, { key: "k", version: 4, deleted: true }, 6]);
  });

  it("on a disk it does not own, a process crash keeps the unsynced log (the disk did not lose power)", () => {
    const sim = new Simulation({ seed: 1 });
    const host = new Entity(sim, "host");
    const disk = new Disk(sim, "host-disk", { owner: host });
    const store = new KVStore<number>(sim, "db", { durable: { disk, sync: "never" } });
    const client = new Entity(sim, "client");
    client.start(function* () {
      yield* store.put("a", 1);
    });
    sim.at(1, () => {
      store.crash();
      store.recover();
    });
    sim.at(2, () => {
      expect(store.peek("a")).toBe(1);
      host.crash();
      store.crash();
      host.recover();
      store.recover();
      expect(store.peek("a")).toBeUndefined();
    });
    sim.run();
    expect(disk.stats.lostWrites).toBe(1);
  });

  it("refuses bad durability options before registering anything", () => {
    const sim = new Simulation({ seed: 1 });
    const other = new Disk(new Simulation({ seed: 1 }), "elsewhere");
    const bad: [unknown, RegExp][] = [
      [1, /option "durable" must be true, false or \{ disk/],
      [{}, /option "durable" must be/],
      [{ disk: other }, /option "durable.disk" must be a Disk of this simulation/],
      [{ disk: 5 }, /option "durable.disk" must be a Disk or a Disk's options/],
      [{ disk: { syncLatency: -1 } }, /Disk "db.disk": option "syncLatency"/],
      [{ disk: { owner: new Entity(sim, "x") } }, /durable.disk.owner/],
      [{ disk: {}, sync: "often" }, /option "sync"/],
      [{ disk: {}, recordBytes: 0 }, /durable.recordBytes/],
      [{ disk: {}, file: "" }, /durable.file/],
    ];
    for (const [durable, message] of bad) {
      const before = sim.entities.length;
      expect(() => new KVStore(sim, "db", { durable } as KVStoreOptions), String(message)).toThrow(
        message,
      );
      expect(() => new KVStore(sim, "db", { durable } as KVStoreOptions)).toThrow(ConfigError);
      expect(sim.entities.length).toBe(before);
    }
    new Disk(sim, "db.disk");
    expect(() => new KVStore(sim, "db", { durable: { disk: {} } })).toThrow(/a free name/);
    expect(sim.entity("db")).toBeUndefined();
  });
});

/** Turns each arrival into one store operation, by message or by process. */
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
    const key = `k${(i * 7919) % 50}`;
    try {
      if (i % 4 === 0) yield* this.store.put(key, i);
      else if (i % 4 === 1) yield* this.store.increment(`n${i % 5}`);
      else if (i % 4 === 2) yield* this.call(this.store, "delete", { key }, { timeout: 0.5 });
      else yield* this.call(this.store, "get", { key }, { timeout: 0.5 });
    } catch (error) {
      if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
    }
  }
}

componentLaws<KVStore<number>>({
  title: "KVStore laws, durable through a disk",
  type: KVStore,
  options: () => ({
    readLatency: 0.001,
    writeLatency: dist.exponential(0.004),
    concurrency: 4,
    queueCapacity: 50,
    capacity: 100,
    whenFull: "evictOldest" as const,
    tombstoneGrace: 60,
    durable: { disk: { syncLatency: 0.002 }, sync: { interval: 0.01 } },
  }),
  construct: (sim, name, options) => new KVStore<number>(sim, name, options as KVStoreOptions),
  invalid: [{ durable: { disk: { syncLatency: "slow" } } }, { durable: { disk: {}, sync: 3 } }],
  scenario(sim) {
    const store = new KVStore<number>(sim, SUBJECT, {
      readLatency: dist.exponential(0.002),
      writeLatency: dist.exponential(0.004),
      concurrency: 3,
      queueCapacity: 20,
      capacity: 30,
      whenFull: "evictOldest",
      durable: { disk: { syncLatency: dist.exponential(0.003) }, sync: "everyWrite" },
    });
    const caller = new StoreCaller(sim, "caller", store);
    new Source<number>(sim, "source", {
      target: caller,
      arrivals: arrivals.poisson(400),
      payload: (i) => i,
      stopAfter: { count: 1000 },
    });
    return store;
  },
  crashAt: 1,
  recoverAt: 1.5,
});
