/**
 * Goal: a ReplicatedStore answers the key-value protocol over N replicas with the semantics it
 * states: a write is acknowledged once its level's number of replicas answered (ONE: 1,
 * QUORUM: a majority, ALL: N), a read asks that many and returns the newest version, a
 * request that cannot reach its level fails ("unavailable ..."), read repair brings stale
 * replicas up to date, and stale reads are counted exactly. Method: KVStore replicas with
 * constant latencies, so every time is exact; property tests over random latencies, replica
 * crashes, a partition and random schedules for the two guarantees (a write acknowledged at ALL
 * is seen by every later read at any level; QUORUM writes and reads are never stale), with an
 * oracle kept by the test itself; the law suite.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  type ConsistencyLevel,
  conditions,
  dist,
  Entity,
  KVStore,
  keys,
  Network,
  NetworkLink,
  RemoteError,
  ReplicatedStore,
  type ReplicatedStoreOptions,
  Simulation,
  SimulationError,
  Source,
  TimeoutError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

const READ = 0.001;

function setup(
  writeLatencies: readonly number[] = [0.001, 0.002, 0.003],
  options: Partial<ReplicatedStoreOptions<unknown>> = {},
  seed = 1,
) {
  const sim = new Simulation({ seed });
  const replicas = writeLatencies.map(
    (writeLatency, i) => new KVStore<unknown>(sim, `r${i}`, { readLatency: READ, writeLatency }),
  );
  const store = new ReplicatedStore<unknown>(sim, "store", { replicas, ...options });
  const model = new Entity(sim, "model");
  return { sim, replicas, store, model };
}

/** Runs `body` as a process of `model` at `at`; logs a refusal or timeout it ends with. */
function run(
  sim: Simulation,
  model: Entity,
  body: () => Generator<unknown, void, unknown>,
  log: string[],
  at = 0,
) {
  sim.at(at, () =>
    model.start(function* () {
      try {
        // biome-ignore lint/suspicious/noExplicitAny: a test body yields whatever its calls yield
        yield* body() as Generator<any, void, unknown>;
      } catch (error) {
        if (error instanceof RemoteError) log.push(`refused(${error.reason})@${round(model.now)}`);
        else if (error instanceof TimeoutError) log.push(`timeout@${round(model.now)}`);
        else throw error;
      }
    }),
  );
}

const round = (seconds: number) => Math.round(seconds * 1e7) / 1e7;

describe("ReplicatedStore", () => {
  it("acknowledges a write once its level's replicas answered: ONE the fastest, QUORUM the second, ALL the slowest", () => {
    const { sim, store, model, replicas } = setup([0.001, 0.002, 0.003]);
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        for (const level of ["ONE", "QUORUM", "ALL"] as const) {
          const start = model.now;
          const version = yield* store.put(`k-${level}`, level, { level });
          log.push(`${level}: v${version} in ${round(model.now - start)}`);
        }
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["ONE: v1 in 0.001", "QUORUM: v2 in 0.002", "ALL: v3 in 0.003"]);
    // The replicas not waited for applied the writes too.
    for (const replica of replicas) expect(replica.versionOf("k-ONE")).toBe(1);
    expect(store.replicasFor("ONE")).toBe(1);
    expect(store.replicasFor("QUORUM")).toBe(2);
    expect(store.replicasFor("ALL")).toBe(3);
    expect(store.writeLatencyAt("QUORUM").count).toBe(1);
  });

  it("reads at the store's level by default and at the request's when given, by process and by message alike", () => {
    const trace = (by: "process" | "message") => {
      const { sim, store, model } = setup([0.001, 0.001, 0.001], { readLevel: "ONE" });
      const log: string[] = [];
      run(
        sim,
        model,
        function* () {
          yield* store.put("a", "A");
          for (const level of [undefined, "ALL"] as const) {
            const value =
              by === "process"
                ? yield* store.get("a", level === undefined ? undefined : { level })
                : yield* model.call(
                    store,
                    "get",
                    level === undefined ? { key: "a" } : { key: "a", level },
                  );
            log.push(`${level ?? "default"}=${String(value)}`);
          }
          const entry =
            by === "process"
              ? yield* store.getEntry("a")
              : yield* model.call(store, "getEntry", { key: "a" });
          log.push(JSON.stringify(entry));
        },
        log,
      );
      sim.run();
      return { log, one: store.staleReadsAt("ONE").reads, all: store.staleReadsAt("ALL").reads };
    };
    const byProcess = trace("process");
    expect(byProcess).toEqual(trace("message"));
    expect(byProcess.log).toEqual(["default=A", "ALL=A", '{"key":"a","value":"A","version":1}']);
    expect(byProcess.one).toBe(2);
    expect(byProcess.all).toBe(1);
  });

  it("times out a slow replica and fails a request that cannot reach its level with an unavailable reason", () => {
    const { sim, store, model } = setup([0.001, 0.002, 5], { replicaTimeout: 0.5 });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* store.put("a", 1, { level: "QUORUM" });
        log.push(`quorum@${round(model.now)}`);
        yield* store.put("a", 2, { level: "ALL" });
      },
      log,
    );
    sim.run();
    expect(log).toEqual([
      "quorum@0.002",
      'refused(unavailable: ALL write of "a" needs 3 of 3 replicas; 2 answered, 1 timed out, 0 refused)@0.502',
    ]);
    expect(store.stats).toMatchObject({ completed: 1, failed: 1, replicaTimeouts: 2 });
    expect(store.replicaStats[2]).toMatchObject({ name: "r2", calls: 2, timedOut: 2 });
  });

  it("replaces a read's replica that does not answer with one not asked yet", () => {
    const { sim, store, model, replicas } = setup([0.001, 0.001, 0.001], {
      readLevel: "QUORUM",
      replicaTimeout: 0.1,
    });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* store.put("a", "A", { level: "ALL" });
        replicas[1]!.crash();
        for (let i = 0; i < 6; i++) {
          const start = model.now;
          const value = yield* store.get("a");
          log.push(`${String(value)} in ${round(model.now - start)}`);
        }
        replicas[0]!.crash();
        yield* store.get("a");
      },
      log,
    );
    sim.run();
    // A read that drew the crashed replica waited for its timeout, then asked the third.
    expect(new Set(log.slice(0, 6))).toEqual(new Set(["A in 0.001", "A in 0.101"]));
    expect(log[6]).toBe(
      'refused(unavailable: QUORUM read of "a" needs 2 of 3 replicas; 1 answered, 2 timed out, 0 refused)@' +
        log[6]!.split("@")[1],
    );
  });

  it("repairs replicas that answered an older version, and not when readRepair is off", () => {
    for (const readRepair of [true, false]) {
      const { sim, store, model, replicas } = setup([0.001, 0.001, 0.001], {
        readRepair,
        replicaTimeout: 0.1,
      });
      const log: string[] = [];
      run(
        sim,
        model,
        function* () {
          yield* store.put("a", 1, { level: "ALL" });
          replicas[2]!.crash();
          yield* store.put("a", 2, { level: "QUORUM" });
          replicas[2]!.recover();
          const value = yield* store.get("a", { level: "ALL" });
          log.push(`read ${String(value)}`);
          yield 0.01;
        },
        log,
      );
      sim.run();
      expect(log).toEqual(["read 2"]);
      expect(replicas[2]!.peek("a")).toBe(readRepair ? 2 : 1);
      expect(store.stats.readRepairs).toBe(readRepair ? 1 : 0);
      expect(store.stats.repairedReads).toBe(readRepair ? 1 : 0);
      expect(store.replicaStats[2]!.repairs).toBe(readRepair ? 1 : 0);
    }
  });

  it("counts a read stale exactly when it returns an older version than a write acknowledged before it began", () => {
    // r2 applies writes a second late: a ONE read that draws it right after a write is stale.
    const { sim, store, model, replicas } = setup([0.001, 0.001, 1], {
      readLevel: "ONE",
      writeLevel: "QUORUM",
      readRepair: false,
      replicaTimeout: 2,
    });
    const log: string[] = [];
    let staleByTest = 0;
    run(
      sim,
      model,
      function* () {
        const acked = yield* store.put("a", "new");
        for (let i = 0; i < 30; i++) {
          const entry = yield* store.getEntry("a");
          if ((entry?.version ?? 0) < acked) staleByTest++;
        }
        yield 2;
        const after = yield* store.getEntry("a");
        log.push(`after: v${after?.version}`);
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["after: v1"]);
    expect(staleByTest).toBeGreaterThan(0);
    expect(store.stats.staleReads).toBe(staleByTest);
    expect(store.staleReadsAt("ONE").stale).toBe(staleByTest);
    // Every stale read went to r2, the only replica without the write.
    expect(replicas[2]!.stats.gets).toBeGreaterThanOrEqual(staleByTest);
    expect(store.stats.staleReadRate).toBeCloseTo(staleByTest / 31, 10);
  });

  it("deletes on every replica without counting the missing key as a stale read", () => {
    const { sim, store, model, replicas } = setup();
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* store.put("a", 1, { level: "ALL" });
        log.push(`deleted ${yield* store.delete("a", { level: "ALL" })}`);
        log.push(`again ${yield* store.delete("a")}`);
        log.push(`get ${String(yield* store.get("a"))}`);
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["deleted true", "again false", "get undefined"]);
    for (const replica of replicas) expect(replica.has("a")).toBe(false);
    expect(store.stats.staleReads).toBe(0);
  });

  it("scans the replicas it asks and keeps the newest version of each key, in key order", () => {
    const { sim, store, model, replicas } = setup([0.001, 0.001, 0.001], { replicaTimeout: 0.1 });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        for (const key of ["c", "a", "b"]) yield* store.put(key, `${key}1`, { level: "ALL" });
        replicas[0]!.crash();
        yield* store.put("b", "b2", { level: "QUORUM" });
        replicas[0]!.recover();
        const entries = yield* store.scan({ level: "ALL", limit: 2 });
        log.push(entries.map((e) => `${e.key}=${String(e.value)}@${e.version}`).join(" "));
        const rest = yield* model.call(store, "scan", { from: "b", level: "ALL" });
        log.push(
          (rest as { key: string; value: unknown }[])
            .map((e) => `${e.key}=${String(e.value)}`)
            .join(" "),
        );
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["a=a1@2 b=b2@4", "b=b2 c=c1"]);
  });

  it("increments by a read and a write (a value that is not a number is refused)", () => {
    const { sim, store, model } = setup();
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        log.push(String(yield* store.increment("n")));
        log.push(String(yield* store.increment("n", 4)));
        log.push(String(yield* model.call(store, "increment", { key: "n", by: -2 })));
        yield* store.put("s", "text");
        yield* store.increment("s");
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["1", "5", "3", "refused(value is not a number)@0.012"]);
  });

  it("loses the requests in progress when the coordinator crashes, and refuses calls while down", () => {
    const { sim, store, model } = setup([0.5, 0.5, 0.5]);
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* store.put("a", 1);
      },
      log,
    );
    run(
      sim,
      model,
      function* () {
        yield* store.get("a");
      },
      log,
      0.2,
    );
    sim.at(0.1, () => store.crash());
    sim.run();
    expect(log).toEqual(["refused(coordinator crashed)@0.1", "refused(coordinator is down)@0.2"]);
    expect(store.stats).toMatchObject({ requests: 2, lostToCrash: 1, rejected: 1, active: 0 });
  });

  it("refuses bad options with a ConfigError and bad requests with a SimulationError", () => {
    const sim = new Simulation({ seed: 1 });
    const replica = new KVStore(sim, "r");
    const bad: [Record<string, unknown>, string][] = [
      [{ replicas: [] }, "replicas"],
      [{ replicas: [replica, replica] }, "replicas"],
      [{ replicas: [{}] }, "replicas"],
      [{ replicas: [replica], readLevel: "one" }, "readLevel"],
      [{ replicas: [replica], writeLevel: 2 }, "writeLevel"],
      [{ replicas: [replica], replicaTimeout: 0 }, "replicaTimeout"],
      [{ replicas: [replica], readRepair: "yes" }, "readRepair"],
    ];
    for (const [options, parameter] of bad) {
      const make = () => new ReplicatedStore(sim, "bad", options as never);
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(parameter);
    }
    const store = new ReplicatedStore(sim, "store", { replicas: [replica] });
    const model = new Entity(sim, "model");
    model.start(function* () {
      yield* store.get("a", { level: "TWO" as ConsistencyLevel });
    });
    expect(() => sim.run()).toThrow(SimulationError);
    expect(() => sim.run()).toThrow(/level must be "ONE", "QUORUM" or "ALL"; given TWO/);
  });
});

describe("ReplicatedStore tombstones and increments", () => {
  /** Three replicas; r2 is down while "a" is deleted at QUORUM, so it keeps the old value. */
  function missedDelete(grace?: number) {
    const sim = new Simulation({ seed: 1 });
    const replicas = [0, 1, 2].map(
      (i) =>
        new KVStore<unknown>(sim, `r${i}`, {
          readLatency: READ,
          writeLatency: 0.001,
          ...(grace === undefined ? {} : { tombstoneGrace: grace }),
        }),
    );
    const store = new ReplicatedStore<unknown>(sim, "store", { replicas, replicaTimeout: 0.1 });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* store.put("a", "old", { level: "ALL" });
        replicas[2]!.crash();
        log.push(`deleted ${yield* store.delete("a", { level: "QUORUM" })}`);
        replicas[2]!.recover();
        yield 10;
        log.push(`ALL read ${String(yield* store.get("a", { level: "ALL" }))}`);
        yield 1; // the repairs land
        for (let i = 0; i < 10; i++) {
          log.push(`ONE read ${String(yield* store.get("a", { level: "ONE" }))}`);
        }
      },
      log,
    );
    sim.run();
    return { store, replicas, log };
  }

  it("keeps a delete that a replica missed: its tombstone wins the read and read repair spreads it", () => {
    const { store, replicas, log } = missedDelete();
    expect(log).toEqual([
      "deleted true",
      "ALL read undefined",
      ...Array.from({ length: 10 }, () => "ONE read undefined"),
    ]);
    for (const replica of replicas) {
      expect(replica.has("a")).toBe(false);
      expect(replica.tombstoneOf("a")).toBe(2);
      expect(replica.stats.tombstones).toBe(1);
    }
    expect(store.stats).toMatchObject({ repairedReads: 1, readRepairs: 1, staleReads: 0 });
    expect(store.replicaStats[2]!.repairs).toBe(1);
  });

  it("can bring a deleted value back once the tombstones are purged before the stale replica is repaired (the grace's risk)", () => {
    const { replicas, log } = missedDelete(5);
    expect(log[1]).toBe("ALL read old");
    for (const replica of replicas) expect(replica.peek("a")).toBe("old");
    expect(replicas[0]!.stats.tombstonesPurged).toBe(1);
  });

  it("counts a read that returns a value older than an acknowledged delete as stale", () => {
    const { sim, store, model, replicas } = setup([0.001, 0.001, 0.001], {
      readLevel: "ONE",
      writeLevel: "QUORUM",
      readRepair: false,
      replicaTimeout: 0.1,
    });
    let staleByTest = 0;
    run(
      sim,
      model,
      function* () {
        yield* store.put("a", 1, { level: "ALL" });
        replicas[2]!.crash();
        yield* store.delete("a");
        replicas[2]!.recover();
        for (let i = 0; i < 30; i++) if ((yield* store.get("a")) !== undefined) staleByTest++;
      },
      [],
    );
    sim.run();
    expect(staleByTest).toBeGreaterThan(0);
    expect(store.stats.staleReads).toBe(staleByTest);
  });

  it("scans past keys hidden by tombstones (short-read protection), by process and by message", () => {
    const { sim, store, model, replicas } = setup([0.001, 0.001, 0.001], { replicaTimeout: 0.1 });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        for (const key of ["a", "b", "c", "d", "e"]) yield* store.put(key, key, { level: "ALL" });
        replicas[2]!.crash();
        for (const key of ["a", "b", "c"]) yield* store.delete(key);
        replicas[2]!.recover();
        const entries = yield* store.scan({ level: "ALL", limit: 2 });
        log.push(entries.map((e) => e.key).join(" "));
        const all = yield* model.call(store, "scan", { level: "QUORUM" });
        log.push((all as { key: string }[]).map((e) => e.key).join(" "));
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["d e", "d e"]);
  });

  it("runs two concurrent increments of a key one after the other, so neither is lost", () => {
    const { sim, store, model, replicas } = setup([0.001, 0.002, 0.003]);
    const results: number[] = [];
    for (const by of [1, 10]) {
      run(
        sim,
        model,
        function* () {
          results.push(yield* store.increment("n", by));
        },
        [],
      );
    }
    sim.run();
    expect(results).toEqual([1, 11]);
    for (const replica of replicas) expect(replica.peek("n")).toBe(11);
  });

  /** `count` processes increment one key at random times; the values they were answered. */
  function concurrentIncrements(
    seed: number,
    levels: { readLevel: ConsistencyLevel; writeLevel: ConsistencyLevel },
  ) {
    const sim = new Simulation({ seed });
    const draws = sim.random("test");
    const replicas = [0, 1, 2].map(
      (i) =>
        new KVStore<number>(sim, `r${i}`, {
          readLatency: dist.exponential(0.002 * (i + 1)),
          writeLatency: dist.exponential(0.004 * (i + 1)),
        }),
    );
    const store = new ReplicatedStore<number>(sim, "store", {
      replicas,
      replicaTimeout: 10,
      readRepair: false,
      ...levels,
    });
    const model = new Entity(sim, "model");
    const answers: number[] = [];
    const count = 20 + draws.integer(40);
    for (let i = 0; i < count; i++) {
      sim.at(draws.uniform(0, 0.2), () =>
        model.start(function* () {
          answers.push(yield* store.increment("n"));
        }),
      );
    }
    sim.run();
    let final = 0;
    model.start(function* () {
      final = (yield* store.get("n", { level: "ALL" })) as number;
    });
    sim.run();
    return { count, answers, final, store };
  }

  it("loses no increment when R + W > N: the answers are 1..n and the value is n (random schedules)", () => {
    for (const levels of [
      { readLevel: "QUORUM", writeLevel: "QUORUM" },
      { readLevel: "ONE", writeLevel: "ALL" },
      { readLevel: "ALL", writeLevel: "ONE" },
    ] as const) {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
          const { count, answers, final, store } = concurrentIncrements(seed, levels);
          expect([...answers].sort((a, b) => a - b)).toEqual(
            Array.from({ length: count }, (_, i) => i + 1),
          );
          expect(final).toBe(count);
          expect(store.stats.staleReads).toBe(0);
        }),
        { numRuns: 15, seed: 14 },
      );
    }
  });

  it("can lose increments at ONE/ONE (R + W <= N), never without a stale read counted", () => {
    let lost = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const { count, final, store } = concurrentIncrements(seed, {
          readLevel: "ONE",
          writeLevel: "ONE",
        });
        // A read that is not stale gets the previous increment's write (they run one at a
        // time), so increments are lost exactly in the runs with stale reads (one stale read
        // can lose several: it may be several versions behind).
        expect(count - final > 0).toBe(store.stats.staleReads > 0);
        lost += count - final;
      }),
      { numRuns: 15, seed: 14 },
    );
    expect(lost).toBeGreaterThan(0);
  });
});

/** One operation of a random schedule. */
interface Op {
  readonly at: number;
  readonly write: boolean;
  readonly key: number;
  readonly level: ConsistencyLevel;
}

interface Scenario {
  readonly replicas: number;
  readonly latencies: readonly { read: number; write: number }[];
  readonly crashes: readonly { replica: number; at: number; down: number }[];
  readonly partition: { replica: number; at: number; length: number } | null;
  readonly ops: readonly Op[];
}

/** Seconds in [min, max], in whole tenths of a millisecond (spread evenly, unlike doubles). */
function seconds(min: number, max: number): fc.Arbitrary<number> {
  return fc.integer({ min: Math.round(min * 1e4), max: Math.round(max * 1e4) }).map((n) => n / 1e4);
}

const level = fc.constantFrom<ConsistencyLevel>("ONE", "QUORUM", "ALL");

function scenario(levels: fc.Arbitrary<ConsistencyLevel>) {
  return fc.integer({ min: 3, max: 5 }).chain((n) =>
    fc.record({
      replicas: fc.constant(n),
      latencies: fc.array(
        fc.record({
          read: seconds(0.0005, 0.05),
          write: seconds(0.0005, 0.05),
        }),
        { minLength: n, maxLength: n },
      ),
      crashes: fc.array(
        fc.record({
          replica: fc.integer({ min: 0, max: n - 1 }),
          at: seconds(0, 1),
          down: seconds(0.01, 0.5),
        }),
        { maxLength: 3 },
      ),
      partition: fc.option(
        fc.record({
          replica: fc.integer({ min: 0, max: n - 1 }),
          at: seconds(0, 1),
          length: seconds(0.01, 0.5),
        }),
      ),
      ops: fc.array(
        fc.record({
          at: seconds(0, 1.5),
          write: fc.boolean(),
          key: fc.integer({ min: 0, max: 2 }),
          level: levels,
        }),
        { minLength: 20, maxLength: 80 },
      ),
    }),
  );
}

/**
 * Runs a scenario with every replica behind a network (and its crashes and partition), and
 * returns each read with the writes acknowledged before it began (the test's own oracle).
 */
function runScenario(s: Scenario, readRepair: boolean) {
  const sim = new Simulation({ seed: 7 });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", conditions.local()),
  });
  const replicas = s.latencies.map(
    (l, i) => new KVStore<number>(sim, `r${i}`, { readLatency: l.read, writeLatency: l.write }),
  );
  const store = new ReplicatedStore<number>(sim, "store", {
    replicas,
    replicaTimeout: 0.1,
    readRepair,
  });
  const client = new Entity(sim, "client");
  for (const crash of s.crashes) {
    sim.at(crash.at, () => replicas[crash.replica]!.isUp && replicas[crash.replica]!.crash());
    sim.at(
      crash.at + crash.down,
      () => replicas[crash.replica]!.isUp || replicas[crash.replica]!.recover(),
    );
  }
  const partition = s.partition;
  if (partition !== null) {
    sim.at(partition.at, () => net.partition([store], [replicas[partition.replica]!]));
    sim.at(partition.at + partition.length, () => net.heal());
  }
  // Acknowledged writes and reads, in the order the client saw them happen.
  let sequence = 0;
  const acks: { key: string; version: number; level: ConsistencyLevel; seq: number }[] = [];
  const reads: { key: string; version: number; level: ConsistencyLevel; startSeq: number }[] = [];
  s.ops.forEach((op, i) => {
    const key = `k${op.key}`;
    sim.at(op.at, () =>
      client.start(function* () {
        try {
          if (op.write) {
            const version = yield* store.put(key, i, { level: op.level });
            acks.push({ key, version, level: op.level, seq: sequence++ });
          } else {
            const startSeq = sequence++;
            const entry = yield* store.getEntry(key, { level: op.level });
            reads.push({ key, version: entry?.version ?? 0, level: op.level, startSeq });
          }
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
        }
      }),
    );
  });
  sim.run();
  return { acks, reads, store };
}

describe("ReplicatedStore guarantees (property tests)", () => {
  it("every write acknowledged at ALL is seen (or a newer one) by every read that begins after it, at any level", () => {
    const checkedAt = { ONE: 0, QUORUM: 0, ALL: 0 };
    fc.assert(
      fc.property(scenario(level), fc.boolean(), (s, readRepair) => {
        const { acks, reads } = runScenario(s, readRepair);
        for (const ack of acks) {
          if (ack.level !== "ALL") continue;
          for (const read of reads) {
            if (read.key === ack.key && read.startSeq > ack.seq) {
              checkedAt[read.level]++;
              expect(read.version, `${read.level} read of ${read.key}`).toBeGreaterThanOrEqual(
                ack.version,
              );
            }
          }
        }
      }),
      { numRuns: 60, seed: 14 },
    );
    // Not vacuous: reads at every level came after writes acknowledged at ALL.
    for (const level of ["ONE", "QUORUM", "ALL"] as const)
      expect(checkedAt[level]).toBeGreaterThan(20);
  });

  it("QUORUM writes and QUORUM reads are never stale (R + W > N), by the test's oracle and the store's", () => {
    fc.assert(
      fc.property(scenario(fc.constant("QUORUM")), (s) => {
        const { acks, reads, store } = runScenario(s, false);
        for (const read of reads) {
          const newest = Math.max(
            0,
            ...acks
              .filter((a) => a.key === read.key && a.seq < read.startSeq)
              .map((a) => a.version),
          );
          expect(read.version).toBeGreaterThanOrEqual(newest);
        }
        expect(store.stats.staleReads).toBe(0);
      }),
      { numRuns: 60, seed: 14 },
    );
  });

  it("ONE writes and ONE reads can be stale, and the store counts what the test's oracle finds", () => {
    let staleSeen = 0;
    fc.assert(
      fc.property(scenario(fc.constant("ONE")), (s) => {
        const { acks, reads, store } = runScenario(s, false);
        let stale = 0;
        for (const read of reads) {
          const newest = Math.max(
            0,
            ...acks
              .filter((a) => a.key === read.key && a.seq < read.startSeq)
              .map((a) => a.version),
          );
          if (read.version < newest) stale++;
        }
        expect(store.stats.staleReads).toBe(stale);
        staleSeen += stale;
      }),
      { numRuns: 60, seed: 14 },
    );
    expect(staleSeen).toBeGreaterThan(0);
  });
});

/**
 * Runs a scenario at QUORUM with every fourth write a delete, and read repair on; returns
 * every write and read with when it began and ended (the test's own order of events).
 */
function runDeleteScenario(s: Scenario) {
  const sim = new Simulation({ seed: 7 });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", conditions.local()),
  });
  const replicas = s.latencies.map(
    (l, i) => new KVStore<number>(sim, `r${i}`, { readLatency: l.read, writeLatency: l.write }),
  );
  const store = new ReplicatedStore<number>(sim, "store", { replicas, replicaTimeout: 0.1 });
  const client = new Entity(sim, "client");
  for (const crash of s.crashes) {
    sim.at(crash.at, () => replicas[crash.replica]!.isUp && replicas[crash.replica]!.crash());
    sim.at(
      crash.at + crash.down,
      () => replicas[crash.replica]!.isUp || replicas[crash.replica]!.recover(),
    );
  }
  const partition = s.partition;
  if (partition !== null) {
    sim.at(partition.at, () => net.partition([store], [replicas[partition.replica]!]));
    sim.at(partition.at + partition.length, () => net.heal());
  }
  let sequence = 0;
  interface Write {
    key: string;
    op: number;
    deleted: boolean;
    start: number;
    /** When acknowledged; Infinity if never (failed). */
    ack: number;
  }
  const writes: Write[] = [];
  const reads: { key: string; value: number | undefined; start: number; end: number }[] = [];
  s.ops.forEach((op, i) => {
    const key = `k${op.key}`;
    sim.at(op.at, () =>
      client.start(function* () {
        const start = sequence++;
        if (op.write) {
          const deleted = i % 4 === 3;
          const write: Write = { key, op: i, deleted, start, ack: Number.POSITIVE_INFINITY };
          writes.push(write);
          try {
            if (deleted) yield* store.delete(key, { level: "QUORUM" });
            else yield* store.put(key, i, { level: "QUORUM" });
            write.ack = sequence++;
          } catch (error) {
            if (!(error instanceof RemoteError)) throw error;
          }
        } else {
          try {
            const value = (yield* store.get(key, { level: "QUORUM" })) as number | undefined;
            reads.push({ key, value, start, end: sequence++ });
          } catch (error) {
            if (!(error instanceof RemoteError)) throw error;
          }
        }
      }),
    );
  });
  sim.run();
  return { writes, reads };
}

describe("ReplicatedStore deletes (property test)", () => {
  it("a QUORUM read never returns a value a delete acknowledged before it began superseded, nor loses a put to an older delete", () => {
    let checked = 0;
    fc.assert(
      fc.property(scenario(fc.constant("QUORUM")), (s) => {
        const { writes, reads } = runDeleteScenario(s);
        for (const read of reads) {
          const mine = writes.filter((w) => w.key === read.key);
          const before = mine.filter((w) => w.ack < read.start);
          if (before.length === 0) continue;
          checked++;
          // Writes that may show: those acknowledged before the read began that no other write
          // acknowledged by then followed (started after it was acknowledged, so newer), and
          // those not acknowledged before the read began that started before it ended.
          const allowed = mine.filter((w) =>
            w.ack < read.start ? !before.some((later) => later.start > w.ack) : w.start < read.end,
          );
          const explained = allowed.some((w) =>
            read.value === undefined ? w.deleted : !w.deleted && w.op === read.value,
          );
          expect(explained, `read of ${read.key} answered ${read.value}`).toBe(true);
        }
      }),
      { numRuns: 60, seed: 14 },
    );
    expect(checked).toBeGreaterThan(100);
  });
});

componentLaws<ReplicatedStore<number>>({
  type: ReplicatedStore,
  options: (sim) => ({
    replicas: [0, 1, 2].map((i) => new KVStore<number>(sim, `replica-${i}`)),
    readLevel: "ONE" as const,
    writeLevel: "ALL" as const,
    replicaTimeout: 0.2,
    readRepair: false,
  }),
  construct: (sim, name, options) =>
    new ReplicatedStore<number>(sim, name, options as unknown as ReplicatedStoreOptions<number>),
  invalid: [
    { replicas: undefined },
    { replicas: [] },
    { readLevel: "quorum" },
    { writeLevel: "all" },
    { replicaTimeout: -1 },
    { readRepair: 1 },
  ],
  scenario(sim) {
    const replicas = [0, 1, 2].map(
      (i) =>
        new KVStore<number>(sim, `replica-${i}`, {
          readLatency: dist.exponential(0.002),
          writeLatency: dist.exponential(0.004),
        }),
    );
    const store = new ReplicatedStore<number>(sim, SUBJECT, {
      replicas,
      replicaTimeout: 0.01,
    });
    sim.at(0.3, () => replicas[2]!.crash());
    sim.at(0.6, () => replicas[2]!.recover());
    const caller = new StoreCaller(sim, "caller", store);
    new Source<number>(sim, "source", {
      target: caller,
      arrivals: arrivals.poisson(600),
      payload: (i) => i,
      stopAfter: { count: 1500 },
    });
    return store;
  },
  crashAt: 1,
  recoverAt: 1.4,
  identities: (store) => {
    const s = store.stats;
    return [
      [
        "requests = completed + failed + rejected + lostToCrash + active",
        s.requests,
        s.completed + s.failed + s.rejected + s.lostToCrash + s.active,
      ],
      ["staleReads <= reads", Math.min(s.staleReads, s.reads), s.staleReads],
    ];
  },
  mayBeNaN: ["staleReadRate"],
});

/** Turns each arrival into one store operation (Zipf keys, mixed levels), by message or by process. */
class StoreCaller extends Entity<number> {
  private readonly next = keys.zipf(40, 1.1).begin(this.random("keys"));
  constructor(
    sim: Simulation,
    name: string,
    private readonly store: ReplicatedStore<number>,
  ) {
    super(sim, name);
  }
  override *handle(arrival: { payload: number }) {
    const i = arrival.payload;
    const key = `k${this.next()}`;
    try {
      if (i % 4 === 0) yield* this.store.put(key, i, { level: i % 8 === 0 ? "ONE" : "QUORUM" });
      else if (i % 4 === 1)
        yield* this.call(this.store, "get", { key, level: "QUORUM" }, { timeout: 0.5 });
      else if (i % 29 === 2) yield* this.store.increment(`n${i % 3}`);
      else if (i % 31 === 3) yield* this.call(this.store, "delete", { key }, { timeout: 0.5 });
      else if (i % 37 === 4) yield* this.store.scan({ from: "k1", limit: 5 });
      else yield* this.store.get(key);
    } catch (error) {
      if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
    }
  }
}
