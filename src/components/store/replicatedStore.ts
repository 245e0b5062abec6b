/**
 * `ReplicatedStore`: a coordinator over N replica stores (entities that speak the key-value
 * protocol: `KVStore`s, possibly behind a `Network`), and a store itself: it answers the same
 * protocol, so a `CachedStore` can sit in front of it and a `ShardedStore` can shard over
 * several. It exists to show what a consistency level costs and buys: how long a read or a
 * write waits, how often a read returns an older value than one already acknowledged, and
 * which requests fail when replicas are slow, crashed or cut off.
 *
 * Consistency levels, for reads and writes alike: `ONE` (1 replica), `QUORUM` (floor(N/2)+1)
 * and `ALL` (N), set per store (`readLevel`, `writeLevel`) and per request (a message's
 * payload `level`, a process call's `{ level }`).
 *
 * Writes (`put`, `delete`) go to every replica at once; the write is acknowledged when the
 * level's number of replicas have answered, and the others still apply it when it reaches
 * them. Reads (`get`, `getEntry`, `scan`) go to as many replicas as the level needs, chosen at
 * random (the coordinator's seeded `replicas` stream); a replica that times out or refuses is
 * replaced by one not asked yet. The newest version among the answers wins (last writer wins),
 * a tombstone included: a read whose newest answer is a tombstone finds nothing.
 * A request that cannot reach its level (too many replicas timed out or refused) fails with a
 * `RemoteError` whose reason starts with "unavailable".
 *
 * Versions: the coordinator stamps every write with the next number of its own counter (a put
 * that carries a version keeps it, and the counter moves past it), and each replica keeps a
 * write only if it is newer than what it holds (`KVStore`'s versioned put). So the order of
 * writes is the order the coordinator issued them: one coordinator per replica set (two
 * coordinators over the same replicas would stamp the same numbers).
 *
 * Deletes are versioned writes too: a delete takes the next version and each replica keeps a
 * tombstone, "deleted at version v" (`KVStore`'s versioned delete), so a replica that missed
 * the delete cannot bring the value back: its older version loses to the tombstone at a read,
 * and read repair sends it the tombstone. Replicas must keep tombstones for this: `KVStore`s,
 * directly or behind a `Network` (a `CachedStore` in front of one drops the version).
 * Tombstones are kept by the replicas, counted in their `tombstones`, unless their
 * `tombstoneGrace` purges them; a replica that stays stale past the grace can then bring a
 * deleted value back (Cassandra's gc_grace_seconds, and the same advice: keep the grace longer
 * than any replica stays stale).
 *
 * With `readRepair` (default on), a read whose answers disagree writes the newest entry (or
 * tombstone) back to the replicas that answered with an older one (or none), in the
 * background; counted.
 *
 * A scan asks replicas for values and tombstones and keeps the newest of each key; when
 * tombstones hide keys so that fewer than `limit` remain while a replica may hold more, it asks
 * again from where the answers it has agree (Cassandra's short-read protection).
 *
 * `increment` reads at the read level and writes the sum at the write level, and the
 * coordinator runs the increments of one key one after another (each waits for the one before
 * it to be acknowledged or to fail). So no increment is lost when the levels overlap, R + W > N
 * (QUORUM and QUORUM, ONE and ALL, ALL and ONE): each increment's read meets the replica set of
 * the previous one's write, and gets its version, the newest. When they do not (ONE and ONE,
 * or ONE and QUORUM over 3 or more), an increment can read a replica the previous one's write
 * has not reached and lose it (or several); such a read counts in `staleReads`, and a run
 * without stale reads loses none. An increment that fails (unavailable) may still have reached some replicas and
 * count later. A `put` or `delete` of the same key at the same time is not ordered with the
 * increments (last writer wins between them): use a key as a counter or as a value, not both.
 * (Increments that run as versioned operations on the replicas, like Cassandra's counters,
 * would need a replica type of their own; one coordinator per replica set serialises them
 * more simply, and it already numbers the versions.)
 *
 * Stale reads are counted against an oracle of acknowledged writes the coordinator keeps for
 * measurement: a read is stale if it returns an older version than the newest write (a put or
 * a delete) of its key acknowledged before the read began; when that write was a delete,
 * finding nothing is not stale (a tombstone may have been purged).
 *
 * Crash: a crash of the coordinator loses its requests in progress (`lostToCrash`: callers by
 * message time out, processes get `RemoteError`) and its read repairs; writes already sent may
 * still be applied by the replicas, acknowledged to nobody. The version counter and the oracle
 * survive. While down, messages are dropped and process calls refused.
 *
 * @example
 * const replicas = [1, 2, 3].map((i) => new KVStore<string>(sim, `replica-${i}`));
 * const store = new ReplicatedStore<string>(sim, "store", { replicas, readLevel: "ONE", writeLevel: "QUORUM" });
 * const version = yield* store.put("user:1", "Ada", { level: "ALL" });
 * const name = yield* store.get("user:1"); // at ONE
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { FutureListener, SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import type { Param } from "../../random/profile.js";
import { percentiles } from "../resource/statistics.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity } from "../shared/validate.js";
import type {
  IncrementRequest,
  KVEntry,
  KVReply,
  KVRequest,
  KVStoreLike,
  KVVersioned,
  PutRequest,
  ScanRequest,
} from "./protocol.js";
import { isTombstone } from "./protocol.js";
import {
  DELETE,
  GET,
  GET_ENTRY,
  INCREMENT,
  type OpCode,
  PUT,
  RequestChecks,
  SCAN,
  type ScanRange,
} from "./requests.js";

/** How many replicas a read or write waits for: 1, a majority, or every one. */
export type ConsistencyLevel = "ONE" | "QUORUM" | "ALL";

/** The levels, weakest first. */
export const CONSISTENCY_LEVELS: readonly ConsistencyLevel[] = ["ONE", "QUORUM", "ALL"];

/** The first word of the reason a request fails with when it cannot reach its level. */
export const UNAVAILABLE = "unavailable";

/** A request with its consistency level (unset: the store's default for its kind). */
export interface LevelOption {
  readonly level?: ConsistencyLevel;
}

/** The protocol's requests, each with an optional `level`. */
export type ReplicatedRequest<V> = KVRequest<V> & LevelOption;

export interface ReplicatedStoreOptions<V> {
  /** The replicas (at least one), entities of this simulation that speak the protocol. */
  replicas: readonly KVStoreLike<V>[];
  /** Level of reads (`get`, `getEntry`, `scan`, an increment's read). Default "QUORUM". */
  readLevel?: ConsistencyLevel;
  /** Level of writes (`put`, `delete`, an increment's write). Default "QUORUM". */
  writeLevel?: ConsistencyLevel;
  /**
   * Seconds the coordinator waits for one replica's answer (> 0, a number or a profile); a
   * replica that takes longer counts as timed out for that request. Default 1.
   */
  replicaTimeout?: Param;
  /** Whether a read whose answers disagree writes the newest entry back. Default true. */
  readRepair?: boolean;
}

/** What the coordinator saw of one replica. */
export interface ReplicaStats {
  readonly name: string;
  /** Calls sent to it: reads, writes and repairs. */
  readonly calls: number;
  readonly answered: number;
  readonly timedOut: number;
  readonly refused: number;
  /** Repair writes sent to it. */
  readonly repairs: number;
}

/**
 * A snapshot of what the coordinator has done. At every instant (crashes and resets included):
 * `requests = completed + failed + rejected + lostToCrash + active`.
 */
export interface ReplicatedStoreStats {
  /** Requests received: messages and process calls. */
  readonly requests: number;
  /** Answered at their level. */
  readonly completed: number;
  /** Failed: the level could not be reached ("unavailable"), or a value was not a number. */
  readonly failed: number;
  /** Process calls refused because the coordinator was down. */
  readonly rejected: number;
  /** In progress when the coordinator crashed: never answered. */
  readonly lostToCrash: number;
  /** In progress now. */
  readonly active: number;
  /** Answered reads (`get`, `getEntry`, an increment's read). */
  readonly reads: number;
  /** Answered writes (`put`). */
  readonly writes: number;
  /** Answered reads that returned an older version than an earlier acknowledged write. */
  readonly staleReads: number;
  /** `staleReads / reads`; NaN before the first read. */
  readonly staleReadRate: number;
  /** Reads whose answers disagreed, so that a repair was sent (with `readRepair`). */
  readonly repairedReads: number;
  /** Repair writes sent to stale replicas. */
  readonly readRepairs: number;
  /** Calls to replicas that timed out. */
  readonly replicaTimeouts: number;
  /** Calls to replicas that were refused. */
  readonly replicaRefusals: number;
}

/** One request on its way through the coordinator. */
interface Work<V> {
  readonly code: OpCode;
  readonly key: string;
  readonly value: V | undefined;
  /** An increment's `by`, a put's version (0: none). */
  readonly amount: number;
  readonly range: ScanRange | null;
  readonly level: ConsistencyLevel | undefined;
  /**
   * The oracle when the request arrived (reads): the version of the key's newest acknowledged
   * write (0: none), and whether that write was a delete.
   */
  readonly required: number;
  readonly requiredDelete: boolean;
}

/** The oracle's record of a key: its newest acknowledged write, a put or a delete. */
interface Acknowledged {
  version: number;
  deleted: boolean;
}

/** The counts kept per replica. */
class ReplicaCounts {
  calls = 0;
  answered = 0;
  timedOut = 0;
  refused = 0;
  repairs = 0;
  constructor(readonly name: string) {}
}

/**
 * One request's calls to replicas: resolves `done` once `needed` have answered, rejects it
 * once that can no longer happen, and keeps counting the calls that settle later.
 */
class Round<V> implements FutureListener {
  readonly done: SimFuture<void>;
  readonly answers: (KVReply<V> | undefined)[];
  readonly answeredBy: boolean[];
  readonly futures: (SimFuture<KVReply<V>> | null)[];
  answered = 0;
  timedOut = 0;
  refused = 0;
  /** Calls sent and not settled. */
  outstanding = 0;
  /** Position in `order` of the next replica to ask (reads). */
  next = 0;

  constructor(
    readonly store: ReplicatedStore<V>,
    readonly kind: string,
    readonly payload: KVRequest<V>,
    readonly needed: number,
    /** Replica indices in the order to ask them. */
    readonly order: readonly number[],
    readonly what: string,
  ) {
    const n = order.length;
    this.answers = new Array(n).fill(undefined);
    this.answeredBy = new Array(n).fill(false);
    this.futures = new Array(n).fill(null);
    this.done = store.future<void>(what);
  }

  /** Asks the next replica in `order`; false if none is left. */
  askNext(): boolean {
    if (this.next >= this.order.length) return false;
    const replica = this.order[this.next++]!;
    this.outstanding++;
    this.futures[replica] = this.store._callReplica(replica, this.kind, this.payload);
    this.futures[replica]!.addListener(this);
    return true;
  }

  futureSettled(future: SimFuture<unknown>): void {
    const replica = this.futures.indexOf(future as SimFuture<KVReply<V>>);
    if (future.state === "cancelled" || replica < 0) return; // the coordinator crashed
    this.outstanding--;
    const counts = this.store._replicaCounts[replica]!;
    if (future.state === "resolved") {
      counts.answered++;
      this.answered++;
      this.answers[replica] = future.value as KVReply<V>;
      this.answeredBy[replica] = true;
      if (this.answered === this.needed && this.done.isPending) this.done.resolve();
      return;
    }
    const error = future.error;
    if (error instanceof TimeoutError) {
      counts.timedOut++;
      this.timedOut++;
      this.store._counts.replicaTimeouts++;
    } else if (error instanceof RemoteError) {
      counts.refused++;
      this.refused++;
      this.store._counts.replicaRefusals++;
    } else {
      throw error;
    }
    if (!this.done.isPending) return;
    // A read replaces a failed replica by one not asked yet; a write asked every one already.
    this.askNext();
    const reachable = this.answered + this.outstanding;
    if (reachable < this.needed) {
      this.done.reject(
        new RemoteError(
          `${UNAVAILABLE}: ${this.what} needs ${this.needed} of ${this.order.length} replicas; ${this.answered} answered, ${this.timedOut} timed out, ${this.refused} refused`,
          this.store.name,
        ),
      );
    }
  }
}

/** Counts a repair write's outcome without a process per repair. */
class RepairOutcome implements FutureListener {
  constructor(readonly counts: ReplicaCounts) {}
  futureSettled(future: SimFuture<unknown>): void {
    if (future.state === "resolved") this.counts.answered++;
    else if (future.error instanceof TimeoutError) this.counts.timedOut++;
    else if (future.error instanceof RemoteError) this.counts.refused++;
  }
}

export class ReplicatedStore<V = unknown> extends Entity<ReplicatedRequest<V>, KVReply<V>> {
  static readonly catalog: CatalogEntry = {
    name: "ReplicatedStore",
    kind: "component",
    role: "persistence",
    layer: "durable",
    contract:
      "A coordinator over N replica stores answering the key-value protocol: writes go to every replica and are acknowledged once the level's number (ONE, QUORUM, ALL) answered; reads ask that many replicas (random, replacing one that times out or refuses) and return the newest version (last writer wins, versions stamped by the coordinator). A request that cannot reach its level fails (unavailable). Read repair writes the newest entry back to stale replicas; stale reads are counted against the acknowledged writes.",
    requires: ["ReplicaSet", "Version", "TimeoutPolicy"],
    provides: [
      "Read",
      "Write",
      "Delete",
      "Scan",
      "Replicator",
      "Quorum",
      "ConsistencyPolicy",
      "ConflictPolicy",
      "AntiEntropyRepair",
    ],
    inputs: [
      "get, getEntry, put, delete, scan, increment (messages or process calls), each with an optional level",
    ],
    outputs: [
      "values, entries, versions (replies or returned values)",
      'failures (RemoteError: "unavailable: ...")',
      "requests, completed, failed, lostToCrash, staleReads, readRepairs, latency percentiles per level, per-replica calls, answers, timeouts and refusals",
    ],
    state:
      "the version counter (survives crashes), the acknowledged-writes oracle (measurement), requests in progress (volatile)",
    failure_semantics:
      "A crash loses the requests in progress (lostToCrash) and the read repairs in flight; writes already sent may still be applied by the replicas, acknowledged to nobody. A replica that times out or refuses counts against the level. Deletes leave versioned tombstones on the replicas, so a replica that missed one cannot bring the value back (unless its tombstone grace ran out first). Increments of one key run one at a time; with R + W > N none is lost, at ONE/ONE one can be (counted as a stale read).",
    composition_rules: ["KVStore", "CachedStore", "ShardedStore", "Network"],
    operational_knobs: knobs<ReplicatedStoreOptions<unknown>>()(
      "replicas",
      "readLevel",
      "writeLevel",
      "replicaTimeout",
      "readRepair",
    ),
  };

  readonly replicas: readonly KVStoreLike<V>[];
  readonly readLevel: ConsistencyLevel;
  readonly writeLevel: ConsistencyLevel;
  readonly readRepair: boolean;
  private readonly replicaTimeout: TimeoutParam;
  private readonly draws = this.random("replicas");
  private readonly checks = new RequestChecks(this as Entity<never, unknown>, "ReplicatedStore");
  /** Every replica index, shuffled in place for each read. */
  private readonly order: number[];
  private versionCounter = 0;
  /**
   * The newest version this coordinator has numbered or been given (its counter, which
   * survives crashes): every value and tombstone its replicas hold from it is at most this.
   * A `ShardedStore` copies a key onto it above this, so a tombstone of the key from an
   * earlier ownership cannot hide the copy.
   */
  get lastVersion(): number {
    return this.versionCounter;
  }
  private readonly acknowledged = new Map<string, Acknowledged>();
  /**
   * Keys with an increment in progress, each with the turns of the increments waiting behind
   * it, in arrival order.
   */
  private readonly incrementing = new Map<string, SimFuture<void>[]>();
  /** Futures of process calls in progress, so a crash can tell them. */
  private readonly calls = new Set<SimFuture<KVReply<V>>>();
  private active = 0;
  /** @internal Shared with `Round`. */
  _counts = newCounts();
  /** @internal Shared with `Round`. */
  readonly _replicaCounts: ReplicaCounts[];
  private staleByLevel = newLevelCounts();
  private readsByLevel = newLevelCounts();
  private readLatency = newLevelHistograms();
  private writeLatency = newLevelHistograms();

  constructor(sim: Simulation, name: string, options: ReplicatedStoreOptions<V>) {
    const component = `ReplicatedStore "${name}"`;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an options object", options);
    }
    const replicas = options.replicas;
    if (!Array.isArray(replicas) || replicas.length === 0) {
      throw new ConfigError(component, "replicas", "a non-empty array of stores", replicas);
    }
    for (const replica of replicas) requireEntity(component, "replicas", replica, sim, Entity);
    if (new Set(replicas).size !== replicas.length) {
      throw new ConfigError(
        component,
        "replicas",
        "distinct stores",
        replicas.map((r) => r.name),
      );
    }
    const readLevel = requireLevel(component, "readLevel", options.readLevel ?? "QUORUM");
    const writeLevel = requireLevel(component, "writeLevel", options.writeLevel ?? "QUORUM");
    const replicaTimeout = TimeoutParam.from(
      component,
      "replicaTimeout",
      options.replicaTimeout ?? 1,
    );
    const readRepair = options.readRepair ?? true;
    if (typeof readRepair !== "boolean") {
      throw new ConfigError(component, "readRepair", "true or false", readRepair);
    }
    super(sim, name);
    this.replicas = [...replicas];
    this.readLevel = readLevel;
    this.writeLevel = writeLevel;
    this.replicaTimeout = replicaTimeout;
    this.readRepair = readRepair;
    this.order = replicas.map((_, i) => i);
    this._replicaCounts = replicas.map((replica) => new ReplicaCounts(replica.name));
  }

  /** Replicas a level waits for, over this store's N. */
  replicasFor(level: ConsistencyLevel): number {
    const n = this.replicas.length;
    return level === "ONE" ? 1 : level === "ALL" ? n : Math.floor(n / 2) + 1;
  }

  // --- The process API --------------------------------------------------------------------

  /** The newest value under `key` among the replicas asked, or undefined. */
  *get(key: string, options?: LevelOption): Generator<SimFuture<KVReply<V>>, V | undefined> {
    const work = this.work(GET, "get", key, undefined, 0, null, options);
    return (yield this.submit(work)) as V | undefined;
  }

  /** The newest entry under `key` among the replicas asked, or undefined. */
  *getEntry(
    key: string,
    options?: LevelOption,
  ): Generator<SimFuture<KVReply<V>>, KVEntry<V> | undefined> {
    const work = this.work(GET_ENTRY, "getEntry", key, undefined, 0, null, options);
    return (yield this.submit(work)) as KVEntry<V> | undefined;
  }

  /** Writes `value` under `key`; returns the write's version once the level acknowledged it. */
  *put(
    key: string,
    value: V,
    options?: LevelOption & { readonly version?: number },
  ): Generator<SimFuture<KVReply<V>>, number> {
    const version = this.checks.version(options?.version);
    this.checks.value(value);
    const work = this.work(PUT, "put", key, value, version, null, options);
    return (yield this.submit(work)) as number;
  }

  /** Removes `key` from every replica; whether one that answered had it. */
  *delete(key: string, options?: LevelOption): Generator<SimFuture<KVReply<V>>, boolean> {
    const work = this.work(DELETE, "delete", key, undefined, 0, null, options);
    return (yield this.submit(work)) as boolean;
  }

  /** Entries in `[from, to)`, by key, the newest version of each among the replicas asked. */
  *scan(range: ScanRequest & LevelOption = {}): Generator<SimFuture<KVReply<V>>, KVEntry<V>[]> {
    const work = this.work(SCAN, "scan", "", undefined, 0, this.checks.scan(range), range);
    return (yield this.submit(work)) as KVEntry<V>[];
  }

  /**
   * Reads the number under `key` and writes it plus `by`, after the key's increments before it
   * (no increment lost when R + W > N: see the class notes).
   */
  *increment(key: string, by = 1, options?: LevelOption): Generator<SimFuture<KVReply<V>>, number> {
    const amount = this.checks.by(by);
    const work = this.work(INCREMENT, "increment", key, undefined, amount, null, options);
    return (yield this.submit(work)) as number;
  }

  // --- State ------------------------------------------------------------------------------

  get stats(): ReplicatedStoreStats {
    const c = this._counts;
    return {
      requests: c.requests,
      completed: c.completed,
      failed: c.failed,
      rejected: c.rejected,
      lostToCrash: c.lostToCrash,
      active: this.active,
      reads: c.reads,
      writes: c.writes,
      staleReads: c.staleReads,
      staleReadRate: c.reads > 0 ? c.staleReads / c.reads : Number.NaN,
      repairedReads: c.repairedReads,
      readRepairs: c.readRepairs,
      replicaTimeouts: c.replicaTimeouts,
      replicaRefusals: c.replicaRefusals,
    };
  }

  /** What the coordinator saw of each replica, in `replicas` order. */
  get replicaStats(): readonly ReplicaStats[] {
    return this._replicaCounts.map((r) => ({
      name: r.name,
      calls: r.calls,
      answered: r.answered,
      timedOut: r.timedOut,
      refused: r.refused,
      repairs: r.repairs,
    }));
  }

  /** Seconds from arrival to answer of the reads (`get`, `getEntry`) answered at `level`. */
  readLatencyAt(level: ConsistencyLevel): Histogram {
    return this.readLatency[level];
  }

  /** Seconds from arrival to acknowledgement of the puts answered at `level`. */
  writeLatencyAt(level: ConsistencyLevel): Histogram {
    return this.writeLatency[level];
  }

  /** Answered reads at `level`, and how many of them were stale. */
  staleReadsAt(level: ConsistencyLevel): { readonly reads: number; readonly stale: number } {
    return { reads: this.readsByLevel[level], stale: this.staleByLevel[level] };
  }

  /**
   * `stats`, percentiles of read and write latency per level (`p50ReadLatencyONE`, ...,
   * `p999WriteLatencyALL`; 0 while none answered) and per replica its counts
   * (`replica.<name>.timedOut`, ...).
   */
  override metrics(): EntityMetrics {
    const result: Record<string, number> = { ...this.stats };
    for (const level of CONSISTENCY_LEVELS) {
      Object.assign(result, percentiles(`ReadLatency${level}`, this.readLatency[level]));
      Object.assign(result, percentiles(`WriteLatency${level}`, this.writeLatency[level]));
      result[`staleReads${level}`] = this.staleByLevel[level];
    }
    for (const r of this._replicaCounts) {
      result[`replica.${r.name}.calls`] = r.calls;
      result[`replica.${r.name}.answered`] = r.answered;
      result[`replica.${r.name}.timedOut`] = r.timedOut;
      result[`replica.${r.name}.refused`] = r.refused;
      result[`replica.${r.name}.repairs`] = r.repairs;
    }
    return result;
  }

  // --- The message API --------------------------------------------------------------------

  override *handle(request: Message<ReplicatedRequest<V>>) {
    const kind = request.kind;
    const code = this.checks.opCode(kind);
    const payload = this.checks.payload<
      Partial<PutRequest<V> & IncrementRequest & ScanRequest & LevelOption>
    >(kind, request.payload);
    let work: Work<V>;
    if (code === SCAN) {
      work = this.work(code, kind, "", undefined, 0, this.checks.scan(payload), payload);
    } else {
      let amount = 0;
      if (code === INCREMENT) amount = this.checks.by(payload.by ?? 1);
      if (code === PUT) {
        amount = this.checks.version(payload.version);
        this.checks.value(payload.value);
      }
      work = this.work(code, kind, payload.key as string, payload.value, amount, null, payload);
    }
    const arrivalNs = this.nowNs;
    this._counts.requests++;
    this.active++;
    let result: KVReply<V>;
    try {
      result = yield* this.serve(work, arrivalNs);
    } catch (error) {
      this.failed(error);
      this.fail(request, (error as RemoteError).reason);
      return;
    }
    this.active--;
    this._counts.completed++;
    this.reply(request, result);
  }

  // --- The one path both take -------------------------------------------------------------

  private work(
    code: OpCode,
    kind: string,
    key: string,
    value: V | undefined,
    amount: number,
    range: ScanRange | null,
    options: LevelOption | undefined,
  ): Work<V> {
    if (code !== SCAN) this.checks.key(kind, key);
    const level = options?.level;
    if (level !== undefined && !CONSISTENCY_LEVELS.includes(level)) {
      throw new SimulationError(
        `ReplicatedStore: ${kind}: level must be "ONE", "QUORUM" or "ALL"; given ${String(level)}`,
        this.name,
        this.nowNs,
      );
    }
    const acknowledged = code === SCAN ? undefined : this.acknowledged.get(key);
    const required = acknowledged?.version ?? 0;
    const requiredDelete = acknowledged?.deleted ?? false;
    return { code, key, value, amount, range, level, required, requiredDelete };
  }

  private submit(work: Work<V>): SimFuture<KVReply<V>> {
    const future = this.future<KVReply<V>>(`${KIND_NAMES[work.code]} on ${this.name}`);
    this._counts.requests++;
    if (!this.isUp) {
      this._counts.rejected++;
      future.reject(new RemoteError("coordinator is down", this.name));
      return future;
    }
    this.active++;
    this.calls.add(future);
    this.start(this.serveCall(work, future));
    return future;
  }

  private *serveCall(work: Work<V>, future: SimFuture<KVReply<V>>) {
    let result: KVReply<V>;
    try {
      result = yield* this.serve(work, this.nowNs);
    } catch (error) {
      this.failed(error);
      this.calls.delete(future);
      future.reject(error);
      return;
    }
    this.active--;
    this._counts.completed++;
    this.calls.delete(future);
    future.resolve(result);
  }

  /** Counts a failed request; rethrows an error that is not a modelled failure (a bug). */
  private failed(error: unknown): void {
    if (!(error instanceof RemoteError)) throw error;
    this.active--;
    this._counts.failed++;
  }

  private *serve(work: Work<V>, arrivalNs: number): Generator<Yieldable, KVReply<V>, unknown> {
    const readLevel = work.level ?? this.readLevel;
    const writeLevel = work.level ?? this.writeLevel;
    switch (work.code) {
      case GET:
      case GET_ENTRY: {
        const entry = yield* this.read(work, readLevel, arrivalNs);
        return work.code === GET ? entry?.value : entry;
      }
      case PUT: {
        const version = yield* this.write(work.key, work.value as V, work.amount, writeLevel);
        this._counts.writes++;
        this.writeLatency[writeLevel].record((this.nowNs - arrivalNs) / 1e9);
        return version;
      }
      case DELETE:
        return yield* this.remove(work.key, writeLevel);
      case SCAN:
        return yield* this.scanAt(work.range!, readLevel);
      default:
        return yield* this.incrementInTurn(work, readLevel, writeLevel);
    }
  }

  /** An increment, after the increments of its key that arrived before it. */
  private *incrementInTurn(
    work: Work<V>,
    readLevel: ConsistencyLevel,
    writeLevel: ConsistencyLevel,
  ): Generator<Yieldable, number, unknown> {
    const key = work.key;
    const waiting = this.incrementing.get(key);
    if (waiting === undefined) {
      this.incrementing.set(key, []);
    } else {
      const turn = this.future<void>(`increment of "${key}" on ${this.name}`);
      waiting.push(turn);
      yield turn;
    }
    // What the oracle required is taken now, at the read, not at arrival: the increments before
    // this one were acknowledged while it waited.
    const acknowledged = this.acknowledged.get(key);
    const inTurn: Work<V> = {
      ...work,
      required: acknowledged?.version ?? 0,
      requiredDelete: acknowledged?.deleted ?? false,
    };
    let after: number;
    try {
      const entry = yield* this.read(inTurn, readLevel, this.nowNs);
      const before = entry === undefined ? 0 : entry.value;
      if (typeof before !== "number") throw new RemoteError("value is not a number", this.name);
      after = before + work.amount;
      yield* this.write(key, after as V, 0, writeLevel);
    } catch (error) {
      // Not `finally`: a crash closes this process, and the crash forgets every turn itself.
      this.nextIncrement(key);
      throw error;
    }
    this.nextIncrement(key);
    return after;
  }

  /** Hands `key` to the increment waiting next, if any. */
  private nextIncrement(key: string): void {
    const waiting = this.incrementing.get(key)!;
    const next = waiting.shift();
    if (next === undefined) this.incrementing.delete(key);
    else next.resolve();
  }

  private *read(
    work: Work<V>,
    level: ConsistencyLevel,
    arrivalNs: number,
  ): Generator<Yieldable, KVEntry<V> | undefined, unknown> {
    const key = work.key;
    const round = this.readRound(
      "getEntry",
      { key, tombstones: true },
      level,
      `${level} read of "${key}"`,
    );
    yield round.done;
    let newest: KVVersioned<V> | undefined;
    for (const answer of round.answers) {
      const entry = answer as KVVersioned<V> | undefined;
      if (entry !== undefined && (newest === undefined || entry.version > newest.version)) {
        newest = entry;
      }
    }
    if (this.readRepair && newest !== undefined) this.repair(round, newest);
    const found = newest === undefined || isTombstone(newest) ? undefined : newest;
    const c = this._counts;
    c.reads++;
    this.readsByLevel[level]++;
    this.readLatency[level].record((this.nowNs - arrivalNs) / 1e9);
    // Stale: older than the newest write (a put or a tombstone) acknowledged before the read
    // arrived; finding nothing after an acknowledged delete is the right answer, though.
    if ((newest?.version ?? 0) < work.required && !(work.requiredDelete && found === undefined)) {
      c.staleReads++;
      this.staleByLevel[level]++;
    }
    return found;
  }

  /**
   * Writes `newest` (a value or a tombstone) back to the replicas of `round` that answered
   * with an older one or none.
   */
  private repair(round: Round<V>, newest: KVVersioned<V>): void {
    let repaired = false;
    const deleted = isTombstone(newest);
    const payload = deleted
      ? { key: newest.key, version: newest.version }
      : { key: newest.key, value: newest.value, version: newest.version };
    for (let replica = 0; replica < round.answers.length; replica++) {
      if (!round.answeredBy[replica]) continue;
      const entry = round.answers[replica] as KVVersioned<V> | undefined;
      if (entry !== undefined && entry.version >= newest.version) continue;
      repaired = true;
      this._counts.readRepairs++;
      const counts = this._replicaCounts[replica]!;
      counts.repairs++;
      this._callReplica(replica, deleted ? "delete" : "put", payload).addListener(
        new RepairOutcome(counts),
      );
    }
    if (repaired) this._counts.repairedReads++;
  }

  private *write(
    key: string,
    value: V,
    given: number,
    level: ConsistencyLevel,
  ): Generator<Yieldable, number, unknown> {
    if (given > this.versionCounter) this.versionCounter = given;
    const version = given === 0 ? ++this.versionCounter : given;
    const round = this.writeRound(
      "put",
      { key, value, version },
      level,
      `${level} write of "${key}"`,
    );
    yield round.done;
    this.acknowledge(key, version, false);
    return version;
  }

  /** Records in the oracle that write `version` of `key` was acknowledged. */
  private acknowledge(key: string, version: number, deleted: boolean): void {
    const acknowledged = this.acknowledged.get(key);
    if (acknowledged === undefined) {
      this.acknowledged.set(key, { version, deleted });
    } else if (version > acknowledged.version) {
      acknowledged.version = version;
      acknowledged.deleted = deleted;
    }
  }

  /** A delete: a versioned write of a tombstone. */
  private *remove(key: string, level: ConsistencyLevel): Generator<Yieldable, boolean, unknown> {
    const version = ++this.versionCounter;
    const round = this.writeRound("delete", { key, version }, level, `${level} delete of "${key}"`);
    yield round.done;
    this.acknowledge(key, version, true);
    return round.answers.some((answer) => answer === true);
  }

  private *scanAt(range: ScanRange, level: ConsistencyLevel) {
    const limit = range.limit;
    const found: KVEntry<V>[] = [];
    let from = range.from;
    for (;;) {
      const payload = { from, to: range.to, limit, tombstones: true };
      const round = this.readRound("scan", payload, level, `${level} scan`);
      yield round.done;
      // Each replica answered its first `limit` keys (values and tombstones) from `from`. Up
      // to the smallest last key of a full answer, every replica asked answered every key it
      // holds, so the newest of each key there is known; past it, not yet.
      let covered: string | null = null;
      const newest = new Map<string, KVVersioned<V>>();
      for (let replica = 0; replica < round.answers.length; replica++) {
        if (!round.answeredBy[replica]) continue;
        const answer = round.answers[replica] as KVVersioned<V>[];
        if (answer.length >= limit) {
          const last = answer[answer.length - 1]!.key;
          if (covered === null || last < covered) covered = last;
        }
        for (const entry of answer) {
          const held = newest.get(entry.key);
          if (held === undefined || entry.version > held.version) newest.set(entry.key, entry);
        }
      }
      const keys = [...newest.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const key of keys) {
        if (found.length === limit || (covered !== null && key > covered)) break;
        const entry = newest.get(key)!;
        if (!isTombstone(entry)) found.push(entry);
      }
      // Short: tombstones hid some keys, and a replica may hold more past `covered`.
      if (found.length === limit || covered === null) return found;
      from = `${covered}\u0000`; // the smallest key after it
    }
  }

  /** A read: `needed` replicas at random, more as some fail. */
  private readRound(kind: string, payload: KVRequest<V>, level: ConsistencyLevel, what: string) {
    const order = this.order;
    // Partial Fisher-Yates: the first replicas of `order` become a uniform random choice.
    for (let i = 0; i < order.length - 1; i++) {
      const j = i + this.draws.integer(order.length - i);
      const swap = order[i]!;
      order[i] = order[j]!;
      order[j] = swap;
    }
    const needed = this.replicasFor(level);
    const round = new Round<V>(this, kind, payload, needed, [...order], what);
    for (let i = 0; i < needed; i++) round.askNext();
    return round;
  }

  /** A write: every replica at once. */
  private writeRound(kind: string, payload: KVRequest<V>, level: ConsistencyLevel, what: string) {
    const needed = this.replicasFor(level);
    const round = new Round<V>(
      this,
      kind,
      payload,
      needed,
      this.order.map((_, i) => i),
      what,
    );
    while (round.askNext()) {}
    return round;
  }

  /** @internal Sends one call to replica `index` with the replica timeout. */
  _callReplica(index: number, kind: string, payload: KVRequest<V>): SimFuture<KVReply<V>> {
    this._replicaCounts[index]!.calls++;
    return this.request(
      this.replicas[index]!,
      kind,
      payload,
      this.replicaTimeout.callOptionsAt(this.now),
    );
  }

  // --- Lifecycle --------------------------------------------------------------------------

  protected override onCrash(): void {
    // The crash cancelled the request processes and the replica calls; processes are told.
    this._counts.lostToCrash += this.active;
    this.active = 0;
    this.incrementing.clear();
    const calls = [...this.calls];
    this.calls.clear();
    for (const future of calls) future.reject(new RemoteError("coordinator crashed", this.name));
  }

  protected override onResetStats(): void {
    // Work in flight is counted again as received, so the identity keeps holding.
    this._counts = newCounts();
    this._counts.requests = this.active;
    for (const r of this._replicaCounts) {
      r.calls = 0;
      r.answered = 0;
      r.timedOut = 0;
      r.refused = 0;
      r.repairs = 0;
    }
    this.staleByLevel = newLevelCounts();
    this.readsByLevel = newLevelCounts();
    this.readLatency = newLevelHistograms();
    this.writeLatency = newLevelHistograms();
  }
}

const KIND_NAMES = ["get", "getEntry", "put", "delete", "scan", "increment"] as const;

function newCounts() {
  return {
    requests: 0,
    completed: 0,
    failed: 0,
    rejected: 0,
    lostToCrash: 0,
    reads: 0,
    writes: 0,
    staleReads: 0,
    repairedReads: 0,
    readRepairs: 0,
    replicaTimeouts: 0,
    replicaRefusals: 0,
  };
}

function newLevelCounts(): Record<ConsistencyLevel, number> {
  return { ONE: 0, QUORUM: 0, ALL: 0 };
}

function newLevelHistograms(): Record<ConsistencyLevel, Histogram> {
  return { ONE: new Histogram(), QUORUM: new Histogram(), ALL: new Histogram() };
}

function requireLevel(component: string, parameter: string, value: unknown): ConsistencyLevel {
  if (!CONSISTENCY_LEVELS.includes(value as ConsistencyLevel)) {
    throw new ConfigError(component, parameter, '"ONE", "QUORUM" or "ALL"', value);
  }
  return value as ConsistencyLevel;
}
