/**
 * Goal: a transaction manager over a key-value store reads as its isolation level says (read
 * committed: the latest committed value, never a dirty one; snapshot isolation: the snapshot at
 * begin, first committer wins; serializable: strict two-phase locking with deadlock victims),
 * applies writes at commit atomically for its readers, retries what a retry can cure, counts
 * everything in the stats vocabulary, and refuses bad options and misuse with typed errors.
 * Method: scripted transactions with exact store latencies (the anomalies: dirty read, lost
 * update, write skew, deadlock); the component laws on a random transaction load; a property
 * over random small transaction mixes: under serializable the committed history has a serial
 * order explaining every read and the final state, under snapshot isolation no two concurrent
 * committed transactions wrote the same key.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CachedStore,
  ConfigError,
  DeadlockError,
  Entity,
  findSerialOrder,
  type IsolationLevel,
  KVStore,
  type KVTransaction,
  KVTransactionAbortedError,
  LockManager,
  RemoteError,
  ReplicatedStore,
  Simulation,
  SimulationError,
  TransactionManager,
  type TransactionManagerOptions,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

type Tx = KVTransaction<number>;

function setup(options: Partial<TransactionManagerOptions<number>> = {}, seed = 1) {
  const sim = new Simulation({ seed });
  const store = new KVStore<number>(sim, "store", { readLatency: 0.01, writeLatency: 0.01 });
  const tm = new TransactionManager<number>(sim, "tm", { store, ...options });
  const app = new Entity(sim, "app");
  const log: string[] = [];
  /** Runs `body` in a process of the app from `at` seconds; logs how it ended. */
  const run = (label: string, at: number, body: () => Generator<unknown, void, unknown>) => {
    sim.at(at, () =>
      app.start(function* () {
        try {
          yield* body() as Generator<never, void, unknown>;
          log.push(`${sim.now} ${label} done`);
        } catch (error) {
          if (!(error instanceof KVTransactionAbortedError)) throw error;
          log.push(`${sim.now} ${label} aborted ${error.abortReason}`);
        }
      }),
    );
  };
  /** Seeds the store directly (before any transaction). */
  const seed0 = (values: Record<string, number>) => {
    app.start(function* () {
      for (const [key, value] of Object.entries(values)) yield* store.put(key, value);
    });
  };
  return { sim, store, tm, app, log, run, seed: seed0 };
}

function identities(tm: TransactionManager<number>) {
  const s = tm.stats;
  const by = s.abortedBy;
  return [
    ["started = committed + aborted + active", s.started, s.committed + s.aborted + s.active],
    [
      "aborted = sum of aborted.<reason>",
      s.aborted,
      by.writeConflict + by.deadlock + by.lockTimeout + by.storeError + by.rollback + by.crash,
    ],
  ] as const;
}

componentLaws({
  type: TransactionManager,
  options: (sim) => ({
    store: new KVStore<number>(sim, "store"),
    isolation: "serializable",
    locks: new LockManager(sim, "locks"),
    storeTimeout: 1,
    maxAttempts: 3,
  }),
  construct: (sim, name, options) =>
    new TransactionManager(sim, name, options as unknown as TransactionManagerOptions<unknown>),
  invalid: [
    { store: "store" },
    { isolation: "repeatableRead" },
    { locks: "locks" },
    { storeTimeout: 0 },
    { maxAttempts: 0 },
    { maxAttempts: 1.5 },
  ],
  scenario: (sim) => {
    const store = new KVStore<number>(sim, "store", { readLatency: 0.002, writeLatency: 0.004 });
    const locks = new LockManager(sim, "locks", { lockWaitTimeout: 0.05 });
    const tm = new TransactionManager<number>(sim, SUBJECT, { store, locks, storeTimeout: 0.05 });
    const app = new Entity(sim, "app");
    const draws = app.random("keys");
    const levels: IsolationLevel[] = ["readCommitted", "snapshotIsolation", "serializable"];
    for (let i = 0; i < 150; i++) {
      const isolation = levels[i % 3]!;
      const keys = [0, 1, 2].map(() => `k${Math.floor(draws.next() * 4)}`);
      sim.at(i * 0.006, () =>
        app.start(function* () {
          try {
            yield* tm.transact(
              function* (tx) {
                const a = (yield* tx.get(keys[0]!)) ?? 0;
                const b = (yield* tx.get(keys[1]!)) ?? 0;
                tx.put(keys[2]!, a + b + 1);
                if (i % 7 === 0) tx.delete(keys[0]!);
              },
              { isolation },
            );
          } catch (error) {
            // Down or crashed: the load goes on.
            if (!(error instanceof RemoteError)) throw error;
          }
        }),
      );
    }
    return tm;
  },
  crashAt: 0.4,
  recoverAt: 0.5,
  identities: (tm) => identities(tm as TransactionManager<number>),
});

describe("TransactionManager", () => {
  it("buffers writes until commit, reads its own writes, and deletes", () => {
    const { sim, tm, log, run, seed } = setup();
    seed({ x: 1 });
    const seen: unknown[] = [];
    run("a", 1, function* () {
      const tx = yield* tm.begin();
      tx.put("x", 2);
      tx.put("y", 5);
      seen.push(yield* tx.get("x")); // its own write, no store read
      tx.delete("y");
      seen.push(yield* tx.get("y"));
      yield* tx.commit();
      expect(tx.status).toBe("committed");
      expect(tx.commitVersion).toBe(1);
    });
    run("b", 2, function* () {
      const tx = yield* tm.begin({ isolation: "readCommitted" });
      seen.push(yield* tx.get("x"), yield* tx.get("y"));
      yield* tx.commit();
    });
    sim.run();
    expect(log).toEqual(["1.04 a done", "2.02 b done"]); // a: base reads and writes of x and y
    expect(seen).toEqual([2, undefined, 2, undefined]);
    expect(tm.committedValue("x")).toBe(2);
    expect(tm.stats).toMatchObject({
      started: 2,
      committed: 2,
      aborted: 0,
      active: 0,
      reads: 4,
      writes: 2,
    });
  });

  it("read committed never reads a write that is not committed (dirty read)", () => {
    const { sim, tm, run, seed, store } = setup({ isolation: "readCommitted" });
    seed({ x: 1 });
    const seen: [number, unknown][] = [];
    run("writer", 1, function* () {
      const tx = yield* tm.begin();
      tx.put("x", 2);
      yield* tx.commit(); // base read 1.00-1.01, write 1.01-1.02: the store holds 2 from 1.02
    });
    run("aborter", 1, function* () {
      const tx = yield* tm.begin();
      tx.put("y", 9);
      yield 0.5;
      tx.abort();
    });
    for (const at of [1.005, 1.015, 1.0199, 1.03]) {
      run(`reader ${at}`, at, function* () {
        const tx = yield* tm.begin();
        const x = yield* tx.get("x");
        const answeredAt = sim.now;
        const y = yield* tx.get("y");
        seen.push([answeredAt, [x, y]]);
        yield* tx.commit();
      });
    }
    sim.run();
    // The commit point is the write's answer (1.02): reads answered from then on see 2, and
    // none before it does, though the store applied the write in that instant.
    for (const [at, [x, y]] of seen as [number, [unknown, unknown]][]) {
      expect(y, `read at ${at}`).toBeUndefined();
      expect(x, `read at ${at}`).toBe(at < 1.02 ? 1 : 2);
    }
    expect(store.has("y")).toBe(false);
    expect(tm.stats.abortedBy.rollback).toBe(1);
  });

  it("snapshot isolation reads the snapshot at begin and drops versions no snapshot needs", () => {
    const { sim, tm, run, seed } = setup();
    seed({ x: 1 });
    const seen: unknown[] = [];
    run("old reader", 1, function* () {
      const tx = yield* tm.begin({ isolation: "snapshotIsolation" });
      seen.push(yield* tx.get("x"));
      yield 1;
      seen.push(yield* tx.get("x")); // after two commits: still its snapshot
      seen.push(tm.stats.versions);
      yield* tx.commit();
    });
    for (const [at, value] of [
      [1.1, 2],
      [1.5, 3],
    ] as const) {
      run(`writer ${value}`, at, function* () {
        const tx = yield* tm.begin({ isolation: "snapshotIsolation" });
        tx.put("x", value);
        yield* tx.commit();
      });
    }
    run("new reader", 3, function* () {
      const tx = yield* tm.begin({ isolation: "snapshotIsolation" });
      seen.push(yield* tx.get("x"));
      seen.push(tm.stats.versions); // the old snapshot closed: only the latest is kept
      yield* tx.commit();
    });
    sim.run();
    expect(seen).toEqual([1, 1, 3, 3, 1]);
  });

  it("lets a lost update through under read committed and refuses it under snapshot isolation and serializable", () => {
    const outcome = (isolation: IsolationLevel) => {
      const { sim, tm, log, run, seed } = setup({ isolation });
      seed({ counter: 10 });
      for (const label of ["a", "b"]) {
        run(label, 1, function* () {
          const tx = yield* tm.begin();
          const value = (yield* tx.get("counter"))!;
          tx.put("counter", value + 1);
          yield* tx.commit();
        });
      }
      sim.run();
      return { log, counter: tm.committedValue("counter"), stats: tm.stats };
    };
    const rc = outcome("readCommitted");
    expect(rc.log).toEqual(["1.03 a done", "1.04 b done"]); // a first writes the base version
    expect(rc.counter).toBe(11); // one increment lost
    const si = outcome("snapshotIsolation");
    expect(si.log).toEqual(["1.03 a done", "1.03 b aborted writeConflict"]);
    expect(si.counter).toBe(11);
    expect(si.stats.abortedBy.writeConflict).toBe(1);
    const ser = outcome("serializable");
    // Both hold a shared lock and ask for the exclusive one: the youngest is the victim.
    expect(ser.log).toEqual(["1.01 b aborted deadlock", "1.03 a done"]); // b waited for a, a for b
    expect(ser.counter).toBe(11);
    expect(ser.stats.deadlocks).toBe(1);
  });

  it("write skew: both doctors go off call under snapshot isolation, one is refused under serializable", () => {
    const doctors = (isolation: IsolationLevel, retry: boolean) => {
      const { sim, tm, log, run, seed } = setup({ isolation });
      seed({ alice: 1, bob: 1 });
      for (const me of ["alice", "bob"]) {
        const body = function* (tx: Tx) {
          const onCall = (yield* tx.get("alice"))! + (yield* tx.get("bob"))!;
          if (onCall >= 2) tx.put(me, 0);
        };
        run(me, 1, function* () {
          if (retry) {
            yield* tm.transact(body);
            return;
          }
          const tx = yield* tm.begin();
          yield* body(tx);
          yield* tx.commit();
        });
      }
      sim.run();
      const onCall = (tm.committedValue("alice") ?? 1) + (tm.committedValue("bob") ?? 1);
      return { log, onCall, stats: tm.stats };
    };
    const si = doctors("snapshotIsolation", false);
    expect(si.log).toEqual(["1.04 alice done", "1.04 bob done"]);
    expect(si.onCall).toBe(0); // the invariant "at least one on call" is broken
    const ser = doctors("serializable", false);
    expect(ser.log).toEqual(["1.02 bob aborted deadlock", "1.04 alice done"]);
    expect(ser.onCall).toBe(1);
    const retried = doctors("serializable", true);
    expect(retried.log).toEqual(["1.04 alice done", "1.06 bob done"]); // bob saw one on call
    expect(retried.onCall).toBe(1);
    expect(retried.stats).toMatchObject({ retries: 1, committed: 2, aborted: 1, deadlocks: 1 });
  });

  it("finds a deadlock on the wait-for graph and aborts the youngest, whose locks are freed", () => {
    const { sim, tm, log, run, seed } = setup({ isolation: "serializable" });
    seed({ a: 1, b: 1 });
    let victimError: unknown;
    run("T1", 1, function* () {
      const tx = yield* tm.begin();
      yield* tx.get("a");
      yield 0.1;
      tx.put("b", 2);
      yield* tx.commit();
    });
    run("T2", 1.05, function* () {
      const tx = yield* tm.begin();
      yield* tx.get("b");
      yield 0.1;
      tx.put("a", 2);
      try {
        yield* tx.commit();
      } catch (error) {
        victimError = error;
        throw error;
      }
    });
    sim.run();
    expect(log).toEqual(["1.16 T2 aborted deadlock", "1.18 T1 done"]);
    expect(victimError).toBeInstanceOf(KVTransactionAbortedError);
    expect((victimError as KVTransactionAbortedError).cause).toBeInstanceOf(DeadlockError);
    expect(tm.locks.stats).toMatchObject({ deadlocks: 1, held: 0, owners: 0 });
    expect(tm.stats).toMatchObject({ deadlocks: 1, lockWaits: 2, committed: 1 });
  });

  it("aborts on a lock wait timeout when deadlock detection is off", () => {
    const sim0 = new Simulation({ seed: 1 });
    const locks = new LockManager(sim0, "locks", {
      deadlockDetection: "off",
      lockWaitTimeout: 0.5,
    });
    const store = new KVStore<number>(sim0, "store", { readLatency: 0.01, writeLatency: 0.01 });
    const tm = new TransactionManager<number>(sim0, "tm", {
      store,
      locks,
      isolation: "serializable",
    });
    const app = new Entity(sim0, "app");
    const log: string[] = [];
    for (const [label, key] of [
      ["T1", "a"],
      ["T2", "b"],
    ] as const) {
      app.start(function* () {
        const tx = yield* tm.begin();
        yield* tx.get(key);
        tx.put(key === "a" ? "b" : "a", 1);
        try {
          yield* tx.commit();
          log.push(`${sim0.now} ${label} done`);
        } catch (error) {
          log.push(`${sim0.now} ${label} ${(error as KVTransactionAbortedError).abortReason}`);
        }
      });
    }
    sim0.run();
    // Both time out at 0.51; the first to time out frees its locks, and the other's wait,
    // timed out in the same instant, has ended too.
    expect(log).toEqual(["0.51 T1 lockTimeout", "0.51 T2 lockTimeout"]);
    expect(tm.stats.abortedBy.lockTimeout).toBe(2);
  });

  it("aborts with storeError when the store fails or is silent, and with crash when it crashes itself", () => {
    const { sim, tm, store, log, run } = setup({ storeTimeout: 0.2 });
    sim.at(0.5, () => store.crash());
    run("silent", 0.6, function* () {
      const tx = yield* tm.begin();
      yield* tx.get("x");
    });
    sim.at(1, () => store.recover());
    run("crashed", 2, function* () {
      const tx = yield* tm.begin();
      tx.put("x", 1);
      yield* tx.commit();
    });
    sim.at(2.005, () => tm.crash());
    sim.at(2.5, () => tm.recover());
    run("after", 3, function* () {
      const tx = yield* tm.begin();
      tx.put("x", 2);
      yield* tx.commit();
    });
    sim.run();
    expect(log).toEqual([
      "0.8 silent aborted storeError",
      "2.005 crashed aborted crash",
      "3.02 after done",
    ]);
    expect(tm.stats.abortedBy).toMatchObject({ storeError: 1, crash: 1 });
    expect(tm.locks.stats.held).toBe(0);
  });

  it("runs over any store of the key-value protocol: a cache and a replicated store", () => {
    for (const kind of ["cache", "replicated"] as const) {
      const sim = new Simulation({ seed: 2 });
      const replicas = [0, 1, 2].map(
        (i) =>
          new KVStore<number>(sim, `replica ${i}`, { readLatency: 0.002, writeLatency: 0.004 }),
      );
      const store =
        kind === "cache"
          ? new CachedStore<number>(sim, "cache", { backing: replicas[0]!, capacity: 10 })
          : new ReplicatedStore<number>(sim, "replicated", {
              replicas,
              readLevel: "QUORUM",
              writeLevel: "QUORUM",
            });
      const tm = new TransactionManager<number>(sim, "tm", { store });
      const app = new Entity(sim, "app");
      for (let i = 0; i < 5; i++) {
        app.start(function* () {
          yield* tm.transact(function* (tx) {
            tx.put("n", ((yield* tx.get("n")) ?? 0) + 1);
          });
        });
      }
      let seen: number | undefined;
      sim.at(1, () =>
        app.start(function* () {
          const tx = yield* tm.begin();
          seen = yield* tx.get("n");
          yield* tx.commit();
        }),
      );
      sim.run();
      // Snapshot isolation refuses the lost updates; transact retries them: no increment lost.
      expect(seen, kind).toBe(5);
      expect(tm.stats.committed, kind).toBe(6);
      expect(tm.stats.retries, kind).toBeGreaterThan(0);
    }
  });

  it("aborts serializable transactions whose locks died with the lock manager", () => {
    const { sim, tm, log, run, seed } = setup({ isolation: "serializable" });
    seed({ x: 1 });
    run("reader", 1, function* () {
      const tx = yield* tm.begin();
      yield* tx.get("x");
      yield 0.5;
      yield* tx.commit(); // read-only, but its shared lock is gone
    });
    run("waiter", 1.1, function* () {
      const tx = yield* tm.begin();
      tx.put("x", 2);
      yield* tx.commit(); // waits for the reader's shared lock
    });
    sim.at(1.2, () => tm.locks.crash());
    sim.at(1.3, () => tm.locks.recover());
    run("after", 2, function* () {
      const tx = yield* tm.begin();
      tx.put("x", 3);
      yield* tx.commit();
    });
    sim.run();
    expect(log).toEqual([
      "1.2 waiter aborted crash",
      "1.51 reader aborted crash",
      "2.02 after done",
    ]);
    expect(tm.stats.abortedBy.crash).toBe(2);
  });

  it("refuses to begin while down", () => {
    const { sim, tm, app } = setup();
    sim.at(1, () => tm.crash());
    let error: unknown;
    sim.at(2, () =>
      app.start(function* () {
        try {
          yield* tm.begin();
        } catch (caught) {
          error = caught;
        }
      }),
    );
    sim.run();
    expect(error).toBeInstanceOf(RemoteError);
    expect(tm.stats.rejected).toBe(1);
  });

  it("transact retries what a retry can cure, up to maxAttempts, and passes other errors through", () => {
    const { sim, tm, app } = setup({ maxAttempts: 2 });
    const outcomes: string[] = [];
    app.start(function* () {
      let attempts = 0;
      try {
        yield* tm.transact(function* (tx) {
          attempts++;
          yield* tx.get("x");
          tx.put("x", attempts);
          // Another transaction commits x after this snapshot, every time.
          const other = yield* tm.begin();
          other.put("x", 100 + attempts);
          yield* other.commit();
        });
      } catch (error) {
        outcomes.push(`${(error as KVTransactionAbortedError).abortReason} after ${attempts}`);
      }
      try {
        yield* tm.transact(function* (tx) {
          tx.put("y", 1);
          yield* tx.get("x");
          throw new Error("bug");
        });
      } catch (error) {
        outcomes.push((error as Error).message);
      }
      try {
        yield* tm.transact(
          function* (tx) {
            tx.abort();
            yield* tx.get("y");
          },
          { maxAttempts: 5 },
        );
      } catch (error) {
        outcomes.push((error as KVTransactionAbortedError).abortReason!);
      }
    });
    sim.run();
    expect(outcomes).toEqual(["writeConflict after 2", "bug", "rollback"]);
    expect(tm.stats).toMatchObject({ retries: 1, gaveUp: 1, active: 0 });
    expect(tm.stats.abortedBy).toMatchObject({ writeConflict: 2, rollback: 2 });
    expect(tm.committedValue("y")).toBeUndefined();
  });

  it("fails misuse with the entity's name and the simulated time", () => {
    const { sim, tm, app } = setup();
    const other = new TransactionManager<number>(sim, "other", {
      store: tm.store,
      locks: new LockManager(sim, "other locks"),
    });
    const errors: unknown[] = [];
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        errors.push(error);
      }
    };
    sim.at(1, () =>
      app.start(function* () {
        const tx = yield* tm.begin();
        attempt(() => tx.put(7 as unknown as string, 1));
        attempt(() => tx.put("x", undefined as unknown as number));
        attempt(() => tx.get(undefined as unknown as string).next());
        const foreign = yield* other.begin();
        attempt(() => tm._write(foreign as unknown as Tx, "x", 1, "put"));
        yield* tx.commit();
        attempt(() => tx.put("x", 1));
        attempt(() => tx.commit().next());
        tx.abort(); // over already: nothing
        attempt(() => tm.begin({ isolation: "chaos" as IsolationLevel }).next());
        foreign.abort();
        attempt(() => foreign.put("x", 1));
      }),
    );
    sim.run();
    const messages = errors.map((error) => `${(error as Error).name}: ${(error as Error).message}`);
    expect(errors.slice(0, 6).every((error) => error instanceof SimulationError)).toBe(true);
    expect(messages[0]).toMatch(/TransactionManager "tm" put\(\): the key must be a string/);
    expect(messages[0]).toMatch(/tm.*1s|at 1/);
    expect(messages[4]).toMatch(/put\(\): transaction 1 is committed/);
    expect(errors[6]).toBeInstanceOf(ConfigError);
    expect(errors[7]).toBeInstanceOf(KVTransactionAbortedError);
  });

  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const store = new KVStore<number>(sim, "store");
    const bad = (options: unknown) => () =>
      new TransactionManager(sim, "tm", options as TransactionManagerOptions<number>);
    expect(bad(undefined)).toThrow(ConfigError);
    expect(bad({ store: {} })).toThrow(/store/);
    expect(bad({ store, isolation: "snapshot" })).toThrow(/isolation/);
    expect(bad({ store, storeTimeout: -1 })).toThrow(/storeTimeout/);
    expect(bad({ store, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(sim.entity("tm")).toBeUndefined();
    new TransactionManager(sim, "tm", { store });
    expect(bad({ store })).toThrow(/tm.locks/);
  });
});

describe("findSerialOrder", () => {
  const tx = (reads: [string, number][], writes: [string, number][]) => ({
    readSet: new Map(reads),
    writeSet: new Map(writes),
  });
  it("finds an order that explains the reads and the final state, or says there is none", () => {
    const initial = new Map([
      ["alice", 1],
      ["bob", 1],
    ]);
    const a = tx(
      [
        ["alice", 1],
        ["bob", 1],
      ],
      [["alice", 0]],
    );
    const b = tx(
      [
        ["alice", 1],
        ["bob", 1],
      ],
      [["bob", 0]],
    );
    const skew = new Map([
      ["alice", 0],
      ["bob", 0],
    ]);
    expect(findSerialOrder([a, b], initial, skew)).toBeNull();
    const b2 = tx(
      [
        ["alice", 0],
        ["bob", 1],
      ],
      [],
    );
    expect(
      findSerialOrder(
        [b2, a],
        initial,
        new Map([
          ["alice", 0],
          ["bob", 1],
        ]),
      ),
    ).toEqual([1, 0]);
    expect(() => findSerialOrder(Array(10).fill(a), initial, skew)).toThrow(ConfigError);
  });
});

describe("findSerialOrder on the manager's transactions", () => {
  it("finds none for write skew under snapshot isolation, and one under serializable", () => {
    const history = (isolation: IsolationLevel) => {
      const { sim, tm, app, seed } = setup({ isolation });
      seed({ alice: 1, bob: 1 });
      const committed: Tx[] = [];
      for (const me of ["alice", "bob"]) {
        sim.at(1, () =>
          app.start(function* () {
            const tx = yield* tm.transact(function* (t) {
              const onCall = (yield* t.get("alice"))! + (yield* t.get("bob"))!;
              if (onCall >= 2) t.put(me, 0);
              return t;
            });
            committed.push(tx);
          }),
        );
      }
      sim.run();
      const initial = new Map([
        ["alice", 1],
        ["bob", 1],
      ]);
      const final = new Map([
        ["alice", tm.committedValue("alice") ?? 1],
        ["bob", tm.committedValue("bob") ?? 1],
      ]);
      return findSerialOrder(committed, initial, final);
    };
    expect(history("snapshotIsolation")).toBeNull();
    expect(history("serializable")).not.toBeNull();
  });
});

describe("TransactionManager (property)", () => {
  const keys = ["a", "b", "c"];
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant("get" as const), key: fc.constantFrom(...keys) }),
    fc.record({
      op: fc.constant("put" as const),
      key: fc.constantFrom(...keys),
      value: fc.integer({ min: 1, max: 9 }),
    }),
    fc.record({ op: fc.constant("pause" as const), seconds: fc.constantFrom(0.001, 0.004) }),
  );
  type Step =
    | { op: "get"; key: string }
    | { op: "put"; key: string; value: number }
    | { op: "pause"; seconds: number };
  interface Mix {
    seed: number;
    transactions: { at: number; steps: Step[] }[];
  }
  const mix: fc.Arbitrary<Mix> = fc.record({
    seed: fc.integer({ min: 1, max: 1000 }),
    transactions: fc.array(
      fc.record({ at: fc.integer({ min: 0, max: 20 }), steps: fc.array(step, { maxLength: 5 }) }),
      { minLength: 2, maxLength: 6 },
    ),
  });

  const runMix = (isolation: IsolationLevel, input: Mix, crashAt?: number) => {
    const sim = new Simulation({ seed: input.seed });
    const store = new KVStore<number>(sim, "store", {
      readLatency: 0.002,
      writeLatency: 0.003,
    });
    const tm = new TransactionManager<number>(sim, "tm", { store, isolation });
    const app = new Entity(sim, "app");
    const committed: Tx[] = [];
    app.start(function* () {
      for (const key of keys) yield* store.put(key, 0);
    });
    for (const { at, steps } of input.transactions) {
      sim.at(0.1 + at * 0.001, () =>
        app.start(function* () {
          if (!tm.isUp) return; // begun while the manager is down (a crash schedule): refused
          const tx = yield* tm.begin();
          try {
            for (const s of steps) {
              if (s.op === "get") yield* tx.get(s.key);
              else if (s.op === "put") tx.put(s.key, s.value);
              else yield s.seconds;
            }
            yield* tx.commit();
            committed.push(tx);
          } catch (error) {
            if (!(error instanceof KVTransactionAbortedError)) throw error;
          }
        }),
      );
    }
    if (crashAt !== undefined) {
      sim.at(0.1 + crashAt * 0.001, () => tm.crash());
      sim.at(0.1 + crashAt * 0.001 + 0.002, () => tm.recover());
    }
    sim.run();
    return { tm, committed, store };
  };

  it("under serializable, the committed history has a serial order", () => {
    fc.assert(
      fc.property(mix, (input) => {
        const { tm, committed } = runMix("serializable", input);
        const initial = new Map(keys.map((key) => [key, 0]));
        const final = new Map(keys.map((key) => [key, tm.committedValue(key) ?? 0]));
        expect(findSerialOrder(committed, initial, final)).not.toBeNull();
        expect(tm.stats.active).toBe(0);
        expect(tm.locks.stats.held).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it("under snapshot isolation, every read is the snapshot's value, whatever commits run meanwhile", () => {
    // The committed state at version v: the writes of the transactions committed at or before
    // it, in commit order. A read that saw a commit in progress (its store writes land one by
    // one) or one after the snapshot would differ. And once all is done, the store holds what
    // the manager says is committed.
    fc.assert(
      fc.property(mix, (input) => {
        const { tm, committed, store } = runMix("snapshotIsolation", input);
        const byVersion = [...committed].sort((a, b) => a.commitVersion - b.commitVersion);
        for (const tx of committed) {
          const state = new Map(keys.map((key) => [key, 0 as number | undefined]));
          for (const other of byVersion) {
            if (other.commitVersion > tx.snapshotVersion) break;
            for (const [key, value] of other.writeSet) state.set(key, value);
          }
          for (const [key, value] of tx.readSet)
            expect(value, `tx ${tx.id} read ${key}`).toBe(state.get(key));
        }
        for (const key of keys) expect(store.peek(key)).toBe(tm.committedValue(key) ?? 0);
      }),
      { numRuns: 150 },
    );
  });

  it("under snapshot isolation, a crash of the manager mid-commit leaves no reader a partial commit", () => {
    // The crash cuts a commit between its store writes: they stay in the store (the manager
    // has no undo log), and every read after must still be a snapshot of whole commits.
    fc.assert(
      fc.property(mix, fc.integer({ min: 0, max: 30 }), (input, crashAt) => {
        const { committed } = runMix("snapshotIsolation", input, crashAt);
        const byVersion = [...committed].sort((a, b) => a.commitVersion - b.commitVersion);
        for (const tx of committed) {
          const state = new Map(keys.map((key) => [key, 0 as number | undefined]));
          for (const other of byVersion) {
            if (other.commitVersion > tx.snapshotVersion) break;
            for (const [key, value] of other.writeSet) state.set(key, value);
          }
          for (const [key, value] of tx.readSet) {
            expect(value, `tx ${tx.id} read ${key}`).toBe(state.get(key));
          }
        }
      }),
      { numRuns: Number(process.env.TM_RUNS ?? 100) },
    );
  });

  it("under snapshot isolation, no two concurrent committed transactions wrote the same key", () => {
    fc.assert(
      fc.property(mix, (input) => {
        const { committed } = runMix("snapshotIsolation", input);
        for (const a of committed) {
          for (const b of committed) {
            if (a === b) continue;
            const concurrent =
              a.snapshotVersion < b.commitVersion && b.snapshotVersion < a.commitVersion;
            if (!concurrent) continue;
            for (const key of a.writeSet.keys()) expect(b.writeSet.has(key)).toBe(false);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
