/**
 * `KVStore`: a key-value store whose operations take simulated time: get, put, delete, range
 * scan and an atomic increment, each costing a read or write latency drawn per operation. It
 * is the storage node of a model (the database behind a cache, a replica, a shard, the shared
 * counter of a distributed rate limiter), where what matters is how long each operation takes,
 * how many run at once, and what survives a crash.
 *
 * Two ways in, with the same results and the same latency: a process calls it directly,
 * `const value = yield* store.get("user:1")`, and any entity calls it by message,
 * `yield* this.call(store, "get", { key: "user:1" })` (the protocol: ./protocol.ts). Both go
 * through one path: the operation waits for a slot (with `concurrency`), takes its latency,
 * and takes effect when the latency ends, so operations apply in the order they finish, and
 * an increment's read and write happen in one instant (atomic, whatever runs around it).
 *
 * Keys are strings; a scan returns them in ascending order (JavaScript's string order) from a
 * sorted index, never in hash or insertion order. Every write takes the next number of one
 * counter per store as the key's version, so versions only grow (a replicated store built on
 * this compares them); a put may carry a version of its own, applied only if newer.
 *
 * Tombstones (for a `ReplicatedStore` over these stores): a delete that carries a version (a
 * coordinator's) applies only if newer than the key's value and leaves a tombstone, "deleted
 * at version v", so a write older than the delete (a read repair from a replica that missed
 * it) is not applied. Tombstones are invisible to plain reads and scans and do not count in
 * `size` or against `capacity`; `getEntry` and `scan` answer them when asked
 * (`tombstones: true`). They are kept (counted in `tombstones`) unless `tombstoneGrace` says
 * how long: Cassandra's gc_grace_seconds, with the same risk (see the option). A plain
 * delete, without a version, removes the key and leaves no tombstone, as before; one with
 * `tombstone: true` leaves a tombstone at the store's next version, taken as it applies, so
 * nothing written before it can pass it (a `ShardedStore`'s deletes: a read of the key's version
 * and a versioned delete would be two steps, and a write landing between them would win).
 *
 * Durable by default: the data survives `crash()` and `recover()`, while the operations in
 * progress are lost (counted in `lostToCrash`: a caller by message times out, a process
 * calling it gets `RemoteError`). With `durable: false` a crash empties it too. With
 * `durable: { disk, sync }` durability is real: every change is appended to a write-ahead log
 * on a `Disk` (a `DurableLog`), a write is answered once its record is in the disk's buffer
 * (and, with `sync: "everyWrite"`, synced), memory is volatile, and a recovery replays what
 * the disk kept: a crash loses what was not synced.
 *
 * @example
 * const db = new KVStore<number>(sim, "db", { readLatency: 0.001, writeLatency: 0.005, concurrency: 16 });
 * // in a process:
 * const version = yield* db.put("hits", 1);
 * const hits = yield* db.increment("hits", 2); // 3
 * // by message:
 * const value = yield* this.call(db, "get", { key: "hits" });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import {
  checkSlotPoolOptions,
  REJECTED_BY_DISCIPLINE,
  REJECTED_FULL,
  SlotPool,
} from "../resource/slotPool.js";
import { latencyMetrics, percentiles, stationStats } from "../resource/statistics.js";
import { requireInteger, requireSeconds } from "../shared/validate.js";
import { checkDiskOrOptions, Disk, type DiskOptions } from "../storage/disk.js";
import { DiskError } from "../storage/diskErrors.js";
import { checkSyncPolicy, DurableLog, type SyncPolicy } from "../storage/durableLog.js";
import { type Latency, requireLatency } from "./latency.js";
import type {
  DeleteRequest,
  IncrementRequest,
  KVEntry,
  KVReply,
  KVRequest,
  KVTombstone,
  KVVersioned,
  PutRequest,
  ScanRequest,
} from "./protocol.js";
import {
  DELETE,
  GET,
  GET_ENTRY,
  INCREMENT,
  type OpCode,
  PUT,
  RequestChecks,
  SCAN,
} from "./requests.js";
import { SortedKeys } from "./sortedKeys.js";

export interface KVStoreOptions {
  /**
   * Seconds a read takes (`get`, `getEntry`, `scan`): a number, a profile of simulated time, or
   * a distribution drawn per operation from the store's `read` stream. Default 0.001.
   */
  readLatency?: Latency;
  /**
   * Seconds a write takes (`put`, `delete`, `increment`), as `readLatency`, drawn from the
   * `write` stream. Default 0.005.
   */
  writeLatency?: Latency;
  /**
   * Operations served at once (integer >= 1); the rest wait in FIFO order. Default: no limit
   * (every operation starts at once).
   */
  concurrency?: number;
  /**
   * Most operations that may wait for a slot (integer >= 0); more are refused at once ("queue
   * full"). Needs `concurrency`. Default unlimited (a run whose queue passes
   * `sim.limits.maxQueueLength` fails with a `RunawayError`).
   */
  queueCapacity?: number;
  /** Most keys held (integer >= 1). Default: no limit. */
  capacity?: number;
  /**
   * What a write of a new key does when `capacity` keys are held: "refuse" (the write fails:
   * "store full") or "evictOldest" (the key written first, of those held, is removed to make
   * room; counted in `evicted`). Default "refuse". Needs `capacity`.
   */
  whenFull?: "refuse" | "evictOldest";
  /**
   * Whether the data survives a crash. Default true (a database on an ideal disk: every write
   * durable at once); false models an in-memory store that comes back empty. An object makes
   * durability real (`KVStoreDurability`): a write-ahead log on a `Disk`, synced by a policy,
   * replayed on recovery, so a crash loses what was not synced. The version counter survives
   * either way, so a version never names two writes.
   */
  durable?: boolean | KVStoreDurability;
  /**
   * Seconds a tombstone (a versioned delete's record) is kept before it is purged (>= 0, or
   * Infinity). Default Infinity: kept for the whole run, counted in `tombstones`. Like
   * Cassandra's gc_grace_seconds, a finite grace bounds the space tombstones take, at a risk:
   * a replica that missed the delete and was not repaired within the grace still holds the
   * value, and once the others have purged their tombstones a read repair copies the value
   * back (the delete is undone). Keep it longer than the longest a replica can stay stale.
   */
  tombstoneGrace?: number;
}

/** A store whose durability goes through a disk: a write-ahead log, synced by a policy. */
export interface KVStoreDurability {
  /**
   * The disk the log is on: a `Disk` (its owner's crash is what loses its buffer: give it the
   * node both stand for), or the options of one the store builds, named "<store>.disk" and
   * owned by the store (the store's crash is a power loss).
   */
  readonly disk: Disk | Omit<DiskOptions, "owner">;
  /**
   * When the log is synced: "everyWrite" (a write is answered once durable), `{ interval }`
   * (seconds: a write is answered once in the buffer, a crash loses up to an interval of them),
   * or "never". Default "everyWrite".
   */
  readonly sync?: SyncPolicy;
  /** Bytes of one log record (integer >= 1). Default 256. */
  readonly recordBytes?: number;
  /** The log's file on the disk. Default "<store>.wal". */
  readonly file?: string;
}

/** A record of the store's write-ahead log: a key's new value and version, or its removal. */
export type KVLogRecord<V> =
  | { readonly op: "put"; readonly key: string; readonly value: V; readonly version: number }
  | {
      readonly op: "delete";
      readonly key: string;
      /** A coordinator's versioned delete, which leaves a tombstone; absent for a plain one. */
      readonly version?: number;
    };

/**
 * A snapshot of what a store has done. At every instant (crashes and `sim.resetStats()`
 * included): `requests = completed + rejected + lostToCrash + active + queued`. The counts by
 * operation count completed operations; latencies run from arrival to completion (waiting for
 * a slot included).
 */
export interface KVStoreStats {
  /** Operations received: messages and process calls. */
  readonly requests: number;
  /** Operations finished with an answer. */
  readonly completed: number;
  /**
   * Operations refused: the queue was full, a new key found the store full ("refuse"), an
   * increment found a value that is not a number, or a process called while the store was down.
   */
  readonly rejected: number;
  /** Operations waiting or in progress when the store crashed: never answered. */
  readonly lostToCrash: number;
  /** Operations in progress now. */
  readonly active: number;
  /** Operations waiting for a slot now (with `concurrency`). */
  readonly queued: number;
  /** Completed `get`s and `getEntry`s. */
  readonly gets: number;
  /** Completed gets that found their key. */
  readonly found: number;
  /** Completed gets that did not. */
  readonly notFound: number;
  readonly puts: number;
  readonly deletes: number;
  readonly scans: number;
  readonly increments: number;
  /** Keys removed to make room ("evictOldest"). */
  readonly evicted: number;
  /** Keys held now. */
  readonly size: number;
  /** Tombstones held now (versioned deletes' records; see `tombstoneGrace`). */
  readonly tombstones: number;
  /** Tombstones purged after `tombstoneGrace`. */
  readonly tombstonesPurged: number;
  /**
   * Time-average fraction of the `concurrency` slots in use; NaN without a limit (there is no
   * capacity to divide by; `meanInSystem` is the time-average number of operations).
   */
  readonly utilization: number;
  /** Time-average number of operations waiting. */
  readonly meanQueued: number;
  /** Time-average number of operations waiting or in progress. */
  readonly meanInSystem: number;
  /** Fraction of operations that had to wait for a slot. */
  readonly probabilityOfWaiting: number;
  /** Seconds an operation waited for a slot (0 when none started); percentiles in `metrics()`. */
  readonly meanWait: number;
  /** Seconds from arrival to completion, over completed operations (0 when none). */
  readonly meanSojourn: number;
}

/** A stored value and the version of the write that set it. */
interface Stored<V> {
  value: V;
  version: number;
}

/** A versioned delete's record: the key was deleted by write `version`. */
interface Tombstone {
  version: number;
  /** When it is purged (Infinity: never). */
  purgeAtNs: number;
}

/** One operation on its way through the store: from a message or from a process. */
class Operation<V> {
  constructor(
    readonly code: OpCode,
    /** The key; a scan's `from`. */
    readonly key: string,
    /** A put's value. */
    readonly value: V | undefined,
    /** An increment's `by`, a put's or delete's version (0: none), a scan's limit. */
    readonly amount: number,
    /** A scan's `to`, or undefined (to the end). */
    readonly to: string | undefined,
    readonly message: Message<KVRequest<V>> | null,
    readonly future: SimFuture<KVReply<V>> | null,
    /**
     * Whether a getEntry or scan answers tombstones too; whether a delete without a version
     * leaves one at the store's next version.
     */
    readonly tombstones = false,
  ) {}
  /** When it arrived (set when it gets a slot), for its latency. */
  arrivalNs = 0;
}

/** Why an operation failed, when it does (null: it succeeded). */
type Refusal = string | null;

export class KVStore<V = unknown> extends Entity<KVRequest<V>, KVReply<V>> {
  static readonly catalog: CatalogEntry = {
    name: "KVStore",
    kind: "component",
    role: "persistence",
    layer: "durable",
    contract:
      "Answers get, getEntry, put, delete, range scan (ascending by key, with a limit) and atomic increment, by message or from a process with the same results, each after a read or write latency drawn per operation; at most `concurrency` at once (the rest wait in FIFO order up to queueCapacity); an operation takes effect when its latency ends. Every write takes the next version of one counter per store; a versioned put applies only if newer; a delete may leave a tombstone, at a coordinator's version (applied only if newer) or at the store's own next version (always applied, atomically). At `capacity` keys a new key is refused or evicts the oldest.",
    requires: ["Keyspace", "Version", "Capacity", "Timer"],
    provides: ["Read", "Write", "Delete", "Scan", "Atomic", "Durable", "Bounded"],
    inputs: ["get, getEntry, put, delete, scan, increment (messages or process calls)"],
    outputs: [
      "values, entries, versions, counts (replies or returned values)",
      'refusals (RemoteError: "store full", "queue full", "value is not a number")',
      "requests, completed, rejected, lostToCrash, active, queued, counts by operation, size, evicted, latency per operation",
    ],
    state:
      "keys, values and versions (durable by default; with a disk, as far as its write-ahead log is synced), and the operations in progress (volatile)",
    failure_semantics:
      "A crash loses the operations waiting and in progress (counted in lostToCrash): callers by message time out, processes get RemoteError. The data survives unless durable is false; with durable: { disk, sync } it survives as far as the write-ahead log on the Disk was synced (replayed on recover; a torn tail is dropped). The version counter always survives. Calls while down are dropped (messages) or refused (processes).",
    composition_rules: ["CachedStore", "Client", "LoadBalancer", "RateLimiter", "Disk"],
    operational_knobs: knobs<KVStoreOptions>()(
      "readLatency",
      "writeLatency",
      "concurrency",
      "queueCapacity",
      "capacity",
      "whenFull",
      "durable",
      "tombstoneGrace",
    ),
  };

  /** Most keys held, or Infinity. */
  readonly capacity: number;
  readonly whenFull: "refuse" | "evictOldest";
  readonly durable: boolean;
  /** The disk its write-ahead log is on (`durable: { disk }`), or null. */
  readonly disk: Disk | null;
  /** The write-ahead log (`durable: { disk }`), or null. */
  readonly log: DurableLog<KVLogRecord<V>> | null;
  /** Seconds a tombstone is kept, or Infinity. */
  readonly tombstoneGrace: number;
  /** Operations served at once, or Infinity. */
  readonly concurrency: number;
  private readonly readLatency: Distribution;
  private readonly writeLatency: Distribution;
  private readonly readDraws = this.random("read");
  private readonly writeDraws = this.random("write");
  private readonly slots: SlotPool<Operation<V>>;
  private readonly checks = new RequestChecks(this as Entity<never, unknown>, "KVStore");
  /** The data, in the order keys were first written (what "evictOldest" takes first). */
  private data = new Map<string, Stored<V>>();
  private readonly order = new SortedKeys();
  private tombstoneMap = new Map<string, Tombstone>();
  private readonly tombstoneKeys = new SortedKeys();
  /**
   * Tombstones in the order they were written, with their purge times (which grow in that
   * order, the grace being one number), consumed from `purgeHead`.
   */
  private purgeKeys: string[] = [];
  private purgeTimes: number[] = [];
  private purgeHead = 0;
  private tombstonesPurged = 0;
  /** The last version handed out. */
  private versionCounter = 0;
  /** Process calls in progress, so a crash can tell them. */
  private readonly running = new Set<Operation<V>>();
  /** Process calls waiting for a slot when the store crashed (handed over by the pool). */
  private lostWaiting: readonly Operation<V>[] = [];
  /** Bytes of one log record. */
  private readonly recordBytes: number = 0;
  /** Changes made by the operation finishing now, for the log (null without one). */
  private journal: KVLogRecord<V>[] | null = null;
  private counts = {
    requests: 0,
    completed: 0,
    rejected: 0,
    gets: 0,
    found: 0,
    notFound: 0,
    puts: 0,
    deletes: 0,
    scans: 0,
    increments: 0,
    evicted: 0,
  };
  private latencies = newLatencies();
  private sojourn = new Histogram();

  constructor(sim: Simulation, name: string, options: KVStoreOptions = {}) {
    // Checked before registering: a refused store leaves no entity behind.
    const config = checkKVStoreOptions(sim, name, options);
    super(sim, name);
    this.readLatency = config.readLatency;
    this.writeLatency = config.writeLatency;
    this.capacity = config.capacity;
    this.whenFull = config.whenFull;
    this.durable = config.durable;
    this.tombstoneGrace = config.tombstoneGrace;
    this.concurrency = config.concurrency;
    const durability = config.durability;
    if (durability === null) {
      this.disk = null;
      this.log = null;
    } else {
      const given = durability.disk;
      this.disk =
        given instanceof Disk
          ? given
          : new Disk(sim, `${name}.disk`, { ...given, owner: this } as DiskOptions);
      this.log = new DurableLog<KVLogRecord<V>>(this.disk as Disk<KVLogRecord<V>>, {
        file: durability.file ?? `${name}.wal`,
        sync: durability.sync,
        recordBytes: durability.recordBytes,
      });
      this.recordBytes = durability.recordBytes;
      this.journal = [];
    }
    this.slots = new SlotPool<Operation<V>>(this as Entity<never, unknown>, config.component, {
      ...config.slots,
      start: this.begin,
      crashed: (lost) => {
        this.lostWaiting = lost;
      },
    });
  }

  // --- The process API --------------------------------------------------------------------

  /** The value under `key`, or undefined. `const v = yield* store.get(key)`. */
  *get(key: string): Generator<SimFuture<KVReply<V>>, V | undefined, unknown> {
    return (yield this.submit(GET, "get", key, undefined, 0, undefined)) as V | undefined;
  }

  /**
   * The value under `key` with its version, or undefined; with `{ tombstones: true }` a
   * versioned delete's tombstone too.
   */
  getEntry(key: string): Generator<SimFuture<KVReply<V>>, KVEntry<V> | undefined, unknown>;
  getEntry(
    key: string,
    options: { readonly tombstones: true },
  ): Generator<SimFuture<KVReply<V>>, KVVersioned<V> | undefined, unknown>;
  *getEntry(
    key: string,
    options?: { readonly tombstones?: boolean },
  ): Generator<SimFuture<KVReply<V>>, KVVersioned<V> | undefined, unknown> {
    const tombstones = this.checks.tombstones(options?.tombstones);
    return (yield this.submit(GET_ENTRY, "getEntry", key, undefined, 0, undefined, tombstones)) as
      | KVVersioned<V>
      | undefined;
  }

  /**
   * Writes `value` under `key`; returns the key's version after the write. With
   * `options.version` (an integer >= 1) the write applies only if newer than the key's version.
   * Throws `RemoteError` ("store full") when a new key finds the store full and `whenFull` is
   * "refuse".
   */
  *put(
    key: string,
    value: V,
    options?: { readonly version?: number },
  ): Generator<SimFuture<KVReply<V>>, number, unknown> {
    const version = this.checks.version(options?.version);
    this.checks.value(value);
    return (yield this.submit(PUT, "put", key, value, version, undefined)) as number;
  }

  /**
   * Removes `key`; returns whether it was there. With `options.version` (an integer >= 1) the
   * delete applies only if newer than the key's version and leaves a tombstone. With
   * `options.tombstone: true` (and no version) it leaves a tombstone at the store's next
   * version, taken in the instant it applies: it always applies, newer than whatever the key
   * holds by then.
   */
  *delete(
    key: string,
    options?: { readonly version?: number; readonly tombstone?: boolean },
  ): Generator<SimFuture<KVReply<V>>, boolean, unknown> {
    const version = this.checks.version(options?.version, "delete");
    const tombstone = this.checks.tombstone(options?.tombstone, version);
    return (yield this.submit(
      DELETE,
      "delete",
      key,
      undefined,
      version,
      undefined,
      tombstone,
    )) as boolean;
  }

  /**
   * Entries with `from <= key < to` in ascending key order, at most `limit` (default 1,000).
   * Every bound is optional: `scan()` reads from the first key.
   */
  scan(
    range?: ScanRequest & { readonly tombstones?: false },
  ): Generator<SimFuture<KVReply<V>>, KVEntry<V>[], unknown>;
  scan(
    range: ScanRequest & { readonly tombstones: true },
  ): Generator<SimFuture<KVReply<V>>, KVVersioned<V>[], unknown>;
  *scan(range: ScanRequest = {}): Generator<SimFuture<KVReply<V>>, KVVersioned<V>[], unknown> {
    const { from, to, limit, tombstones } = this.checks.scan(range);
    return (yield this.submit(
      SCAN,
      "scan",
      from,
      undefined,
      limit,
      to,
      tombstones,
    )) as KVEntry<V>[];
  }

  /**
   * Adds `by` (default 1) to the number under `key` (a missing key counts as 0) and returns the
   * new number, atomically. Throws `RemoteError` ("value is not a number") if the key holds
   * something else.
   */
  *increment(key: string, by = 1): Generator<SimFuture<KVReply<V>>, number, unknown> {
    const amount = this.checks.by(by);
    return (yield this.submit(INCREMENT, "increment", key, undefined, amount, undefined)) as number;
  }

  /**
   * Writes `entries` at once, without latency or counts: the data a model starts with (a
   * database restored before the run). Each write takes the next version, as a put would;
   * `capacity` applies as to puts. Not for the model's own logic while it runs: that is `put`.
   */
  load(entries: Iterable<readonly [string, V]>): void {
    for (const [key, value] of entries) {
      this.checks.key("load", key);
      this.checks.value(value);
      const refusal = this.write(key, value, 0);
      if (refusal !== null) {
        throw new ConfigError(
          `KVStore "${this.name}"`,
          "load",
          `at most ${this.capacity} keys`,
          key,
        );
      }
    }
    // Data restored before the run is on the medium already, not in the disk's buffer.
    const journal = this.journal;
    if (journal !== null && journal.length > 0) {
      this.journal = [];
      const log = this.log!;
      log.disk.restore(log.file, journal, { sizeBytes: this.recordBytes, checksum: true });
    }
  }

  // --- State ------------------------------------------------------------------------------

  /** Keys held now. */
  get size(): number {
    return this.data.size;
  }

  /** Whether `key` is held now (no latency: for tests and probes, not for the model's logic). */
  has(key: string): boolean {
    return this.data.has(key);
  }

  /** The value under `key` now, without latency (for tests, probes and reports). */
  peek(key: string): V | undefined {
    return this.data.get(key)?.value;
  }

  /** The version of `key` now, 0 if absent, without latency. */
  versionOf(key: string): number {
    return this.data.get(key)?.version ?? 0;
  }

  /** The version of `key`'s tombstone now, 0 if it has none, without latency. */
  tombstoneOf(key: string): number {
    this.purgeTombstones();
    return this.tombstoneMap.get(key)?.version ?? 0;
  }

  /** Seconds from arrival to completion of each completed operation of one kind. */
  latencyOf(operation: "get" | "put" | "delete" | "scan" | "increment"): Histogram {
    return this.latencies[operation];
  }

  get stats(): KVStoreStats {
    const slots = this.slots;
    const station = stationStats(slots, this.sojourn);
    this.purgeTombstones();
    return {
      ...this.counts,
      lostToCrash: slots.lostToCrash,
      active: slots.active,
      queued: slots.queued,
      size: this.data.size,
      tombstones: this.tombstoneMap.size,
      tombstonesPurged: this.tombstonesPurged,
      ...station,
      utilization: this.concurrency === Number.POSITIVE_INFINITY ? Number.NaN : station.utilization,
    };
  }

  /**
   * `stats` (without `utilization` when there is no concurrency limit), the percentiles of the
   * wait for a slot, and per operation the mean and percentiles of its latency
   * (`meanGetLatency`, `p50GetLatency`, ... `p999IncrementLatency`; 0 while none completed).
   */
  override metrics(): EntityMetrics {
    const { utilization, ...rest } = this.stats;
    const l = this.latencies;
    return {
      ...rest,
      ...(Number.isNaN(utilization) ? {} : { utilization }),
      ...percentiles("Wait", this.slots.waitTime),
      ...latencyMetrics("Get", l.get),
      ...latencyMetrics("Put", l.put),
      ...latencyMetrics("Delete", l.delete),
      ...latencyMetrics("Scan", l.scan),
      ...latencyMetrics("Increment", l.increment),
    };
  }

  // --- The message API --------------------------------------------------------------------

  override handle(request: Message<KVRequest<V>>): void {
    const kind = request.kind;
    const code = this.checks.opCode(kind);
    const payload = this.checks.payload<
      Partial<PutRequest<V> & IncrementRequest & ScanRequest & DeleteRequest>
    >(kind, request.payload);
    let op: Operation<V>;
    if (code === SCAN) {
      const { from, to, limit, tombstones } = this.checks.scan(payload);
      op = new Operation<V>(SCAN, from, undefined, limit, to, request, null, tombstones);
    } else {
      const key = this.checks.key(kind, payload.key);
      const amount =
        code === INCREMENT
          ? this.checks.by(payload.by ?? 1)
          : code === PUT || code === DELETE
            ? this.checks.version(payload.version, kind)
            : 0;
      if (code === PUT) this.checks.value(payload.value);
      const tombstones =
        code === GET_ENTRY
          ? this.checks.tombstones(payload.tombstones)
          : code === DELETE && this.checks.tombstone(payload.tombstone, amount);
      op = new Operation<V>(code, key, payload.value, amount, undefined, request, null, tombstones);
    }
    this.counts.requests++;
    this.enqueue(op);
  }

  // --- The one path both take -------------------------------------------------------------

  private submit(
    code: OpCode,
    kind: string,
    key: string,
    value: V | undefined,
    amount: number,
    to: string | undefined,
    tombstones = false,
  ): SimFuture<KVReply<V>> {
    if (code !== SCAN) this.checks.key(kind, key);
    const future = this.future<KVReply<V>>(`${kind} on ${this.name}`);
    this.counts.requests++;
    if (!this.isUp) {
      this.counts.rejected++;
      future.reject(new RemoteError("kv store is down", this.name));
      return future;
    }
    this.enqueue(new Operation<V>(code, key, value, amount, to, null, future, tombstones));
    return future;
  }

  private enqueue(op: Operation<V>): void {
    const admission = this.slots.admit(op);
    if (admission >= REJECTED_FULL) {
      this.refuse(
        op,
        admission === REJECTED_BY_DISCIPLINE
          ? this.slots.lastRefusal
          : `queue full (${this.slots.queueCapacity} waiting)`,
      );
    }
  }

  /** The pool gave the operation a slot: it takes its latency. */
  private readonly begin = (op: Operation<V>, _weight: number, arrivalNs: number): void => {
    if (op.future !== null) this.running.add(op);
    const code = op.code;
    const seconds =
      code === GET || code === GET_ENTRY || code === SCAN
        ? this.readLatency.sample(this.readDraws, this.now)
        : this.writeLatency.sample(this.writeDraws, this.now);
    op.arrivalNs = arrivalNs;
    this.after(this.workTime(seconds), this.finish, op);
  };

  /** The latency ended: the operation takes effect now and is answered. */
  private readonly finish = (op: Operation<V>): void => {
    if (this.purgeHead < this.purgeKeys.length) this.purgeTombstones();
    let result: KVReply<V>;
    let refusal: Refusal = null;
    switch (op.code) {
      case GET:
      case GET_ENTRY: {
        const stored = this.data.get(op.key);
        result =
          stored === undefined
            ? op.tombstones
              ? this.tombstoneEntry(op.key)
              : undefined
            : op.code === GET
              ? stored.value
              : { key: op.key, value: stored.value, version: stored.version };
        break;
      }
      case PUT:
        refusal = this.write(op.key, op.value as V, op.amount);
        if (refusal === null) {
          // A versioned put older than a tombstone is not applied: the tombstone's version.
          result = this.data.get(op.key)?.version ?? this.tombstoneMap.get(op.key)!.version;
        }
        break;
      case DELETE:
        // A tombstone at the next version: chosen and applied in this one instant, so it is
        // newer than every write that landed before, and names no other write.
        result =
          op.amount !== 0
            ? this.removeVersioned(op.key, op.amount)
            : op.tombstones
              ? this.removeVersioned(op.key, this.versionCounter + 1)
              : this.remove(op.key);
        break;
      case SCAN:
        result = op.tombstones
          ? this.rangeWithTombstones(op.key, op.to, op.amount)
          : this.range(op.key, op.to, op.amount);
        break;
      case INCREMENT: {
        const stored = this.data.get(op.key);
        const before = stored === undefined ? 0 : stored.value;
        if (typeof before !== "number") {
          refusal = "value is not a number";
          break;
        }
        const after = before + op.amount;
        refusal = this.write(op.key, after as V, 0);
        if (refusal === null) result = after;
        break;
      }
    }
    const journal = this.journal;
    if (refusal !== null) {
      if (op.future !== null) this.running.delete(op);
      this.refuse(op, refusal);
      this.slots.release();
    } else if (journal !== null && journal.length > 0) {
      // The change is in memory (later reads see it); it is answered once logged.
      this.journal = [];
      this.start(this.persist(op, result, journal), { name: "log" });
    } else {
      this.complete(op, result);
    }
  };

  /** Appends an operation's changes to the log (synced by its policy), then answers it. */
  private *persist(op: Operation<V>, result: KVReply<V>, records: KVLogRecord<V>[]) {
    try {
      yield* this.log!.appendAll(records);
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      // Memory keeps the change until a crash takes it; the caller learns it is not logged.
      if (op.future !== null) this.running.delete(op);
      this.refuse(op, `disk: ${error.reason}`);
      this.slots.release();
      return;
    }
    this.complete(op, result);
  }

  /** The operation is done: counted and answered. */
  private complete(op: Operation<V>, result: KVReply<V>): void {
    if (op.future !== null) this.running.delete(op);
    const c = this.counts;
    const l = this.latencies;
    const seconds = (this.nowNs - op.arrivalNs) / 1e9;
    switch (op.code) {
      case GET:
      case GET_ENTRY:
        c.gets++;
        // With `tombstones: true` a deleted key answers its tombstone: still not found.
        if (
          result === undefined ||
          (op.code === GET_ENTRY && (result as KVTombstone).deleted === true)
        )
          c.notFound++;
        else c.found++;
        l.get.record(seconds);
        break;
      case PUT:
        c.puts++;
        l.put.record(seconds);
        break;
      case DELETE:
        c.deletes++;
        l.delete.record(seconds);
        break;
      case SCAN:
        c.scans++;
        l.scan.record(seconds);
        break;
      case INCREMENT:
        c.increments++;
        l.increment.record(seconds);
        break;
    }
    c.completed++;
    this.sojourn.record(seconds);
    if (op.message !== null) this.reply(op.message, result);
    else op.future!.resolve(result);
    this.slots.release();
  }

  /**
   * Stores `value` under `key` with the next version, or with `version` (> 0) if it is newer
   * than the key's. Returns why it could not (the store is full), or null.
   */
  private write(key: string, value: V, version: number): Refusal {
    const stored = this.data.get(key);
    if (stored === undefined && this.data.size >= this.capacity) {
      if (this.whenFull === "refuse") return `store full (${this.capacity} keys)`;
      // Map order is the order keys were first written: the first is the oldest.
      const oldest = this.data.keys().next().value as string;
      this.remove(oldest);
      this.counts.evicted++;
    }
    // A coordinator's version moves the counter too, so a later local write is newer still.
    if (version > this.versionCounter) this.versionCounter = version;
    const next = version === 0 ? ++this.versionCounter : version;
    if (stored === undefined) {
      const tombstone = this.tombstoneMap.get(key);
      if (tombstone !== undefined) {
        if (next <= tombstone.version) return null; // deleted by a newer write
        this.dropTombstone(key);
      }
      this.data.set(key, { value, version: next });
      this.order.insert(key);
    } else if (next > stored.version) {
      stored.value = value;
      stored.version = next;
    } else {
      return null;
    }
    this.journal?.push({ op: "put", key, value, version: next });
    return null;
  }

  private remove(key: string): boolean {
    if (!this.data.delete(key)) return false;
    this.order.remove(key);
    this.journal?.push({ op: "delete", key });
    return true;
  }

  /**
   * A coordinator's delete numbered `version`: applied (the value removed, the tombstone set)
   * only if newer than the key's value and tombstone. Whether a value was removed.
   */
  private removeVersioned(key: string, version: number): boolean {
    if (version > this.versionCounter) this.versionCounter = version;
    const stored = this.data.get(key);
    if (stored !== undefined && stored.version >= version) return false;
    const held = this.tombstoneMap.get(key);
    if (held !== undefined && held.version >= version) return false;
    this.setTombstone(key, version, held);
    this.journal?.push({ op: "delete", key, version });
    if (stored === undefined) return false;
    this.data.delete(key);
    this.order.remove(key);
    return true;
  }

  /** Sets `key`'s tombstone to `version` (`held`: its current one), its grace starting now. */
  private setTombstone(
    key: string,
    version: number,
    held: { version: number; purgeAtNs: number } | undefined,
  ): void {
    const purgeAtNs = this.nowNs + this.tombstoneGrace * 1e9;
    if (held === undefined) {
      this.tombstoneMap.set(key, { version, purgeAtNs });
      this.tombstoneKeys.insert(key);
    } else {
      held.version = version;
      held.purgeAtNs = purgeAtNs;
    }
    if (purgeAtNs !== Number.POSITIVE_INFINITY) {
      this.purgeKeys.push(key);
      this.purgeTimes.push(purgeAtNs);
    }
  }

  private tombstoneEntry(key: string): KVTombstone | undefined {
    const tombstone = this.tombstoneMap.get(key);
    return tombstone === undefined ? undefined : { key, version: tombstone.version, deleted: true };
  }

  private dropTombstone(key: string): void {
    this.tombstoneMap.delete(key);
    this.tombstoneKeys.remove(key);
  }

  /** Purges the tombstones whose grace has ended (a tombstone renewed since is kept). */
  private purgeTombstones(): void {
    const keys = this.purgeKeys;
    const times = this.purgeTimes;
    let head = this.purgeHead;
    const now = this.nowNs;
    while (head < keys.length && times[head]! <= now) {
      const key = keys[head]!;
      const tombstone = this.tombstoneMap.get(key);
      if (tombstone !== undefined && tombstone.purgeAtNs === times[head]) {
        this.dropTombstone(key);
        this.tombstonesPurged++;
      }
      head++;
    }
    if (head === keys.length) {
      this.purgeKeys = [];
      this.purgeTimes = [];
      head = 0;
    } else if (head > 1024 && head * 2 > keys.length) {
      this.purgeKeys = keys.slice(head);
      this.purgeTimes = times.slice(head);
      head = 0;
    }
    this.purgeHead = head;
  }

  /** Values and tombstones with `from <= key < to`, by key, at most `limit` of both. */
  private rangeWithTombstones(
    from: string,
    to: string | undefined,
    limit: number,
  ): KVVersioned<V>[] {
    const values = this.range(from, to, limit);
    const deleted = this.tombstoneKeys.range(from, to, limit);
    if (deleted.length === 0) return values;
    const merged: KVVersioned<V>[] = [];
    let v = 0;
    let d = 0;
    while (merged.length < limit && (v < values.length || d < deleted.length)) {
      if (d === deleted.length || (v < values.length && values[v]!.key < deleted[d]!)) {
        merged.push(values[v++]!);
      } else {
        merged.push(this.tombstoneEntry(deleted[d++]!)!);
      }
    }
    return merged;
  }

  private range(from: string, to: string | undefined, limit: number): KVEntry<V>[] {
    const keys = this.order.range(from, to, limit);
    const entries: KVEntry<V>[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const stored = this.data.get(key)!;
      entries[i] = { key, value: stored.value, version: stored.version };
    }
    return entries;
  }

  private refuse(op: Operation<V>, reason: string): void {
    this.counts.rejected++;
    if (op.message !== null) this.fail(op.message, reason);
    else op.future!.reject(new RemoteError(reason, this.name));
  }

  // --- Lifecycle --------------------------------------------------------------------------

  protected override onCrash(): void {
    // The pool (a lifecycle hook) counted the loss and emptied itself; the crash cancelled the
    // latency timers. Callers by message time out; processes are told.
    const lost = [...this.running, ...this.lostWaiting];
    this.running.clear();
    this.lostWaiting = [];
    for (const op of lost) op.future?.reject(new RemoteError("kv store crashed", this.name));
    // With a log, memory is volatile: what survives is what the disk kept (see onRecover).
    if (!this.durable || this.log !== null) {
      this.data = new Map();
      this.order.clear();
      this.tombstoneMap = new Map();
      this.tombstoneKeys.clear();
      this.purgeKeys = [];
      this.purgeTimes = [];
      this.purgeHead = 0;
    }
    if (this.journal !== null) this.journal = [];
  }

  protected override onRecover(): void {
    const log = this.log;
    if (log === null) return;
    // The disk came back first (its owner's hooks run before this): replay what it kept, in
    // the order it was written. Versions never go back, whatever the crash took.
    for (const record of log.replay()) {
      if (record.op === "put") {
        const stored = this.data.get(record.key);
        if (stored === undefined) {
          // The log is in the order changes were applied: a put after a delete is newer.
          if (this.tombstoneMap.has(record.key)) this.dropTombstone(record.key);
          this.data.set(record.key, { value: record.value, version: record.version });
          this.order.insert(record.key);
        } else {
          stored.value = record.value;
          stored.version = record.version;
        }
        if (record.version > this.versionCounter) this.versionCounter = record.version;
      } else if (record.version !== undefined) {
        if (record.version > this.versionCounter) this.versionCounter = record.version;
        if (this.data.delete(record.key)) this.order.remove(record.key);
        // Its grace restarts at the recovery: kept longer, never resurrected sooner.
        this.setTombstone(record.key, record.version, this.tombstoneMap.get(record.key));
      } else if (this.data.delete(record.key)) {
        this.order.remove(record.key);
      }
    }
  }

  protected override onResetStats(): void {
    // Work in flight is counted again as received, so the identity keeps holding.
    const c = this.counts;
    for (const key of Object.keys(c) as (keyof typeof c)[]) c[key] = 0;
    this.tombstonesPurged = 0;
    c.requests = this.slots.active + this.slots.queued;
    this.latencies = newLatencies();
    this.sojourn = new Histogram();
  }
}

function newLatencies() {
  return {
    get: new Histogram(),
    put: new Histogram(),
    delete: new Histogram(),
    scan: new Histogram(),
    increment: new Histogram(),
  };
}

/** A store's options, checked and defaulted, before the store registers. */
function checkKVStoreOptions(sim: Simulation, name: string, options: KVStoreOptions) {
  const component = `KVStore "${name}"`;
  if (options === null || typeof options !== "object") {
    throw new ConfigError(component, "options", "an options object", options);
  }
  const readLatency = requireLatency(component, "readLatency", options.readLatency, 0.001);
  const writeLatency = requireLatency(component, "writeLatency", options.writeLatency, 0.005);
  const concurrency =
    options.concurrency === undefined
      ? Number.POSITIVE_INFINITY
      : requireInteger(component, "concurrency", options.concurrency, 1);
  const queueCapacity = options.queueCapacity;
  if (queueCapacity !== undefined && concurrency === Number.POSITIVE_INFINITY) {
    throw new ConfigError(
      component,
      "queueCapacity",
      "unset without concurrency (nothing waits when every operation starts at once)",
      queueCapacity,
    );
  }
  const capacity =
    options.capacity === undefined
      ? Number.POSITIVE_INFINITY
      : requireInteger(component, "capacity", options.capacity, 1);
  const whenFull = options.whenFull ?? "refuse";
  if (whenFull !== "refuse" && whenFull !== "evictOldest") {
    throw new ConfigError(component, "whenFull", '"refuse" or "evictOldest"', whenFull);
  }
  if (options.whenFull !== undefined && capacity === Number.POSITIVE_INFINITY) {
    throw new ConfigError(component, "whenFull", "unset without capacity", whenFull);
  }
  const durableOption = options.durable ?? true;
  const durability =
    typeof durableOption === "boolean" ? null : checkDurability(sim, name, durableOption);
  const durable = durableOption !== false;
  const tombstoneGrace = options.tombstoneGrace ?? Number.POSITIVE_INFINITY;
  if (tombstoneGrace !== Number.POSITIVE_INFINITY) {
    requireSeconds(component, "tombstoneGrace", tombstoneGrace, true);
  }
  // Without a limit the pool's slots are never all taken: every operation starts at once, and
  // the pool still counts operations in progress and what a crash loses.
  const slots = {
    capacity: concurrency === Number.POSITIVE_INFINITY ? Number.MAX_SAFE_INTEGER : concurrency,
    capacityOption: "concurrency",
    queueCapacity,
  };
  checkSlotPoolOptions(component, slots);
  return {
    component,
    readLatency,
    writeLatency,
    concurrency,
    capacity,
    whenFull,
    durable,
    durability,
    tombstoneGrace,
    slots,
  } as const;
}

/** The `durable: { disk, sync }` option, checked before the store (or its disk) registers. */
function checkDurability(sim: Simulation, name: string, value: unknown) {
  const component = `KVStore "${name}"`;
  if (value === null || typeof value !== "object" || !("disk" in value)) {
    throw new ConfigError(
      component,
      "durable",
      "true, false or { disk, sync?, recordBytes?, file? }",
      value,
    );
  }
  const durability = value as KVStoreDurability;
  const disk = checkDiskOrOptions(
    sim,
    component,
    name,
    durability.disk,
    "durable.disk",
    "the store",
  );
  const recordBytes =
    durability.recordBytes === undefined
      ? 256
      : requireInteger(component, "durable.recordBytes", durability.recordBytes, 1);
  const file = durability.file;
  if (file !== undefined && (typeof file !== "string" || file.length === 0)) {
    throw new ConfigError(component, "durable.file", "a non-empty string", file);
  }
  checkSyncPolicy(`${component} durable`, durability.sync);
  return { disk, sync: durability.sync, recordBytes, file } as const;
}
