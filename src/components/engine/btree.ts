/**
 * `BTree`: a B+-tree storage engine on a `Disk`, answering the key-value protocol (get,
 * getEntry, put, delete, scan, increment) by message or from a process, as a `KVStore` or an
 * `LSMTree` does (the `StorageEngine` contract), so a model swaps one for the other. Its nodes
 * are pages of the disk, read and written through a `PageCache`: a get costs a disk read per
 * page of its path that is not in memory, a put changes pages in memory that reach the disk
 * on eviction, on the cache's writeback interval, and at checkpoints.
 *
 * Nodes hold at most `order` keys; a full node splits in two, its middle key moving up (the
 * root splitting grows the tree by a level). Deletes are lazy: a key is removed from its leaf,
 * and nodes never merge (a leaf emptied stays in the tree until keys land there again), as
 * many production B-trees do, trading space for simpler and cheaper deletes.
 *
 * Crash safety: copy-on-write pages under a redo log. A checkpoint writes every dirty page,
 * syncs, then starts the log afresh with a checkpoint record (the root, the page count, the
 * free pages) and syncs again. Between checkpoints a page the last checkpoint reaches is never
 * overwritten: changing it writes a copy to a free or new page (and the parents up to the root
 * likewise), and the page it replaced is free only once the next checkpoint is durable. So the
 * last durable checkpoint's tree is always intact on the disk, whatever was written since or
 * torn by the crash. Every change is appended to the redo log (a `DurableLog`, synced by its
 * policy) before it is answered; recovery takes the last checkpoint's tree and redoes the
 * log's intact records after it. A recovered tree holds every write the log made durable
 * (every acknowledged one under "everyWrite") and nothing never written.
 *
 * Operations run one at a time through the tree (one latch over the whole tree, as a simple
 * engine does); a write leaves the tree as soon as its log record is issued and waits for its
 * sync outside, so concurrent writes share syncs (group commit).
 *
 * @example
 * const tree = new BTree<string>(sim, "tree", { order: 32, cachePages: 64 });
 * // in a process:
 * yield* tree.put("user:1", "ada");
 * const name = yield* tree.get("user:1");
 * const users = yield* tree.scan({ from: "user:", to: "user;" });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { RemoteError, SimulationError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { latencyMetrics } from "../resource/statistics.js";
import { requireInteger, requireSeconds } from "../shared/validate.js";
import type { Disk, DiskRecord } from "../storage/disk.js";
import { DiskError } from "../storage/diskErrors.js";
import { checkSyncPolicy, DurableLog, type SyncPolicy } from "../storage/durableLog.js";
import { PageCache, type PageCacheStats } from "../storage/pageCache.js";
import type {
  DeleteRequest,
  IncrementRequest,
  KVEntry,
  KVReply,
  KVRequest,
  PutRequest,
  ScanRequest,
} from "../store/protocol.js";
import {
  DELETE,
  GET,
  GET_ENTRY,
  INCREMENT,
  type OpCode,
  PUT,
  RequestChecks,
  SCAN,
} from "../store/requests.js";
import {
  checkStorageEngineOptions,
  engineDisk,
  followDisk,
  type StorageEngine,
  type StorageEngineOperationStats,
  type StorageEngineOptions,
  type StorageEngineStats,
} from "./storageEngine.js";

export interface BTreeOptions<V = unknown> extends StorageEngineOptions<V> {
  /** Most keys a node holds (integer >= 3); one more splits it. Default 64. */
  order?: number;
  /** A page's size in bytes on the disk (integer >= 1): what a page read or write moves. Default 4096. */
  pageBytes?: number;
  /** Pages the page cache holds (integer >= 1). Default 256. */
  cachePages?: number;
  /** Pages the cache reads ahead on a sequential miss (integer >= 0). Default 0. */
  readAhead?: number;
  /** Seconds between writebacks of the cache's dirty pages (> 0), or Infinity. Default Infinity. */
  writebackInterval?: number;
  /** When the redo log syncs: "everyWrite" (a write is answered once durable), `{ interval }`, "never". Default "everyWrite". */
  sync?: SyncPolicy;
  /** Log records after which a checkpoint runs (integer >= 1). Default 1000. */
  checkpointEvery?: number;
}

/** A leaf: keys in ascending order, each with its value and version. */
export interface BTreeLeaf<V> {
  readonly leaf: true;
  readonly keys: readonly string[];
  readonly entries: readonly { readonly value: V; readonly version: number }[];
}

/** An inner node: `children[i]` holds the keys k with `keys[i - 1] <= k < keys[i]`. */
export interface BTreeInner {
  readonly leaf: false;
  readonly keys: readonly string[];
  readonly children: readonly number[];
}

export type BTreeNode<V> = BTreeLeaf<V> | BTreeInner;

/** A record of the redo log. */
export type BTreeLogRecord<V> =
  | { readonly op: "put"; readonly key: string; readonly value: V; readonly version: number }
  | { readonly op: "delete"; readonly key: string }
  | {
      readonly op: "checkpoint";
      /** The root page, or -1 for an empty tree. */
      readonly root: number;
      readonly pageCount: number;
      readonly free: readonly number[];
      readonly version: number;
      readonly keys: number;
      readonly liveBytes: number;
      /** Changes logged before it (a log sequence number): what its pages hold. */
      readonly lsn: number;
    };

/** What the tree's disk holds: pages and log records. */
export type BTreeDiskRecord<V> = BTreeNode<V> | BTreeLogRecord<V>;

/**
 * What a tree has done. At every instant (crashes and `sim.resetStats()` included):
 * `requests = completed + rejected + lostToCrash + active + queued`.
 */
export interface BTreeStats extends StorageEngineStats, StorageEngineOperationStats {
  /** Increments completed (an increment of a non-number is refused, in `rejected`). */
  readonly increments: number;
  /** Keys held now. */
  readonly size: number;
  /** Levels from the root to the leaves (0 when empty). */
  readonly height: number;
  /** Pages of the pages file (in use or free). */
  readonly pages: number;
  readonly splits: number;
  readonly checkpoints: number;
  /** Pages read from the disk by gets, per get (0 before any). */
  readonly diskReadsPerGet: number;
  /** The page cache's hits, misses, hitRate, readAheadHits, evictions, writebacks, ... */
  readonly cache: PageCacheStats;
}

/** One operation on its way through the tree. */
class Operation<V> {
  constructor(
    readonly code: OpCode,
    readonly key: string,
    readonly value: V | undefined,
    /** An increment's `by`, a scan's limit. */
    readonly amount: number,
    readonly to: string | undefined,
    readonly message: Message<KVRequest<V>> | null,
    readonly future: SimFuture<KVReply<V>> | null,
    readonly arrivalNs: number,
  ) {}
}

/** A change made by a descent: the node's page now, and the split it sent up, if any. */
interface Change {
  readonly index: number;
  readonly splitKey: string | null;
  readonly splitIndex: number;
}

/** The tree's volatile bookkeeping at recovery: pages read straight off the disk. */
interface Replay<V> {
  readonly onDisk: readonly DiskRecord<BTreeDiskRecord<V>>[];
  readonly written: Map<number, BTreeNode<V>>;
}

const NO_SPLIT = -1;

const LOG_HEADER_BYTES = 16;

type Step = Generator<SimFuture<unknown>, void, unknown>;

export class BTree<V = unknown>
  extends Entity<KVRequest<V>, KVReply<V>>
  implements StorageEngine<V>
{
  static readonly catalog: CatalogEntry = {
    name: "BTree",
    kind: "component",
    role: "persistence",
    layer: "durable",
    contract:
      "A B+-tree storage engine answering get, getEntry, put, delete, scan (ascending by key, with a limit) and increment by message or from a process, with the results a KVStore gives; its nodes are pages on a Disk read and written through a PageCache (a miss costs a disk read); full nodes split, deletes are lazy (no merges). Every change is appended to a redo log (synced by policy) before it is answered; checkpoints write the dirty pages and restart the log; pages a durable checkpoint reaches are never overwritten (copy-on-write). Operations pass through the tree one at a time. Reports write, read and space amplification from bytes moved.",
    requires: ["Keyspace", "Version", "Disk", "Timer"],
    provides: ["Read", "Write", "Delete", "Scan", "Atomic", "Durable", "Observable"],
    inputs: ["get, getEntry, put, delete, scan, increment (messages or process calls)"],
    outputs: [
      "values, entries, versions, counts (replies or returned values)",
      'refusals (RemoteError: "value is not a number", "disk: ...", "btree is down")',
      "requests, completed, rejected, lostToCrash, active, queued, counts by operation, size, height, pages, splits, checkpoints, page cache hits and misses, write/read/space amplification, latency per operation",
    ],
    state:
      "pages on its Disk (durable as far as the last checkpoint plus the synced redo log), a page cache and the operations in progress (volatile)",
    failure_semantics:
      "A crash (or its disk's power loss) loses the page cache with its dirty pages and the operations in progress (lostToCrash: callers by message time out, processes get RemoteError). Recovery takes the last durable checkpoint's tree, intact by copy-on-write, and redoes the redo log's intact records after it: every write the log made durable survives (all acknowledged ones under sync everyWrite), nothing never written appears.",
    composition_rules: ["Disk", "Client", "CachedStore"],
    operational_knobs: knobs<BTreeOptions>()(
      "order",
      "pageBytes",
      "cachePages",
      "readAhead",
      "writebackInterval",
      "sync",
      "checkpointEvery",
      "valueBytes",
      "disk",
    ),
  };

  readonly order: number;
  readonly pageBytes: number;
  readonly checkpointEvery: number;
  readonly disk: Disk<BTreeDiskRecord<V>>;
  readonly cache: PageCache<BTreeDiskRecord<V>>;
  readonly log: DurableLog<BTreeDiskRecord<V>>;
  readonly pagesFile: string;
  private readonly valueBytes: number | ((value: V) => number);
  private readonly checks = new RequestChecks(this as Entity<never, unknown>, "BTree");

  // The tree (volatile; rebuilt from the disk on recovery).
  private root = -1;
  private height = 0;
  private pageCount = 0;
  /** Pages free to take now (none of them reachable from the durable checkpoint). */
  private free: number[] = [];
  /** Pages the durable checkpoint reaches that a copy replaced: free after the next checkpoint. */
  private retired: number[] = [];
  /** Pages taken since the last checkpoint: changed in place, no checkpoint reaches them. */
  private fresh = new Set<number>();
  /** Pages written by the descent running now, to write to the cache in index order. */
  private written = new Map<number, BTreeNode<V>>();
  private versionCounter = 0;
  private keyCount = 0;
  private live = 0;
  private replay: Replay<V> | null = null;
  /** Changes logged since the tree was made (the next record's sequence number). */
  private lsn = 0;

  // Operations.
  private busy = false;
  private waiting: Operation<V>[] = [];
  private waitingHead = 0;
  private readonly running = new Set<Operation<V>>();
  private checkpointDue = false;
  /** Bytes appended to the log since the stats were reset. */
  private logBytes = 0;
  private getDiskReads = 0;
  private counts = newCounts();
  private latencies = newLatencies();

  constructor(sim: Simulation, name: string, options: BTreeOptions<V> = {}) {
    // Checked before registering: a refused tree leaves no entity behind.
    const config = checkBTreeOptions(sim, name, options);
    super(sim, name);
    this.order = config.order;
    this.pageBytes = config.pageBytes;
    this.checkpointEvery = config.checkpointEvery;
    this.valueBytes = config.valueBytes;
    this.disk = engineDisk(this, config.disk);
    this.pagesFile = `${name}.pages`;
    this.cache = new PageCache(this.disk, {
      pages: config.cachePages,
      readAhead: config.readAhead,
      writebackInterval: config.writebackInterval,
      pageBytes: config.pageBytes,
      owner: this,
    });
    this.log = new DurableLog(this.disk, {
      file: `${name}.wal`,
      sync: config.sync,
      recordBytes: (record) => this.logRecordBytes(record),
    });
    // A disk given with a tree on it already: the tree is what it kept.
    if (this.log.length > 0) this.rebuild();
    // A power loss of the disk alone takes the tree down with it (as an LSMTree).
    followDisk(this, this.disk);
  }

  // --- The process API --------------------------------------------------------------------

  /** The value under `key`, or undefined. */
  *get(key: string): Generator<SimFuture<KVReply<V>>, V | undefined, unknown> {
    return (yield this.submit(GET, "get", key, undefined, 0, undefined)) as V | undefined;
  }

  /** The value under `key` with its version, or undefined. */
  *getEntry(key: string): Generator<SimFuture<KVReply<V>>, KVEntry<V> | undefined, unknown> {
    return (yield this.submit(GET_ENTRY, "getEntry", key, undefined, 0, undefined)) as
      | KVEntry<V>
      | undefined;
  }

  /** Writes `value` under `key`; returns the key's version after the write. */
  *put(key: string, value: V): Generator<SimFuture<KVReply<V>>, number, unknown> {
    this.checks.value(value);
    return (yield this.submit(PUT, "put", key, value, 0, undefined)) as number;
  }

  /** Removes `key`; returns whether it was there. */
  *delete(key: string): Generator<SimFuture<KVReply<V>>, boolean, unknown> {
    return (yield this.submit(DELETE, "delete", key, undefined, 0, undefined)) as boolean;
  }

  /** Entries with `from <= key < to` in ascending key order, at most `limit` (default 1,000). */
  *scan(range: ScanRequest = {}): Generator<SimFuture<KVReply<V>>, KVEntry<V>[], unknown> {
    const { from, to, limit, tombstones } = this.checks.scan(range);
    if (tombstones) throw this.unsupported("scan with tombstones");
    return (yield this.submit(SCAN, "scan", from, undefined, limit, to)) as KVEntry<V>[];
  }

  /** Adds `by` (default 1) to the number under `key` (missing: 0); returns the new number. */
  *increment(key: string, by = 1): Generator<SimFuture<KVReply<V>>, number, unknown> {
    const amount = this.checks.by(by);
    return (yield this.submit(INCREMENT, "increment", key, undefined, amount, undefined)) as number;
  }

  /**
   * Builds the tree from `entries` at once, without latency or counts, packed (full leaves, laid
   * out in key order on the disk) and durable: the data a model starts with. Only into an
   * empty tree that has not run; duplicate keys keep the last value.
   */
  load(entries: Iterable<readonly [string, V]>): void {
    if (this.pageCount > 0 || this.log.length > 0 || this.running.size > 0) {
      throw new SimulationError(
        "load(): the tree is not empty (load only a new tree)",
        this.name,
        this.nowNs,
      );
    }
    const sorted = new Map<string, V>();
    for (const [key, value] of entries) {
      this.checks.key("load", key);
      this.checks.value(value);
      sorted.set(key, value);
    }
    const keys = [...sorted.keys()].sort();
    if (keys.length === 0) return;
    const pages: BTreeNode<V>[] = [];
    let level: { first: string; index: number }[] = [];
    for (let at = 0; at < keys.length; at += this.order) {
      const slice = keys.slice(at, at + this.order);
      const entries = slice.map((key) => ({
        value: sorted.get(key)!,
        version: ++this.versionCounter,
      }));
      level.push({ first: slice[0]!, index: pages.length });
      pages.push({ leaf: true, keys: slice, entries });
      for (const key of slice) this.live += this.entryBytes(key, sorted.get(key)!);
    }
    let height = 1;
    // An inner node of `order` keys has order + 1 children.
    while (level.length > 1) {
      const up: { first: string; index: number }[] = [];
      for (let at = 0; at < level.length; at += this.order + 1) {
        const group = level.slice(at, at + this.order + 1);
        up.push({ first: group[0]!.first, index: pages.length });
        pages.push({
          leaf: false,
          keys: group.slice(1).map((child) => child.first),
          children: group.map((child) => child.index),
        });
      }
      level = up;
      height++;
    }
    this.root = level[0]!.index;
    this.height = height;
    this.pageCount = pages.length;
    this.keyCount = keys.length;
    this.disk.restore(this.pagesFile, pages, { sizeBytes: this.pageBytes });
    const checkpoint = this.checkpointRecord();
    this.disk.restore(this.log.file, [checkpoint], {
      sizeBytes: this.logRecordBytes(checkpoint),
      checksum: true,
    });
  }

  // --- State (no latency: for tests, probes and reports) -----------------------------------

  /** Keys held now. */
  get size(): number {
    return this.keyCount;
  }

  /**
   * Every entry, in key order, as the tree holds it now (memory and disk), without latency or
   * counts. For tests and checkers; O(pages).
   */
  entries(): KVEntry<V>[] {
    const out: KVEntry<V>[] = [];
    if (this.root < 0) return out;
    const onDisk = this.disk.records(this.pagesFile);
    const node = (index: number): BTreeNode<V> =>
      (this.cache.peek(this.pagesFile, index) ?? onDisk[index]!.value) as BTreeNode<V>;
    const walk = (index: number): void => {
      const n = node(index);
      if (n.leaf) {
        for (let i = 0; i < n.keys.length; i++) {
          const entry = n.entries[i]!;
          out.push({ key: n.keys[i]!, value: entry.value, version: entry.version });
        }
      } else {
        for (const child of n.children) walk(child);
      }
    };
    walk(this.root);
    return out;
  }

  /** Seconds from arrival to completion of each completed operation of one kind. */
  latencyOf(operation: "get" | "put" | "delete" | "scan" | "increment"): Histogram {
    return this.latencies[operation];
  }

  get engineStats(): StorageEngineStats {
    const c = this.counts;
    const cache = this.cache.stats;
    const diskBytesWritten = cache.bytesWritten + this.logBytes;
    let held = this.disk.length(this.pagesFile) * this.pageBytes;
    for (const record of this.disk.records(this.log.file)) held += record.sizeBytes;
    return {
      userWrites: c.userWrites,
      userBytesWritten: c.userBytesWritten,
      userReads: c.gets,
      diskBytesWritten,
      diskBytesRead: cache.bytesRead,
      writeAmplification: c.userBytesWritten > 0 ? diskBytesWritten / c.userBytesWritten : 0,
      readAmplification: c.gets > 0 ? cache.bytesRead / c.gets : 0,
      spaceAmplification: this.live > 0 ? held / this.live : 0,
      liveBytes: this.live,
    };
  }

  get stats(): BTreeStats {
    const c = this.counts;
    return {
      requests: c.requests,
      completed: c.completed,
      rejected: c.rejected,
      lostToCrash: c.lostToCrash,
      active: this.running.size,
      queued: this.waiting.length - this.waitingHead,
      gets: c.gets,
      found: c.found,
      notFound: c.gets - c.found,
      puts: c.puts,
      deletes: c.deletes,
      scans: c.scans,
      increments: c.increments,
      size: this.keyCount,
      height: this.height,
      pages: this.pageCount,
      splits: c.splits,
      checkpoints: c.checkpoints,
      diskReadsPerGet: c.gets > 0 ? this.getDiskReads / c.gets : 0,
      cache: this.cache.stats,
      ...this.engineStats,
    };
  }

  /**
   * `stats` flattened (the cache's as `cacheHits`, `cacheMisses`, `cacheHitRate`,
   * `readAheadHits`, `evictions`, `writebacks`, `lostDirty`), with the mean and percentiles of
   * each operation's latency (`meanGetLatency`, `p99GetLatency`, ...).
   */
  override metrics(): EntityMetrics {
    const { cache, ...rest } = this.stats;
    const l = this.latencies;
    return {
      ...rest,
      cacheReads: cache.reads,
      cacheHits: cache.hits,
      cacheMisses: cache.misses,
      cacheHitRate: cache.hitRate,
      readAheadHits: cache.readAheadHits,
      readAheadPages: cache.readAheadPages,
      evictions: cache.evictions,
      writebacks: cache.writebacks,
      lostDirty: cache.lostDirty,
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
    if (payload.version !== undefined || payload.tombstone !== undefined) {
      throw this.unsupported(`a ${kind} with a version or tombstone`);
    }
    let op: Operation<V>;
    if (code === SCAN) {
      const { from, to, limit, tombstones } = this.checks.scan(payload);
      if (tombstones) throw this.unsupported("scan with tombstones");
      op = new Operation<V>(SCAN, from, undefined, limit, to, request, null, this.nowNs);
    } else {
      const key = this.checks.key(kind, payload.key);
      if (code === GET_ENTRY && this.checks.tombstones(payload.tombstones)) {
        throw this.unsupported("getEntry with tombstones");
      }
      const amount = code === INCREMENT ? this.checks.by(payload.by ?? 1) : 0;
      if (code === PUT) this.checks.value(payload.value);
      op = new Operation<V>(code, key, payload.value, amount, undefined, request, null, this.nowNs);
    }
    this.counts.requests++;
    this.enqueue(op);
  }

  // --- Operations -------------------------------------------------------------------------

  private submit(
    code: OpCode,
    kind: string,
    key: string,
    value: V | undefined,
    amount: number,
    to: string | undefined,
  ): SimFuture<KVReply<V>> {
    if (code !== SCAN) this.checks.key(kind, key);
    const future = this.future<KVReply<V>>(`${kind} on ${this.name}`);
    this.counts.requests++;
    if (!this.isUp) {
      this.counts.rejected++;
      future.reject(new RemoteError("btree is down", this.name));
      return future;
    }
    this.enqueue(new Operation<V>(code, key, value, amount, to, null, future, this.nowNs));
    return future;
  }

  private enqueue(op: Operation<V>): void {
    if (this.busy) this.waiting.push(op);
    else this.begin(op);
  }

  private begin(op: Operation<V>): void {
    this.busy = true;
    this.running.add(op);
    this.start(this.serve(op), { name: "operation" });
  }

  /** The tree is free: the checkpoint if one is due, else the next operation in line. */
  private release(): void {
    this.busy = false;
    if (this.checkpointDue) {
      this.checkpointDue = false;
      this.busy = true;
      this.start(this.checkpoint(), { name: "checkpoint" });
      return;
    }
    if (this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined as never;
      if (this.waitingHead === this.waiting.length) {
        this.waiting = [];
        this.waitingHead = 0;
      }
      this.begin(next);
    }
  }

  private *serve(op: Operation<V>): Generator<SimFuture<unknown>, void, unknown> {
    let holding = true;
    try {
      let result: KVReply<V>;
      switch (op.code) {
        case GET:
        case GET_ENTRY: {
          const before = this.cache.stats.diskReads;
          const found = yield* this.find(op.key);
          this.getDiskReads += this.cache.stats.diskReads - before;
          result =
            found === undefined
              ? undefined
              : op.code === GET
                ? found.value
                : { key: op.key, value: found.value, version: found.version };
          break;
        }
        case SCAN: {
          const out: KVEntry<V>[] = [];
          if (this.root >= 0) yield* this.collect(this.root, op.key, op.to, op.amount, out);
          result = out;
          break;
        }
        default: {
          let record: BTreeLogRecord<V>;
          if (op.code === DELETE) {
            const removed = yield* this.change(op.key, undefined);
            result = removed;
            if (!removed) {
              // Nothing to change, nothing logged: still a user write of the key's bytes (the
              // workload's, whatever the engine does with it), as an LSM tree counts its blind
              // tombstone, so both engines' amplification divides by the same user bytes.
              this.counts.userWrites++;
              this.counts.userBytesWritten += op.key.length;
              break;
            }
            record = { op: "delete", key: op.key };
          } else {
            let value = op.value as V;
            if (op.code === INCREMENT) {
              const before = (yield* this.find(op.key))?.value ?? 0;
              if (typeof before !== "number") {
                holding = false;
                this.release();
                this.refuse(op, "value is not a number");
                return;
              }
              value = (before + op.amount) as V;
            }
            yield* this.change(op.key, value);
            record = { op: "put", key: op.key, value, version: this.versionCounter };
            result = op.code === INCREMENT ? (value as number) : this.versionCounter;
          }
          this.counts.userWrites++;
          this.counts.userBytesWritten +=
            record.op === "put" ? this.entryBytes(record.key, record.value) : record.key.length;
          if (this.log.length + 1 >= this.checkpointEvery) this.checkpointDue = true;
          // Released before the append is issued, in this same instant: the next operation
          // cannot change the tree before this record is in the log, so the log's order is the
          // tree's, and the sync it waits for may be shared with later writes (group commit).
          holding = false;
          this.release();
          this.logBytes += this.logRecordBytes(record);
          this.lsn++;
          yield* this.log.append(record);
        }
      }
      if (holding) {
        holding = false;
        this.release();
      }
      this.complete(op, result);
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      if (holding) this.release();
      this.refuse(op, `disk: ${error.reason}`);
    }
  }

  /**
   * Writes every dirty page and syncs, then restarts the log with a checkpoint record and syncs
   * again: from then on the tree as it is now is what a recovery starts from, and the pages
   * the previous checkpoint reached that copies replaced are free.
   */
  private *checkpoint(): Generator<SimFuture<unknown>, void, unknown> {
    try {
      yield* this.cache.sync();
      const record = this.checkpointRecord();
      // The cut and the record are issued in one instant: no sync can fall between them and
      // leave an empty log on the medium.
      this.disk.truncateFuture(this.log.file, 0).defuse();
      this.logBytes += this.logRecordBytes(record);
      yield* this.log.append(record);
      // Until the record is durable a recovery starts from the previous checkpoint, which
      // still needs the pages it reaches: they are reused only after this sync.
      if (this.log.sync !== "everyWrite") yield* this.log.flush();
      this.free = record.free.slice();
      this.retired = [];
      this.fresh = new Set();
      this.counts.checkpoints++;
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      // The disk refused (full, down): the log keeps growing until a later checkpoint succeeds.
    }
    this.release();
  }

  private checkpointRecord(): BTreeLogRecord<V> & { op: "checkpoint" } {
    const free = [...this.free, ...this.retired].sort((a, b) => a - b);
    return {
      op: "checkpoint",
      root: this.root,
      pageCount: this.pageCount,
      free,
      version: this.versionCounter,
      keys: this.keyCount,
      liveBytes: this.live,
      lsn: this.lsn,
    };
  }

  private complete(op: Operation<V>, result: KVReply<V>): void {
    this.running.delete(op);
    const c = this.counts;
    const l = this.latencies;
    const seconds = (this.nowNs - op.arrivalNs) / 1e9;
    switch (op.code) {
      case GET:
      case GET_ENTRY:
        c.gets++;
        if (result !== undefined) c.found++;
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
    if (op.message !== null) this.reply(op.message, result);
    else op.future!.resolve(result);
  }

  private refuse(op: Operation<V>, reason: string): void {
    this.running.delete(op);
    this.counts.rejected++;
    if (op.message !== null) this.fail(op.message, reason);
    else op.future!.reject(new RemoteError(reason, this.name));
  }

  // A bad argument of the protocol (a bug in the model: the run stops) fails in `checks`, as
  // in every store; what the tree does not support fails here.

  private unsupported(what: string): SimulationError {
    return new SimulationError(
      `BTree: ${what} is not supported (versioned writes and tombstones are for replicas: use a KVStore)`,
      this.name,
      this.nowNs,
    );
  }

  // --- The tree ---------------------------------------------------------------------------

  private *page(index: number): Generator<SimFuture<unknown>, BTreeNode<V>, unknown> {
    const replay = this.replay;
    if (replay !== null) {
      return replay.written.get(index) ?? (replay.onDisk[index]!.value as BTreeNode<V>);
    }
    return (yield* this.cache.read(this.pagesFile, index)) as BTreeNode<V>;
  }

  /** The entry under `key`, or undefined. */
  private *find(
    key: string,
  ): Generator<SimFuture<unknown>, { value: V; version: number } | undefined, unknown> {
    if (this.root < 0) return undefined;
    let node = yield* this.page(this.root);
    while (!node.leaf) node = yield* this.page(node.children[upperBound(node.keys, key)]!);
    const at = lowerBound(node.keys, key);
    return node.keys[at] === key ? node.entries[at] : undefined;
  }

  /** Entries with `from <= key < to` under page `index`, appended to `out` up to `limit`. */
  private *collect(
    index: number,
    from: string,
    to: string | undefined,
    limit: number,
    out: KVEntry<V>[],
  ): Step {
    const node = yield* this.page(index);
    if (node.leaf) {
      for (let i = lowerBound(node.keys, from); i < node.keys.length; i++) {
        const key = node.keys[i]!;
        if (out.length >= limit || (to !== undefined && key >= to)) return;
        const entry = node.entries[i]!;
        out.push({ key, value: entry.value, version: entry.version });
      }
      return;
    }
    for (let c = upperBound(node.keys, from); c < node.children.length; c++) {
      if (out.length >= limit || (c > 0 && to !== undefined && node.keys[c - 1]! >= to)) return;
      yield* this.collect(node.children[c]!, from, to, limit, out);
    }
  }

  /**
   * Puts `value` under `key` (undefined: removes it) with the next version; returns whether
   * the key was there. Changed pages are copied (or changed in place if fresh) up to the root
   * and written to the cache in index order.
   */
  private *change(
    key: string,
    value: V | undefined,
  ): Generator<SimFuture<unknown>, boolean, unknown> {
    let existed = false;
    if (this.root < 0) {
      if (value === undefined) return false;
      const index = this.allocate();
      this.written.set(index, {
        leaf: true,
        keys: [key],
        entries: [{ value, version: ++this.versionCounter }],
      });
      this.root = index;
      this.height = 1;
    } else {
      const found = { existed: false };
      const change = yield* this.descend(this.root, key, value, found);
      existed = found.existed;
      if (value === undefined && !existed) return false;
      if (change.splitKey !== null) {
        const index = this.allocate();
        this.written.set(index, {
          leaf: false,
          keys: [change.splitKey],
          children: [change.index, change.splitIndex],
        });
        this.root = index;
        this.height++;
      } else {
        this.root = change.index;
      }
    }
    if (value !== undefined) {
      this.live += this.entryBytes(key, value);
      if (!existed) this.keyCount++;
    } else {
      this.keyCount--;
    }
    yield* this.writePages();
    return existed;
  }

  private *descend(
    index: number,
    key: string,
    value: V | undefined,
    found: { existed: boolean },
  ): Generator<SimFuture<unknown>, Change, unknown> {
    const node = yield* this.page(index);
    if (node.leaf) {
      const at = lowerBound(node.keys, key);
      const existed = node.keys[at] === key;
      found.existed = existed;
      if (existed) this.live -= this.entryBytes(key, node.entries[at]!.value);
      if (value === undefined) {
        if (!existed) return { index, splitKey: null, splitIndex: NO_SPLIT };
        const keys = node.keys.slice();
        const entries = node.entries.slice();
        keys.splice(at, 1);
        entries.splice(at, 1);
        return this.rewrite(index, { leaf: true, keys, entries });
      }
      const keys = node.keys.slice();
      const entries = node.entries.slice();
      const entry = { value, version: ++this.versionCounter };
      if (existed) entries[at] = entry;
      else {
        keys.splice(at, 0, key);
        entries.splice(at, 0, entry);
      }
      if (keys.length <= this.order) return this.rewrite(index, { leaf: true, keys, entries });
      const mid = keys.length >> 1;
      return this.split(
        index,
        { leaf: true, keys: keys.slice(0, mid), entries: entries.slice(0, mid) },
        { leaf: true, keys: keys.slice(mid), entries: entries.slice(mid) },
        keys[mid]!,
      );
    }
    const c = upperBound(node.keys, key);
    const child = node.children[c]!;
    const below = yield* this.descend(child, key, value, found);
    if (below.index === child && below.splitKey === null) {
      return { index, splitKey: null, splitIndex: NO_SPLIT };
    }
    const keys = node.keys.slice();
    const children = node.children.slice();
    children[c] = below.index;
    if (below.splitKey !== null) {
      keys.splice(c, 0, below.splitKey);
      children.splice(c + 1, 0, below.splitIndex);
    }
    if (keys.length <= this.order) return this.rewrite(index, { leaf: false, keys, children });
    const mid = keys.length >> 1;
    return this.split(
      index,
      { leaf: false, keys: keys.slice(0, mid), children: children.slice(0, mid + 1) },
      { leaf: false, keys: keys.slice(mid + 1), children: children.slice(mid + 1) },
      keys[mid]!,
    );
  }

  /** Writes `node` over page `index` if fresh, else to a copy. */
  private rewrite(index: number, node: BTreeNode<V>): Change {
    const at = this.writable(index);
    this.written.set(at, node);
    return { index: at, splitKey: null, splitIndex: NO_SPLIT };
  }

  private split(index: number, left: BTreeNode<V>, right: BTreeNode<V>, key: string): Change {
    this.counts.splits++;
    const at = this.writable(index);
    this.written.set(at, left);
    const rightIndex = this.allocate();
    this.written.set(rightIndex, right);
    return { index: at, splitKey: key, splitIndex: rightIndex };
  }

  private writable(index: number): number {
    if (this.fresh.has(index)) return index;
    this.retired.push(index);
    return this.allocate();
  }

  private allocate(): number {
    const index = this.free.length > 0 ? this.free.pop()! : this.pageCount++;
    this.fresh.add(index);
    return index;
  }

  /**
   * The descent's pages into the cache, in index order (new pages reach the disk in order),
   * all in this instant: the writebacks of the pages they evict are waited for after, so a
   * failed one (a full disk) never leaves the tree pointing at a page the cache never got.
   */
  private *writePages(): Step {
    const written = this.written;
    if (written.size === 0) return;
    this.written = new Map();
    const indexes = [...written.keys()].sort((a, b) => a - b);
    const replay = this.replay;
    let evictions: SimFuture<unknown>[] | null = null;
    for (const index of indexes) {
      const node = written.get(index)!;
      replay?.written.set(index, node);
      const eviction = this.cache.put(this.pagesFile, index, node);
      if (eviction === null) continue;
      // Recovery takes no simulated time: its evictions' writebacks are issued, not awaited.
      if (replay !== null) {
        eviction.defuse();
      } else {
        if (evictions === null) evictions = [];
        evictions.push(eviction.defuse());
      }
    }
    if (evictions !== null) for (const eviction of evictions) yield eviction;
  }

  // --- Recovery ---------------------------------------------------------------------------

  /**
   * Rebuilds the tree from the disk: the last checkpoint's tree, then the redo log's intact
   * records after it, redone at once (recovery reads are not charged latency).
   */
  private rebuild(): void {
    // Versions never go back, whatever the crash took: a version never names two writes.
    const floor = this.versionCounter;
    const records = this.log.replay();
    let start = 0;
    let checkpoint: (BTreeLogRecord<V> & { op: "checkpoint" }) | null = null;
    for (let i = records.length - 1; i >= 0; i--) {
      const record = records[i] as BTreeLogRecord<V>;
      if (record.op === "checkpoint") {
        checkpoint = record;
        start = i + 1;
        break;
      }
    }
    this.root = checkpoint?.root ?? -1;
    this.pageCount = checkpoint?.pageCount ?? 0;
    this.free = checkpoint?.free.slice() ?? [];
    this.versionCounter = checkpoint?.version ?? 0;
    this.keyCount = checkpoint?.keys ?? 0;
    this.live = checkpoint?.liveBytes ?? 0;
    this.lsn = checkpoint?.lsn ?? 0;
    this.retired = [];
    this.fresh = new Set();
    this.written = new Map();
    // Pages past the checkpoint's were written since (some maybe torn): none is reachable.
    if (this.disk.length(this.pagesFile) > this.pageCount) {
      this.cache.discard(this.pagesFile, this.pageCount);
      this.disk.truncateFuture(this.pagesFile, this.pageCount).defuse();
    }
    const onDisk = this.disk.records(this.pagesFile);
    this.height = 0;
    for (let index = this.root; index >= 0; ) {
      this.height++;
      const node = onDisk[index]!.value as BTreeNode<V>;
      index = node.leaf ? -1 : node.children[0]!;
    }
    this.replay = { onDisk, written: new Map() };
    try {
      for (let i = start; i < records.length; i++) {
        const record = records[i] as BTreeLogRecord<V>;
        if (record.op === "checkpoint") continue;
        this.lsn++;
        // The record's own version: the counter moves to it as the change is redone.
        this.versionCounter = record.op === "put" ? record.version - 1 : this.versionCounter;
        const redo = this.change(record.key, record.op === "put" ? record.value : undefined);
        if (!redo.next().done) {
          throw new SimulationError("recovery waited on the disk", this.name, this.nowNs);
        }
      }
    } finally {
      this.replay = null;
    }
    if (floor > this.versionCounter) this.versionCounter = floor;
  }

  // --- Lifecycle --------------------------------------------------------------------------

  protected override onCrash(): void {
    const lost = [...this.running];
    for (let i = this.waitingHead; i < this.waiting.length; i++) lost.push(this.waiting[i]!);
    this.counts.lostToCrash += lost.length;
    this.running.clear();
    this.waiting = [];
    this.waitingHead = 0;
    this.busy = false;
    this.checkpointDue = false;
    for (const op of lost) op.future?.reject(new RemoteError("btree crashed", this.name));
    // Memory is volatile: the tree is what the disk kept (rebuilt on recovery).
    this.root = -1;
    this.height = 0;
    this.keyCount = 0;
    this.live = 0;
    this.written = new Map();
  }

  protected override onRecover(): void {
    // The disk came back first (its owner's hooks run before this), its log's torn tail cut.
    this.rebuild();
  }

  protected override onResetStats(): void {
    // Work in flight is counted again as received, so the identity keeps holding.
    this.counts = newCounts();
    this.counts.requests = this.running.size + (this.waiting.length - this.waitingHead);
    this.latencies = newLatencies();
    this.logBytes = 0;
    this.getDiskReads = 0;
  }

  // --- Sizes ------------------------------------------------------------------------------

  private entryBytes(key: string, value: V): number {
    const size = this.valueBytes;
    return key.length + (typeof size === "number" ? size : size(value));
  }

  private logRecordBytes(record: BTreeDiskRecord<V>): number {
    const r = record as BTreeLogRecord<V>;
    switch (r.op) {
      case "put":
        return LOG_HEADER_BYTES + this.entryBytes(r.key, r.value);
      case "delete":
        return LOG_HEADER_BYTES + r.key.length;
      case "checkpoint":
        return LOG_HEADER_BYTES + 32 + 4 * r.free.length;
      default:
        // A page never goes through the log.
        return this.pageBytes;
    }
  }
}

/** Index of the first key >= `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first key > `key`: the child of an inner node that holds `key`. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function newCounts() {
  return {
    requests: 0,
    completed: 0,
    rejected: 0,
    lostToCrash: 0,
    gets: 0,
    found: 0,
    puts: 0,
    deletes: 0,
    scans: 0,
    increments: 0,
    splits: 0,
    checkpoints: 0,
    userWrites: 0,
    userBytesWritten: 0,
  };
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

/** A tree's options, checked and defaulted, before the tree (or its disk) registers. */
function checkBTreeOptions<V>(sim: Simulation, name: string, options: BTreeOptions<V>) {
  const component = `BTree "${name}"`;
  const { disk, valueBytes } = checkStorageEngineOptions(sim, component, name, options);
  const order = requireInteger(component, "order", options.order ?? 64, 3);
  const pageBytes = requireInteger(component, "pageBytes", options.pageBytes ?? 4096, 1);
  const cachePages = requireInteger(component, "cachePages", options.cachePages ?? 256, 1);
  const readAhead = requireInteger(component, "readAhead", options.readAhead ?? 0, 0);
  const writebackInterval = options.writebackInterval ?? Number.POSITIVE_INFINITY;
  if (writebackInterval !== Number.POSITIVE_INFINITY) {
    requireSeconds(component, "writebackInterval", writebackInterval);
  }
  const sync = checkSyncPolicy(component, options.sync);
  const checkpointEvery = requireInteger(
    component,
    "checkpointEvery",
    options.checkpointEvery ?? 1000,
    1,
  );
  return {
    order,
    pageBytes,
    cachePages,
    readAhead,
    writebackInterval,
    sync,
    checkpointEvery,
    valueBytes,
    disk,
  } as const;
}
