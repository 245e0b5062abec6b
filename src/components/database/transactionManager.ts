/**
 * `TransactionManager`: transactions over any store that speaks the key-value protocol
 * (`KVStore`, `CachedStore`, `ReplicatedStore`, a storage engine), at three isolation levels,
 * so a model shows which anomalies each level lets through and what refusing them costs
 * (aborts, retries, lock waits, deadlocks).
 *
 * From a process: `const tx = yield* tm.begin({ isolation })`, `yield* tx.get(key)`,
 * `tx.put(key, value)` and `tx.delete(key)` (buffered in the transaction), `yield* tx.commit()`
 * (throws `KVTransactionAbortedError` with the reason when the transaction cannot commit),
 * `tx.abort()`. `yield* tm.transact(body)` runs a body as a transaction and begins it again
 * after an abort that a retry can cure (a conflict, a deadlock, a lock wait timeout).
 *
 * Isolation, exactly:
 * - `readCommitted`: a read sees the latest committed value when it is answered; writes are
 *   applied at commit. No dirty reads; lost updates, non-repeatable reads and write skew
 *   happen.
 * - `snapshotIsolation`: a read sees the snapshot taken at begin (the latest version committed
 *   before it); at commit, a key in the write set that another transaction committed after the
 *   snapshot aborts this one (`writeConflict`: first committer wins). No lost updates; write
 *   skew happens (two transactions that read an overlapping set and write disjoint keys both
 *   commit).
 * - `serializable`: strict two-phase locking on the `LockManager`: a read takes a shared lock
 *   before it reads, the commit takes exclusive locks on the write set, and every lock is held
 *   to the end. Chosen over serializable snapshot isolation because the lock manager already
 *   has the wait queues, upgrades and deadlock detection on a real wait-for graph: a cycle
 *   (two transactions that read the same rows and then write them) aborts its youngest member
 *   (`deadlock`). The price is that readers block writers and deadlocks stand in for SSI's
 *   validation aborts. The transactional API has no range reads, so there are no phantoms.
 *
 * Every level takes exclusive locks on its write set at commit, in key order, and holds them
 * while the writes go to the store, so two commits of one key never interleave there; under
 * the two weaker levels these are the only locks (all exclusive, taken in one order), so they
 * alone never deadlock.
 *
 * Versions: the store keeps only the latest value, so the manager keeps the versions it needs
 * itself: for each key written through it, a chain of (commit version, value), the first being
 * the value the store held before the manager first wrote it. Versions are numbered by one
 * counter that a commit advances at its commit point, the instant after its last store write
 * is answered: the new versions are installed together there, which is what makes a commit
 * atomic for readers. A read always costs one store read; the value it returns comes from the
 * chain when the key has one, else from the store. Versions older than every open snapshot
 * are dropped (all but the newest of them), when the key is next read or written. They stand
 * for the version store of a database and survive a crash of the manager. A commit that fails
 * part way (a store error, a crash) leaves the writes that reached the store there: the
 * manager has no undo log, but its readers never see them (the chain says otherwise) and the
 * key's next commit overwrites them. Writes that bypass the manager are not versioned.
 *
 * A crash aborts every open transaction (`crash`), frees their locks and fails their pending
 * store calls.
 *
 * @example
 * const tm = new TransactionManager<number>(sim, "tm", { store });
 * worker.start(function* () {
 *   yield* tm.transact(function* (tx) {
 *     const balance = (yield* tx.get("account:1")) ?? 0;
 *     tx.put("account:1", balance + 10);
 *   }, { isolation: "snapshotIsolation" });
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import {
  CancelledError,
  ConfigError,
  RemoteError,
  SimulationError,
  TimeoutError,
} from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { percentiles } from "../resource/statistics.js";
import { requireEntity, requireInteger, requireSeconds } from "../shared/validate.js";
import type { KVReply, KVRequest, KVStoreLike } from "../store/protocol.js";
import { DeadlockError, LockManager, LockWaitTimeoutError } from "./lockManager.js";
import type { LockMode, LockOwner } from "./lockTable.js";
import {
  abortedTotal,
  checkLocksOption,
  checkStatementState,
  metricsByAbortReason,
} from "./transactionParts.js";

/** How much of other transactions a transaction sees (the module comment says exactly). */
export type IsolationLevel = "readCommitted" | "snapshotIsolation" | "serializable";

export const ISOLATION_LEVELS: readonly IsolationLevel[] = [
  "readCommitted",
  "snapshotIsolation",
  "serializable",
];

/** Why a transaction of a `TransactionManager` was aborted. */
export type KVAbortReason =
  | "writeConflict"
  | "deadlock"
  | "lockTimeout"
  | "storeError"
  | "rollback"
  | "crash";

const ABORT_REASONS: readonly KVAbortReason[] = [
  "writeConflict",
  "deadlock",
  "lockTimeout",
  "storeError",
  "rollback",
  "crash",
];

/** Aborts a retry can cure: the conflict was with other transactions, not with the system. */
const RETRYABLE: ReadonlySet<KVAbortReason> = new Set(["writeConflict", "deadlock", "lockTimeout"]);

export interface TransactionManagerOptions<V> {
  /** The store the data lives in: any entity that answers the key-value protocol. */
  store: KVStoreLike<V>;
  /** The isolation of `begin()` and `transact()` when they name none. Default "snapshotIsolation". */
  isolation?: IsolationLevel;
  /**
   * The lock manager of its locks (its lock wait timeout, deadlock detection and victim rule).
   * Default: a `LockManager` of its own named "<name>.locks", with its defaults.
   */
  locks?: LockManager;
  /**
   * Seconds a store call may take before the transaction aborts (`storeError`): a store that
   * crashed silently would otherwise hold it forever. Default 5.
   */
  storeTimeout?: number;
  /** Attempts `transact()` makes when it names none (integer >= 1). Default 10. */
  maxAttempts?: number;
}

export interface BeginOptions {
  readonly isolation?: IsolationLevel;
}

export interface TransactOptions extends BeginOptions {
  /** Attempts in all, the first included (integer >= 1). Default the manager's `maxAttempts`. */
  readonly maxAttempts?: number;
}

/** A transaction manager's numbers, over its lifetime or since the last statistics reset. */
export interface TransactionManagerStats {
  /** `begin` calls refused because the manager was down. */
  readonly rejected: number;
  /** Transactions begun: `started = committed + aborted + active`. */
  readonly started: number;
  readonly committed: number;
  /** Aborted, all reasons: the sum of `abortedBy`. */
  readonly aborted: number;
  readonly abortedBy: Readonly<Record<KVAbortReason, number>>;
  /** Open now. */
  readonly active: number;
  /** Transactions `transact()` began again after an abort. */
  readonly retries: number;
  /** `transact()` calls that ran out of attempts. */
  readonly gaveUp: number;
  /** Deadlock victims among its transactions (the same as `abortedBy.deadlock`). */
  readonly deadlocks: number;
  /** Store reads and writes its transactions made. */
  readonly reads: number;
  readonly writes: number;
  /** Lock requests of its transactions that had to wait, and how long, however they ended. */
  readonly lockWaits: number;
  readonly meanLockWait: number;
  /** Versions held now (every chain's length). */
  readonly versions: number;
  /** Seconds from begin to commit, committed ones (NaN before the first; histogram `latency`). */
  readonly meanLatency: number;
  readonly p50Latency: number;
  readonly p99Latency: number;
  /** Seconds from `commit()` to its commit point (NaN before the first; histogram `commitLatency`). */
  readonly meanCommitLatency: number;
  readonly p99CommitLatency: number;
}

/** The transaction was aborted: it is over, its locks are freed and its writes discarded. */
export class KVTransactionAbortedError extends RemoteError {
  override name = "KVTransactionAbortedError";
  constructor(
    readonly abortReason: KVAbortReason,
    manager: string,
    /** What lay behind it (a `DeadlockError`, a store's `RemoteError`), if anything. */
    override readonly cause?: Error,
  ) {
    super(`transaction aborted: ${abortReason}`, manager);
  }
}

export type KVTransactionStatus = "open" | "committed" | "aborted";

/** One committed version of a key. */
interface Version<V> {
  readonly version: number;
  /** Undefined: the key was deleted (or absent before the manager first wrote it). */
  readonly value: V | undefined;
}

/** One transaction of a `TransactionManager`, used by one process at a time. */
export class KVTransaction<V> {
  /** @internal */
  _status: KVTransactionStatus = "open";
  /** @internal */
  _abortReason: KVAbortReason | null = null;
  /** @internal A store call or a commit in progress. */
  _busy = false;
  /** @internal */
  _commitVersion = 0;
  /** @internal First value read of each key from outside the transaction. */
  readonly _reads = new Map<string, V | undefined>();
  /** @internal Buffered writes; undefined is a delete. */
  readonly _writes = new Map<string, V | undefined>();

  /** @internal Only a transaction manager makes transactions. */
  constructor(
    readonly manager: TransactionManager<V>,
    /** 1, 2, ... in begin order. */
    readonly id: number,
    readonly isolation: IsolationLevel,
    /**
     * The last commit version when it began: its snapshot under snapshot isolation. Two
     * transactions were concurrent when each began before the other committed.
     */
    readonly snapshotVersion: number,
    /** When it began (integer ns). */
    readonly beganNs: number,
    /** @internal Its locks (its age decides the youngest deadlock victim). */
    readonly _owner: LockOwner,
  ) {}

  get status(): KVTransactionStatus {
    return this._status;
  }

  get isOpen(): boolean {
    return this._status === "open";
  }

  /** Why it was aborted, or null. */
  get abortReason(): KVAbortReason | null {
    return this._abortReason;
  }

  /** The version its commit installed (0 until it commits). */
  get commitVersion(): number {
    return this._commitVersion;
  }

  /** The value each key read had when first read (own writes aside), in read order. */
  get readSet(): ReadonlyMap<string, V | undefined> {
    return this._reads;
  }

  /** Its writes, in the order first written (undefined: a delete). */
  get writeSet(): ReadonlyMap<string, V | undefined> {
    return this._writes;
  }

  /** `yield* tx.get(key)`: its own write if it wrote `key`, else as its isolation says. */
  get(key: string): Generator<SimFuture<unknown>, V | undefined, unknown> {
    return this.manager._get(this, key);
  }

  /** Buffers a write of `value` under `key`, applied at commit. */
  put(key: string, value: V): void {
    this.manager._write(this, key, value, "put");
  }

  /** Buffers a delete of `key`, applied at commit. */
  delete(key: string): void {
    this.manager._write(this, key, undefined, "delete");
  }

  /** `yield* tx.commit()`: applies its writes, or throws `KVTransactionAbortedError`. */
  commit(): Generator<SimFuture<unknown>, void, unknown> {
    return this.manager._commit(this);
  }

  /** Aborts it now ("rollback"): locks freed, writes discarded. Nothing if it is over already. */
  abort(): void {
    this.manager._rollback(this);
  }
}

export class TransactionManager<V = unknown> extends Entity<never> {
  static readonly catalog: CatalogEntry = {
    name: "TransactionManager",
    kind: "component",
    role: "coordination",
    layer: "durable",
    contract:
      "Runs transactions over a key-value store: reads as the isolation level says (readCommitted: the latest committed value; snapshotIsolation: the snapshot at begin, first committer wins on write-write conflicts; serializable: strict two-phase locking on a LockManager, deadlock victims aborted), writes buffered and applied at commit under exclusive locks, installed atomically at the commit point as versions the manager keeps.",
    requires: ["LockManager", "Keyspace", "Timeout", "RetryLoop"],
    provides: ["Atomic", "Read", "Write", "Delete", "IsolationPolicy", "ConflictPolicy"],
    inputs: [
      "begin / tx.get / tx.put / tx.delete / tx.commit / tx.abort / transact from processes",
    ],
    outputs: [
      "values read, KVTransactionAbortedError with the reason",
      "started, committed, aborted by reason, active, retries, deadlocks, store reads and writes, versions, latency and commit latency",
    ],
    state:
      "open transactions (volatile); version chains of the keys written through it (kept through a crash)",
    failure_semantics:
      "A crash aborts every open transaction (reason crash), frees its locks and fails its pending store call. A store error or timeout aborts the transaction (storeError); writes that reached the store before it stay there, unseen through the manager.",
    composition_rules: ["KVStore", "CachedStore", "ReplicatedStore", "LockManager"],
    operational_knobs: knobs<TransactionManagerOptions<unknown>>()(
      "store",
      "isolation",
      "locks",
      "storeTimeout",
      "maxAttempts",
    ),
  };

  readonly store: KVStoreLike<V>;
  readonly isolation: IsolationLevel;
  readonly locks: LockManager;
  readonly storeTimeout: number;
  readonly maxAttempts: number;
  /** Seconds from begin to commit, committed transactions. */
  readonly latency = new Histogram();
  /** Seconds from `commit()` to the commit point, committed transactions. */
  readonly commitLatency = new Histogram();
  /** Seconds each lock wait of its transactions lasted. */
  readonly lockWaitTime = new Histogram();
  /** Open transactions, in begin order. */
  private readonly open = new Set<KVTransaction<V>>();
  /** Open snapshot-isolation transactions, in begin order: the first has the oldest snapshot. */
  private readonly snapshots = new Set<KVTransaction<V>>();
  private readonly chains = new Map<string, Version<V>[]>();
  private versionCount = 0;
  /** The last commit version given. */
  private clock = 0;
  private nextId = 0;
  private counts = zeroCounts();

  constructor(sim: Simulation, name: string, options: TransactionManagerOptions<V>) {
    // Checked before registering: a refused manager leaves no entity behind.
    const component = `TransactionManager "${name}"`;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an object with a store", options);
    }
    const store = requireEntity(component, "store", options.store, sim, Entity) as KVStoreLike<V>;
    const isolation = checkIsolation(component, "isolation", options.isolation);
    const locks = checkLocksOption(sim, component, name, options.locks);
    const storeTimeout = requireSeconds(component, "storeTimeout", options.storeTimeout ?? 5);
    const maxAttempts = requireInteger(component, "maxAttempts", options.maxAttempts ?? 10, 1);
    super(sim, name);
    this.store = store;
    this.isolation = isolation;
    this.storeTimeout = storeTimeout;
    this.maxAttempts = maxAttempts;
    this.locks = locks ?? new LockManager(sim, `${name}.locks`);
  }

  get stats(): TransactionManagerStats {
    const c = this.counts;
    const abortedBy = { ...c.abortedBy };
    const latency = this.latency;
    const commit = this.commitLatency;
    const lockWait = this.lockWaitTime;
    return {
      rejected: c.rejected,
      started: c.started,
      committed: c.committed,
      aborted: abortedTotal(abortedBy, ABORT_REASONS),
      abortedBy,
      active: this.open.size,
      retries: c.retries,
      gaveUp: c.gaveUp,
      deadlocks: abortedBy.deadlock,
      reads: c.reads,
      writes: c.writes,
      lockWaits: c.lockWaits,
      meanLockWait: lockWait.count > 0 ? lockWait.mean : 0,
      versions: this.versionCount,
      meanLatency: latency.count > 0 ? latency.mean : Number.NaN,
      p50Latency: latency.p50,
      p99Latency: latency.p99,
      meanCommitLatency: commit.count > 0 ? commit.mean : Number.NaN,
      p99CommitLatency: percentiles("", commit).p99!,
    };
  }

  override metrics(): EntityMetrics {
    return metricsByAbortReason(this.stats, ABORT_REASONS);
  }

  /**
   * `const tx = yield* tm.begin({ isolation })`: a new transaction (at once: there is no
   * connection limit). Throws `RemoteError` if the manager or its lock manager is down.
   */
  // biome-ignore lint/correctness/useYield: a process step like `db.begin()`, so a model reads the same and a connection limit can be added without changing callers
  *begin(options?: BeginOptions): Generator<SimFuture<unknown>, KVTransaction<V>, unknown> {
    const isolation = this.isolationOf(options, "begin");
    if (!this.isUp || !this.locks.isUp) {
      this.counts.rejected++;
      throw new RemoteError(
        this.isUp ? "lock manager down" : "transaction manager down",
        this.isUp ? this.locks.name : this.name,
      );
    }
    const id = ++this.nextId;
    const owner = this.locks.begin(`${this.name} tx ${id}`);
    const tx = new KVTransaction<V>(this, id, isolation, this.clock, this.nowNs, owner);
    this.counts.started++;
    this.open.add(tx);
    if (isolation === "snapshotIsolation") this.snapshots.add(tx);
    return tx;
  }

  /**
   * `const result = yield* tm.transact(function* (tx) { ... }, { isolation, maxAttempts })`:
   * runs the body in a transaction and commits it (unless the body ended it itself); after an
   * abort a retry can cure (`writeConflict`, `deadlock`, `lockTimeout`) begins a new
   * transaction and runs the body again, up to `maxAttempts` in all, then throws the last
   * `KVTransactionAbortedError`. Any other error aborts the transaction and is thrown as is.
   */
  *transact<R>(
    body: (tx: KVTransaction<V>) => Generator<Yieldable, R, unknown>,
    options?: TransactOptions,
  ): Generator<Yieldable, R, unknown> {
    if (typeof body !== "function") {
      throw new ConfigError(
        `TransactionManager "${this.name}".transact`,
        "body",
        "a generator function",
        body,
      );
    }
    const maxAttempts =
      options?.maxAttempts === undefined
        ? this.maxAttempts
        : requireInteger(
            `TransactionManager "${this.name}".transact`,
            "maxAttempts",
            options.maxAttempts,
            1,
          );
    const begin = { isolation: this.isolationOf(options, "transact") };
    for (let attempt = 1; ; attempt++) {
      const tx = yield* this.begin(begin);
      try {
        const result = yield* body(tx);
        if (tx.isOpen) yield* tx.commit();
        return result;
      } catch (error) {
        if (
          !(error instanceof KVTransactionAbortedError) ||
          !RETRYABLE.has(error.abortReason) ||
          attempt >= maxAttempts
        ) {
          if (error instanceof KVTransactionAbortedError && RETRYABLE.has(error.abortReason)) {
            this.counts.gaveUp++;
          }
          throw error;
        }
        this.counts.retries++;
      } finally {
        // A body that threw mid-statement cannot be rolled back from here (it is busy); its
        // own error ends it through the statement's abort.
        if (tx.isOpen && !tx._busy && this.isUp) this._rollback(tx);
      }
    }
  }

  /** @internal `tx.get`. */
  *_get(tx: KVTransaction<V>, key: string): Generator<SimFuture<unknown>, V | undefined, unknown> {
    this.checkStatement(tx, "get");
    this.checkKey(key, "get");
    const writes = tx._writes;
    if (writes.has(key)) return writes.get(key);
    tx._busy = true;
    try {
      if (tx.isolation === "serializable") yield* this.lock(tx, key, "shared");
      const stored = (yield* this.storeCall(tx, "get", { key })) as V | undefined;
      this.counts.reads++;
      const chain = this.chains.get(key);
      let value = stored;
      if (chain !== undefined) {
        this.prune(chain);
        value =
          tx.isolation === "snapshotIsolation"
            ? versionAt(chain, tx.snapshotVersion)
            : chain[chain.length - 1]!.value;
      }
      if (!tx._reads.has(key)) tx._reads.set(key, value);
      return value;
    } finally {
      tx._busy = false;
    }
  }

  /** @internal `tx.put` and `tx.delete`. */
  _write(tx: KVTransaction<V>, key: string, value: V | undefined, api: "put" | "delete"): void {
    this.checkStatement(tx, api);
    this.checkKey(key, api);
    if (api === "put" && value === undefined) {
      throw this.misuse(`put(): the value must not be undefined (delete(key) removes a key)`);
    }
    tx._writes.set(key, value);
  }

  /** @internal `tx.commit`. */
  *_commit(tx: KVTransaction<V>): Generator<SimFuture<unknown>, void, unknown> {
    this.checkStatement(tx, "commit");
    const sinceNs = this.nowNs;
    const keys = [...tx._writes.keys()].sort();
    tx._busy = true;
    try {
      for (const key of keys) yield* this.lock(tx, key, "exclusive");
      if (tx.isolation === "serializable" && !tx._owner.isOpen) {
        // Its shared locks died with the lock manager: committing would be serializable over
        // nothing (a transaction that writes learnt it at its first exclusive lock).
        const error = new RemoteError("lock manager crashed", this.locks.name);
        this.abortTx(tx, "crash", error);
        throw new KVTransactionAbortedError("crash", this.name, error);
      }
      if (tx.isolation === "snapshotIsolation") {
        for (const key of keys) {
          const chain = this.chains.get(key);
          if (chain !== undefined && chain[chain.length - 1]!.version > tx.snapshotVersion) {
            this.abortTx(tx, "writeConflict", null);
            throw new KVTransactionAbortedError("writeConflict", this.name);
          }
        }
      }
      for (const key of keys) {
        if (!this.chains.has(key)) {
          // The value before the manager's first write: older snapshots still read it.
          const base = (yield* this.storeCall(tx, "get", { key })) as V | undefined;
          this.counts.reads++;
          if (!this.chains.has(key)) this.install(key, 0, base);
        }
        const value = tx._writes.get(key);
        if (value === undefined) yield* this.storeCall(tx, "delete", { key });
        else yield* this.storeCall(tx, "put", { key, value });
        this.counts.writes++;
      }
    } finally {
      tx._busy = false;
    }
    // The commit point: every write is in the store; the versions appear together.
    const version = ++this.clock;
    for (const key of keys) this.install(key, version, tx._writes.get(key));
    tx._commitVersion = version;
    tx._status = "committed";
    this.counts.committed++;
    this.latency.record((this.nowNs - tx.beganNs) / 1e9);
    this.commitLatency.record((this.nowNs - sinceNs) / 1e9);
    this.close(tx);
    this.locks.releaseAll(tx._owner);
  }

  /** @internal `tx.abort`. */
  _rollback(tx: KVTransaction<V>): void {
    this.checkOwn(tx, "abort");
    if (!tx.isOpen) return;
    if (tx._busy) throw this.misuse(`abort(): transaction ${tx.id} is running a statement`);
    this.abortTx(tx, "rollback", null);
  }

  /** The value of `key` its transactions would read now (the latest committed), no latency. */
  committedValue(key: string): V | undefined {
    const chain = this.chains.get(key);
    return chain === undefined ? undefined : chain[chain.length - 1]!.value;
  }

  /** Takes `key` in `mode` for `tx`; a deadlock, a timeout or a crash aborts `tx`. */
  private *lock(
    tx: KVTransaction<V>,
    key: string,
    mode: LockMode,
  ): Generator<SimFuture<unknown>, void, unknown> {
    const sinceNs = this.nowNs;
    let waited: boolean;
    try {
      waited = yield* this.locks.acquire(tx._owner, key, mode);
    } catch (error) {
      const timedOut = error instanceof LockWaitTimeoutError;
      if (!(error instanceof RemoteError) && !timedOut) throw error;
      if (timedOut || error instanceof DeadlockError || this.nowNs > sinceNs) {
        this.countLockWait(sinceNs);
      }
      if (tx.isOpen) {
        const reason =
          error instanceof DeadlockError ? "deadlock" : timedOut ? "lockTimeout" : "crash";
        this.abortTx(tx, reason, error);
      }
      throw new KVTransactionAbortedError(tx._abortReason!, this.name, error);
    }
    if (waited) this.countLockWait(sinceNs);
    // Granted, then aborted in the same instant before this process resumed (a crash).
    if (!tx.isOpen) throw new KVTransactionAbortedError(tx._abortReason!, this.name);
  }

  private countLockWait(sinceNs: number): void {
    this.counts.lockWaits++;
    this.lockWaitTime.record((this.nowNs - sinceNs) / 1e9);
  }

  /** One call to the store for `tx`; its failure aborts `tx` (`storeError`, or `crash`). */
  private *storeCall(
    tx: KVTransaction<V>,
    kind: string,
    payload: KVRequest<V>,
  ): Generator<SimFuture<unknown>, KVReply<V>, unknown> {
    let reply: KVReply<V>;
    try {
      if (!this.isUp) throw new CancelledError("transaction manager down");
      const future = this.request(this.store, kind, payload, { timeout: this.storeTimeout });
      future._privateToWaiter = true;
      reply = (yield future) as KVReply<V>;
    } catch (error) {
      if (tx.isOpen) {
        if (!this.isUp || error instanceof CancelledError) {
          this.abortTx(tx, "crash", error as Error);
        } else if (error instanceof RemoteError || error instanceof TimeoutError) {
          this.abortTx(tx, "storeError", error);
        } else {
          throw error;
        }
      }
      throw new KVTransactionAbortedError(tx._abortReason!, this.name, error as Error);
    }
    // Answered, then aborted in the same instant before this process resumed (a crash).
    if (!tx.isOpen) throw new KVTransactionAbortedError(tx._abortReason!, this.name);
    return reply;
  }

  /** Appends a version to `key`'s chain (creating it) and drops what no snapshot needs. */
  private install(key: string, version: number, value: V | undefined): void {
    let chain = this.chains.get(key);
    if (chain === undefined) {
      chain = [];
      this.chains.set(key, chain);
    }
    chain.push({ version, value });
    this.versionCount++;
    this.prune(chain);
  }

  /** Keeps the versions newer than the oldest open snapshot and the newest one not newer. */
  private prune(chain: Version<V>[]): void {
    let horizon = this.clock;
    for (const tx of this.snapshots) {
      horizon = tx.snapshotVersion;
      break;
    }
    let drop = 0;
    while (drop + 1 < chain.length && chain[drop + 1]!.version <= horizon) drop++;
    if (drop > 0) {
      chain.splice(0, drop);
      this.versionCount -= drop;
    }
  }

  /** Aborts an open transaction for `reason`: counted, locks freed, writes discarded. */
  private abortTx(tx: KVTransaction<V>, reason: KVAbortReason, cause: Error | null): void {
    tx._status = "aborted";
    tx._abortReason = reason;
    this.counts.abortedBy[reason]++;
    this.close(tx);
    if (tx._owner.isOpen) {
      this.locks.abort(tx._owner, cause ?? new KVTransactionAbortedError(reason, this.name));
    }
  }

  private close(tx: KVTransaction<V>): void {
    this.open.delete(tx);
    this.snapshots.delete(tx);
  }

  private isolationOf(options: BeginOptions | undefined, api: string): IsolationLevel {
    if (options === undefined) return this.isolation;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(
        `TransactionManager "${this.name}".${api}`,
        "options",
        "an object { isolation? }",
        options,
      );
    }
    return options.isolation === undefined
      ? this.isolation
      : checkIsolation(`TransactionManager "${this.name}".${api}`, "isolation", options.isolation);
  }

  private checkStatement(tx: KVTransaction<V>, api: string): void {
    this.checkOwn(tx, api);
    checkStatementState(
      tx,
      api,
      () => new KVTransactionAbortedError(tx._abortReason!, this.name),
      (message) => this.misuse(message),
    );
  }

  private checkOwn(tx: KVTransaction<V>, api: string): void {
    if (!(tx instanceof KVTransaction) || tx.manager !== this) {
      throw this.misuse(`${api}(): not a transaction of this manager`);
    }
  }

  private checkKey(key: unknown, api: string): void {
    if (typeof key !== "string") {
      throw this.misuse(`${api}(): the key must be a string; given ${String(key)}`);
    }
  }

  private misuse(message: string): SimulationError {
    return new SimulationError(
      `TransactionManager "${this.name}" ${message}`,
      this.name,
      this.nowNs,
    );
  }

  protected override onCrash(): void {
    // Its store calls are cancelled already; every open transaction aborts and frees its locks.
    for (const tx of [...this.open]) {
      this.abortTx(tx, "crash", new RemoteError("transaction manager crashed", this.name));
    }
  }

  protected override onResetStats(): void {
    // Open transactions are counted again, as if they had just begun.
    this.counts = zeroCounts();
    this.counts.started = this.open.size;
    this.latency.reset();
    this.commitLatency.reset();
    this.lockWaitTime.reset();
  }
}

/** The newest version of a chain at or before `snapshot`. */
function versionAt<V>(chain: readonly Version<V>[], snapshot: number): V | undefined {
  for (let i = chain.length - 1; i >= 0; i--) {
    const entry = chain[i]!;
    if (entry.version <= snapshot) return entry.value;
  }
  // Pruning keeps the newest version at or before every open snapshot, and the first is 0.
  return chain[0]!.value;
}

function checkIsolation(component: string, parameter: string, value: unknown): IsolationLevel {
  if (value === undefined) return "snapshotIsolation";
  if (!ISOLATION_LEVELS.includes(value as IsolationLevel)) {
    throw new ConfigError(
      component,
      parameter,
      '"readCommitted", "snapshotIsolation" or "serializable"',
      value,
    );
  }
  return value as IsolationLevel;
}

function zeroCounts() {
  return {
    rejected: 0,
    started: 0,
    committed: 0,
    abortedBy: {
      writeConflict: 0,
      deadlock: 0,
      lockTimeout: 0,
      storeError: 0,
      rollback: 0,
      crash: 0,
    } as Record<KVAbortReason, number>,
    retries: 0,
    gaveUp: 0,
    reads: 0,
    writes: 0,
    lockWaits: 0,
  };
}
