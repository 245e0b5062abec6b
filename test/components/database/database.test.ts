/**
 * Goal: a database runs at most maxConnections transactions (callers wait FIFO up to
 * acquireTimeout), locks each query's rows (shared reads, exclusive writes) until commit or
 * abort, runs queries for their latency (a distribution or a function of the query), aborts a
 * transaction as a deadlock victim, on a lock wait timeout, on rollback or in a crash (counted
 * by reason, locks and connection freed at once), answers query messages as transactions of
 * their own, and refuses bad options and misuse with typed errors.
 * Method: scripted transactions with exact latencies; the component laws on a message load
 * whose queries lock rows in opposite orders (deadlocks happen).
 */
import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  Database,
  type DatabaseOptions,
  dist,
  Entity,
  LockManager,
  type Query,
  type QueryResult,
  type RemoteError,
  Simulation,
  SimulationError,
  Source,
  type Transaction,
  TransactionAbortedError,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

/** Runs scripted transactions and logs how each ended. */
class Clients extends Entity {
  readonly log: string[] = [];

  run(db: Database, label: string, at: number, queries: readonly Query[], pause = 0): void {
    this.sim.at(at, () =>
      this.start(function* (this: Clients) {
        let tx: Transaction;
        try {
          tx = yield* db.begin();
        } catch (error) {
          this.log.push(`${this.now} ${label} ${(error as Error).name}`);
          return;
        }
        try {
          for (const query of queries) {
            yield* tx.query(query);
            if (pause > 0) yield pause;
          }
          yield* tx.commit();
          this.log.push(`${this.now} ${label} committed`);
        } catch (error) {
          if (!(error instanceof TransactionAbortedError)) throw error;
          this.log.push(`${this.now} ${label} aborted ${error.abortReason}`);
        } finally {
          if (tx.isOpen) tx.rollback();
        }
      }, this),
    );
  }
}

function setup(options: DatabaseOptions = {}) {
  const sim = new Simulation({ seed: 1 });
  const db = new Database(sim, "db", { queryLatency: dist.constant(0.1), ...options });
  const clients = new Clients(sim, "clients");
  return { sim, db, clients, log: clients.log };
}

componentLaws({
  type: Database,
  options: (sim) => ({
    maxConnections: 4,
    maxWaiting: 10,
    acquireTimeout: 0.5,
    queryLatency: dist.exponential(0.002),
    commitLatency: dist.constant(0.001),
    locks: new LockManager(sim, "locks"),
  }),
  construct: (sim, name, options) => new Database(sim, name, options as DatabaseOptions),
  invalid: [
    { maxConnections: 0 },
    { maxConnections: 2.5 },
    { maxWaiting: -1 },
    { acquireTimeout: 0 },
    { queryLatency: "fast" },
    { commitLatency: 0.01 },
    { locks: "locks" },
  ],
  scenario: (sim) => {
    const locks = new LockManager(sim, "locks", { lockWaitTimeout: 0.05 });
    const db = new Database(sim, SUBJECT, {
      maxConnections: 4,
      maxWaiting: 20,
      acquireTimeout: 0.05,
      queryLatency: dist.exponential(0.004),
      commitLatency: dist.constant(0.001),
      locks,
    });
    // Half the queries write k0 then k1, half k1 then k0: deadlocks happen.
    new Source<Query>(sim, "load", {
      target: db,
      kind: "query",
      arrivals: arrivals.poisson(400),
      stopAfter: { time: 1 },
      payload: (i) => ({
        reads: [`r${i % 5}`],
        writes: i % 2 === 0 ? ["k0", `k${1 + (i % 3)}`] : [`k${1 + (i % 3)}`, "k0"],
      }),
    });
    return db;
  },
  crashAt: 0.4,
  recoverAt: 0.5,
  identities: (db) => {
    const s = db.stats;
    const by = s.abortedBy;
    return [
      [
        "requests = rejected + timedOut + lostWaiting + abandoned + queued + started",
        s.requests,
        s.rejected + s.timedOut + s.lostWaiting + s.abandoned + s.queued + s.started,
      ],
      ["started = committed + aborted + active", s.started, s.committed + s.aborted + s.active],
      [
        "aborted = deadlock + lockTimeout + rollback + crash",
        s.aborted,
        by.deadlock + by.lockTimeout + by.rollback + by.crash,
      ],
    ];
  },
});

describe("Database", () => {
  it("runs at most maxConnections transactions; the rest wait FIFO, up to acquireTimeout", () => {
    const { sim, db, clients, log } = setup({ maxConnections: 1, acquireTimeout: 0.35 });
    clients.run(db, "a", 0, [{ writes: ["x"] }, { writes: ["y"] }, { reads: ["z"] }]);
    clients.run(db, "b", 0, [{ reads: ["x"] }, { reads: ["y"] }]);
    clients.run(db, "c", 0.1, [{ reads: ["z"] }]);
    sim.run();
    expect(log).toEqual([
      "0.3 a committed",
      "0.45 c ConnectionTimeoutError", // asked at 0.1, gave up after 0.35 (b holds the connection)
      "0.5 b committed", // waited 0.3 for a's connection
    ]);
    expect(db.stats).toMatchObject({
      requests: 3,
      started: 2,
      committed: 2,
      timedOut: 1,
      queries: 5,
      active: 0,
    });
    expect(db.stats.p99Latency).toBeCloseTo(0.5, 2);
  });

  it("A then B against B then A: the deadlock aborts one transaction, the other commits", () => {
    const { sim, db, clients, log } = setup();
    clients.run(db, "T1", 0, [{ writes: ["A"] }, { writes: ["B"] }]);
    clients.run(db, "T2", 0.05, [{ writes: ["B"] }, { writes: ["A"] }]);
    sim.run();
    expect(log).toEqual(["0.15 T2 aborted deadlock", "0.25 T1 committed"]);
    expect(db.stats).toMatchObject({ committed: 1, aborted: 1, lockWaits: 2 });
    expect(db.stats.abortedBy).toEqual({ deadlock: 1, lockTimeout: 0, rollback: 0, crash: 0 });
    expect(db.locks.stats).toMatchObject({ deadlocks: 1, held: 0 });
  });

  it("without detection, the lock wait timeout aborts the transaction and frees its locks", () => {
    const sim = new Simulation({ seed: 1 });
    const locks = new LockManager(sim, "locks", { deadlockDetection: "off", lockWaitTimeout: 1 });
    const db = new Database(sim, "db", { queryLatency: dist.constant(0.1), locks });
    const clients = new Clients(sim, "clients");
    clients.run(db, "T1", 0, [{ writes: ["A"] }, { writes: ["B"] }]);
    clients.run(db, "T2", 0.05, [{ writes: ["B"] }, { writes: ["A"] }]);
    sim.run();
    expect(clients.log).toEqual(["1.1 T1 aborted lockTimeout", "1.2 T2 committed"]);
    expect(db.stats.abortedBy.lockTimeout).toBe(1);
    // T1 waited for B from 0.1 until its timeout; T2 for A from 0.15 until T1's abort freed it.
    expect(db.stats.meanLockWait).toBeCloseTo((1 + 0.95) / 2, 9);
  });

  it("rollback counts as an abort; an aborted transaction refuses queries, a committed one is misuse", () => {
    const { sim, db } = setup();
    const worker = new Entity(sim, "worker");
    const errors: unknown[] = [];
    worker.start(function* () {
      const tx = yield* db.begin();
      yield* tx.query({ writes: ["a"] });
      tx.rollback();
      tx.rollback(); // already over: nothing
      try {
        yield* tx.query({ reads: ["a"] });
      } catch (error) {
        errors.push(error);
      }
      const second = yield* db.begin();
      yield* second.commit();
      try {
        yield* second.query({});
      } catch (error) {
        errors.push(error);
      }
    });
    sim.run();
    expect(errors[0]).toBeInstanceOf(TransactionAbortedError);
    expect(errors[1]).toBeInstanceOf(SimulationError);
    expect(db.stats.abortedBy.rollback).toBe(1);
    expect(db.locks.stats.held).toBe(0);
  });

  it("answers query messages as transactions of their own, and fails aborted ones with the reason", () => {
    const { sim, db } = setup();
    const caller = new Entity(sim, "caller");
    const outcomes: string[] = [];
    const send = (at: number, query: Query) =>
      sim.at(at, () =>
        caller.start(function* () {
          try {
            const result = (yield* caller.call(db, "query", query)) as QueryResult;
            outcomes.push(`${caller.now} ok wait=${result.lockWait} latency=${result.latency}`);
          } catch (error) {
            outcomes.push(`${caller.now} ${(error as RemoteError).reason}`);
          }
        }),
      );
    send(0, { writes: ["a"] });
    send(0.05, { writes: ["a"] });
    sim.run();
    expect(outcomes).toEqual(["0.1 ok wait=0 latency=0.1", "0.2 ok wait=0.05 latency=0.1"]);
    expect(db.stats).toMatchObject({ requests: 2, committed: 2, lockWaits: 1 });
  });

  it("takes the query latency from a function of the query", () => {
    const { sim, db, clients, log } = setup({
      queryLatency: (q) => (q.kind === "report" ? 1 : dist.constant(0.01)),
    });
    clients.run(db, "fast", 0, [{ reads: ["a"] }]);
    clients.run(db, "slow", 0, [{ reads: ["a"], kind: "report" }]);
    sim.run();
    expect(log).toEqual(["0.01 fast committed", "1 slow committed"]);
  });

  it("a crash aborts open transactions, frees their locks and fails connection waiters", () => {
    const { sim, db, clients, log } = setup({ maxConnections: 1 });
    clients.run(db, "open", 0, [{ writes: ["a"] }, { writes: ["b"] }]);
    clients.run(db, "waiting", 0, [{ reads: ["a"] }]);
    sim.at(0.15, () => db.crash());
    sim.at(0.15, () => {
      expect(db.stats).toMatchObject({ active: 0, queued: 0, lostWaiting: 1 });
      expect(db.stats.abortedBy.crash).toBe(1);
      expect(db.locks.stats.held).toBe(0);
    });
    sim.at(1, () => db.recover());
    clients.run(db, "after", 1, [{ writes: ["a"] }]);
    const summary = sim.run();
    expect(log).toEqual([
      "0.15 waiting RemoteError",
      "0.15 open aborted crash",
      "1.1 after committed",
    ]);
    expect(summary.pendingEvents).toBe(0);
  });

  it("a crash that frees a lock and then aborts its waiter in one instant aborts the waiter", () => {
    const { sim, db, clients, log } = setup();
    // "first" holds a; "second" waits for a, then would lock b. The crash aborts "first",
    // which hands a to "second" in the same instant, then aborts "second" too.
    clients.run(db, "first", 0, [{ writes: ["a"] }], 1);
    clients.run(db, "second", 0.05, [{ writes: ["a", "b"] }]);
    sim.at(0.5, () => db.crash());
    sim.run();
    // "first" learns at its next statement, after its own pause.
    expect(log).toEqual(["0.5 second aborted crash", "1.1 first aborted crash"]);
    const s = db.stats;
    expect(s).toMatchObject({ started: 2, committed: 0, aborted: 2, active: 0 });
  });

  it("a commit whose flush ends in the instant of a crash stays aborted, counted once", () => {
    const { sim, db, clients, log } = setup({ commitLatency: dist.constant(0.1) });
    clients.run(db, "tx", 0, [{ writes: ["a"] }]);
    // Scheduled after the flush's timer (at 0.1), so the flush ends first, then the crash.
    sim.at(0.15, () => sim.at(0.2, () => db.crash()));
    sim.run();
    expect(log).toEqual(["0.2 tx aborted crash"]);
    const s = db.stats;
    expect(s.started).toBe(s.committed + s.aborted + s.active);
    expect(s).toMatchObject({ committed: 0, aborted: 1 });
  });

  it("a transaction whose locks its lock manager's crash lost cannot commit", () => {
    const { sim, db, clients, log } = setup();
    clients.run(db, "tx", 0, [{ writes: ["a"] }], 0.5);
    sim.at(0.3, () => db.locks.crash());
    sim.at(0.4, () => db.locks.recover());
    sim.run();
    // Its lock on a was gone from 0.3 on: committing would be serializable over nothing.
    expect(log).toEqual(["0.6 tx aborted crash"]);
    expect(db.stats.abortedBy.crash).toBe(1);
  });

  it("refuses callers beyond maxWaiting; a cancelled waiter is abandoned, and so is one cancelled at hand-over", () => {
    const { sim, db } = setup({ maxConnections: 1, maxWaiting: 1 });
    const log: string[] = [];
    const holder = new Entity(sim, "holder");
    const waiter = new Entity(sim, "waiter");
    const late = new Entity(sim, "late");
    let waiting: ReturnType<Entity["start"]> | null = null;
    holder.start(function* () {
      const tx = yield* db.begin();
      yield* tx.query({ writes: ["a"] });
      yield* tx.commit();
      // The commit handed the connection to "waiter", which has not resumed yet.
      waiting!.cancel();
      log.push(`${holder.now} holder committed; active ${db.stats.active}`);
    });
    sim.at(0.01, () => {
      waiting = waiter.start(function* () {
        yield* db.begin();
        log.push("waiter got a connection"); // never: cancelled first
      });
    });
    sim.at(0.02, () =>
      late.start(function* () {
        try {
          yield* db.begin();
        } catch (error) {
          log.push(`${late.now} late ${(error as Error).name}`);
        }
      }),
    );
    sim.run();
    expect(log).toEqual(["0.02 late RemoteError", "0.1 holder committed; active 0"]);
    // The waiter never held the connection: it stopped waiting, it did not roll back.
    expect(db.stats).toMatchObject({
      requests: 3,
      rejected: 1,
      abandoned: 1,
      started: 1,
      committed: 1,
      aborted: 0,
      active: 0,
      queued: 0,
    });
    expect(db.stats.abortedBy.rollback).toBe(0);

    const second = setup({ maxConnections: 1 });
    const first = new Entity(second.sim, "first");
    const cancelled = new Entity(second.sim, "cancelled");
    first.start(function* () {
      const tx = yield* second.db.begin();
      yield 1;
      yield* tx.commit();
    });
    const wait = cancelled.start(function* () {
      yield* second.db.begin();
    });
    second.sim.at(0.5, () => wait.cancel());
    second.sim.run();
    expect(second.db.stats).toMatchObject({ requests: 2, abandoned: 1, started: 1, queued: 0 });
  });

  it("refuses a bad query with SimulationError and a taken lock manager name with ConfigError", () => {
    const { sim, db } = setup();
    const worker = new Entity(sim, "worker");
    worker.start(function* () {
      const tx = yield* db.begin();
      yield* tx.query({ writes: "a" } as unknown as Query);
    });
    expect(() => sim.run()).toThrow(/a query is/);
    const other = new Simulation({ seed: 1 });
    new Entity(other, "x.locks");
    expect(() => new Database(other, "x")).toThrow(ConfigError);
    expect(other.entity("x")).toBeUndefined();
    expect(() => new Database(other, "y", { locks: new LockManager(sim, "foreign") })).toThrow(
      ConfigError,
    );
  });

  it("a database made without a lock manager makes its own", () => {
    const sim = new Simulation({ seed: 1 });
    const db = new Database(sim, "orders");
    expect(db.locks.name).toBe("orders.locks");
    expect(sim.entity("orders.locks")).toBe(db.locks);
  });
});
