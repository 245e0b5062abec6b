/**
 * `CachedStore`: a cache of `capacity` entries in front of any store that speaks the key-value
 * protocol (a `KVStore`, another cache, a store of your own), and a store itself: it answers
 * the same protocol, by message or from a process, so callers cannot tell it from the store
 * behind it except by its latency. It exists to show what a cache does to the store behind it:
 * a hit costs only the lookup latency, a miss the lookup plus a read from the backing store, so
 * the backing store's load is the miss rate times the traffic, and a small drop in hit rate
 * (a cold restart, a scan, a key space that outgrew the cache) multiplies it.
 *
 * Reads: a `get` that finds a live entry is a hit (an entry remembering a miss, with
 * `negativeTtl`, answers `undefined` and is a hit too); otherwise it reads the backing store
 * and fills the cache, evicting by `eviction` when full. With `coalesce`, concurrent misses of
 * one key share one backing read. Entries live `ttl` seconds (checked on read, and by a sweep
 * every `sweepInterval`).
 *
 * Writes: `writeThrough` (default) writes to the backing store and, once it has answered,
 * updates the cache; `writeBack` updates the cache at once, marks the entry dirty and answers
 * (version 0: not written yet), then writes dirty entries to the backing store when they are
 * evicted and every `flushInterval` seconds. A crash loses the dirty entries (counted in
 * `lostWrites`). `delete` and `increment` always go to the backing store (which holds the
 * atomic counter), dropping the cached entry; `getEntry` and `scan` are read from the backing
 * store, uncached (in write-back mode they do not see writes not flushed yet).
 *
 * The cache is volatile: a crash empties it (the cold restart), loses requests in progress
 * (`lostToCrash`) and unflushed writes (`lostWrites`).
 *
 * @example
 * const db = new KVStore<string>(sim, "db", { readLatency: 0.005, concurrency: 20 });
 * const cache = new CachedStore<string>(sim, "cache", { backing: db, capacity: 1000, eviction: "lru" });
 * const value = yield* cache.get("user:1"); // from a process; or call(cache, "get", { key })
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { TimeSeries } from "../../metrics/timeSeries.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import { type Param, valueAt } from "../../random/profile.js";
import { percentiles } from "../resource/statistics.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import {
  requireEntity,
  requireInteger,
  requireSeconds,
  requireSecondsParam,
} from "../shared/validate.js";
import {
  EVICTION_POLICIES,
  type EvictionPolicy,
  type EvictionPolicyName,
  evictionPolicy,
  PolicyNode,
} from "./evictionPolicies.js";
import { type Latency, requireLatency } from "./latency.js";
import type {
  IncrementRequest,
  KVEntry,
  KVReply,
  KVRequest,
  KVStoreLike,
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
  type ScanRange,
} from "./requests.js";

export interface CachedStoreOptions<V> {
  /** The store behind the cache: any entity speaking the key-value protocol. */
  backing: KVStoreLike<V>;
  /** Most entries held (integer >= 1); entries remembering a miss count too. */
  capacity: number;
  /**
   * Which entry a full cache evicts: "lru" (default), "lfu", "fifo", "random" (drawn from the
   * cache's `eviction` stream), "ttl" (the one expiring soonest; needs `ttl`), "slru"
   * (segmented LRU, scan-resistant) or "clock" (second chance).
   */
  eviction?: EvictionPolicyName;
  /**
   * Seconds every request spends in the cache before it answers or goes to the backing store:
   * a number, a profile, or a distribution (drawn from the `lookup` stream). Default 0.0001.
   */
  lookupLatency?: Latency;
  /** How puts reach the backing store: "writeThrough" (default) or "writeBack". */
  writePolicy?: "writeThrough" | "writeBack";
  /**
   * Seconds between flushes of dirty entries to the backing store (> 0; a fixed grid from the
   * cache's creation or recovery; the flush timer is a daemon, so it keeps no run alive).
   * Write-back only. Default 1.
   */
  flushInterval?: number;
  /**
   * Seconds an entry lives after it is filled or written (> 0): a number, or a profile read at
   * that moment. Default: entries never expire.
   */
  ttl?: Param;
  /**
   * Seconds between sweeps removing expired entries (> 0; a daemon timer). Needs `ttl` or
   * `negativeTtl`. Default: no sweep (an expired entry is found and dropped when read, or
   * evicted).
   */
  sweepInterval?: number;
  /**
   * Seconds to remember that the backing store had no value for a key (> 0: a number or a
   * profile), answering `undefined` without asking it again. Default: misses are not remembered.
   */
  negativeTtl?: Param;
  /** Concurrent misses of one key share one backing read. Default false. */
  coalesce?: boolean;
  /**
   * Seconds to wait for the backing store on each call (> 0): a number or a profile. Default:
   * no timeout.
   */
  timeout?: Param;
  /** Width in seconds of the windows of the hit-rate series. Default 1. */
  window?: number;
}

/**
 * A snapshot of what a cache has done. At every instant (crashes and `sim.resetStats()`
 * included): `requests = completed + rejected + failed + lostToCrash + active`, and every
 * lookup is a hit or a miss.
 */
export interface CachedStoreStats {
  /** Requests received: messages and process calls. */
  readonly requests: number;
  /** Requests answered. */
  readonly completed: number;
  /** Requests refused by the cache itself (a process call while it was down). */
  readonly rejected: number;
  /** Requests failed because the backing store refused them or did not answer in time. */
  readonly failed: number;
  /** Requests in progress when the cache crashed: never answered. */
  readonly lostToCrash: number;
  /** Requests in progress now. */
  readonly active: number;
  /** `get`s answered from the cache (a remembered miss included). */
  readonly hits: number;
  /** `get`s that found no live entry: they read the backing store or joined a read of it. */
  readonly misses: number;
  /** `hits / (hits + misses)`; NaN before the first get. */
  readonly hitRate: number;
  /** `misses / (hits + misses)`; NaN before the first get. */
  readonly missRate: number;
  /** Hits on an entry remembering a miss (`negativeTtl`). */
  readonly negativeHits: number;
  /** Misses that joined a backing read already in flight (`coalesce`). */
  readonly coalesced: number;
  /** Entries removed by the eviction policy to make room. */
  readonly evictions: number;
  /** Entries found expired (on read, by the sweep, or chosen for eviction). */
  readonly expired: number;
  /** Requests sent to the backing store for reads (get misses, getEntry, scan). */
  readonly backingReads: number;
  /** Requests sent to the backing store for writes (puts, deletes, increments, flushes). */
  readonly backingWrites: number;
  /** Dirty entries written to the backing store (on eviction or by the periodic flush). */
  readonly writebacks: number;
  /** Writebacks the backing store refused or did not answer in time. */
  readonly writebacksFailed: number;
  /** Dirty entries (acknowledged writes not yet flushed) lost when the cache crashed. */
  readonly lostWrites: number;
  /** Entries held now. */
  readonly size: number;
  /** Dirty entries now (write-back). */
  readonly dirty: number;
}

/** A cached key: a value, or the memory of a miss. */
class CacheEntry<V> extends PolicyNode {
  dirty = false;
  constructor(
    readonly key: string,
    public value: V | undefined,
    /** Remembers that the backing store had no value. */
    public negative: boolean,
  ) {
    super();
  }
}

/** A request being served: its parsed arguments. */
interface Work<V> {
  readonly code: OpCode;
  readonly key: string;
  readonly value: V | undefined;
  /** An increment's `by`; a put's version (0: none). */
  readonly amount: number;
  readonly range: ScanRange | null;
}

const HIT = 1;
const MISS = 0;

export class CachedStore<V = unknown> extends Entity<KVRequest<V>, KVReply<V>> {
  static readonly catalog: CatalogEntry = {
    name: "CachedStore",
    kind: "component",
    role: "persistence",
    layer: "durable",
    contract:
      "Answers the key-value protocol in front of a backing store: a get hits a live entry after the lookup latency or reads the backing store and fills the cache, evicting by policy (lru, lfu, fifo, random, ttl, slru, clock); writes go through or are held dirty and written back on eviction and every flushInterval; misses can be remembered for negativeTtl; concurrent misses of a key can share one backing read; entries can expire after ttl. Hit and miss rates overall and per window.",
    requires: ["Keyspace", "TTL", "Capacity", "Timer"],
    provides: ["Read", "Write", "Delete", "Scan", "Bounded"],
    inputs: ["get, getEntry, put, delete, scan, increment (messages or process calls)"],
    outputs: [
      "values, versions, counts (replies or returned values)",
      "failures relayed from the backing store (RemoteError)",
      "requests, completed, failed, lostToCrash, active, hits, misses, hitRate, evictions, expired, backingReads, backingWrites, writebacks, lostWrites, size, dirty; the hit rate per window",
    ],
    state: "cached entries, dirty entries and backing reads in flight (all volatile)",
    failure_semantics:
      "A crash empties the cache (a cold restart: every key misses until filled again), loses requests in progress (lostToCrash: callers by message time out, processes get RemoteError) and dirty entries not flushed yet (lostWrites). A backing store's refusal or timeout fails the request with its reason.",
    composition_rules: ["KVStore", "Client", "LoadBalancer"],
    operational_knobs: knobs<CachedStoreOptions<unknown>>()(
      "backing",
      "capacity",
      "eviction",
      "lookupLatency",
      "writePolicy",
      "flushInterval",
      "ttl",
      "sweepInterval",
      "negativeTtl",
      "coalesce",
      "timeout",
      "window",
    ),
  };

  readonly backing: KVStoreLike<V>;
  readonly capacity: number;
  readonly eviction: EvictionPolicyName;
  readonly writePolicy: "writeThrough" | "writeBack";
  /**
   * Each lookup by the time it finished: 1 for a hit, 0 for a miss, by window: a window's mean
   * is its hit rate, its count the lookups.
   */
  readonly hitSeries: TimeSeries;
  /** A backing read (its value is 1) at each time one was sent: a window's rate is reads per second. */
  readonly backingReadSeries: TimeSeries;
  private readonly lookupLatency: Distribution;
  private readonly flushInterval: number;
  private readonly ttl: Param | null;
  private readonly sweepInterval: number | null;
  private readonly negativeTtl: Param | null;
  private readonly coalesce: boolean;
  private readonly timeout: TimeoutParam | null;
  private readonly lookupDraws = this.random("lookup");
  private readonly checks = new RequestChecks(this as Entity<never, unknown>, "CachedStore");
  private readonly policy: EvictionPolicy<CacheEntry<V>>;
  private entries = new Map<string, CacheEntry<V>>();
  /** Dirty entries, in the order they became dirty (the order a flush writes them). */
  private dirtyEntries = new Set<CacheEntry<V>>();
  /** Backing reads in flight by key (`coalesce`). */
  private reading = new Map<string, SimFuture<KVReply<V>>>();
  /** Futures of process calls in progress, so a crash can tell them. */
  private readonly calls = new Set<SimFuture<KVReply<V>>>();
  /** Where the flush and sweep grids start (creation or the last recovery), in seconds. */
  private gridOrigin: number;
  private flushes = 0;
  private sweeps = 0;
  private active = 0;
  private counts = {
    requests: 0,
    completed: 0,
    rejected: 0,
    failed: 0,
    lostToCrash: 0,
    hits: 0,
    misses: 0,
    negativeHits: 0,
    coalesced: 0,
    evictions: 0,
    expired: 0,
    backingReads: 0,
    backingWrites: 0,
    writebacks: 0,
    writebacksFailed: 0,
    lostWrites: 0,
  };
  private getLatency = new Histogram();
  private putLatency = new Histogram();
  /** Counts a writeback's outcome without a process per flush. */
  private readonly writebackOutcome = {
    futureSettled: (future: SimFuture<unknown>) => {
      if (future.state === "rejected") this.counts.writebacksFailed++;
    },
  };

  constructor(sim: Simulation, name: string, options: CachedStoreOptions<V>) {
    // Checked before registering: a refused cache leaves no entity behind.
    const config = checkCachedStoreOptions(sim, name, options);
    super(sim, name);
    this.backing = config.backing;
    this.capacity = config.capacity;
    this.eviction = config.eviction;
    this.lookupLatency = config.lookupLatency;
    this.writePolicy = config.writePolicy;
    this.flushInterval = config.flushInterval;
    this.ttl = config.ttl;
    this.sweepInterval = config.sweepInterval;
    this.negativeTtl = config.negativeTtl;
    this.coalesce = config.coalesce;
    this.timeout = config.timeout;
    this.hitSeries = new TimeSeries({ window: config.window, origin: this.now });
    this.backingReadSeries = new TimeSeries({ window: config.window, origin: this.now });
    this.policy = evictionPolicy<CacheEntry<V>>(
      config.eviction,
      config.capacity,
      this.random("eviction"),
    );
    this.gridOrigin = this.now;
    this.startTimers();
  }

  // --- The process API (the same operations as by message) --------------------------------

  /** The value under `key`, or undefined: from the cache, or read through. */
  *get(key: string): Generator<SimFuture<KVReply<V>>, V | undefined, unknown> {
    return (yield this.submit(GET, this.checks.key("get", key), undefined, 0, null)) as
      | V
      | undefined;
  }

  /** The backing store's entry for `key` (uncached). */
  *getEntry(key: string): Generator<SimFuture<KVReply<V>>, KVEntry<V> | undefined, unknown> {
    const checked = this.checks.key("getEntry", key);
    return (yield this.submit(GET_ENTRY, checked, undefined, 0, null)) as KVEntry<V> | undefined;
  }

  /**
   * Writes `value` under `key`: the backing store's version (write-through, or any put with a
   * `version`), or 0 (write-back: not written to the backing store yet).
   */
  *put(
    key: string,
    value: V,
    options?: { readonly version?: number },
  ): Generator<SimFuture<KVReply<V>>, number, unknown> {
    const checked = this.checks.key("put", key);
    const version = this.checks.version(options?.version);
    this.checks.value(value);
    return (yield this.submit(PUT, checked, value, version, null)) as number;
  }

  /** Removes `key` from the cache and the backing store; whether the backing store had it. */
  *delete(key: string): Generator<SimFuture<KVReply<V>>, boolean, unknown> {
    const checked = this.checks.key("delete", key);
    return (yield this.submit(DELETE, checked, undefined, 0, null)) as boolean;
  }

  /** The backing store's scan (uncached). */
  *scan(range: ScanRequest = {}): Generator<SimFuture<KVReply<V>>, KVEntry<V>[], unknown> {
    const checked = this.checks.scan(range);
    return (yield this.submit(SCAN, "", undefined, 0, checked)) as KVEntry<V>[];
  }

  /** The backing store's atomic increment; the cached entry is dropped. */
  *increment(key: string, by = 1): Generator<SimFuture<KVReply<V>>, number, unknown> {
    const checked = this.checks.key("increment", key);
    const amount = this.checks.by(by);
    return (yield this.submit(INCREMENT, checked, undefined, amount, null)) as number;
  }

  // --- State ------------------------------------------------------------------------------

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** Whether `key` has a live entry now (no latency; for tests and probes). */
  has(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAtNs > this.nowNs;
  }

  /** Seconds from arrival to answer of every answered get. */
  get getLatencyHistogram(): Histogram {
    return this.getLatency;
  }

  get stats(): CachedStoreStats {
    const c = this.counts;
    const lookups = c.hits + c.misses;
    return {
      requests: c.requests,
      completed: c.completed,
      rejected: c.rejected,
      failed: c.failed,
      lostToCrash: c.lostToCrash,
      active: this.active,
      hits: c.hits,
      misses: c.misses,
      hitRate: lookups > 0 ? c.hits / lookups : Number.NaN,
      missRate: lookups > 0 ? c.misses / lookups : Number.NaN,
      negativeHits: c.negativeHits,
      coalesced: c.coalesced,
      evictions: c.evictions,
      expired: c.expired,
      backingReads: c.backingReads,
      backingWrites: c.backingWrites,
      writebacks: c.writebacks,
      writebacksFailed: c.writebacksFailed,
      lostWrites: c.lostWrites,
      size: this.entries.size,
      dirty: this.dirtyEntries.size,
    };
  }

  /**
   * `stats`, plus the mean and percentiles of get and put latency (`meanGetLatency`,
   * `p50GetLatency`, ..., `p999PutLatency`; 0 while none answered).
   */
  override metrics(): EntityMetrics {
    return {
      ...this.stats,
      meanGetLatency: this.getLatency.count > 0 ? this.getLatency.mean : 0,
      ...percentiles("GetLatency", this.getLatency),
      meanPutLatency: this.putLatency.count > 0 ? this.putLatency.mean : 0,
      ...percentiles("PutLatency", this.putLatency),
    };
  }

  /** The hit rate and the backing reads per second, window by window, up to now. */
  override recordedSeries(): readonly RecordedSeries[] {
    const until = this.now;
    return [
      { name: `${this.name} hit rate`, unit: "", points: this.hitSeries.series("mean", { until }) },
      {
        name: `${this.name} backing reads`,
        unit: "per second",
        points: this.backingReadSeries.series("rate", { until }),
      },
    ];
  }

  // --- The message API --------------------------------------------------------------------

  override *handle(request: Message<KVRequest<V>>) {
    const kind = request.kind;
    const code = this.checks.opCode(kind);
    const payload = this.checks.payload<Partial<PutRequest<V> & IncrementRequest & ScanRequest>>(
      kind,
      request.payload,
    );
    let work: Work<V>;
    if (code === SCAN) {
      work = { code, key: "", value: undefined, amount: 0, range: this.checks.scan(payload) };
    } else {
      const key = this.checks.key(kind, payload.key);
      let amount = 0;
      if (code === INCREMENT) amount = this.checks.by(payload.by ?? 1);
      if (code === PUT) {
        amount = this.checks.version(payload.version);
        this.checks.value(payload.value);
      }
      work = { code, key, value: payload.value, amount, range: null };
    }
    const arrivalNs = this.nowNs;
    this.counts.requests++;
    this.active++;
    let result: KVReply<V>;
    try {
      result = yield* this.serve(work);
    } catch (error) {
      this.failed(error);
      this.fail(request, reasonOf(error));
      return;
    }
    this.answered(work.code, arrivalNs);
    this.reply(request, result);
  }

  // --- The one path both take -------------------------------------------------------------

  private submit(
    code: OpCode,
    key: string,
    value: V | undefined,
    amount: number,
    range: ScanRange | null,
  ): SimFuture<KVReply<V>> {
    const future = this.future<KVReply<V>>(`${kindName(code)} on ${this.name}`);
    this.counts.requests++;
    if (!this.isUp) {
      this.counts.rejected++;
      future.reject(new RemoteError("cache is down", this.name));
      return future;
    }
    this.active++;
    this.calls.add(future);
    this.start(this.serveCall({ code, key, value, amount, range }, future));
    return future;
  }

  /** A process call, served by a process of the cache (so a crash cancels it). */
  private *serveCall(work: Work<V>, future: SimFuture<KVReply<V>>) {
    const arrivalNs = this.nowNs;
    let result: KVReply<V>;
    try {
      result = yield* this.serve(work);
    } catch (error) {
      this.failed(error);
      this.calls.delete(future);
      future.reject(new RemoteError(reasonOf(error), this.name));
      return;
    }
    this.answered(work.code, arrivalNs);
    this.calls.delete(future);
    future.resolve(result);
  }

  private answered(code: OpCode, arrivalNs: number): void {
    this.active--;
    this.counts.completed++;
    const seconds = (this.nowNs - arrivalNs) / 1e9;
    if (code === GET) this.getLatency.record(seconds);
    else if (code === PUT) this.putLatency.record(seconds);
  }

  /** Counts a failed request; rethrows an error that is not a modelled failure (a bug). */
  private failed(error: unknown): void {
    if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
    this.active--;
    this.counts.failed++;
  }

  private *serve(work: Work<V>): Generator<Yieldable, KVReply<V>, unknown> {
    const lookup = this.workTime(this.lookupLatency.sample(this.lookupDraws, this.now));
    if (lookup > 0) yield lookup;
    switch (work.code) {
      case GET:
        return yield* this.read(work.key);
      case PUT:
        return yield* this.write(work.key, work.value as V, work.amount);
      case DELETE:
        this.drop(work.key);
        this.counts.backingWrites++;
        return (yield this.callBacking("delete", { key: work.key })) as KVReply<V>;
      case INCREMENT:
        return yield* this.incrementThrough(work.key, work.amount);
      case GET_ENTRY:
        this.counts.backingReads++;
        return (yield this.callBacking("getEntry", { key: work.key })) as KVReply<V>;
      default:
        this.counts.backingReads++;
        return (yield this.callBacking("scan", work.range!)) as KVReply<V>;
    }
  }

  private *read(key: string): Generator<Yieldable, KVReply<V>, unknown> {
    const c = this.counts;
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (entry.expiresAtNs > this.nowNs) {
        c.hits++;
        if (entry.negative) c.negativeHits++;
        this.hitSeries.record(this.now, HIT);
        this.policy.accessed(entry);
        return entry.value;
      }
      c.expired++;
      this.remove(entry);
    }
    c.misses++;
    this.hitSeries.record(this.now, MISS);
    if (this.coalesce) {
      const inFlight = this.reading.get(key);
      if (inFlight !== undefined) {
        c.coalesced++;
        return (yield inFlight) as KVReply<V>;
      }
    }
    c.backingReads++;
    this.backingReadSeries.record(this.now, 1);
    const read = this.callBacking("get", { key });
    if (this.coalesce) this.reading.set(key, read);
    let value: V | undefined;
    try {
      value = (yield read) as V | undefined;
    } finally {
      if (this.reading.get(key) === read) this.reading.delete(key);
    }
    this.fill(key, value);
    return value;
  }

  /** Caches what a read brought back, unless a write or another fill got there first. */
  private fill(key: string, value: V | undefined): void {
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      if (existing.expiresAtNs > this.nowNs) return;
      this.counts.expired++;
      this.remove(existing);
    }
    if (value === undefined) {
      if (this.negativeTtl === null) return;
      this.insert(new CacheEntry<V>(key, undefined, true), this.negativeTtl);
    } else {
      this.insert(new CacheEntry<V>(key, value, false), this.ttl);
    }
  }

  private *write(key: string, value: V, version: number): Generator<Yieldable, number, unknown> {
    if (this.writePolicy === "writeBack" && version === 0) {
      const entry = this.upsert(key, value);
      if (!entry.dirty) {
        entry.dirty = true;
        this.dirtyEntries.add(entry);
      }
      return 0;
    }
    this.counts.backingWrites++;
    let stored: number;
    try {
      stored = (yield this.callBacking("put", {
        key,
        value,
        version: version || undefined,
      })) as number;
    } catch (error) {
      // It may or may not have been written: the cache must not answer from its old value.
      this.drop(key);
      throw error;
    }
    // A versioned put the backing store kept an newer version over: the cache cannot tell the
    // value, so it forgets the key.
    if (version !== 0 && stored !== version) this.drop(key);
    else this.upsert(key, value);
    return stored;
  }

  /** The backing store increments; a dirty entry is written first, so it counts from it. */
  private *incrementThrough(key: string, by: number): Generator<Yieldable, number, unknown> {
    const entry = this.entries.get(key);
    if (entry?.dirty === true) {
      const c = this.counts;
      this.markClean(entry);
      c.backingWrites++;
      c.writebacks++;
      try {
        yield this.callBacking("put", { key, value: entry.value as V });
      } catch (error) {
        c.writebacksFailed++;
        // As far as the cache knows the write never arrived: it stays dirty, to be flushed.
        if (this.entries.get(key) === entry && !entry.dirty) {
          entry.dirty = true;
          this.dirtyEntries.add(entry);
        }
        throw error;
      }
    }
    this.drop(key);
    this.counts.backingWrites++;
    const result = (yield this.callBacking("increment", { key, by })) as number;
    // A fill racing with the increment may have cached the old number.
    const raced = this.entries.get(key);
    if (raced !== undefined && !raced.dirty) this.remove(raced);
    return result;
  }

  // --- Entries ----------------------------------------------------------------------------

  /** Sets `key` to `value` in the cache (a new entry, or the live one updated). */
  private upsert(key: string, value: V): CacheEntry<V> {
    const existing = this.entries.get(key);
    if (existing !== undefined && existing.expiresAtNs > this.nowNs) {
      existing.value = value;
      existing.negative = false;
      existing.expiresAtNs = this.expiryFrom(this.ttl);
      this.policy.accessed(existing);
      return existing;
    }
    if (existing !== undefined) {
      this.counts.expired++;
      this.remove(existing);
    }
    const entry = new CacheEntry<V>(key, value, false);
    this.insert(entry, this.ttl);
    return entry;
  }

  private insert(entry: CacheEntry<V>, ttl: Param | null): void {
    if (this.entries.size >= this.capacity) this.evict();
    entry.expiresAtNs = this.expiryFrom(ttl);
    this.entries.set(entry.key, entry);
    this.policy.inserted(entry);
  }

  private expiryFrom(ttl: Param | null): number {
    if (ttl === null) return Number.POSITIVE_INFINITY;
    return this.nowNs + Math.round(valueAt(ttl, this.now) * 1e9);
  }

  /** Makes room for one entry: the policy's victim goes (written back first if dirty). */
  private evict(): void {
    const victim = this.policy.victim()!;
    if (victim.expiresAtNs <= this.nowNs) this.counts.expired++;
    else this.counts.evictions++;
    if (victim.dirty) this.writeBack(victim);
    this.remove(victim);
  }

  private remove(entry: CacheEntry<V>): void {
    this.entries.delete(entry.key);
    this.policy.removed(entry);
    if (entry.dirty) this.markClean(entry);
  }

  /** Forgets `key`'s entry, if any, dirty or not (a delete or an increment supersedes it). */
  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) this.remove(entry);
  }

  private markClean(entry: CacheEntry<V>): void {
    entry.dirty = false;
    this.dirtyEntries.delete(entry);
  }

  /** Sends a dirty entry to the backing store; nobody waits, the outcome is counted. */
  private writeBack(entry: CacheEntry<V>): void {
    this.markClean(entry);
    const c = this.counts;
    c.writebacks++;
    c.backingWrites++;
    const put = this.callBacking("put", { key: entry.key, value: entry.value as V });
    put.addListener(this.writebackOutcome);
  }

  private callBacking(kind: string, payload: KVRequest<V>): SimFuture<KVReply<V>> {
    return this.request(this.backing, kind, payload, this.timeout?.callOptionsAt(this.now));
  }

  // --- Timers -----------------------------------------------------------------------------

  private startTimers(): void {
    this.flushes = 0;
    this.sweeps = 0;
    if (this.writePolicy === "writeBack") this.scheduleFlush();
    if (this.sweepInterval !== null) this.scheduleSweep();
  }

  private scheduleFlush(): void {
    // On a grid from the origin (start + k x interval), so no drift builds up.
    let at = this.gridOrigin + ++this.flushes * this.flushInterval;
    // A flush that ran late (the store was paused) skips the grid times already past.
    if (at < this.now) {
      this.flushes = Math.ceil((this.now - this.gridOrigin) / this.flushInterval);
      at = this.gridOrigin + this.flushes * this.flushInterval;
    }
    this.at(at, this.flush, undefined, { daemon: true });
  }

  private readonly flush = (): void => {
    for (const entry of [...this.dirtyEntries]) this.writeBack(entry);
    this.scheduleFlush();
  };

  private scheduleSweep(): void {
    let at = this.gridOrigin + ++this.sweeps * this.sweepInterval!;
    if (at < this.now) {
      this.sweeps = Math.ceil((this.now - this.gridOrigin) / this.sweepInterval!);
      at = this.gridOrigin + this.sweeps * this.sweepInterval!;
    }
    this.at(at, this.sweep, undefined, { daemon: true });
  }

  private readonly sweep = (): void => {
    const nowNs = this.nowNs;
    for (const entry of [...this.entries.values()]) {
      if (entry.expiresAtNs > nowNs) continue;
      this.counts.expired++;
      if (entry.dirty) this.writeBack(entry);
      this.remove(entry);
    }
    this.scheduleSweep();
  };

  // --- Lifecycle --------------------------------------------------------------------------

  protected override onCrash(): void {
    // The crash cancelled the request processes, the backing calls and the timers. Everything
    // the cache held is gone: its entries, its dirty writes, its reads in flight.
    const c = this.counts;
    c.lostToCrash += this.active;
    this.active = 0;
    c.lostWrites += this.dirtyEntries.size;
    this.dirtyEntries = new Set();
    this.entries = new Map();
    this.policy.clear();
    this.reading = new Map();
    const calls = [...this.calls];
    this.calls.clear();
    for (const future of calls) future.reject(new RemoteError("cache crashed", this.name));
  }

  protected override onRecover(): void {
    this.gridOrigin = this.now;
    this.startTimers();
  }

  protected override onResetStats(): void {
    // Requests in progress are counted again as received, so the identity keeps holding.
    const c = this.counts;
    for (const key of Object.keys(c) as (keyof typeof c)[]) c[key] = 0;
    c.requests = this.active;
    this.getLatency = new Histogram();
    this.putLatency = new Histogram();
    this.hitSeries.reset(this.now);
    this.backingReadSeries.reset(this.now);
  }
}

function reasonOf(error: unknown): string {
  return error instanceof RemoteError ? error.reason : "backing store timed out";
}

function kindName(code: OpCode): string {
  return ["get", "getEntry", "put", "delete", "scan", "increment"][code]!;
}

/** A cache's options, checked and defaulted, before the cache registers. */
function checkCachedStoreOptions<V>(sim: Simulation, name: string, options: CachedStoreOptions<V>) {
  const component = `CachedStore "${name}"`;
  if (options === null || typeof options !== "object") {
    throw new ConfigError(component, "options", "an options object", options);
  }
  const backing = requireEntity(
    component,
    "backing",
    options.backing,
    sim,
    Entity,
  ) as KVStoreLike<V>;
  const capacity = requireInteger(component, "capacity", options.capacity, 1);
  const eviction = options.eviction ?? "lru";
  if (!EVICTION_POLICIES.includes(eviction)) {
    throw new ConfigError(
      component,
      "eviction",
      `one of ${EVICTION_POLICIES.join(", ")}`,
      eviction,
    );
  }
  const lookupLatency = requireLatency(component, "lookupLatency", options.lookupLatency, 0.0001);
  const writePolicy = options.writePolicy ?? "writeThrough";
  if (writePolicy !== "writeThrough" && writePolicy !== "writeBack") {
    throw new ConfigError(component, "writePolicy", '"writeThrough" or "writeBack"', writePolicy);
  }
  const flushInterval = requireSeconds(component, "flushInterval", options.flushInterval ?? 1);
  if (options.flushInterval !== undefined && writePolicy !== "writeBack") {
    throw new ConfigError(
      component,
      "flushInterval",
      'unset unless writePolicy is "writeBack"',
      flushInterval,
    );
  }
  const ttl = options.ttl === undefined ? null : requireSecondsParam(component, "ttl", options.ttl);
  if (eviction === "ttl" && ttl === null) {
    throw new ConfigError(component, "ttl", 'a duration in seconds with eviction "ttl"', undefined);
  }
  const negativeTtl =
    options.negativeTtl === undefined
      ? null
      : requireSecondsParam(component, "negativeTtl", options.negativeTtl);
  const sweepInterval =
    options.sweepInterval === undefined
      ? null
      : requireSeconds(component, "sweepInterval", options.sweepInterval);
  if (sweepInterval !== null && ttl === null && negativeTtl === null) {
    throw new ConfigError(
      component,
      "sweepInterval",
      "unset unless ttl or negativeTtl is set (nothing expires)",
      sweepInterval,
    );
  }
  const coalesce = options.coalesce ?? false;
  if (typeof coalesce !== "boolean") {
    throw new ConfigError(component, "coalesce", "true or false", coalesce);
  }
  const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
  const window = requireSeconds(component, "window", options.window ?? 1);
  return {
    backing,
    capacity,
    eviction,
    lookupLatency,
    writePolicy,
    flushInterval,
    ttl,
    sweepInterval,
    negativeTtl,
    coalesce,
    timeout,
    window,
  } as const;
}
