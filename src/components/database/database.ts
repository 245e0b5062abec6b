/**
 * `Database`: a database server as its clients feel it: a connection limit, queries that take
 * time, and transactions whose row locks make them wait for each other, deadlock and abort.
 * It models costs and conflicts, not data (pair it with a store for values).
 *
 * From a process: `const tx = yield* db.begin()` waits for a connection (FIFO, at most
 * `acquireTimeout` seconds); `yield* tx.query({ reads: ["a"], writes: ["b"] })` takes shared
 * locks on the rows read, then exclusive locks on the rows written (in the order given), then
 * runs for the query's latency; `yield* tx.commit()` (after `commitLatency`) or `tx.rollback()`
 * frees the locks and the connection. Locks are held to the end (strict two-phase locking):
 * transactions are serializable over the rows they name. By message, `call(db, "query", q)` runs
 * `q` as a transaction of its own and answers with its `QueryResult`, or fails with the reason
 * ("aborted: deadlock", "connection wait timed out", ...).
 *
 * A transaction is aborted, and its `query`/`commit` throws `TransactionAbortedError` with the
 * reason, when it is a deadlock victim ("deadlock"), waits longer than the lock manager's
 * `lockWaitTimeout` for a lock ("lockTimeout"; the whole transaction is rolled back, as with
 * MySQL's `innodb_rollback_on_timeout`), or the database or its lock manager crashes ("crash");
 * `tx.rollback()` counts as "rollback". Every abort frees the transaction's locks and its
 * connection at once.
 *
 * Crash: open transactions abort (reason "crash"), their locks are freed, their pending
 * queries and commits throw; callers waiting for a connection fail with `RemoteError` (counted
 * in `lostWaiting`); nothing is remembered. A transaction whose caller's process ends without
 * committing holds its connection and locks until rolled back: roll back in a `finally`
 * (`if (tx.isOpen) tx.rollback()`), which also runs when the caller's entity crashes.
 *
 * @example
 * const db = new Database(sim, "db", { maxConnections: 20, queryLatency: dist.exponential(0.002) });
 * client.start(function* () {
 *   const tx = yield* db.begin();
 *   try {
 *     yield* tx.query({ writes: ["account:1"] });
 *     yield* tx.query({ writes: ["account:2"] });
 *     yield* tx.commit();
 *   } finally {
 *     if (tx.isOpen) tx.rollback();
 *   }
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { RemoteError, SimulationError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { constant } from "../../random/distributions/closedForm.js";
import { type Distribution, isDistribution } from "../../random/distributions/distribution.js";
import { type Param, valueAt } from "../../random/profile.js";
import { QUEUED, SlotPool } from "../resource/slotPool.js";
import { percentiles } from "../resource/statistics.js";
import { armPoolWait, awaitPoolWait } from "../resource/waiting.js";
import { requireDistribution, requireInteger, requireSecondsParam } from "../shared/validate.js";
import { DeadlockError, LockManager, LockWaitTimeoutError } from "./lockManager.js";
import type { LockKey, LockMode, LockOwner } from "./lockTable.js";
import {
  abortedTotal,
  checkLocksOption,
  checkStatementState,
  metricsByAbortReason,
} from "./transactionParts.js";

/** What one query touches: rows read (shared locks) and written (exclusive locks). */
export interface Query {
  /** Rows read: shared locks, taken first, in this order. */
  readonly reads?: readonly LockKey[];
  /** Rows written: exclusive locks, taken after the reads, in this order. */
  readonly writes?: readonly LockKey[];
  /** A label for a `queryLatency` function (query kinds with different costs). */
  readonly kind?: string;
}

/** What a query took. */
export interface QueryResult {
  /** Seconds it waited for its locks. */
  readonly lockWait: number;
  /** Seconds it ran once it had them. */
  readonly latency: number;
}

/** A query's running time: a distribution of seconds, or a function of the query. */
export type QueryLatency = Distribution | ((query: Query) => number | Distribution);

/** Why a transaction was aborted. */
export type AbortReason = "deadlock" | "lockTimeout" | "rollback" | "crash";

const ABORT_REASONS: readonly AbortReason[] = ["deadlock", "lockTimeout", "rollback", "crash"];

export interface DatabaseOptions {
  /** Connections: transactions open at once (integer >= 1). Default 10. */
  maxConnections?: number;
  /** Callers that may wait for a connection (integer >= 0); beyond, refused at once. Default unlimited. */
  maxWaiting?: number;
  /**
   * Seconds a caller may wait for a connection before `begin` throws
   * `ConnectionTimeoutError` (> 0): a number or a profile, read when it starts waiting. Default 5.
   */
  acquireTimeout?: Param;
  /** Seconds a query runs once it holds its locks. Default `dist.constant(0.001)`. */
  queryLatency?: QueryLatency;
  /** Seconds a commit takes (its log flush), a distribution; locks are held through it. Default 0. */
  commitLatency?: Distribution;
  /**
   * The lock manager for its row locks (its lock wait timeout, deadlock detection and victim
   * rule). Default: a `LockManager` of its own named "<name>.locks", with its defaults.
   */
  locks?: LockManager;
}

/** A database's numbers, over its lifetime or since the last statistics reset. */
export interface DatabaseStats {
  /**
   * Transactions asked for (`begin` calls and query messages). At every instant
   * `requests = rejected + timedOut + lostWaiting + abandoned + queued + started`.
   */
  readonly requests: number;
  /** Refused at once: the database down, or `maxWaiting` callers already waiting. */
  readonly rejected: number;
  /** Gave up waiting for a connection after `acquireTimeout`. */
  readonly timedOut: number;
  /** Waiting for a connection when the database crashed. */
  readonly lostWaiting: number;
  /**
   * Stopped waiting for a connection: the caller's process was cancelled (also in the instant a
   * connection was handed to it: it never held it, so it is not a rollback).
   */
  readonly abandoned: number;
  /** Waiting for a connection now. */
  readonly queued: number;
  /** Transactions begun (given a connection): `started = committed + aborted + active`. */
  readonly started: number;
  readonly committed: number;
  /** Aborted, all reasons: the sum of `abortedBy`. */
  readonly aborted: number;
  readonly abortedBy: Readonly<Record<AbortReason, number>>;
  /** Transactions open now (connections in use). */
  readonly active: number;
  /** Queries finished. */
  readonly queries: number;
  /** Lock requests of its transactions that had to wait. */
  readonly lockWaits: number;
  /** Mean seconds those waits lasted, however they ended (0 before the first). */
  readonly meanLockWait: number;
  readonly p99LockWait: number;
  /** Connections in use over connections, time-averaged. */
  readonly utilization: number;
  /** Seconds from asking for a transaction to its commit, over committed ones (NaN before the first). */
  readonly meanLatency: number;
  readonly p50Latency: number;
  readonly p99Latency: number;
}

/** No connection within `acquireTimeout`. */
export class ConnectionTimeoutError extends TimeoutError {
  override name = "ConnectionTimeoutError";
  constructor(
    seconds: number,
    readonly database: string,
  ) {
    super(seconds);
    this.message = `no connection to database "${database}" within ${seconds}s`;
  }
}

/** The transaction was aborted (it is over: locks and connection freed). */
export class TransactionAbortedError extends RemoteError {
  override name = "TransactionAbortedError";
  constructor(
    readonly abortReason: AbortReason,
    database: string,
    /** The lock manager's error behind it (a `DeadlockError`, a `LockWaitTimeoutError`), if any. */
    override readonly cause?: Error,
  ) {
    super(`transaction aborted: ${abortReason}`, database);
  }
}

export type TransactionStatus = "open" | "committed" | "aborted";

/** One transaction: its queries run in the process that holds it, one at a time. */
export class Transaction {
  /** @internal */
  _status: TransactionStatus = "open";
  /** @internal */
  _abortReason: AbortReason | null = null;
  /** @internal Its lock owner, from its first lock on. */
  _owner: LockOwner | null = null;
  /** @internal A query's run or a commit in progress: the crash fails it. */
  _pending: SimFuture<void> | null = null;
  /** @internal A statement is running. */
  _busy = false;

  /** @internal Only a database makes transactions. */
  constructor(
    readonly database: Database,
    /** 1, 2, ... in begin order. */
    readonly id: number,
    /** When it was asked for (integer ns): its latency counts from here. */
    readonly requestedNs: number,
  ) {}

  get status(): TransactionStatus {
    return this._status;
  }

  /** Why it was aborted, or null. */
  get abortReason(): AbortReason | null {
    return this._abortReason;
  }

  get isOpen(): boolean {
    return this._status === "open";
  }

  /**
   * `yield* tx.query(q)`: locks, then runs. Throws `TransactionAbortedError` if the transaction
   * is (or becomes) aborted.
   */
  query(query: Query): Generator<SimFuture<void>, QueryResult, unknown> {
    return this.database._query(this, query);
  }

  /** `yield* tx.commit()`: after `commitLatency`, frees its locks and connection. */
  commit(): Generator<SimFuture<void>, void, unknown> {
    return this.database._commit(this);
  }

  /** Aborts it now ("rollback"): locks and connection freed. Nothing if it is over already. */
  rollback(): void {
    this.database._rollback(this);
  }
}

/** A caller waiting for a connection. */
class ConnectionWaiter {
  timerToken = -1;
  constructor(
    readonly future: SimFuture<Transaction>,
    readonly maxWait: number,
    readonly sinceNs: number,
  ) {}
}

export class Database extends Entity<Query, QueryResult> {
  static readonly catalog: CatalogEntry = {
    name: "Database",
    kind: "component",
    role: "persistence",
    layer: "durable",
    contract:
      "Runs transactions on at most maxConnections connections (callers wait FIFO up to acquireTimeout): each query takes shared locks on its reads and exclusive locks on its writes from its LockManager, held to commit or abort, then runs for queryLatency. A transaction commits, or aborts as a deadlock victim, on a lock wait timeout, on rollback or in a crash, freeing its locks and connection.",
    requires: ["LockManager", "Semaphore", "Queue", "Timeout"],
    provides: ["Atomic", "Read", "Write", "Bounded"],
    inputs: ["begin() / tx.query / tx.commit / tx.rollback from processes", "query messages"],
    outputs: [
      "query results, TransactionAbortedError with the reason",
      "requests, started, committed, aborted by reason, active, queued, timedOut, lock waits, transaction latency",
    ],
    state: "open transactions, connection waiters (volatile; no data is kept)",
    failure_semantics:
      "A crash aborts every open transaction (reason crash), frees its locks and fails its pending query or commit; connection waiters fail with RemoteError (lostWaiting). Deadlock victims and lock wait timeouts abort the whole transaction.",
    composition_rules: ["LockManager", "Client", "ConnectionPool", "Server", "ClosedLoopClients"],
    operational_knobs: knobs<DatabaseOptions>()(
      "maxConnections",
      "maxWaiting",
      "acquireTimeout",
      "queryLatency",
      "commitLatency",
      "locks",
    ),
  };

  readonly maxConnections: number;
  readonly maxWaiting: number;
  /** As given: seconds, or a profile read when a caller starts waiting. */
  readonly acquireTimeout: Param;
  /** The lock manager of its row locks. */
  readonly locks: LockManager;
  /** Seconds from asking for a transaction to its commit, committed ones. */
  readonly latency = new Histogram();
  /** Seconds each lock wait of its transactions lasted. */
  readonly lockWaitTime = new Histogram();
  private readonly queryLatency: QueryLatency;
  private readonly commitLatency: Distribution;
  private readonly draws = this.random("latency");
  private readonly slots: SlotPool<ConnectionWaiter>;
  /** Open transactions, in begin order. */
  private readonly open = new Set<Transaction>();
  private nextId = 0;
  private counts = zeroCounts();

  constructor(sim: Simulation, name: string, options: DatabaseOptions = {}) {
    // Checked before registering: a refused database leaves no entity behind.
    const component = `Database "${name}"`;
    const maxConnections = requireInteger(
      component,
      "maxConnections",
      options?.maxConnections ?? 10,
      1,
    );
    const maxWaiting =
      options.maxWaiting === undefined
        ? Number.POSITIVE_INFINITY
        : requireInteger(component, "maxWaiting", options.maxWaiting, 0);
    const acquireTimeout = requireSecondsParam(
      component,
      "acquireTimeout",
      options.acquireTimeout ?? 5,
    );
    const queryLatency = options.queryLatency ?? constant(0.001);
    if (typeof queryLatency !== "function") {
      requireDistribution(component, "queryLatency", queryLatency);
    }
    const commitLatency = requireDistribution(
      component,
      "commitLatency",
      options.commitLatency ?? constant(0),
    );
    const locks = checkLocksOption(sim, component, name, options.locks);
    super(sim, name);
    this.maxConnections = maxConnections;
    this.maxWaiting = maxWaiting;
    this.acquireTimeout = acquireTimeout;
    this.queryLatency = queryLatency;
    this.commitLatency = commitLatency;
    this.locks = locks ?? new LockManager(sim, `${name}.locks`);
    this.slots = new SlotPool<ConnectionWaiter>(this, component, {
      capacity: maxConnections,
      capacityOption: "maxConnections",
      queueCapacity: maxWaiting,
      queueBoundHint: "its maxWaiting option refuses the excess at once",
      start: this.handOver,
      crashed: (lost) => {
        this.counts.lostWaiting += lost.length;
        for (const waiter of lost) {
          waiter.future.reject(new RemoteError("database crashed", this.name));
        }
      },
    });
  }

  get stats(): DatabaseStats {
    const c = this.counts;
    const abortedBy = { ...c.abortedBy };
    const lockWait = this.lockWaitTime;
    const latency = this.latency;
    return {
      requests: c.requests,
      rejected: c.rejected,
      timedOut: c.timedOut,
      lostWaiting: c.lostWaiting,
      abandoned: c.abandoned,
      queued: this.slots.queued,
      started: c.started,
      committed: c.committed,
      aborted: abortedTotal(abortedBy, ABORT_REASONS),
      abortedBy,
      active: this.open.size,
      queries: c.queries,
      lockWaits: c.lockWaits,
      meanLockWait: lockWait.count > 0 ? lockWait.mean : 0,
      p99LockWait: percentiles("", lockWait).p99!,
      utilization: this.slots.utilization,
      meanLatency: latency.count > 0 ? latency.mean : Number.NaN,
      p50Latency: latency.p50,
      p99Latency: latency.p99,
    };
  }

  override metrics(): EntityMetrics {
    return metricsByAbortReason(this.stats, ABORT_REASONS);
  }

  /**
   * `const tx = yield* db.begin()`: a transaction on a free connection, at once or after
   * waiting its turn (FIFO). Throws `ConnectionTimeoutError` after `acquireTimeout` seconds,
   * `RemoteError` if the database is down, `maxWaiting` callers already wait, or it crashes
   * meanwhile.
   */
  *begin(): Generator<SimFuture<Transaction>, Transaction, unknown> {
    const c = this.counts;
    c.requests++;
    if (!this.isUp) {
      c.rejected++;
      throw new RemoteError("database down", this.name);
    }
    const slots = this.slots;
    if (slots.tryTake()) return this.startTransaction(this.nowNs);
    const waiter = new ConnectionWaiter(
      this.future<Transaction>("connection"),
      valueAt(this.acquireTimeout, this.now),
      this.nowNs,
    );
    // Every connection is taken (tryTake failed): the pool queues the caller or, full, refuses.
    if (slots.admit(waiter) !== QUEUED) {
      c.rejected++;
      throw new RemoteError(`connection queue full (${this.maxWaiting} waiting)`, this.name);
    }
    // The wait and its cancellation are Resource's (a crash empties the line itself, counted
    // in lostWaiting).
    armPoolWait(this, slots, waiter, this.expire, this.abandon);
    return yield* awaitPoolWait(this, waiter.future, this.abandonHandedOver);
  }

  private readonly abandon = (): void => {
    this.counts.abandoned++;
  };

  /**
   * Given a connection, but cancelled before it could resume: the caller stopped waiting, so
   * it counts as abandoned (not as a transaction begun and rolled back); the connection goes on
   * to the next waiter.
   */
  private readonly abandonHandedOver = (tx: Transaction): void => {
    tx._status = "aborted";
    tx._abortReason = "rollback";
    this.counts.started--;
    this.counts.abandoned++;
    this.close(tx);
  };

  /** A query message: its own transaction, answered with its result or failed with the reason. */
  override *handle(request: Message<Query>) {
    let tx: Transaction;
    try {
      tx = yield* this.begin();
    } catch (error) {
      if (error instanceof ConnectionTimeoutError) this.fail(request, "connection wait timed out");
      else if (error instanceof RemoteError) this.fail(request, error.reason);
      else throw error;
      return;
    }
    try {
      const result = yield* tx.query(request.payload);
      yield* tx.commit();
      this.reply(request, result);
    } catch (error) {
      if (!(error instanceof TransactionAbortedError)) throw error;
      this.fail(request, `aborted: ${error.abortReason}`);
    } finally {
      // A crash aborts it itself (onCrash); a bug thrown above must not leak its locks.
      if (tx.isOpen && this.isUp) this._rollback(tx);
    }
  }

  /** @internal `tx.query`. */
  *_query(tx: Transaction, query: Query): Generator<SimFuture<void>, QueryResult, unknown> {
    this.checkQuery(query);
    this.checkStatement(tx, "query");
    tx._busy = true;
    try {
      const since = this.nowNs;
      for (const key of query.reads ?? NO_KEYS) yield* this.lock(tx, key, "shared");
      for (const key of query.writes ?? NO_KEYS) yield* this.lock(tx, key, "exclusive");
      const lockWait = (this.nowNs - since) / 1e9;
      const latency = this.workTime(this.drawLatency(query));
      if (latency > 0) yield* this.spend(tx, latency);
      this.counts.queries++;
      return { lockWait, latency };
    } finally {
      tx._busy = false;
    }
  }

  /** @internal `tx.commit`. */
  *_commit(tx: Transaction): Generator<SimFuture<void>, void, unknown> {
    this.checkStatement(tx, "commit");
    tx._busy = true;
    try {
      const seconds = this.workTime(this.commitLatency.sample(this.draws, this.now));
      if (seconds > 0) yield* this.spend(tx, seconds);
    } finally {
      tx._busy = false;
    }
    if (tx._owner?._status === "lost") {
      // Its locks died with the lock manager (before or during the flush): committing would
      // be serializable over nothing.
      const error = new RemoteError("lock manager crashed", this.locks.name);
      this.abort(tx, "crash", error);
      throw new TransactionAbortedError("crash", this.name, error);
    }
    this.counts.committed++;
    this.latency.record((this.nowNs - tx.requestedNs) / 1e9);
    this.finish(tx);
  }

  /** @internal `tx.rollback`. */
  _rollback(tx: Transaction): void {
    this.checkOwn(tx, "rollback");
    if (!tx.isOpen) return;
    if (tx._busy) throw this.misuse(`rollback(): transaction ${tx.id} is running a statement`);
    this.abort(tx, "rollback", null);
  }

  /** Takes `key` in `mode` for `tx`, counting the wait; an error aborts `tx`. */
  private *lock(
    tx: Transaction,
    key: LockKey,
    mode: LockMode,
  ): Generator<SimFuture<void>, void, unknown> {
    const locks = this.locks;
    const since = this.nowNs;
    let waited = false;
    try {
      const owner = tx._owner ?? locks.begin(`${this.name} tx ${tx.id}`);
      tx._owner = owner;
      waited = yield* locks.acquire(owner, key, mode);
    } catch (error) {
      const timedOut = error instanceof LockWaitTimeoutError;
      if (!(error instanceof RemoteError) && !timedOut) throw error;
      if (timedOut || error instanceof DeadlockError || this.nowNs > since)
        this.countLockWait(since);
      if (tx.isOpen) {
        // A deadlock victim's locks are freed already; the others' are freed by the abort.
        this.abort(
          tx,
          error instanceof DeadlockError ? "deadlock" : timedOut ? "lockTimeout" : "crash",
          error,
        );
      }
      throw new TransactionAbortedError(tx._abortReason!, this.name, error);
    }
    if (waited) this.countLockWait(since);
    // Granted, then aborted in the same instant before this process resumed (a crash frees
    // one transaction's locks, granting them to the next, then aborts that one too).
    if (tx._status === "aborted") throw new TransactionAbortedError(tx._abortReason!, this.name);
  }

  private countLockWait(sinceNs: number): void {
    this.counts.lockWaits++;
    this.lockWaitTime.record((this.nowNs - sinceNs) / 1e9);
  }

  /** Waits `seconds` of the transaction's work; the database's crash fails the wait. */
  private *spend(tx: Transaction, seconds: number): Generator<SimFuture<void>, void, unknown> {
    const done = this.sleep(seconds);
    done._privateToWaiter = true;
    tx._pending = done;
    try {
      yield done;
      // The wait ended, then a crash aborted the transaction before this process resumed.
      if (tx._status === "aborted") {
        throw new TransactionAbortedError(tx._abortReason!, this.name);
      }
    } catch (error) {
      if (tx._status === "aborted") {
        throw new TransactionAbortedError(tx._abortReason!, this.name);
      }
      throw error;
    } finally {
      tx._pending = null;
    }
  }

  private drawLatency(query: Query): number {
    const latency = this.queryLatency;
    const drawn = typeof latency === "function" ? latency(query) : latency;
    const seconds = isDistribution(drawn) ? drawn.sample(this.draws, this.now) : drawn;
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
      throw this.misuse(
        `queryLatency gave ${String(seconds)} seconds (expected a finite number >= 0)`,
      );
    }
    return seconds;
  }

  private readonly handOver = (waiter: ConnectionWaiter): void => {
    this.cancelTimer(waiter.timerToken);
    waiter.future.resolve(this.startTransaction(waiter.sinceNs));
  };

  private startTransaction(requestedNs: number): Transaction {
    const tx = new Transaction(this, ++this.nextId, requestedNs);
    this.counts.started++;
    this.open.add(tx);
    return tx;
  }

  /** `acquireTimeout` ran out: the caller leaves the line in this event (see `Resource`). */
  private readonly expire = (waiter: ConnectionWaiter): void => {
    if (!this.slots.remove(waiter)) return;
    this.counts.timedOut++;
    waiter.future.reject(new ConnectionTimeoutError(waiter.maxWait, this.name));
  };

  /** Aborts an open transaction for `reason`: counted, locks and connection freed. */
  private abort(tx: Transaction, reason: AbortReason, error: Error | null): void {
    tx._status = "aborted";
    tx._abortReason = reason;
    this.counts.abortedBy[reason]++;
    const owner = tx._owner;
    if (owner?.isOpen) {
      this.locks.abort(owner, error ?? new TransactionAbortedError(reason, this.name));
    }
    const pending = tx._pending;
    if (pending?.isPending) {
      pending.reject(new TransactionAbortedError(reason, this.name));
    }
    this.close(tx);
  }

  /** A committed transaction's end. */
  private finish(tx: Transaction): void {
    tx._status = "committed";
    if (tx._owner !== null) this.locks.releaseAll(tx._owner);
    this.close(tx);
  }

  private close(tx: Transaction): void {
    this.open.delete(tx);
    // A crash has emptied the pool already.
    if (this.isUp) this.slots.release();
  }

  private checkStatement(tx: Transaction, api: string): void {
    this.checkOwn(tx, api);
    checkStatementState(
      tx,
      api,
      () => new TransactionAbortedError(tx._abortReason!, this.name),
      (message) => this.misuse(message),
    );
  }

  private checkOwn(tx: Transaction, api: string): void {
    if (!(tx instanceof Transaction) || tx.database !== this) {
      throw this.misuse(`${api}(): not a transaction of this database`);
    }
  }

  private checkQuery(query: Query): void {
    const keysOk = (keys: unknown) =>
      keys === undefined ||
      (Array.isArray(keys) &&
        keys.every(
          (key) => typeof key === "string" || (typeof key === "number" && Number.isFinite(key)),
        ));
    if (
      typeof query !== "object" ||
      query === null ||
      !keysOk(query.reads) ||
      !keysOk(query.writes)
    ) {
      throw this.misuse(
        "query(): a query is { reads?: keys, writes?: keys } with string or finite number keys",
      );
    }
  }

  private misuse(message: string): SimulationError {
    return new SimulationError(`Database "${this.name}" ${message}`, this.name, this.nowNs);
  }

  protected override onCrash(): void {
    // Processes, timers and the connection line are gone already; every open transaction aborts.
    for (const tx of [...this.open]) {
      this.abort(tx, "crash", new RemoteError("database crashed", this.name));
    }
  }

  protected override onResetStats(): void {
    // Open transactions and waiters are counted again, as if they had just asked.
    const active = this.open.size;
    this.counts = zeroCounts();
    this.counts.requests = active + this.slots.queued;
    this.counts.started = active;
    this.latency.reset();
    this.lockWaitTime.reset();
  }
}

const NO_KEYS: readonly LockKey[] = [];

function zeroCounts() {
  return {
    requests: 0,
    rejected: 0,
    timedOut: 0,
    lostWaiting: 0,
    abandoned: 0,
    started: 0,
    committed: 0,
    abortedBy: { deadlock: 0, lockTimeout: 0, rollback: 0, crash: 0 } as Record<
      AbortReason,
      number
    >,
    queries: 0,
    lockWaits: 0,
  };
}
