/**
 * Goal: a CachedStore answers the key-value protocol in front of any store, with the latency a
 * cache has (a hit: the lookup; a miss: the lookup and a backing read), and each of its options
 * does what it says: write-through and write-back (flushed on an interval and on eviction; a
 * crash loses the dirty entries, counted exactly), negative caching, request coalescing, TTL
 * expiry on read and by sweep, the hit rate over time. Method: a KVStore with constant
 * latencies behind it, so every time is exact; property tests for eviction (never over
 * capacity; LRU equal to a naive model); a Zipf workload compared with an exact LRU simulation
 * of the same keys; the law suite.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  arrivals,
  CachedStore,
  type CachedStoreOptions,
  ConfigError,
  dist,
  Entity,
  EVICTION_POLICIES,
  type EvictionPolicyName,
  KVStore,
  keys,
  RemoteError,
  Simulation,
  SimulationError,
  Source,
  TimeoutError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

const LOOKUP = 0.0001;
const READ = 0.001;
const WRITE = 0.005;

function setup(options: Partial<CachedStoreOptions<unknown>> = {}, seed = 1) {
  const sim = new Simulation({ seed });
  const db = new KVStore<unknown>(sim, "db", { readLatency: READ, writeLatency: WRITE });
  const cache = new CachedStore<unknown>(sim, "cache", {
    backing: db,
    capacity: 3,
    lookupLatency: LOOKUP,
    ...options,
  });
  const model = new Entity(sim, "model");
  return { sim, db, cache, model };
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
        if (error instanceof RemoteError) log.push(`refused(${error.reason})@${model.now}`);
        else if (error instanceof TimeoutError) log.push(`timeout@${model.now}`);
        else throw error;
      }
    }),
  );
}

const round = (seconds: number) => Math.round(seconds * 1e7) / 1e7;

describe("CachedStore", () => {
  it("reads through on a miss and answers from the cache on a hit, by process and by message alike", () => {
    const trace = (by: "process" | "message") => {
      const { sim, db, cache, model } = setup();
      const log: string[] = [];
      run(
        sim,
        model,
        function* () {
          yield* db.put("a", "A");
          for (const key of ["a", "a", "b", "a"]) {
            const start = model.now;
            const value =
              by === "process" ? yield* cache.get(key) : yield* model.call(cache, "get", { key });
            log.push(`${key}=${String(value)} in ${round(model.now - start)}`);
          }
        },
        log,
      );
      sim.run();
      return { log, stats: cache.stats };
    };
    const byProcess = trace("process");
    expect(byProcess).toEqual(trace("message"));
    expect(byProcess.log).toEqual([
      `a=A in ${round(LOOKUP + READ)}`,
      `a=A in ${LOOKUP}`,
      `b=undefined in ${round(LOOKUP + READ)}`,
      `a=A in ${LOOKUP}`,
    ]);
    expect(byProcess.stats).toMatchObject({
      hits: 2,
      misses: 2,
      hitRate: 0.5,
      backingReads: 2,
      size: 1, // a miss without negativeTtl is not remembered
    });
  });

  it("writes through: the backing store's version comes back and the cache holds the new value", () => {
    const { sim, db, cache, model } = setup();
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        const start = model.now;
        log.push(`put v${yield* cache.put("k", 1)} in ${round(model.now - start)}`);
        log.push(`db has ${db.peek("k")}`);
        log.push(`get ${yield* cache.get("k")}`);
        log.push(`put v${yield* model.call(cache, "put", { key: "k", value: 2 })}`);
        log.push(`get ${yield* cache.get("k")}, db ${db.peek("k")}`);
      },
      log,
    );
    sim.run();
    expect(log).toEqual([
      `put v1 in ${round(LOOKUP + WRITE)}`,
      "db has 1",
      "get 1",
      "put v2",
      "get 2, db 2",
    ]);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 0, backingWrites: 2, backingReads: 0 });
  });

  it("writes back: answers at once, flushes dirty entries on the interval and on eviction", () => {
    const { sim, db, cache, model } = setup({
      writePolicy: "writeBack",
      flushInterval: 1,
      capacity: 2,
    });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        const start = model.now;
        log.push(`put v${yield* cache.put("a", 1)} in ${round(model.now - start)}`);
        yield* cache.put("b", 2);
        log.push(`db a=${db.peek("a")} dirty=${cache.stats.dirty}`);
      },
      log,
    );
    // The flush at 1 s writes both; then c and d evict them (clean: nothing written) and arrive
    // dirty, and e evicts c, which is written back.
    run(
      sim,
      model,
      function* () {
        log.push(`db a=${db.peek("a")} b=${db.peek("b")} dirty=${cache.stats.dirty}`);
        yield* cache.put("c", 3);
        yield* cache.put("d", 4);
        yield* cache.put("e", 5);
      },
      log,
      1.5,
    );
    sim.at(1.6, () => log.push(`db c=${db.peek("c")} d=${db.peek("d")}`));
    sim.run({ until: 3 });
    expect(log).toEqual([
      `put v0 in ${LOOKUP}`,
      "db a=undefined dirty=2",
      "db a=1 b=2 dirty=0",
      "db c=3 d=undefined",
    ]);
    expect([db.peek("d"), db.peek("e")]).toEqual([4, 5]); // the flush at 2 s
    expect(cache.stats).toMatchObject({
      writebacks: 5,
      writebacksFailed: 0,
      evictions: 3,
      dirty: 0,
    });
  });

  it("loses exactly the dirty entries when it crashes in write-back mode", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.integer({ min: 0, max: 15 }),
            at: fc.integer({ min: 0, max: 2999 }),
          }),
          {
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 2999 }),
        (writes, crashAtMs) => {
          const { sim, db, cache, model } = setup({
            writePolicy: "writeBack",
            flushInterval: 0.5,
            capacity: 6,
            eviction: "lru",
          });
          const crashAt = crashAtMs / 1000;
          // Replay each write at its time; remember, per key, the last value written before the crash.
          const sorted = [...writes].sort((a, b) => a.at - b.at);
          sorted.forEach((write, i) => {
            run(
              sim,
              model,
              function* () {
                yield* cache.put(`k${write.key}`, i);
              },
              [],
              write.at / 1000,
            );
          });
          let expectedLost = 0;
          sim.at(crashAt, () => {
            expectedLost = cache.stats.dirty;
            cache.crash();
          });
          sim.run({ until: 4 });
          expect(cache.stats.lostWrites).toBe(expectedLost);
          // Every acknowledged write before the crash either reached the database or was counted lost.
          const lastBefore = new Map<string, number>();
          sorted.forEach((write, i) => {
            if (write.at / 1000 + LOOKUP < crashAt) lastBefore.set(`k${write.key}`, i);
          });
          let missing = 0;
          for (const [key, value] of lastBefore) if (db.peek(key) !== value) missing++;
          expect(missing).toBe(cache.stats.lostWrites);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });

  it("remembers a miss for negativeTtl seconds", () => {
    const { sim, cache, model } = setup({ negativeTtl: 1 });
    const log: string[] = [];
    for (const at of [0, 0.5, 1.5]) {
      run(
        sim,
        model,
        function* () {
          log.push(`${yield* cache.get("nobody")}@${round(model.now)}`);
        },
        log,
        at,
      );
    }
    sim.run();
    expect(log).toEqual([
      `undefined@${round(LOOKUP + READ)}`,
      `undefined@${round(0.5 + LOOKUP)}`,
      `undefined@${round(1.5 + LOOKUP + READ)}`,
    ]);
    expect(cache.stats).toMatchObject({
      hits: 1,
      negativeHits: 1,
      misses: 2,
      expired: 1,
      backingReads: 2,
    });
  });

  it("coalesces concurrent misses of a key into one backing read when asked", () => {
    const reads = (coalesce: boolean) => {
      const { sim, db, cache, model } = setup({ coalesce });
      run(
        sim,
        model,
        function* () {
          yield* db.put("hot", "v");
        },
        [],
      );
      const answers: string[] = [];
      for (let i = 0; i < 10; i++) {
        run(
          sim,
          model,
          function* () {
            answers.push(`${yield* cache.get("hot")}@${round(model.now)}`);
          },
          [],
          1 + i * 0.0001,
        );
      }
      sim.run();
      return { answers, stats: cache.stats };
    };
    const without = reads(false);
    const withIt = reads(true);
    expect(without.stats).toMatchObject({ misses: 10, backingReads: 10, coalesced: 0 });
    expect(withIt.stats).toMatchObject({ misses: 10, backingReads: 1, coalesced: 9 });
    // Every caller of the coalesced read is answered when the one read comes back.
    expect(new Set(withIt.answers)).toEqual(new Set([`v@${round(1 + LOOKUP + READ)}`]));
  });

  it("expires entries after ttl: on read, and by the sweep", () => {
    const { sim, db, cache, model } = setup({ ttl: 1, sweepInterval: 0.25, capacity: 10 });
    run(
      sim,
      model,
      function* () {
        yield* db.put("a", 1);
        yield* db.put("b", 2);
        yield* cache.get("a");
        yield* cache.get("b");
      },
      [],
    );
    sim.at(0.9, () => expect(cache.size).toBe(2));
    // Both were filled near 0.01 s: gone by the sweep at 1.25 s.
    sim.at(1.2, () => expect(cache.size).toBe(2));
    sim.at(1.26, () => expect(cache.size).toBe(0));
    sim.run({ until: 2 });
    expect(cache.stats.expired).toBe(2);
  });

  it("increments in the backing store, writing a dirty entry first so the count starts from it", () => {
    const { sim, db, cache, model } = setup({ writePolicy: "writeBack" });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* cache.put("n", 10);
        log.push(`${yield* cache.increment("n", 5)}`);
        log.push(`${yield* model.call(cache, "increment", { key: "n", by: 1 })}`);
        log.push(`${yield* cache.get("n")} db ${db.peek("n")}`);
      },
      log,
    );
    sim.run({ until: 1 });
    expect(log).toEqual(["15", "16", "16 db 16"]);
  });

  it("keeps a dirty entry dirty when writing it before an increment fails", () => {
    const sim = new Simulation({ seed: 1 });
    const db = new KVStore<unknown>(sim, "db", { capacity: 1 });
    db.load([["taken", 1]]);
    const cache = new CachedStore<unknown>(sim, "cache", {
      backing: db,
      capacity: 5,
      writePolicy: "writeBack",
    });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* cache.put("n", 5);
        yield* cache.increment("n");
      },
      log,
    );
    sim.run({ until: 0.5 });
    expect(log).toEqual(["refused(store full (1 keys))@0.0052"]);
    expect(cache.stats).toMatchObject({ writebacks: 1, writebacksFailed: 1, dirty: 1, failed: 1 });
  });

  it("comes back empty after a crash; requests in progress are lost and counted", () => {
    const { sim, db, cache, model } = setup({ capacity: 10 });
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* db.put("a", 1);
        yield* cache.get("a");
      },
      log,
    );
    run(
      sim,
      model,
      function* () {
        yield* cache.get("b"); // reading through when the crash comes
      },
      log,
      1,
    );
    run(
      sim,
      model,
      function* () {
        yield* model.call(cache, "get", { key: "c" }, { timeout: 0.5 }); // reading through too
      },
      log,
      1.00005,
    );
    sim.at(1.0005, () => cache.crash());
    run(
      sim,
      model,
      function* () {
        yield* cache.get("a");
      },
      log,
      1.1,
    );
    sim.at(2, () => cache.recover());
    run(
      sim,
      model,
      function* () {
        log.push(`a=${yield* cache.get("a")} in ${round(model.now - 3)}`);
      },
      log,
      3,
    );
    sim.run();
    expect(log).toEqual([
      "refused(cache crashed)@1.0005",
      "refused(cache is down)@1.1",
      "timeout@1.50005",
      `a=1 in ${round(LOOKUP + READ)}`, // a cold cache: a miss again
    ]);
    expect(cache.stats).toMatchObject({ requests: 5, completed: 2, rejected: 1, lostToCrash: 2 });
  });

  it("relays the backing store's refusal and timeout as the request's failure", () => {
    const sim = new Simulation({ seed: 1 });
    const db = new KVStore<unknown>(sim, "db", { capacity: 1, writeLatency: 0.01, readLatency: 2 });
    const cache = new CachedStore<unknown>(sim, "cache", { backing: db, capacity: 5, timeout: 1 });
    const model = new Entity(sim, "model");
    const log: string[] = [];
    run(
      sim,
      model,
      function* () {
        yield* cache.put("a", 1);
        yield* cache.put("b", 2);
      },
      log,
    );
    run(
      sim,
      model,
      function* () {
        yield* model.call(cache, "get", { key: "x" });
      },
      log,
      1,
    );
    sim.run();
    expect(log).toEqual([
      "refused(store full (1 keys))@0.0202",
      "refused(backing store timed out)@2.0001",
    ]);
    expect(cache.stats).toMatchObject({ requests: 3, completed: 1, failed: 2, size: 1 });
  });

  it("charts its hit rate window by window", () => {
    const { sim, db, cache, model } = setup({ capacity: 2 });
    run(
      sim,
      model,
      function* () {
        for (const key of ["a", "k0", "k1", "k2"]) yield* db.put(key, 0);
        for (let i = 0; i < 10; i++) yield* cache.get("a"); // 1 miss, 9 hits in the first second
        yield 1.5;
        for (let i = 0; i < 4; i++) yield* cache.get(`k${i % 3}`); // all misses at 1.5 s
      },
      [],
    );
    sim.run();
    const [hitRate, backingReads] = cache.recordedSeries();
    expect(hitRate!.name).toBe("cache hit rate");
    expect(hitRate!.points.map(([, v]) => v)).toEqual([0.9, 0]);
    expect(backingReads!.points.map(([, v]) => v)).toEqual([1, 4]);
  });

  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const db = new KVStore(sim, "db");
    const bad: [Partial<CachedStoreOptions<unknown>>, string][] = [
      [{ backing: "db" as never }, "backing"],
      [{ capacity: 0 }, "capacity"],
      [{ eviction: "mru" as never }, "eviction"],
      [{ eviction: "ttl" }, "ttl"],
      [{ lookupLatency: -1 }, "lookupLatency"],
      [{ writePolicy: "writeAround" as never }, "writePolicy"],
      [{ flushInterval: 1 }, "flushInterval"],
      [{ writePolicy: "writeBack", flushInterval: 0 }, "flushInterval"],
      [{ ttl: 0 }, "ttl"],
      [{ sweepInterval: 1 }, "sweepInterval"],
      [{ negativeTtl: -1 }, "negativeTtl"],
      [{ coalesce: "yes" as never }, "coalesce"],
      [{ timeout: 0 }, "timeout"],
      [{ window: 0 }, "window"],
    ];
    for (const [options, option] of bad) {
      const build = () => new CachedStore(sim, "bad", { backing: db, capacity: 2, ...options });
      expect(build, option).toThrow(ConfigError);
      expect(build, option).toThrow(option);
    }
    expect(sim.entities).toHaveLength(1);
  });

  it("fails loudly on a bad argument, as the store does", () => {
    const cases: [string, (cache: CachedStore<unknown>, model: Entity) => Generator<unknown>][] = [
      ["CachedStore: get: the key must be a string; given 1", (c) => c.get(1 as never)],
      ['CachedStore: unknown operation "read"', (c, m) => m.call(c, "read", { key: "k" })],
      [
        "CachedStore: increment: by must be a finite number",
        (c) => c.increment("k", Number.POSITIVE_INFINITY),
      ],
    ];
    for (const [message, body] of cases) {
      const { sim, cache, model } = setup();
      model.start(function* () {
        yield* body(cache, model) as Generator<never>;
      });
      expect(() => sim.run(), message).toThrow(SimulationError);
      const again = setup();
      again.model.start(function* () {
        yield* body(again.cache, again.model) as Generator<never>;
      });
      expect(() => again.sim.run(), message).toThrow(message);
    }
  });
});

/** An operation of a random trace. */
type TraceOp = { readonly op: "get" | "put" | "delete"; readonly key: number };

const traceOp = fc.record({
  op: fc.constantFrom<"get" | "put" | "delete">("get", "get", "get", "put", "delete"),
  key: fc.integer({ min: 0, max: 11 }),
});

/** Runs `trace` one operation after another; returns each get's hit (true) or miss. */
function replay(eviction: EvictionPolicyName, capacity: number, trace: readonly TraceOp[]) {
  const sim = new Simulation({ seed: 3 });
  const db = new KVStore<number>(sim, "db", { readLatency: 0.001, writeLatency: 0.001 });
  const cache = new CachedStore<number>(sim, "cache", {
    backing: db,
    capacity,
    eviction,
    ttl: eviction === "ttl" ? 100 : undefined,
  });
  const model = new Entity(sim, "model");
  const hits: boolean[] = [];
  let largest = 0;
  model.start(function* () {
    for (const { op, key } of trace) {
      if (op === "get") {
        const before = cache.stats.hits;
        yield* cache.get(`k${key}`);
        hits.push(cache.stats.hits > before);
      } else if (op === "put") {
        yield* cache.put(`k${key}`, key);
      } else {
        yield* cache.delete(`k${key}`);
      }
      largest = Math.max(largest, cache.size);
    }
  });
  sim.run();
  return { hits, largest };
}

/** An LRU cache the obvious way: an array, most recent last. */
function naiveLru(capacity: number, trace: readonly TraceOp[]): boolean[] {
  const held: number[] = [];
  const stored = new Set<number>();
  const hits: boolean[] = [];
  const touch = (key: number) => {
    const at = held.indexOf(key);
    if (at >= 0) held.splice(at, 1);
    else if (held.length === capacity) held.shift();
    held.push(key);
  };
  for (const { op, key } of trace) {
    if (op === "get") {
      const hit = held.includes(key);
      hits.push(hit);
      // A miss fills only if the database has the key (no negative caching).
      if (hit || stored.has(key)) touch(key);
    } else if (op === "put") {
      stored.add(key);
      touch(key);
    } else {
      stored.delete(key);
      const at = held.indexOf(key);
      if (at >= 0) held.splice(at, 1);
    }
  }
  return hits;
}

describe("eviction policies", () => {
  it("never hold more than capacity, under any policy and trace", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EVICTION_POLICIES),
        fc.integer({ min: 1, max: 6 }),
        fc.array(traceOp, { maxLength: 80 }),
        (eviction, capacity, trace) => {
          expect(replay(eviction, capacity, trace).largest).toBeLessThanOrEqual(capacity);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });

  it("lru hits exactly where a naive LRU model does", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(traceOp, { maxLength: 120 }),
        (capacity, trace) => {
          expect(replay("lru", capacity, trace).hits).toEqual(naiveLru(capacity, trace));
        },
      ),
      { numRuns: 150, seed: 11 },
    );
  });

  it("differ where they should: a scan flushes LRU's and FIFO's hot set, not SLRU's or LFU's", () => {
    // A hot set of 4 keys read twice, then a scan of 20 cold keys, then the hot set again.
    const hot = [0, 1, 2, 3];
    const trace: TraceOp[] = [
      ...[...hot, ...hot].map((key) => ({ op: "put" as const, key })),
      ...[...hot, ...hot].map((key) => ({ op: "get" as const, key })),
      ...Array.from({ length: 20 }, (_, i) => ({ op: "put" as const, key: 100 + i })),
      ...hot.map((key) => ({ op: "get" as const, key })),
    ];
    const lastHits = (eviction: EvictionPolicyName) => replay(eviction, 8, trace).hits.slice(-4);
    expect(lastHits("lru")).toEqual([false, false, false, false]);
    expect(lastHits("fifo")).toEqual([false, false, false, false]);
    expect(lastHits("slru")).toEqual([true, true, true, true]);
    expect(lastHits("lfu")).toEqual([true, true, true, true]);
  });
});

describe("cache hit rate for a Zipf workload", () => {
  it("matches an independent exact LRU computation, hit for hit", () => {
    const POPULATION = 1000;
    const REQUESTS = 20_000;
    const CAPACITY = 100;
    const sim = new Simulation({ seed: 2024 });
    const db = new KVStore<number>(sim, "db", { readLatency: 0.001, writeLatency: 0.001 });
    const cache = new CachedStore<number>(sim, "cache", { backing: db, capacity: CAPACITY });
    const model = new Entity(sim, "model");
    // The key sequence, drawn once from the library's Zipf key generator (s = 1).
    const next = keys.zipf(POPULATION, 1).begin(model.random("keys"));
    const sequence = Array.from({ length: REQUESTS }, () => next());
    model.start(function* () {
      for (let key = 0; key < POPULATION; key++) yield* db.put(`k${key}`, key);
      for (const key of sequence) yield* cache.get(`k${key}`);
    });
    sim.run();

    // Exact LRU, written independently: a Map's insertion order as the recency list.
    const lru = new Map<number, true>();
    let hits = 0;
    for (const key of sequence) {
      if (lru.delete(key)) hits++;
      else if (lru.size === CAPACITY) lru.delete(lru.keys().next().value!);
      lru.set(key, true);
    }
    expect(cache.stats.hits).toBe(hits);
    expect(cache.stats.misses).toBe(REQUESTS - hits);
    // Zipf(1) over 1000 keys: below what the 100 hottest keys held for good would give,
    // H(100)/H(1000) = 0.69, since LRU also keeps the keys seen last (0.58 here).
    expect(hits / REQUESTS).toBeGreaterThan(0.5);
    expect(hits / REQUESTS).toBeLessThan(0.69);
  });
});

componentLaws<CachedStore<number>>({
  type: CachedStore,
  options: (sim) => ({
    backing: new KVStore<number>(sim, "db"),
    capacity: 20,
    eviction: "slru" as const,
    lookupLatency: 0.0002,
    writePolicy: "writeBack" as const,
    flushInterval: 0.5,
    ttl: 2,
    sweepInterval: 1,
    negativeTtl: 0.5,
    coalesce: true,
    timeout: 1,
    window: 0.5,
  }),
  construct: (sim, name, options) =>
    new CachedStore<number>(sim, name, options as unknown as CachedStoreOptions<number>),
  invalid: [
    { backing: undefined },
    { capacity: -1 },
    { eviction: "LRU" },
    { lookupLatency: "fast" },
    { writePolicy: "back" },
    { flushInterval: -1 },
    { ttl: "long" },
    { sweepInterval: 0 },
    { negativeTtl: 0 },
    { coalesce: 1 },
    { timeout: -1 },
    { window: Number.NaN },
  ],
  scenario(sim) {
    const db = new KVStore<number>(sim, "db", {
      readLatency: dist.exponential(0.003),
      writeLatency: dist.exponential(0.005),
      concurrency: 4,
      queueCapacity: 10,
    });
    const cache = new CachedStore<number>(sim, SUBJECT, {
      backing: db,
      capacity: 15,
      eviction: "lru",
      writePolicy: "writeBack",
      flushInterval: 0.3,
      ttl: 0.8,
      sweepInterval: 0.4,
      negativeTtl: 0.2,
      coalesce: true,
      timeout: 0.05,
    });
    const caller = new CacheCaller(sim, "caller", cache);
    new Source<number>(sim, "source", {
      target: caller,
      arrivals: arrivals.poisson(600),
      payload: (i) => i,
      stopAfter: { count: 1500 },
    });
    return cache;
  },
  crashAt: 1,
  recoverAt: 1.4,
  identities: (cache) => {
    const s = cache.stats;
    return [
      [
        "requests = completed + rejected + failed + lostToCrash + active",
        s.requests,
        s.completed + s.rejected + s.failed + s.lostToCrash + s.active,
      ],
    ];
  },
  mayBeNaN: ["hitRate", "missRate"],
});

/** Turns each arrival into one cache operation (Zipf keys), by message or by process. */
class CacheCaller extends Entity<number> {
  private readonly next = keys.zipf(40, 1.1).begin(this.random("keys"));
  constructor(
    sim: Simulation,
    name: string,
    private readonly cache: CachedStore<number>,
  ) {
    super(sim, name);
  }
  override *handle(arrival: { payload: number }) {
    const i = arrival.payload;
    const key = `k${this.next()}`;
    try {
      if (i % 5 === 0) yield* this.cache.put(key, i);
      else if (i % 5 === 1) yield* this.call(this.cache, "get", { key }, { timeout: 0.5 });
      else if (i % 17 === 2) yield* this.cache.increment(`n${i % 3}`);
      else if (i % 23 === 3) yield* this.call(this.cache, "delete", { key }, { timeout: 0.5 });
      else yield* this.cache.get(key);
    } catch (error) {
      if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
    }
  }
}
