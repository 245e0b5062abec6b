/**
 * `ShardedStore`: one key space spread over several stores (shards), each key on one shard
 * chosen by a sharding strategy (./sharding.ts: hash, range, consistent hash), and a store
 * itself: it answers the key-value protocol, by message or from a process, so a `CachedStore`
 * can sit in front of it and its shards can be `KVStore`s or `ReplicatedStore`s (a request's
 * extra payload fields, such as a consistency `level`, pass through to the shard).
 *
 * It exists to show where load lands: per shard it counts requests (and a time series of their
 * rate), so a hot key range on one shard (range sharding under a skewed workload) shows as one
 * shard's share and its latency, and how hashing spreads the same keys.
 *
 * A key's operation goes to its shard alone. A scan asks every shard that may hold keys of its
 * range (range sharding: only those whose ranges overlap it) and merges their answers in key
 * order, at most `limit`.
 *
 * Adding a shard at run time (`addShard`) starts a migration that moves each key whose shard
 * changed (a moving key) from its old shard to its new one, counted in `keysMoved`. Only the
 * keys the strategy moves move: about 1/(n+1) with consistent hashing, the split range with
 * range sharding, and most keys with hash-mod-n. No acknowledged write is lost to it:
 *
 * - The old shard stays the owner of a moving key until the key has moved; the coordinator
 *   remembers which have (`settled`), so requests of a moving key go to the right shard.
 * - A key moves under a per-key lock: read from the old shard (the migration's scan, or a
 *   getEntry), copied to the new one with its version (above a tombstone a KVStore, or a
 *   ReplicatedStore's replicas, keep of it from when it owned it before), deleted from the
 *   old. Requests of that key wait for the move. A ReplicatedStore source is read at the
 *   level that overlaps its write level, so no write it acknowledged is missed.
 * - A write (put, delete, increment) of a moving key that has not moved yet moves it first,
 *   then applies to the new shard; a read reads the old shard (and the new one if the key
 *   moved meanwhile).
 * - The migration (and any move) waits until the writes sent before the shard was added have
 *   been answered, so none lands on an old shard after its key moved. A shard that never
 *   answers (down, without a `timeout`) holds the migration up.
 *
 * A scan asks every shard while migrating and takes a key's entry from its owner (the old shard
 * if the key had not moved when the scan was sent); a stale copy elsewhere never answers one.
 * A write of a key being moved waits for the move to end (moved or not), so a delete's key is
 * gone from every shard once acknowledged. On a `KVStore` shard a delete leaves a tombstone at the
 * shard's next version (`tombstone: true`: chosen by the shard as the delete applies, so newer
 * than anything the key held, in one step), so a migration's copy still on its way (sent before
 * a crash of this store, or slowed) cannot bring the key back. Moving keys
 * must be written only through this store (a write straight to a shard is not seen).
 * A shard call of the migration that fails (refused, timed out: `migrationFailures`) is tried
 * again a second later, so a shard that is down holds the migration up (its moving keys
 * unavailable, not lost); a copy whose delete failed is deleted before the migration ends. Only
 * a key's owner's copy moves: a copy elsewhere never overwrites it.
 *
 * Crash: a crash loses the requests in progress (`lostToCrash`) and pauses a migration; the
 * migration starts over when the store recovers (keys already moved are no longer on their
 * old shards). While down, messages are dropped and process calls refused.
 *
 * @example
 * const shards = [0, 1, 2].map((i) => new KVStore<string>(sim, `shard-${i}`));
 * const users = new ShardedStore<string>(sim, "users", { shards, sharding: consistentHashSharding() });
 * yield* users.put("user:1", "Ada");
 * users.addShard(new KVStore<string>(sim, "shard-3"));
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import { all, type SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { TimeSeries } from "../../metrics/timeSeries.js";
import type { Param } from "../../random/profile.js";
import { percentiles } from "../resource/statistics.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity, requireSeconds } from "../shared/validate.js";
import { KVStore } from "./kvStore.js";
import {
  type IncrementRequest,
  isTombstone,
  type KVEntry,
  type KVReply,
  type KVRequest,
  type KVStoreLike,
  type KVVersioned,
  type PutRequest,
  type ScanRequest,
} from "./protocol.js";
import { type ConsistencyLevel, ReplicatedStore } from "./replicatedStore.js";
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
import { hashSharding, isSharding, type Sharding, type ShardRouter } from "./sharding.js";

export interface ShardedStoreOptions<V> {
  /** The shards (at least one), entities of this simulation that speak the protocol. */
  shards: readonly KVStoreLike<V>[];
  /** How keys are placed. Default `hashSharding()`. */
  sharding?: Sharding;
  /** Seconds to wait for a shard's answer (> 0, a number or a profile). Default: no timeout. */
  timeout?: Param;
  /** Width in seconds of the windows of the per-shard load series. Default 1. */
  window?: number;
}

/**
 * A snapshot of what the store has done. At every instant (crashes and resets included):
 * `requests = completed + failed + rejected + lostToCrash + active`, and the per-shard
 * requests add up to the key operations and scans' shard calls forwarded.
 */
export interface ShardedStoreStats {
  readonly requests: number;
  readonly completed: number;
  /** Refused by a shard, or not answered in time (`timedOut` of them). */
  readonly failed: number;
  readonly timedOut: number;
  /** Process calls refused because the store was down. */
  readonly rejected: number;
  readonly lostToCrash: number;
  readonly active: number;
  /** Keys moved to another shard by migrations. */
  readonly keysMoved: number;
  /** Keys a migration could not move (a shard refused or timed out): left on their old shard. */
  readonly migrationFailures: number;
  /** Whether a migration is in progress. */
  readonly migrating: boolean;
  /** The busiest shard's requests over the mean per shard (1: even); NaN before any. */
  readonly loadImbalance: number;
}

/** One shard's load. */
export interface ShardLoad {
  readonly name: string;
  /** Calls sent to it (key operations, scans, migration calls excluded). */
  readonly requests: number;
  /** Its share of all shard calls (NaN before any). */
  readonly share: number;
  /** Seconds from a request's arrival to the shard's answer, over its answered requests. */
  readonly latency: Histogram;
}

interface Work<V> {
  readonly code: OpCode;
  readonly kind: string;
  readonly key: string;
  readonly payload: KVRequest<V>;
  readonly range: ScanRange | null;
}

/** The routing before a shard was added, kept while the migration runs. */
interface Routing<V> {
  readonly router: ShardRouter;
  readonly shards: readonly KVStoreLike<V>[];
}

/** A migration's page of scanned keys. */
const MIGRATION_PAGE = 100;

/** Seconds a migration waits before it tries a failed shard call again. */
const MIGRATION_RETRY = 1;

export class ShardedStore<V = unknown> extends Entity<KVRequest<V>, KVReply<V>> {
  static readonly catalog: CatalogEntry = {
    name: "ShardedStore",
    kind: "component",
    role: "routing",
    layer: "durable",
    contract:
      "Answers the key-value protocol over several shard stores: each key's operation goes to the one shard its sharding strategy (hash, range with split points, consistent hash with virtual nodes) names; a scan asks the shards its range may touch and merges their entries in key order. Counts requests per shard (and their rate over time). Adding a shard at run time migrates only the keys whose shard changed, without losing an acknowledged write: the old shard owns a key until it moved, a key moves under a per-key lock, a write of a key not moved yet moves it first, and the migration waits for the writes sent before it.",
    requires: ["PartitionPolicy", "ShardMap"],
    provides: [
      "Read",
      "Write",
      "Delete",
      "Scan",
      "PartitionMap",
      "ConsistentHashRing",
      "Rebalancer",
    ],
    inputs: ["get, getEntry, put, delete, scan, increment (messages or process calls)"],
    outputs: [
      "the shards' answers (replies or returned values)",
      "the shards' refusals and timeouts (RemoteError)",
      "requests, completed, failed, timedOut, lostToCrash, requests and latency per shard, load over time per shard, keysMoved",
    ],
    state:
      "the shard list and routing, a migration in progress (restarted after a crash), requests in progress (volatile)",
    failure_semantics:
      "A crash loses the requests in progress (lostToCrash) and pauses a migration, which starts over on recovery. A shard's refusal or timeout fails the request with its reason; a key whose move failed stays on its old shard (migrationFailures).",
    composition_rules: ["KVStore", "ReplicatedStore", "CachedStore"],
    operational_knobs: knobs<ShardedStoreOptions<unknown>>()(
      "shards",
      "sharding",
      "timeout",
      "window",
    ),
  };

  readonly sharding: Sharding;
  private shardList: KVStoreLike<V>[];
  private router: ShardRouter;
  private previous: Routing<V> | null = null;
  /**
   * Moving keys now owned by their new shard (moved, or found gone from the old), each with
   * the number of keys settled before it, so a scan can tell which settled after it was sent.
   */
  private readonly settled = new Map<string, number>();
  private settledCount = 0;
  /** Keys being moved now: each resolves when its move ends. */
  private readonly moving = new Map<string, SimFuture<void>>();
  /** Moved keys whose old copy could not be deleted yet, with the shard that holds it. */
  private readonly staleCopies = new Map<string, KVStoreLike<V>>();
  /** Writes sent to shards and not answered, routed since the last `addShard` and before. */
  private writesNow = 0;
  private writesBefore = 0;
  private routingEpoch = 0;
  /** Resolved when the writes routed before the last `addShard` have all been answered. */
  private drain: SimFuture<void> | null = null;
  private readonly timeout: TimeoutParam | null;
  private readonly window: number;
  private readonly checks = new RequestChecks(this as Entity<never, unknown>, "ShardedStore");
  private readonly calls = new Set<SimFuture<KVReply<V>>>();
  private active = 0;
  private counts = newCounts();
  private shardRequests: number[];
  private shardLatency: Histogram[];
  private shardSeries: TimeSeries[];
  private latency = new Histogram();

  constructor(sim: Simulation, name: string, options: ShardedStoreOptions<V>) {
    const component = `ShardedStore "${name}"`;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an options object", options);
    }
    const shards = options.shards;
    if (!Array.isArray(shards) || shards.length === 0) {
      throw new ConfigError(component, "shards", "a non-empty array of stores", shards);
    }
    for (const shard of shards) requireEntity(component, "shards", shard, sim, Entity);
    if (new Set(shards).size !== shards.length) {
      throw new ConfigError(
        component,
        "shards",
        "distinct stores",
        shards.map((s) => s.name),
      );
    }
    const sharding = options.sharding ?? hashSharding();
    if (!isSharding(sharding)) {
      throw new ConfigError(
        component,
        "sharding",
        "hashSharding(), rangeSharding({ splits }) or consistentHashSharding()",
        sharding,
      );
    }
    const router = sharding.router(
      shards.map((s) => s.name),
      component,
    );
    const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
    const window = requireSeconds(component, "window", options.window ?? 1);
    super(sim, name);
    this.sharding = sharding;
    this.shardList = [...shards];
    this.router = router;
    this.timeout = timeout;
    this.window = window;
    this.shardRequests = shards.map(() => 0);
    this.shardLatency = shards.map(() => new Histogram());
    this.shardSeries = shards.map(() => new TimeSeries({ window, origin: this.now }));
  }

  // --- The process API --------------------------------------------------------------------

  *get(key: string): Generator<SimFuture<KVReply<V>>, V | undefined, unknown> {
    return (yield this.submit(GET, "get", key, { key })) as V | undefined;
  }

  *getEntry(key: string): Generator<SimFuture<KVReply<V>>, KVEntry<V> | undefined, unknown> {
    return (yield this.submit(GET_ENTRY, "getEntry", key, { key })) as KVEntry<V> | undefined;
  }

  /** Writes `value` under `key` on its shard; the shard's version. */
  *put(
    key: string,
    value: V,
    options?: { readonly version?: number },
  ): Generator<SimFuture<KVReply<V>>, number, unknown> {
    const version = this.checks.version(options?.version);
    this.checks.value(value);
    const payload = version === 0 ? { key, value } : { key, value, version };
    return (yield this.submit(PUT, "put", key, payload)) as number;
  }

  *delete(key: string): Generator<SimFuture<KVReply<V>>, boolean, unknown> {
    return (yield this.submit(DELETE, "delete", key, { key })) as boolean;
  }

  /** Entries in `[from, to)` from every shard that may hold some, merged by key. */
  *scan(range: ScanRequest = {}): Generator<SimFuture<KVReply<V>>, KVEntry<V>[], unknown> {
    const checked = this.checks.scan(range);
    const payload = { from: checked.from, to: checked.to, limit: checked.limit };
    return (yield this.submit(SCAN, "scan", "", payload, checked)) as KVEntry<V>[];
  }

  /** The shard's increment (atomic if the shard's is). */
  *increment(key: string, by = 1): Generator<SimFuture<KVReply<V>>, number, unknown> {
    const amount = this.checks.by(by);
    return (yield this.submit(INCREMENT, "increment", key, { key, by: amount })) as number;
  }

  // --- Shards -----------------------------------------------------------------------------

  /** The shards, in routing order (range sharding: by key range). */
  get shards(): readonly KVStoreLike<V>[] {
    return this.shardList;
  }

  /** The shard that holds `key` now (no latency). */
  shardOf(key: string): KVStoreLike<V> {
    return this.shardList[this.router.shardOf(this.checks.key("shardOf", key))]!;
  }

  /**
   * Adds `shard` now: routing switches at once and a migration moves the keys whose shard
   * changed. Range sharding needs `split`, the key where the new shard's range begins (it takes
   * the upper part of the range that key falls in). Fails while a migration is in progress.
   */
  addShard(shard: KVStoreLike<V>, options: { readonly split?: string } = {}): void {
    const component = `ShardedStore "${this.name}"`;
    requireEntity(component, "addShard: shard", shard, this.sim, Entity);
    if (this.shardList.includes(shard)) {
      throw new ConfigError(
        component,
        "addShard: shard",
        "a store that is not a shard yet",
        shard.name,
      );
    }
    if (this.previous !== null) {
      throw new SimulationError(
        `ShardedStore: addShard("${shard.name}") while a migration is in progress`,
        this.name,
        this.nowNs,
      );
    }
    const { router, index } = this.router.withShard(shard.name, options?.split);
    this.previous = { router: this.router, shards: this.shardList };
    this.router = router;
    this.routingEpoch++;
    this.writesBefore = this.writesNow;
    this.writesNow = 0;
    this.shardList = [...this.shardList.slice(0, index), shard, ...this.shardList.slice(index)];
    this.shardRequests.splice(index, 0, 0);
    this.shardLatency.splice(index, 0, new Histogram());
    this.shardSeries.splice(index, 0, new TimeSeries({ window: this.window, origin: this.now }));
    if (this.isUp) this.start(this.migrate(), { name: "migrate" });
  }

  /** Each shard's load, in routing order. */
  get shardLoad(): readonly ShardLoad[] {
    const total = this.shardRequests.reduce((sum, n) => sum + n, 0);
    return this.shardList.map((shard, i) => ({
      name: shard.name,
      requests: this.shardRequests[i]!,
      share: total > 0 ? this.shardRequests[i]! / total : Number.NaN,
      latency: this.shardLatency[i]!,
    }));
  }

  /** Seconds from arrival to answer of every answered request. */
  get latencyHistogram(): Histogram {
    return this.latency;
  }

  get stats(): ShardedStoreStats {
    const c = this.counts;
    const requests = this.shardRequests;
    const total = requests.reduce((sum, n) => sum + n, 0);
    return {
      ...c,
      active: this.active,
      migrating: this.previous !== null,
      loadImbalance: total > 0 ? Math.max(...requests) / (total / requests.length) : Number.NaN,
    };
  }

  /**
   * `stats` (with `migrating` as 0 or 1), latency percentiles (`p50Latency`, ...), and per
   * shard its requests (`shard.<name>.requests`) and p99 latency (`shard.<name>.p99Latency`).
   */
  override metrics(): EntityMetrics {
    const { migrating, ...rest } = this.stats;
    const result: Record<string, number> = {
      ...rest,
      migrating: migrating ? 1 : 0,
      ...percentiles("Latency", this.latency),
    };
    this.shardList.forEach((shard, i) => {
      const latency = this.shardLatency[i]!;
      result[`shard.${shard.name}.requests`] = this.shardRequests[i]!;
      result[`shard.${shard.name}.p99Latency`] = latency.count > 0 ? latency.p99 : 0;
    });
    return result;
  }

  /** Requests per second to each shard, window by window, up to now. */
  override recordedSeries(): readonly RecordedSeries[] {
    const until = this.now;
    return this.shardList.map((shard, i) => ({
      name: `${this.name} load on ${shard.name}`,
      unit: "per second",
      points: this.shardSeries[i]!.series("rate", { until }),
    }));
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
      const range = this.checks.scan(payload);
      work = { code, kind, key: "", payload: request.payload, range };
    } else {
      const key = this.checks.key(kind, payload.key);
      if (code === INCREMENT) this.checks.by(payload.by ?? 1);
      if (code === PUT) {
        this.checks.version(payload.version);
        this.checks.value(payload.value);
      }
      work = { code, kind, key, payload: request.payload, range: null };
    }
    const arrivalNs = this.nowNs;
    this.counts.requests++;
    this.active++;
    let result: KVReply<V>;
    try {
      result = yield* this.serve(work, arrivalNs);
    } catch (error) {
      this.failed(error);
      this.fail(request, reasonOf(error));
      return;
    }
    this.answered(arrivalNs);
    this.reply(request, result);
  }

  // --- The one path both take -------------------------------------------------------------

  private submit(
    code: OpCode,
    kind: string,
    key: string,
    payload: KVRequest<V>,
    range: ScanRange | null = null,
  ): SimFuture<KVReply<V>> {
    if (code !== SCAN) this.checks.key(kind, key);
    const future = this.future<KVReply<V>>(`${kind} on ${this.name}`);
    this.counts.requests++;
    if (!this.isUp) {
      this.counts.rejected++;
      future.reject(new RemoteError("sharded store is down", this.name));
      return future;
    }
    this.active++;
    this.calls.add(future);
    this.start(this.serveCall({ code, kind, key, payload, range }, future));
    return future;
  }

  private *serveCall(work: Work<V>, future: SimFuture<KVReply<V>>) {
    const arrivalNs = this.nowNs;
    let result: KVReply<V>;
    try {
      result = yield* this.serve(work, arrivalNs);
    } catch (error) {
      this.failed(error);
      this.calls.delete(future);
      future.reject(new RemoteError(reasonOf(error), this.name));
      return;
    }
    this.answered(arrivalNs);
    this.calls.delete(future);
    future.resolve(result);
  }

  private answered(arrivalNs: number): void {
    this.active--;
    this.counts.completed++;
    this.latency.record((this.nowNs - arrivalNs) / 1e9);
  }

  /** Counts a failed request; rethrows an error that is not a modelled failure (a bug). */
  private failed(error: unknown): void {
    if (error instanceof TimeoutError) this.counts.timedOut++;
    else if (!(error instanceof RemoteError)) throw error;
    this.active--;
    this.counts.failed++;
  }

  private *serve(work: Work<V>, arrivalNs: number): Generator<Yieldable, KVReply<V>, unknown> {
    if (work.code === SCAN) return yield* this.scanShards(work, arrivalNs);
    const key = work.key;
    const read = work.code === GET || work.code === GET_ENTRY;
    // A moving key not moved yet: wait for a move in progress, then read the old owner, or move
    // the key before a write.
    for (let previous = this.previous; previous !== null; ) {
      const before = previous.shards[previous.router.shardOf(key)]!;
      const target = this.shardList[this.router.shardOf(key)]!;
      if (before === target) break;
      // Settled or not, a write waits for a move in progress: a write that passed it could be
      // acknowledged while the old copy still stands (a delete's key would show in scans).
      const lock = this.moving.get(key);
      if (lock !== undefined && (!read || !this.settled.has(key))) {
        yield lock;
        previous = this.previous;
        continue;
      }
      if (this.settled.has(key)) break;
      if (!read) {
        yield* this.moveKey(key, before, target, null);
        break;
      }
      const result = yield* this.callShard(
        this.shardList.indexOf(before),
        work.kind,
        work.payload,
        arrivalNs,
      );
      // Found gone: the key may have moved (or the migration ended) while the read was on its
      // way; then it reads where the key is now.
      if (result !== undefined || (this.previous === previous && !this.settled.has(key))) {
        return result;
      }
      previous = this.previous;
    }
    const index = this.router.shardOf(key);
    if (read) return yield* this.callShard(index, work.kind, work.payload, arrivalNs);
    // A write: counted until answered, so a migration can wait for those sent before it.
    const epoch = this.routingEpoch;
    this.writesNow++;
    let result: KVReply<V>;
    try {
      // A KVStore shard's delete leaves a tombstone newer than anything the key held (the
      // shard picks its version as it applies), so a migration's copy landing late is refused.
      result =
        work.code === DELETE && this.shardList[index] instanceof KVStore
          ? yield* this.callShard(index, "delete", { key, tombstone: true }, arrivalNs)
          : yield* this.callShard(index, work.kind, work.payload, arrivalNs);
    } catch (error) {
      this.writeAnswered(epoch);
      throw error;
    }
    this.writeAnswered(epoch);
    return result;
  }

  private writeAnswered(epoch: number): void {
    if (epoch === this.routingEpoch) {
      this.writesNow--;
      return;
    }
    if (--this.writesBefore === 0 && this.drain !== null) {
      const drain = this.drain;
      this.drain = null;
      drain.resolve();
    }
  }

  /** Waits until the writes routed before the last `addShard` have been answered. */
  private *drained(): Generator<Yieldable, void, unknown> {
    while (this.writesBefore > 0) {
      this.drain ??= this.future<void>(`writes before addShard on ${this.name}`);
      yield this.drain;
    }
  }

  /**
   * Moves `key` from `source` to `target` under the key's lock: `entry` is what the migration's
   * scan found (null: read it now). Fails with the shard's error (counted) if it cannot.
   */
  private *moveKey(
    key: string,
    source: KVStoreLike<V>,
    target: KVStoreLike<V>,
    found: KVEntry<V> | null,
  ): Generator<Yieldable, void, unknown> {
    const lock = this.future<void>(`move of "${key}" on ${this.name}`);
    this.moving.set(key, lock);
    let copied = false;
    try {
      yield* this.drained();
      const entry =
        found ??
        ((yield this.request(
          source,
          "getEntry",
          { key, ...overlappingRead(source) },
          this.callOptions(),
        )) as KVEntry<V> | undefined);
      if (entry !== undefined) {
        let version = entry.version;
        if (target instanceof KVStore) {
          // A KVStore target may keep a tombstone of the key from when it last owned it (hash
          // mod n moves keys back), numbered by its own counter, which the copy's version (the
          // source's numbering) may not pass. It is older than this move (the key is locked
          // and was not the target's): the owner's copy wins, numbered above it.
          const held = (yield this.request(
            target,
            "getEntry",
            { key, tombstones: true },
            this.callOptions(),
          )) as KVVersioned<V> | undefined;
          if (held !== undefined && isTombstone(held) && held.version >= version) {
            version = held.version + 1;
          }
        } else if (target instanceof ReplicatedStore && target.lastVersion >= version) {
          // The same on a ReplicatedStore target: its replicas may keep such a tombstone,
          // numbered by its coordinator, which answers no tombstone to a read; above every
          // version it numbered, the copy wins (a delete after the move still takes a newer one).
          version = target.lastVersion + 1;
        }
        const copy = { key, value: entry.value, version };
        yield this.request(target, "put", copy, this.callOptions());
        copied = true;
        this.settle(key);
        yield this.request(source, "delete", { key }, this.callOptions());
        this.counts.keysMoved++;
      }
      this.settle(key);
    } catch (error) {
      // Not `finally`: a crash closes this process, and the crash forgets the locks itself.
      if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
      this.counts.migrationFailures++;
      this.unlock(key, lock);
      // A delete that failed after the copy: the key has moved; the migration deletes the
      // stale copy before it ends.
      if (copied) {
        this.staleCopies.set(key, source);
        return;
      }
      throw error;
    }
    this.unlock(key, lock);
  }

  private settle(key: string): void {
    if (!this.settled.has(key)) this.settled.set(key, this.settledCount++);
  }

  private unlock(key: string, lock: SimFuture<void>): void {
    this.moving.delete(key);
    lock.resolve();
  }

  private *scanShards(
    work: Work<V>,
    arrivalNs: number,
  ): Generator<Yieldable, KVEntry<V>[], unknown> {
    const range = work.range!;
    // The routing as sent: a shard added while the scan is on its way does not change whom
    // it asked or who owned what.
    const { router, previous, shardList: shards } = this;
    const settledBefore = this.settledCount;
    // Migrating, a key may still be on a shard outside its range's: ask every shard.
    const indices =
      previous === null ? router.shardsFor(range.from, range.to) : shards.map((_, i) => i);
    const answers: SimFuture<KVReply<V>>[] = [];
    for (const index of indices) answers.push(this.sendToShard(index, "scan", work.payload));
    const found = (yield all(answers)) as KVEntry<V>[][];
    const entries = new Map<string, KVEntry<V>>();
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      const shard = shards[index]!;
      this.recordShardLatency(this.shardList.indexOf(shard), arrivalNs);
      for (const entry of found[i]!) {
        const key = entry.key;
        // A key's owner's entry wins. A moving key's old shard is its owner until the key
        // settled: an entry it answered counts if the key was not settled when the scan was
        // sent (it may have moved while the scan was on its way). Any other shard's entry is
        // a stale copy (a move whose delete failed), never an answer.
        if (router.shardOf(key) === index) {
          entries.set(key, entry);
        } else if (
          previous !== null &&
          previous.shards[previous.router.shardOf(key)] === shard &&
          !((this.settled.get(key) ?? settledBefore) < settledBefore) &&
          !entries.has(key)
        ) {
          entries.set(key, entry);
        }
      }
    }
    const keys = [...entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.slice(0, range.limit).map((key) => entries.get(key)!);
  }

  private *callShard(
    index: number,
    kind: string,
    payload: KVRequest<V>,
    arrivalNs: number,
  ): Generator<Yieldable, KVReply<V>, unknown> {
    const result = (yield this.sendToShard(index, kind, payload)) as KVReply<V>;
    this.recordShardLatency(index, arrivalNs);
    return result;
  }

  private sendToShard(index: number, kind: string, payload: KVRequest<V>): SimFuture<KVReply<V>> {
    this.shardRequests[index]!++;
    this.shardSeries[index]!.record(this.now, 1);
    return this.request(this.shardList[index]!, kind, payload, this.callOptions());
  }

  private recordShardLatency(index: number, arrivalNs: number): void {
    this.shardLatency[index]!.record((this.nowNs - arrivalNs) / 1e9);
  }

  private callOptions() {
    return this.timeout?.callOptionsAt(this.now);
  }

  /** Moves every key whose shard changed from the shards it was on to its new shard. */
  private *migrate(): Generator<Yieldable, void, unknown> {
    const previous = this.previous!;
    // Scanned after the writes routed before are answered, a page stays true for the keys
    // not moved yet: every later write of one moves it first.
    yield* this.drained();
    for (const source of previous.shards) {
      let from = "";
      for (;;) {
        let page: KVEntry<V>[];
        try {
          page = (yield this.request(
            source,
            "scan",
            { from, limit: MIGRATION_PAGE, ...overlappingRead(source) },
            this.callOptions(),
          )) as KVEntry<V>[];
        } catch (error) {
          // The shard cannot be read now: it is tried again, as giving up would leave its
          // moving keys behind, unreachable once the migration ended.
          if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
          this.counts.migrationFailures++;
          yield MIGRATION_RETRY;
          continue;
        }
        for (const entry of page) {
          const key = entry.key;
          const target = this.shardList[this.router.shardOf(key)]!;
          if (target === source) continue;
          // A copy on a shard that did not own the key (written straight to it) is not moved:
          // it would overwrite the key's owner.
          if (previous.shards[previous.router.shardOf(key)] !== source) continue;
          for (let found: KVEntry<V> | null = entry; ; found = null) {
            while (this.moving.has(key)) yield this.moving.get(key)!;
            const moved = this.settled.has(key);
            try {
              // Moved already (by a write): what is left here is an old copy.
              if (moved) yield this.request(source, "delete", { key }, this.callOptions());
              else yield* this.moveKey(key, source, target, found);
              break;
            } catch (error) {
              if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
              if (moved) {
                this.counts.migrationFailures++;
                this.staleCopies.set(key, source); // deleted before the migration ends
                break;
              }
              yield MIGRATION_RETRY; // counted by moveKey; tried again, read afresh
            }
          }
        }
        if (page.length < MIGRATION_PAGE) break;
        // The smallest key after the last one seen.
        from = `${page[page.length - 1]!.key}\u0000`;
      }
    }
    // Moves started by writes (of keys no scan found) end before the migration does.
    while (this.moving.size > 0) yield this.moving.values().next().value!;
    // Old copies go too: one left behind would answer for its key if it moved back there
    // (hash mod n) after being deleted where it was.
    for (const [key, shard] of this.staleCopies) {
      for (;;) {
        try {
          yield this.request(shard, "delete", { key }, this.callOptions());
          break;
        } catch (error) {
          if (!(error instanceof RemoteError) && !(error instanceof TimeoutError)) throw error;
          this.counts.migrationFailures++;
          yield MIGRATION_RETRY;
        }
      }
      this.staleCopies.delete(key);
    }
    this.previous = null;
    this.settled.clear();
  }

  // --- Lifecycle --------------------------------------------------------------------------

  protected override onCrash(): void {
    this.counts.lostToCrash += this.active;
    this.active = 0;
    // The moves and the writes in progress were cancelled; `settled` stays true (a settled
    // key is gone from its old shard, or its old copy is stale).
    this.moving.clear();
    this.writesNow = 0;
    this.writesBefore = 0;
    this.drain = null;
    const calls = [...this.calls];
    this.calls.clear();
    for (const future of calls) future.reject(new RemoteError("sharded store crashed", this.name));
  }

  protected override onRecover(): void {
    // The crash cancelled the migration: it starts over (moved keys are gone from old shards).
    if (this.previous !== null) this.start(this.migrate(), { name: "migrate" });
  }

  protected override onResetStats(): void {
    const { keysMoved, migrationFailures } = this.counts;
    this.counts = newCounts();
    this.counts.requests = this.active;
    this.counts.keysMoved = keysMoved;
    this.counts.migrationFailures = migrationFailures;
    this.shardRequests = this.shardList.map(() => 0);
    this.shardLatency = this.shardList.map(() => new Histogram());
    this.shardSeries = this.shardList.map(
      () => new TimeSeries({ window: this.window, origin: this.now }),
    );
    this.latency = new Histogram();
  }
}

function newCounts() {
  return {
    requests: 0,
    completed: 0,
    failed: 0,
    timedOut: 0,
    rejected: 0,
    lostToCrash: 0,
    keysMoved: 0,
    migrationFailures: 0,
  };
}

function reasonOf(error: unknown): string {
  return error instanceof RemoteError
    ? error.reason
    : `timed out (${(error as TimeoutError).seconds} s)`;
}

/** The read level that overlaps each write level (R + W > N): ONE's writes need ALL, ... */
const OVERLAPPING_READ: Readonly<Record<ConsistencyLevel, ConsistencyLevel>> = {
  ONE: "ALL",
  QUORUM: "QUORUM",
  ALL: "ONE",
};

/**
 * A migration's reads of a ReplicatedStore shard go at the level that overlaps its write
 * level: at its default read level (ONE with ONE writes) a read may miss an acknowledged write
 * a slow replica has not applied yet, and the key, not copied, was lost once it moved.
 */
function overlappingRead<V>(source: KVStoreLike<V>): { level?: ConsistencyLevel } {
  return source instanceof ReplicatedStore ? { level: OVERLAPPING_READ[source.writeLevel] } : {};
}
