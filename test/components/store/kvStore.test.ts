/**
 * Goal: a KVStore answers every operation of the key-value protocol with the same result and
 * after the same latency whether a process calls it or a message does; its scan is ordered by
 * key; increments are atomic; versions only grow; capacity refuses or evicts; concurrency
 * queues; a crash loses the operations in progress (counted) and keeps the data unless the
 * store is volatile; bad arguments fail loudly. Method: small scripted models with constant
 * latencies, so every time and value is exact; the law suite for the rest.
 */
import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  dist,
  Entity,
  type KVReply,
  type KVRequest,
  KVStore,
  type KVStoreOptions,
  RemoteError,
  Simulation,
  SimulationError,
  Source,
  TimeoutError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

function setup(options: KVStoreOptions = {}) {
  const sim = new Simulation({ seed: 1 });
  const store = new KVStore<unknown>(sim, "store", {
    readLatency: 0.001,
    writeLatency: 0.005,
    ...options,
  });
  const model = new Entity(sim, "model");
  return { sim, store, model };
}

/** Runs `body` as a process of `model` at time `at`; logs what it threw (a RemoteError's reason). */
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
        if (error instanceof RemoteError) log.push(`refused(${error.reason})@${model.now}`);
        else if (error instanceof TimeoutError) log.push(`timeout@${model.now}`);
        else throw error;
      }
    }),
  );
}

/** One scripted step: an operation by kind and payload. */
type Step = readonly [kind: string, payload: KVRequest<unknown>];

const SCRIPT: readonly Step[] = [
  ["get", { key: "b" }],
  ["put", { key: "b", value: "two" }],
  ["put", { key: "a", value: 1 }],
  ["put", { key: "c", value: 3 }],
  ["get", { key: "b" }],
  ["getEntry", { key: "a" }],
  ["increment", { key: "a", by: 41 }],
  ["increment", { key: "n" }],
  ["increment", { key: "b", by: 1 }],
  ["scan", { from: "a", to: "c" }],
  ["delete", { key: "b" }],
  ["delete", { key: "b" }],
  ["put", { key: "b", value: "again" }],
  ["scan", {}],
];

/** Runs the script one operation after another, by process or by message; logs each answer. */
function runScript(by: "process" | "message"): string[] {
  const { sim, store, model } = setup();
  const log: string[] = [];
  model.start(function* () {
    for (const [kind, payload] of SCRIPT) {
      try {
        let answer: KVReply<unknown>;
        if (by === "message") {
          answer = yield* model.call(store, kind, payload);
        } else {
          const p = payload as { key: string; value: unknown; by?: number };
          if (kind === "get") answer = yield* store.get(p.key);
          else if (kind === "getEntry") answer = yield* store.getEntry(p.key);
          else if (kind === "put") answer = yield* store.put(p.key, p.value);
          else if (kind === "delete") answer = yield* store.delete(p.key);
          else if (kind === "increment") answer = yield* store.increment(p.key, p.by);
          else answer = yield* store.scan(payload as { from?: string; to?: string });
        }
        log.push(`${kind} ${JSON.stringify(answer)} @${model.now}`);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        log.push(`${kind} refused(${error.reason}) @${model.now}`);
      }
    }
  });
  sim.run();
  return log;
}

describe("KVStore", () => {
  it("answers the protocol by process and by message with the same results at the same times", () => {
    const byProcess = runScript("process");
    expect(byProcess).toEqual(runScript("message"));
    expect(byProcess).toEqual([
      "get undefined @0.001",
      "put 1 @0.006",
      "put 2 @0.011",
      "put 3 @0.016",
      'get "two" @0.017',
      'getEntry {"key":"a","value":1,"version":2} @0.018',
      "increment 42 @0.023",
      "increment 1 @0.028",
      "increment refused(value is not a number) @0.033",
      'scan [{"key":"a","value":42,"version":4},{"key":"b","value":"two","version":1}] @0.034',
      "delete true @0.039",
      "delete false @0.044",
      // A key's versions keep growing across a delete: the counter is the store's.
      "put 6 @0.049",
      'scan [{"key":"a","value":42,"version":4},{"key":"b","value":"again","version":6},{"key":"c","value":3,"version":3},{"key":"n","value":1,"version":5}] @0.05',
    ]);
  });

  it("draws the same latencies by process and by message (a distribution, one stream per kind)", () => {
    const finishTimes = (by: "process" | "message") => {
      const sim = new Simulation({ seed: 9 });
      const store = new KVStore<number>(sim, "store", {
        readLatency: dist.exponential(0.002),
        writeLatency: dist.lognormal({ median: 0.004, sigma: 0.5 }),
      });
      const model = new Entity(sim, "model");
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        model.start(function* () {
          const key = `k${i % 7}`;
          if (i % 3 === 0) {
            if (by === "process") yield* store.put(key, i);
            else yield* model.call(store, "put", { key, value: i });
          } else if (by === "process") {
            yield* store.get(key);
          } else {
            yield* model.call(store, "get", { key });
          }
          times.push(model.nowNs);
        });
      }
      sim.run();
      return { times, stats: store.stats };
    };
    const byProcess = finishTimes("process");
    expect(byProcess).toEqual(finishTimes("message"));
    expect(new Set(byProcess.times).size).toBe(50);
    expect(byProcess.stats).toMatchObject({ requests: 50, completed: 50, gets: 33, puts: 17 });
  });

  it("scans in key order from a sorted index, whatever order keys were written in", () => {
    const { sim, store, model } = setup({ writeLatency: 0 });
    const keys = ["m", "b", "zz", "a", "ab", "", "Z", "é", "b0", "aa"];
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        for (const key of keys) yield* store.put(key, key.length);
        const all = yield* store.scan();
        log.push(all.map((e) => e.key).join(","));
        const some = yield* store.scan({ from: "a", to: "b0", limit: 3 });
        log.push(some.map((e) => e.key).join(","));
        const tail = yield* store.scan({ from: "b", limit: 100 });
        log.push(tail.map((e) => e.key).join(","));
        const none = yield* store.scan({ from: "ê" });
        log.push(`${none.length}`);
      },
      log,
    );
    sim.run();
    expect(log).toEqual([",Z,a,aa,ab,b,b0,m,zz,é", "a,aa,ab", "b,b0,m,zz,é", "0"]);
  });

  it("increments atomically: 200 concurrent increments by process and message count to 200", () => {
    const { sim, store, model } = setup({ writeLatency: dist.uniform(0.001, 0.01) });
    const answers: number[] = [];
    for (let i = 0; i < 200; i++) {
      model.start(function* () {
        const value =
          i % 2 === 0
            ? yield* store.increment("counter")
            : ((yield* model.call(store, "increment", { key: "counter", by: 1 })) as number);
        answers.push(value);
      });
    }
    sim.run();
    expect(store.peek("counter")).toBe(200);
    // Each increment saw its own count: every number 1..200 answered once.
    expect([...answers].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    expect(store.stats.increments).toBe(200);
  });

  it("keeps a coordinator's version only if newer, and numbers later writes above it", () => {
    const { sim, store, model } = setup();
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        log.push(`${yield* store.put("k", "v1")}`); // 1
        log.push(`${yield* store.put("k", "v10", { version: 10 })}`); // applied: 10
        log.push(`${yield* store.put("k", "v5", { version: 5 })}`); // older: keeps 10
        log.push(`${(yield* store.get("k")) as string}`);
        log.push(`${yield* store.put("other", "x")}`); // the counter moved past 10: 11
        log.push(`${yield* model.call(store, "put", { key: "k", value: "v12", version: 12 })}`);
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["1", "10", "10", "v10", "11", "12"]);
    expect(store.versionOf("k")).toBe(12);
    expect(store.versionOf("missing")).toBe(0);
  });

  it("keeps a versioned delete as a tombstone that older writes cannot pass", () => {
    const { sim, store, model } = setup();
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        log.push(`${yield* store.put("k", "v3", { version: 3 })}`); // 3
        log.push(`${yield* store.delete("k", { version: 2 })}`); // older than the value: false
        log.push(`${(yield* store.get("k")) as string}`); // still v3
        log.push(`${yield* store.delete("k", { version: 5 })}`); // removes it: true
        log.push(`${(yield* store.get("k")) as string}`); // undefined
        log.push(`${yield* store.put("k", "v4", { version: 4 })}`); // older than the delete: 5
        log.push(`${JSON.stringify(yield* store.getEntry("k"))}`); // plain: not found
        log.push(JSON.stringify(yield* store.getEntry("k", { tombstones: true })));
        log.push(
          JSON.stringify(yield* model.call(store, "getEntry", { key: "k", tombstones: true })),
        );
        yield* store.put("a", 1);
        yield* store.delete("b", { version: 9 }); // a tombstone without a value before
        log.push(JSON.stringify((yield* store.scan()).map((e) => e.key)));
        log.push(JSON.stringify(yield* store.scan({ tombstones: true, limit: 2 })));
        log.push(`${yield* store.put("k", "v6", { version: 6 })}`); // newer: applied
        log.push(`${(yield* store.get("k")) as string}`);
      },
      log,
    );
    sim.run();
    expect(log).toEqual([
      "3",
      "false",
      "v3",
      "true",
      "undefined",
      "5",
      "undefined",
      '{"key":"k","version":5,"deleted":true}',
      '{"key":"k","version":5,"deleted":true}',
      '["a"]',
      '[{"key":"a","value":1,"version":6},{"key":"b","version":9,"deleted":true}]',
      "6",
      "v6",
    ]);
    expect(store.tombstoneOf("k")).toBe(0); // the newer put replaced it
    expect(store.tombstoneOf("b")).toBe(9);
    expect(store.stats).toMatchObject({ size: 2, tombstones: 1, tombstonesPurged: 0 });
  });

  it("deletes with a tombstone at its own next version, in one step: a write landing meanwhile never wins", () => {
    const { sim, store, model } = setup();
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* store.put("k", "v1"); // version 1, at 0.005
        yield* store.put("k", "v2", { version: 7 }); // a coordinator's version moves the counter
        // The put lands while the delete is on its way: the delete's version, taken as it
        // applies, is newer than the put's.
        const put = model.start(store.put("k", "v3"));
        yield 0.001;
        log.push(`delete ${yield* store.delete("k", { tombstone: true })}`);
        log.push(`put ${yield put}`);
        log.push(JSON.stringify(yield* store.getEntry("k", { tombstones: true })));
        log.push(
          `delete again ${yield* model.call(store, "delete", { key: "k", tombstone: true })}`,
        );
        log.push(
          JSON.stringify(yield* model.call(store, "getEntry", { key: "k", tombstones: true })),
        );
        log.push(`put ${yield* store.put("k", "v4")}`); // a plain write is newer still
        log.push(`put old ${yield* store.put("k", "v0", { version: 9 })}`); // not newer: refused
        log.push(`get ${yield* store.get("k")}`);
      },
      log,
    );
    sim.run();
    expect(log).toEqual([
      "delete true",
      "put 8",
      '{"key":"k","version":9,"deleted":true}',
      "delete again false",
      '{"key":"k","version":10,"deleted":true}',
      "put 11",
      "put old 11",
      "get v4",
    ]);
    expect(store.stats).toMatchObject({ deletes: 2, tombstones: 0, size: 1 });
  });

  it("purges tombstones after tombstoneGrace, and a durable: false crash drops them", () => {
    const { sim, store, model } = setup({ tombstoneGrace: 10 });
    run(
      sim,
      model,
      function* () {
        yield* store.delete("a", { version: 1 });
        yield model.sleep(5);
        yield* store.delete("b", { version: 2 });
        yield* store.delete("a", { version: 3 }); // renewed at 5 s: kept until 15 s
      },
      [],
    );
    sim.run({ until: 12 });
    expect([store.tombstoneOf("a"), store.tombstoneOf("b")]).toEqual([3, 2]);
    sim.run({ until: 15.1 });
    expect(store.stats).toMatchObject({ tombstones: 0, tombstonesPurged: 2 });
    // After the purge an older write is applied again: the risk the option names.
    run(sim, model, () => store.put("a", "old", { version: 1 }) as never, [], 16);
    sim.run({ until: 17 });
    expect(store.peek("a")).toBe("old");

    const volatile = setup({ durable: false });
    run(
      volatile.sim,
      volatile.model,
      () => volatile.store.delete("x", { version: 4 }) as never,
      [],
    );
    volatile.sim.run({ until: 1 });
    expect(volatile.store.stats.tombstones).toBe(1);
    volatile.store.crash();
    expect(volatile.store.stats.tombstones).toBe(0);
  });

  it("refuses a new key when full (whenFull refuse), but overwrites held keys", () => {
    const { sim, store, model } = setup({ capacity: 2 });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* store.put("a", 1);
        yield* store.put("b", 2);
        yield* store.put("a", 3);
        log.push("overwrote");
        yield* store.put("c", 4);
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["overwrote", "refused(store full (2 keys))@0.02"]);
    expect(store.stats).toMatchObject({ size: 2, puts: 3, rejected: 1, completed: 3 });
  });

  it("evicts the key written first when full (whenFull evictOldest), counting it", () => {
    const { sim, store, model } = setup({ capacity: 3, whenFull: "evictOldest" });
    run(
      sim,
      model,
      function* () {
        for (const key of ["a", "b", "c"]) yield* store.put(key, 0);
        yield* store.put("a", 1); // an overwrite keeps a's place
        yield* store.put("d", 0); // evicts a, the first written
        yield* store.increment("e"); // evicts b
      },
      [],
    );
    sim.run();
    expect(["a", "b", "c", "d", "e"].map((k) => store.has(k))).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(store.stats).toMatchObject({ size: 3, evicted: 2, rejected: 0 });
  });

  it("serves at most `concurrency` at once, FIFO, and refuses beyond queueCapacity", () => {
    const { sim, store, model } = setup({ readLatency: 1, concurrency: 2, queueCapacity: 2 });
    const log: string[] = [];
    for (let i = 0; i < 5; i++) {
      run(
        sim,
        model,
        function* () {
          yield* store.get(`k${i}`);
          log.push(`k${i}@${model.now}`);
        },
        log,
      );
    }
    sim.at(0.5, () => expect(store.stats).toMatchObject({ active: 2, queued: 2, rejected: 1 }));
    sim.run();
    expect(log).toEqual(["refused(queue full (2 waiting))@0", "k0@1", "k1@1", "k2@2", "k3@2"]);
    const stats = store.stats;
    expect(stats).toMatchObject({ requests: 5, completed: 4, rejected: 1, gets: 4 });
    expect(stats.utilization).toBe(1);
    expect(stats.probabilityOfWaiting).toBe(0.5);
    expect(store.latencyOf("get").max).toBeCloseTo(2, 2);
    expect(store.metrics()).toMatchObject({ p50Wait: expect.any(Number), meanGetLatency: 1.5 });
  });

  it("keeps its data through a crash (durable), loses what was in progress and says so", () => {
    const { sim, store, model } = setup({ writeLatency: 1, concurrency: 1 });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* store.put("kept", 1);
      },
      log,
    );
    // Three writes in progress or waiting at the crash: two by process, one by message.
    run(
      sim,
      model,
      function* () {
        yield* store.put("lost1", 1);
      },
      log,
      1,
    );
    run(
      sim,
      model,
      function* () {
        yield* store.put("lost2", 1);
      },
      log,
      1,
    );
    run(
      sim,
      model,
      function* () {
        yield* model.call(store, "put", { key: "lost3", value: 1 }, { timeout: 5 });
      },
      log,
      1,
    );
    sim.at(1.5, () => store.crash());
    // While down: a process is refused at once, a message is dropped (its caller times out).
    run(
      sim,
      model,
      function* () {
        yield* store.get("kept");
      },
      log,
      2,
    );
    run(
      sim,
      model,
      function* () {
        yield* model.call(store, "get", { key: "kept" }, { timeout: 1 });
      },
      log,
      2,
    );
    sim.at(3, () => store.recover());
    run(
      sim,
      model,
      function* () {
        log.push(`kept=${yield* store.get("kept")}`);
      },
      log,
      4,
    );
    sim.run();
    expect(log).toEqual([
      "refused(kv store crashed)@1.5",
      "refused(kv store crashed)@1.5",
      "refused(kv store is down)@2",
      "timeout@3",
      "kept=1",
      "timeout@6",
    ]);
    expect(store.stats).toMatchObject({
      requests: 6,
      completed: 2,
      rejected: 1,
      lostToCrash: 3,
      size: 1,
    });
    expect(store.counters.droppedWhileDown).toBe(1);
  });

  it("comes back empty after a crash when volatile, with versions still growing", () => {
    const { sim, store, model } = setup({ durable: false });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        log.push(`${yield* store.put("a", 1)}`);
      },
      log,
    );
    sim.at(1, () => store.crash());
    sim.at(2, () => store.recover());
    run(
      sim,
      model,
      function* () {
        log.push(`${yield* store.get("a")}`);
        log.push(`${yield* store.put("a", 2)}`);
      },
      log,
      3,
    );
    sim.run();
    expect(log).toEqual(["1", "undefined", "2"]);
  });

  it("counts and times each kind of operation, and restarts the counts on resetStats", () => {
    const { sim, store, model } = setup();
    run(
      sim,
      model,
      function* () {
        yield* store.put("a", 1);
        yield* store.get("a");
        yield* store.get("b");
        yield* store.scan();
        yield* store.delete("a");
        yield* store.increment("n", 2);
      },
      [],
    );
    sim.run();
    expect(store.stats).toMatchObject({
      requests: 6,
      completed: 6,
      gets: 2,
      found: 1,
      notFound: 1,
      puts: 1,
      scans: 1,
      deletes: 1,
      increments: 1,
    });
    const m = store.metrics();
    expect(m.meanPutLatency).toBeCloseTo(0.005, 12);
    expect(m.p99GetLatency).toBeCloseTo(0.001, 4);
    expect(m.utilization).toBeUndefined(); // no concurrency limit: no capacity to divide by
    sim.resetStats();
    expect(store.stats).toMatchObject({ requests: 0, completed: 0, gets: 0, size: 1 });
    expect(store.metrics().meanPutLatency).toBe(0);
  });

  it("loads starting data at once, numbered as writes, within capacity", () => {
    const { sim, store, model } = setup({ capacity: 3 });
    store.load([
      ["b", 2],
      ["a", 1],
    ]);
    expect([store.size, store.versionOf("a"), store.stats.requests, sim.now]).toEqual([2, 2, 0, 0]);
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        log.push((yield* store.scan()).map((e) => `${e.key}=${e.value}`).join(","));
      },
      log,
    );
    sim.run();
    expect(log).toEqual(["a=1,b=2"]);
    expect(() =>
      store.load([
        ["c", 3],
        ["d", 4],
      ]),
    ).toThrow(ConfigError);
  });

  it("fails loudly on a bad argument, with the store's name and the time", () => {
    const cases: [string, (store: KVStore<unknown>, model: Entity) => Generator<unknown>][] = [
      ["the key must be a string; given 7", (s) => s.get(7 as unknown as string)],
      ["by must be a finite number; given NaN", (s) => s.increment("k", Number.NaN)],
      ["version must be an integer >= 1; given 0", (s) => s.put("k", 1, { version: 0 })],
      [
        "delete: tombstone must be true or false; given 1",
        (s, m) => m.call(s, "delete", { key: "k", tombstone: 1 } as never),
      ],
      [
        "a versioned delete always leaves a tombstone; given tombstone false with version 3",
        (s) => s.delete("k", { version: 3, tombstone: false }),
      ],
      ["the value must not be undefined", (s) => s.put("k", undefined)],
      ["limit must be an integer >= 1; given 0", (s) => s.scan({ limit: 0 })],
      ['unknown operation "fetch"', (s, m) => m.call(s, "fetch", { key: "k" })],
      ["payload must be an object", (s, m) => m.call(s, "get", "k" as unknown as { key: string })],
      [
        "the key must be a string; given undefined",
        (s, m) => m.call(s, "put", { value: 1 } as never),
      ],
    ];
    for (const [message, body] of cases) {
      const { sim, store, model } = setup();
      sim.at(0.25, () =>
        model.start(function* () {
          yield* body(store, model) as Generator<never>;
        }),
      );
      let error: unknown;
      try {
        sim.run();
      } catch (e) {
        error = e;
      }
      expect(error, message).toBeInstanceOf(SimulationError);
      expect(String((error as Error).message), message).toContain(message);
      expect(String((error as Error).message), message).toContain('"store" at t=0.25');
    }
  });

  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const bad: [KVStoreOptions, string][] = [
      [{ readLatency: -1 }, "readLatency"],
      [{ writeLatency: "fast" as never }, "writeLatency"],
      [{ readLatency: dist.normal({ mean: 0.01, sd: 0.01 }) }, "readLatency"],
      [{ concurrency: 0 }, "concurrency"],
      [{ queueCapacity: 3 }, "queueCapacity"],
      [{ capacity: 1.5 }, "capacity"],
      [{ capacity: 3, whenFull: "evictRandom" as never }, "whenFull"],
      [{ whenFull: "refuse" }, "whenFull"],
      [{ durable: "yes" as never }, "durable"],
    ];
    for (const [options, option] of bad) {
      expect(() => new KVStore(sim, "bad", options), option).toThrow(ConfigError);
      expect(() => new KVStore(sim, "bad", options), option).toThrow(option);
    }
    expect(sim.entities).toHaveLength(0);
  });
});

componentLaws<KVStore<number>>({
  type: KVStore,
  options: () => ({
    readLatency: 0.001,
    writeLatency: dist.exponential(0.004),
    concurrency: 4,
    queueCapacity: 50,
    capacity: 100,
    whenFull: "evictOldest" as const,
    durable: true,
    tombstoneGrace: 60,
  }),
  construct: (sim, name, options) => new KVStore<number>(sim, name, options as KVStoreOptions),
  invalid: [
    { readLatency: "slow" },
    { writeLatency: -0.5 },
    { concurrency: 1.5 },
    { queueCapacity: -1 },
    { capacity: 0 },
    { whenFull: "drop" },
    { durable: 1 },
    { tombstoneGrace: -1 },
  ],
  scenario(sim) {
    const store = new KVStore<number>(sim, SUBJECT, {
      readLatency: dist.exponential(0.002),
      writeLatency: dist.exponential(0.006),
      concurrency: 3,
      queueCapacity: 20,
      capacity: 30,
      whenFull: "evictOldest",
    });
    // Messages from a source (gets, puts, increments over 50 keys) and process calls beside them.
    const caller = new StoreCaller(sim, "caller", store);
    new Source<number>(sim, "source", {
      target: caller,
      arrivals: arrivals.poisson(800),
      payload: (i) => i,
      stopAfter: { count: 2000 },
    });
    return store;
  },
  crashAt: 1,
  recoverAt: 1.5,
});

/** Turns each arrival into one store operation, by message or by process, with a timeout. */
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
      else if (i % 4 === 2) yield* this.call(this.store, "get", { key }, { timeout: 0.5 });
      else yield* this.call(this.store, "scan", { from: "k1", limit: 5 }, { timeout: 0.5 });
    } catch (error) {
      if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
    }
  }
}
