/**
 * `LSMTree`: a log-structured merge-tree storage engine on a `Disk`, answering the key-value
 * protocol (get, put, delete, scan; ../../store/protocol.ts) by message and by process call
 * with the same signatures, as every `StorageEngine` does (so a model swaps it for a `BTree`).
 *
 * A write is appended to the write-ahead log (synced by the `sync` policy: answered once
 * durable under "everyWrite" and group commit), and applied to the memtable. A full memtable is
 * frozen and flushed by a background process into an `SSTable` in level 0 while a new one takes
 * the writes (if the frozen one is still flushing when the new one fills, writers stall: counted
 * in `stalls`); once the table is durable and committed to the manifest, the log's segments it
 * covered are deleted. A background compaction process merges tables as its strategy says
 * (`sizeTiered`, `leveled`, `fifo`: ./compaction.ts); its reads and writes go to the same disk
 * as the foreground's, so with a device whose operations queue (a latency model with channels)
 * a compaction shows as a spike in the p99 of reads and synced writes.
 *
 * A get looks in the memtables, then in the tables that may hold the key (key range and bloom
 * filter, in memory), newest first, reading one block per table, until no older table can hold
 * a newer version. A delete writes a tombstone, dropped by a compaction that merges every table
 * that could hold an older value (or when nothing older remains). A scan merges every level,
 * reading blocks lazily. A delete answers whether the key was there from the engine's key
 * directory (kept for its space statistics) without a read, as a blind LSM delete costs none.
 *
 * Durable state: the log segments, the tables and a manifest (a `DurableLog` of table
 * additions and removals, and of the last sequence number flushed). A crash (its host's, or
 * the disk's power loss) loses memory; recovery replays the manifest, loads each table's index
 * and filter, deletes tables no manifest record names (a flush or compaction cut short), and
 * replays the log's records newer than the last flush into the memtable. Under "everyWrite"
 * every acknowledged write survives; a torn last log record is detected (checksum) and dropped.
 *
 * Amplification (`engineStats`, StorageEngineStats): from the bytes it actually moved to and
 * from the disk: log records, table blocks, indexes, filters and manifest records written;
 * blocks read by gets, scans and compactions.
 *
 * @example
 * const db = new LSMTree<string>(sim, "db", { memtableBytes: 64_000, compaction: "leveled" });
 * // in a process:
 * yield* db.put("user:1", "ada");
 * const name = yield* db.get("user:1");
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { latencyMetrics } from "../resource/statistics.js";
import { requireInteger } from "../shared/validate.js";
import type { Disk } from "../storage/disk.js";
import { DiskError } from "../storage/diskErrors.js";
import { DurableLog } from "../storage/durableLog.js";
import { checkWalSyncPolicy, type WalSyncPolicy, WriteAheadLog } from "../storage/writeAheadLog.js";
import type {
  DeleteRequest,
  KVEntry,
  KVReply,
  KVRequest,
  PutRequest,
  ScanRequest,
} from "../store/protocol.js";
import { DELETE, GET, type OpCode, PUT, RequestChecks, SCAN } from "../store/requests.js";
import {
  type CompactionJob,
  type CompactionStrategy,
  fifoCompaction,
  isCompactionStrategy,
  leveledCompaction,
  sizeTieredCompaction,
} from "./compaction.js";
import { type LsmEntry, Memtable } from "./memtable.js";
import {
  checkSSTableOptions,
  ENTRY_OVERHEAD_BYTES,
  SSTable,
  type SSTableRecord,
} from "./ssTable.js";
import {
  checkStorageEngineOptions,
  engineDisk,
  followDisk,
  type StorageEngine,
  type StorageEngineOperationStats,
  type StorageEngineOptions,
  type StorageEngineStats,
} from "./storageEngine.js";

export interface LSMTreeOptions<V> extends StorageEngineOptions<V> {
  /** When the write-ahead log syncs (`WalSyncPolicy`). Default "everyWrite". */
  sync?: WalSyncPolicy;
  /** Bytes of user data a memtable holds before it is flushed (integer >= 1). Default 65,536. */
  memtableBytes?: number;
  /** Bytes of entries per table data block (integer >= 1). Default 4,096. */
  blockBytes?: number;
  /** Each table's bloom filter's false-positive rate, in (0, 1). Default 0.01. */
  bloomFalsePositiveRate?: number;
  /**
   * How tables are merged: a strategy (`leveledCompaction()`, `sizeTieredCompaction()`,
   * `fifoCompaction({ maxBytes })`) or the name of one with its defaults ("leveled",
   * "sizeTiered"; "fifo" keeps 64 memtables' worth). Default "leveled".
   */
  compaction?: CompactionStrategy | "leveled" | "sizeTiered" | "fifo";
}

/**
 * A snapshot of an LSM tree. At every instant: `requests = completed + rejected + lostToCrash +
 * active + queued` (operations; `queued` is always 0: operations start at once, a stalled
 * write counts as active).
 */
export interface LSMTreeStats extends StorageEngineStats, StorageEngineOperationStats {
  /** Memtables flushed into tables, and compactions run (FIFO deletions included). */
  readonly flushes: number;
  readonly compactions: number;
  /** Writes that waited for a flush (the memtable full, the frozen one still flushing). */
  readonly stalls: number;
  /** Table lookups skipped by a bloom filter, and data blocks read (gets, scans, compactions). */
  readonly bloomNegatives: number;
  readonly blocksRead: number;
  /** Bytes read by gets alone (`diskBytesRead` has scans' and compactions' too). */
  readonly getBytesRead: number;
  /** Bytes compactions read and wrote. */
  readonly compactionBytesRead: number;
  readonly compactionBytesWritten: number;
  /** Bytes written by the log (records) and by flushes (tables). */
  readonly walBytesWritten: number;
  readonly flushBytesWritten: number;
  /** Tables now, over all levels; bytes of the engine's files on the disk now. */
  readonly tables: number;
  readonly fileBytes: number;
}

/** A record of the write-ahead log: a put or a delete, numbered. */
export interface LsmLogRecord<V> {
  readonly seq: number;
  readonly key: string;
  readonly value: V | undefined;
  readonly deleted: boolean;
  readonly bytes: number;
}

/** A manifest record: tables added (with their level) and removed, and the last seq flushed. */
interface ManifestEdit {
  readonly add: readonly { readonly file: string; readonly level: number }[];
  readonly remove: readonly string[];
  readonly flushedSeq: number;
}

const MANIFEST = "MANIFEST";
const TABLE_PREFIX = "sst-";
const MANIFEST_RECORD_BYTES = 64;

class Operation<V> {
  arrivalNs = 0;
  constructor(
    readonly code: OpCode,
    readonly key: string,
    readonly value: V | undefined,
    readonly scan: { from: string; to: string | undefined; limit: number } | null,
    readonly message: Message<KVRequest<V>> | null,
    readonly future: SimFuture<KVReply<V>> | null,
  ) {}
}

/** A memtable frozen for its flush, and the last log segment its records are in. */
interface Frozen<V> {
  readonly table: Memtable<V>;
  readonly segment: number;
}

/** A source of a scan's merge: entries in memory, or a table's blocks read one at a time. */
interface ScanSource<V> {
  entries: readonly LsmEntry<V>[];
  at: number;
  readonly table: SSTable<V> | null;
  nextBlock: number;
}

// biome-ignore lint/suspicious/noExplicitAny: one disk holds records of every kind the engine writes
type EngineDisk = Disk<any>;

export class LSMTree<V = unknown>
  extends Entity<KVRequest<V>, KVReply<V>>
  implements StorageEngine<V>
{
  static readonly catalog: CatalogEntry = {
    name: "LSMTree",
    kind: "component",
    role: "persistence",
    layer: "durable",
    contract:
      "A key-value storage engine answering get, put, delete and scan (by message and process call): a write is logged (synced by policy) and applied to a sorted memtable; full memtables flush to immutable SSTables (blocks, index, bloom filter) on a Disk; a background process compacts tables by a strategy (sizeTiered, leveled, fifo) with I/O competing with reads. Reports write, read and space amplification from bytes actually moved.",
    requires: ["WriteAheadLog", "Disk"],
    provides: ["Durable", "Read", "Write", "Delete", "Observable"],
    inputs: ["get, put, delete, scan (messages or process calls)"],
    outputs: [
      "values, versions, entries (replies)",
      "RemoteError (down, disk errors, unsupported requests)",
      "requests, completed, rejected, lostToCrash, active, flushes, compactions, stalls, bloomNegatives, blocksRead, write/read/space amplification, latency percentiles",
    ],
    state:
      "memtables (volatile); write-ahead log segments, SSTables and a manifest on its disk (durable once synced)",
    failure_semantics:
      "A crash loses the memtables and the operations in progress (lostToCrash); recovery replays the manifest, loads the tables it names, deletes the others (a flush or compaction cut short) and replays the log's records newer than the last flush. Under everyWrite or group commit every acknowledged write survives; a torn last log record is dropped by its checksum; under a periodic sync up to an interval of acknowledged writes is lost.",
    composition_rules: ["Disk", "KVStore", "CachedStore"],
    operational_knobs: knobs<LSMTreeOptions<unknown>>()(
      "disk",
      "sync",
      "memtableBytes",
      "blockBytes",
      "bloomFalsePositiveRate",
      "compaction",
      "valueBytes",
    ),
  };

  readonly disk: EngineDisk;
  readonly wal: WriteAheadLog<LsmLogRecord<V>>;
  readonly strategy: CompactionStrategy;
  readonly memtableBytes: number;
  private readonly manifest: DurableLog<ManifestEdit>;
  private readonly blockBytes: number;
  private readonly bloomFalsePositiveRate: number;
  private readonly valueBytes: number | ((value: V) => number);
  private readonly checks = new RequestChecks(this as Entity<never, unknown>, "LSMTree");

  private seq = 0;
  private flushedSeq = 0;
  private memtable: Memtable<V>;
  private frozen: Frozen<V> | null = null;
  private levels: SSTable<V>[][] = [[]];
  private nextTable = 1;
  /** Readers holding each table (a compaction's inputs are deleted once none does). */
  private readers = new Map<SSTable<V>, number>();
  private retired = new Set<SSTable<V>>();
  private flushing = false;
  private compacting = false;
  /** Writers waiting for the frozen memtable's flush. */
  private stalled: SimFuture<void>[] = [];
  private running = new Set<Operation<V>>();
  /** Every live key's user bytes: the engine's key directory (for liveBytes and delete's answer). */
  private live = new Map<string, number>();
  private liveBytesTotal = 0;
  private fileSizes = new Map<string, number>();
  private fileBytesTotal = 0;

  private counts = newCounts();
  private latencies = newLatencies();

  constructor(sim: Simulation, name: string, options: LSMTreeOptions<V> = {}) {
    const config = checkLSMTreeOptions(sim, name, options);
    super(sim, name);
    this.disk = engineDisk(this, config.disk);
    this.memtableBytes = config.memtableBytes;
    this.blockBytes = config.blockBytes;
    this.bloomFalsePositiveRate = config.bloomFalsePositiveRate;
    this.strategy = config.compaction;
    this.valueBytes = config.valueBytes;
    this.wal = new WriteAheadLog<LsmLogRecord<V>>(this.disk, {
      file: `${name}.wal`,
      sync: config.sync,
      recordBytes: (record) => record.bytes + ENTRY_OVERHEAD_BYTES,
    });
    this.manifest = new DurableLog<ManifestEdit>(this.disk, {
      file: `${name}.${MANIFEST}`,
      sync: "everyWrite",
      recordBytes: MANIFEST_RECORD_BYTES,
    });
    this.memtable = new Memtable<V>({ capacityBytes: this.memtableBytes });
    // A power loss of the disk alone takes the tree down with it (as a BTree).
    followDisk(this, this.disk);
  }

  // --- The process API --------------------------------------------------------------------

  /** The value under `key`, or undefined. */
  *get(key: string): Generator<SimFuture<KVReply<V>>, V | undefined, unknown> {
    this.checks.key("get", key);
    return (yield this.submit(GET, key, undefined, null)) as V | undefined;
  }

  /** Writes `value` under `key`; returns the write's sequence number (the key's version). */
  *put(key: string, value: V): Generator<SimFuture<KVReply<V>>, number, unknown> {
    this.checks.key("put", key);
    this.checks.value(value);
    return (yield this.submit(PUT, key, value, null)) as number;
  }

  /** Deletes `key` (a tombstone); returns whether it was there. */
  *delete(key: string): Generator<SimFuture<KVReply<V>>, boolean, unknown> {
    this.checks.key("delete", key);
    return (yield this.submit(DELETE, key, undefined, null)) as boolean;
  }

  /** Entries with `from <= key < to`, by key, at most `limit` (default 1,000). */
  *scan(range: ScanRequest = {}): Generator<SimFuture<KVReply<V>>, KVEntry<V>[], unknown> {
    const scan = this.scanRange(range);
    return (yield this.submit(SCAN, scan.from, undefined, scan)) as KVEntry<V>[];
  }

  // --- State ------------------------------------------------------------------------------

  /** Tables in each level now (level 0 first). */
  get tablesPerLevel(): number[] {
    return this.levels.map((level) => level.length);
  }

  /** Whether `key` is held now (from the key directory, no I/O: for tests, probes and reports). */
  has(key: string): boolean {
    return this.live.has(key);
  }

  /** Keys held now (from the key directory; no I/O). */
  get size(): number {
    return this.live.size;
  }

  get engineStats(): StorageEngineStats {
    const c = this.counts;
    const live = this.liveBytesTotal;
    return {
      userWrites: c.puts + c.deletes,
      userBytesWritten: c.userBytesWritten,
      userReads: c.gets,
      diskBytesWritten: c.diskBytesWritten,
      diskBytesRead: c.diskBytesRead,
      writeAmplification: c.userBytesWritten > 0 ? c.diskBytesWritten / c.userBytesWritten : 0,
      readAmplification: c.gets > 0 ? c.diskBytesRead / c.gets : 0,
      spaceAmplification: live > 0 ? this.fileBytesTotal / live : 0,
      liveBytes: live,
    };
  }

  get stats(): LSMTreeStats {
    const c = this.counts;
    let tables = 0;
    for (const level of this.levels) tables += level.length;
    return {
      requests: c.requests,
      completed: c.completed,
      rejected: c.rejected,
      lostToCrash: c.lostToCrash,
      active: this.running.size,
      queued: 0,
      gets: c.gets,
      found: c.found,
      notFound: c.gets - c.found,
      puts: c.puts,
      deletes: c.deletes,
      scans: c.scans,
      flushes: c.flushes,
      compactions: c.compactions,
      stalls: c.stalls,
      bloomNegatives: c.bloomNegatives,
      blocksRead: c.blocksRead,
      getBytesRead: c.getBytesRead,
      compactionBytesRead: c.compactionBytesRead,
      compactionBytesWritten: c.compactionBytesWritten,
      walBytesWritten: c.walBytesWritten,
      flushBytesWritten: c.flushBytesWritten,
      tables,
      fileBytes: this.fileBytesTotal,
      ...this.engineStats,
    };
  }

  /** Seconds from arrival to answer of each completed operation of one kind. */
  latencyOf(operation: "get" | "put" | "delete" | "scan"): Histogram {
    return this.latencies[operation];
  }

  /** `stats` and each operation's latency mean and percentiles (`p99GetLatency`, ...). */
  override metrics(): EntityMetrics {
    const l = this.latencies;
    return {
      ...this.stats,
      ...latencyMetrics("Get", l.get),
      ...latencyMetrics("Put", l.put),
      ...latencyMetrics("Delete", l.delete),
      ...latencyMetrics("Scan", l.scan),
    };
  }

  // --- The message API --------------------------------------------------------------------

  override handle(request: Message<KVRequest<V>>): void {
    const kind = request.kind;
    const code = this.checks.opCode(kind);
    const payload = this.checks.payload<Partial<PutRequest<V> & DeleteRequest & ScanRequest>>(
      kind,
      request.payload,
    );
    this.counts.requests++;
    if (code !== GET && code !== PUT && code !== DELETE && code !== SCAN) {
      this.counts.rejected++;
      this.fail(request, `${kind}: not supported by an LSMTree (get, put, delete, scan)`);
      return;
    }
    if (
      payload.version !== undefined ||
      payload.tombstone !== undefined ||
      payload.tombstones !== undefined
    ) {
      this.counts.rejected++;
      this.fail(request, `${kind}: versions and tombstones are not supported by an LSMTree`);
      return;
    }
    let op: Operation<V>;
    if (code === SCAN) {
      const scan = this.scanRange(payload);
      op = new Operation<V>(SCAN, scan.from, undefined, scan, request, null);
    } else {
      const key = this.checks.key(kind, payload.key);
      if (code === PUT) this.checks.value(payload.value);
      op = new Operation<V>(code, key, payload.value, null, request, null);
    }
    this.begin(op);
  }

  // --- The one path both take -------------------------------------------------------------

  private scanRange(range: unknown) {
    const { from, to, limit, tombstones } = this.checks.scan(range);
    if (tombstones) {
      throw new SimulationError(
        "LSMTree: scan with tombstones is not supported",
        this.name,
        this.nowNs,
      );
    }
    return { from, to, limit };
  }

  private submit(
    code: OpCode,
    key: string,
    value: V | undefined,
    scan: Operation<V>["scan"],
  ): SimFuture<KVReply<V>> {
    const future = this.future<KVReply<V>>(`${KINDS[code]} on ${this.name}`);
    this.counts.requests++;
    if (!this.isUp) {
      this.counts.rejected++;
      future.reject(new RemoteError("lsm tree is down", this.name));
      return future;
    }
    this.begin(new Operation<V>(code, key, value, scan, null, future));
    return future;
  }

  private begin(op: Operation<V>): void {
    op.arrivalNs = this.nowNs;
    this.running.add(op);
    this.start(this.serve(op), { name: KINDS[op.code] });
  }

  private *serve(op: Operation<V>): Generator<SimFuture<unknown>, void, unknown> {
    let result: KVReply<V>;
    try {
      switch (op.code) {
        case GET: {
          const entry = yield* this.lookup(op.key, true);
          result = entry === undefined || entry.deleted ? undefined : entry.value;
          break;
        }
        case PUT:
          result = yield* this.write(op.key, op.value, false);
          break;
        case DELETE:
          result = yield* this.write(op.key, undefined, true);
          break;
        default:
          result = yield* this.merge(op.scan!);
      }
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      this.running.delete(op);
      this.counts.rejected++;
      const reason = `disk: ${error.reason}`;
      if (op.message !== null) this.fail(op.message, reason);
      else op.future!.reject(new RemoteError(reason, this.name));
      return;
    }
    this.complete(op, result);
  }

  private complete(op: Operation<V>, result: KVReply<V>): void {
    this.running.delete(op);
    const c = this.counts;
    const seconds = (this.nowNs - op.arrivalNs) / 1e9;
    switch (op.code) {
      case GET:
        c.gets++;
        if (result !== undefined) c.found++;
        this.latencies.get.record(seconds);
        break;
      case PUT:
        c.puts++;
        this.latencies.put.record(seconds);
        break;
      case DELETE:
        c.deletes++;
        this.latencies.delete.record(seconds);
        break;
      default:
        c.scans++;
        this.latencies.scan.record(seconds);
    }
    c.completed++;
    if (op.message !== null) this.reply(op.message, result);
    else op.future!.resolve(result);
  }

  // --- Writes -----------------------------------------------------------------------------

  /** A put (or a delete's tombstone): logged, applied; returns the seq (a put) or whether the key was there. */
  private *write(
    key: string,
    value: V | undefined,
    deleted: boolean,
  ): Generator<SimFuture<unknown>, number | boolean, unknown> {
    while (this.memtable.isFull) {
      if (this.frozen === null) this.rotate();
      else {
        this.counts.stalls++;
        const wait = this.future<void>(`stall on ${this.name}`);
        this.stalled.push(wait);
        yield wait;
      }
    }
    const bytes = key.length + (deleted ? 0 : this.sizeOfValue(value as V));
    const seq = ++this.seq;
    const record: LsmLogRecord<V> = { seq, key, value, deleted, bytes };
    this.memtable.apply(record);
    const existed = this.live.has(key);
    this.setLive(key, deleted ? -1 : bytes);
    this.counts.userBytesWritten += bytes;
    if (this.memtable.isFull && this.frozen === null) this.rotate();
    // Counted after the rotation: the record lands in the segment appends go to now, which
    // outlives the flush of the memtable that holds it.
    this.countWrite(bytes + ENTRY_OVERHEAD_BYTES, "wal");
    yield* this.wal.append(record);
    return deleted ? existed : seq;
  }

  private sizeOfValue(value: V): number {
    const size = this.valueBytes;
    return typeof size === "number" ? size : size(value);
  }

  private setLive(key: string, bytes: number): void {
    const held = this.live.get(key);
    if (held !== undefined) this.liveBytesTotal -= held;
    if (bytes < 0) this.live.delete(key);
    else {
      this.live.set(key, bytes);
      this.liveBytesTotal += bytes;
    }
  }

  /** Freezes the memtable for its flush; a new one (and a new log segment) takes the writes. */
  private rotate(): void {
    const table = this.memtable;
    table.freeze();
    this.frozen = { table, segment: this.wal.rotate() };
    this.memtable = new Memtable<V>({ capacityBytes: this.memtableBytes });
    this.schedule();
  }

  /** Starts the background work due: a flush, a compaction (each one at a time). */
  private schedule(): void {
    if (!this.isUp) return;
    if (this.frozen !== null && !this.flushing) {
      this.flushing = true;
      this.start(this.flush(this.frozen), { name: "flush" });
    }
    if (!this.compacting) {
      const job = this.strategy.pick(this.levels);
      if (job !== null) {
        this.compacting = true;
        this.start(this.compact(job), { name: "compaction" });
      }
    }
  }

  private *flush(frozen: Frozen<V>): Generator<SimFuture<unknown>, void, unknown> {
    try {
      const entries = frozen.table.sorted();
      const file = this.newTableFile();
      const table = yield* SSTable.write<V>(this.disk, file, entries, this.tableOptions());
      this.countFile(file, table.fileBytes, "flush");
      yield* this.commit({
        add: [{ file, level: 0 }],
        remove: [],
        flushedSeq: frozen.table.maxSeq,
      });
      this.flushedSeq = frozen.table.maxSeq;
      this.levels[0]!.push(table);
      this.frozen = null;
      this.wal.drop(frozen.segment);
      this.forgetSegments(frozen.segment);
      this.counts.flushes++;
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      // The disk refused (full, down): the frozen memtable stays, tried again shortly.
      this.flushing = false;
      this.after(0.01, () => this.schedule(), undefined, { daemon: true });
      return;
    }
    this.flushing = false;
    const stalled = this.stalled;
    this.stalled = [];
    for (const wait of stalled) wait.resolve();
    if (this.memtable.isFull) this.rotate();
    this.schedule();
  }

  private *compact(job: CompactionJob<SSTable<V>>): Generator<SimFuture<unknown>, void, unknown> {
    const outputs: { table: SSTable<V>; level: number }[] = [];
    try {
      if (job.merge) {
        const merged = yield* this.mergeTables(job.inputs, job.dropTombstones);
        let start = 0;
        const limit = this.strategy.tableBytes;
        while (start < merged.length) {
          let end = start;
          let bytes = 0;
          while (end < merged.length && (end === start || bytes < limit)) {
            bytes += merged[end]!.bytes + ENTRY_OVERHEAD_BYTES;
            end++;
          }
          const file = this.newTableFile();
          const table = yield* SSTable.write<V>(
            this.disk,
            file,
            merged.slice(start, end),
            this.tableOptions(),
          );
          this.countFile(file, table.fileBytes, "compaction");
          outputs.push({ table, level: job.outputLevel });
          start = end;
        }
      }
      yield* this.commit({
        add: outputs.map((o) => ({ file: o.table.file, level: o.level })),
        remove: job.inputs.map((t) => t.file),
        flushedSeq: this.flushedSeq,
      });
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      // The outputs not committed are deleted at the next recovery, or now.
      for (const o of outputs) this.deleteFile(o.table.file);
      this.compacting = false;
      this.after(0.01, () => this.schedule(), undefined, { daemon: true });
      return;
    }
    this.install(job, outputs);
    this.counts.compactions++;
    if (!job.merge) this.rebuildLiveDirectory();
    this.compacting = false;
    this.schedule();
  }

  /** Every entry of the inputs (every block read), newest per key, by key. */
  private *mergeTables(
    inputs: readonly SSTable<V>[],
    dropTombstones: boolean,
  ): Generator<SimFuture<unknown>, LsmEntry<V>[], unknown> {
    const newest = new Map<string, LsmEntry<V>>();
    this.hold(inputs);
    try {
      for (const table of inputs) {
        for (let b = 0; b < table.blocks; b++) {
          const block = yield* table.readBlock(b);
          const bytes = table.index.blockBytes[b]!;
          this.counts.blocksRead++;
          this.counts.diskBytesRead += bytes;
          this.counts.compactionBytesRead += bytes;
          for (const entry of block.entries) {
            const held = newest.get(entry.key);
            if (held === undefined || entry.seq > held.seq) newest.set(entry.key, entry);
          }
        }
      }
    } finally {
      this.release(inputs);
    }
    const keys = [...newest.keys()].sort();
    const merged: LsmEntry<V>[] = [];
    for (const key of keys) {
      const entry = newest.get(key)!;
      if (dropTombstones && entry.deleted) continue;
      merged.push(entry);
    }
    return merged;
  }

  /** Swaps a compaction's inputs for its outputs in the levels; inputs are deleted once unread. */
  private install(
    job: CompactionJob<SSTable<V>>,
    outputs: readonly { table: SSTable<V>; level: number }[],
  ): void {
    const gone = new Set(job.inputs);
    for (let i = 0; i < this.levels.length; i++) {
      this.levels[i] = this.levels[i]!.filter((t) => !gone.has(t));
    }
    for (const { table, level } of outputs) {
      while (this.levels.length <= level) this.levels.push([]);
      this.levels[level]!.push(table);
    }
    for (let i = 1; i < this.levels.length; i++) {
      this.levels[i]!.sort((a, b) => (a.minKey < b.minKey ? -1 : a.minKey > b.minKey ? 1 : 0));
    }
    for (const table of job.inputs) {
      if ((this.readers.get(table) ?? 0) === 0) this.deleteFile(table.file);
      else this.retired.add(table);
    }
  }

  /** Appends a manifest edit and waits until it is durable. */
  private *commit(edit: ManifestEdit): Generator<SimFuture<unknown>, void, unknown> {
    this.countWrite(MANIFEST_RECORD_BYTES, "manifest");
    this.noteFileBytes(this.manifest.file, MANIFEST_RECORD_BYTES);
    yield* this.manifest.append(edit);
  }

  /** The log's segments up to `through` are deleted: their bytes no longer count. */
  private forgetSegments(through: number): void {
    const prefix = `${this.wal.file}.`;
    for (const [file, bytes] of [...this.fileSizes]) {
      if (!file.startsWith(prefix) || Number(file.slice(prefix.length)) > through) continue;
      this.fileSizes.delete(file);
      this.fileBytesTotal -= bytes;
    }
  }

  private tableOptions() {
    return { blockBytes: this.blockBytes, bloomFalsePositiveRate: this.bloomFalsePositiveRate };
  }

  private newTableFile(): string {
    return `${this.name}.${TABLE_PREFIX}${this.nextTable++}`;
  }

  private deleteFile(file: string): void {
    const held = this.fileSizes.get(file);
    if (held !== undefined) {
      this.fileBytesTotal -= held;
      this.fileSizes.delete(file);
    }
    this.disk.deleteFuture(file).defuse();
  }

  private countFile(file: string, bytes: number, by: "flush" | "compaction"): void {
    this.noteFileBytes(file, bytes);
    this.countWrite(bytes, by);
  }

  private noteFileBytes(file: string, bytes: number): void {
    this.fileSizes.set(file, (this.fileSizes.get(file) ?? 0) + bytes);
    this.fileBytesTotal += bytes;
  }

  private countWrite(bytes: number, by: "wal" | "flush" | "compaction" | "manifest"): void {
    const c = this.counts;
    c.diskBytesWritten += bytes;
    if (by === "wal") {
      c.walBytesWritten += bytes;
      this.noteFileBytes(`${this.wal.file}.${this.wal.currentSegment}`, bytes);
    } else if (by === "flush") c.flushBytesWritten += bytes;
    else if (by === "compaction") c.compactionBytesWritten += bytes;
  }

  private hold(tables: readonly SSTable<V>[]): void {
    for (const table of tables) this.readers.set(table, (this.readers.get(table) ?? 0) + 1);
  }

  private release(tables: readonly SSTable<V>[]): void {
    for (const table of tables) {
      const left = this.readers.get(table)! - 1;
      if (left > 0) {
        this.readers.set(table, left);
        continue;
      }
      this.readers.delete(table);
      if (this.retired.delete(table)) this.deleteFile(table.file);
    }
  }

  // --- Reads ------------------------------------------------------------------------------

  /** The newest entry of `key` (a value or a tombstone), or undefined. */
  private *lookup(
    key: string,
    forGet: boolean,
  ): Generator<SimFuture<unknown>, LsmEntry<V> | undefined, unknown> {
    const inMemory = this.memtable.get(key) ?? this.frozen?.table.get(key);
    if (inMemory !== undefined) return inMemory;
    const candidates: SSTable<V>[] = [];
    for (const level of this.levels) for (const t of level) if (t.covers(key)) candidates.push(t);
    if (candidates.length === 0) return undefined;
    candidates.sort((a, b) => b.maxSeq - a.maxSeq);
    this.hold(candidates);
    let best: LsmEntry<V> | undefined;
    try {
      for (const table of candidates) {
        // No older table can hold a newer version than the one found.
        if (best !== undefined && table.maxSeq < best.seq) break;
        if (!table.mayContain(key)) {
          this.counts.bloomNegatives++;
          continue;
        }
        const before = table.stats.bytesRead;
        const entry = yield* table.get(key);
        const bytes = table.stats.bytesRead - before;
        this.counts.blocksRead++;
        this.counts.diskBytesRead += bytes;
        if (forGet) this.counts.getBytesRead += bytes;
        if (entry !== undefined && (best === undefined || entry.seq > best.seq)) best = entry;
      }
    } finally {
      this.release(candidates);
    }
    return best;
  }

  /** A scan: every level merged, newest version per key, tombstones hidden. */
  private *merge(scan: {
    from: string;
    to: string | undefined;
    limit: number;
  }): Generator<SimFuture<unknown>, KVEntry<V>[], unknown> {
    const { from, to, limit } = scan;
    const sources: ScanSource<V>[] = [
      { entries: this.memtable.range(from, to), at: 0, table: null, nextBlock: 0 },
    ];
    if (this.frozen !== null) {
      sources.push({
        entries: this.frozen.table.range(from, to),
        at: 0,
        table: null,
        nextBlock: 0,
      });
    }
    const tables: SSTable<V>[] = [];
    for (const level of this.levels) {
      for (const t of level) {
        if (!t.overlaps(from, to)) continue;
        tables.push(t);
        sources.push({ entries: [], at: 0, table: t, nextBlock: t.firstBlockFor(from) });
      }
    }
    this.hold(tables);
    const found: KVEntry<V>[] = [];
    try {
      while (found.length < limit) {
        let smallest: string | undefined;
        for (const source of sources) {
          const head = yield* this.headOf(source, from, to);
          if (head !== undefined && (smallest === undefined || head.key < smallest)) {
            smallest = head.key;
          }
        }
        if (smallest === undefined) break;
        let best: LsmEntry<V> | undefined;
        for (const source of sources) {
          const head = source.entries[source.at];
          if (head === undefined || head.key !== smallest) continue;
          if (best === undefined || head.seq > best.seq) best = head;
          source.at++;
        }
        if (!best!.deleted)
          found.push({ key: best!.key, value: best!.value as V, version: best!.seq });
      }
    } finally {
      this.release(tables);
    }
    return found;
  }

  /** The source's next entry in `[from, to)`, reading its table's next block if need be. */
  private *headOf(
    source: ScanSource<V>,
    from: string,
    to: string | undefined,
  ): Generator<SimFuture<unknown>, LsmEntry<V> | undefined, unknown> {
    for (;;) {
      const head = source.entries[source.at];
      if (head !== undefined) {
        if (to !== undefined && head.key >= to) return undefined;
        if (head.key >= from) return head;
        source.at++;
        continue;
      }
      const table = source.table;
      if (table === null || source.nextBlock >= table.blocks) return undefined;
      const b = source.nextBlock++;
      if (to !== undefined && table.index.firstKeys[b]! >= to) return undefined;
      const block = yield* table.readBlock(b);
      this.counts.blocksRead++;
      this.counts.diskBytesRead += table.index.blockBytes[b]!;
      source.entries = block.entries;
      source.at = 0;
    }
  }

  // --- Lifecycle --------------------------------------------------------------------------

  protected override onCrash(): void {
    // The crash cancelled the processes (operations, flush, compaction); their callers learn.
    const lost = [...this.running];
    this.running.clear();
    this.counts.lostToCrash += lost.length;
    for (const op of lost) op.future?.reject(new RemoteError("lsm tree crashed", this.name));
    this.stalled = [];
    this.memtable = new Memtable<V>({ capacityBytes: this.memtableBytes });
    this.frozen = null;
    this.levels = [[]];
    this.readers = new Map();
    this.retired = new Set();
    this.flushing = false;
    this.compacting = false;
    this.live = new Map();
    this.liveBytesTotal = 0;
  }

  protected override onRecover(): void {
    this.restore();
  }

  /** Rebuilds memory from the disk: manifest, tables, then the log's unflushed records. */
  private restore(): void {
    const disk = this.disk;
    const placed = new Map<string, number>();
    let flushedSeq = 0;
    for (const edit of this.manifest.replay()) {
      for (const { file, level } of edit.add) placed.set(file, level);
      for (const file of edit.remove) placed.delete(file);
      if (edit.flushedSeq > flushedSeq) flushedSeq = edit.flushedSeq;
    }
    this.flushedSeq = flushedSeq;
    let seq = flushedSeq;
    const levels: SSTable<V>[][] = [[]];
    const prefix = `${this.name}.${TABLE_PREFIX}`;
    for (const file of disk.files()) {
      if (!file.startsWith(prefix)) continue;
      const n = Number(file.slice(prefix.length));
      if (Number.isSafeInteger(n) && n >= this.nextTable) this.nextTable = n + 1;
      const level = placed.get(file);
      const table = level === undefined ? null : SSTable.load(disk as Disk<SSTableRecord<V>>, file);
      if (table === null) {
        // Not committed (a flush or compaction cut short), or unreadable: not the tree's.
        disk.deleteFuture(file).defuse();
        continue;
      }
      while (levels.length <= level!) levels.push([]);
      levels[level!]!.push(table);
      if (table.maxSeq > seq) seq = table.maxSeq;
    }
    levels[0]!.sort((a, b) => a.maxSeq - b.maxSeq);
    for (let i = 1; i < levels.length; i++) {
      levels[i]!.sort((a, b) => (a.minKey < b.minKey ? -1 : a.minKey > b.minKey ? 1 : 0));
    }
    this.levels = levels;
    const memtable = new Memtable<V>({ capacityBytes: this.memtableBytes });
    for (const record of this.wal.replay()) {
      if (record.seq > seq) seq = record.seq;
      if (record.seq > flushedSeq) memtable.apply(record);
    }
    this.memtable = memtable;
    this.seq = seq;
    // Sizes after the replays cut their torn tails and the orphans went.
    this.fileSizes = new Map();
    this.fileBytesTotal = 0;
    for (const file of disk.files()) {
      if (!file.startsWith(`${this.name}.`)) continue;
      let bytes = 0;
      for (const record of disk.records(file)) bytes += record.keptBytes;
      this.noteFileBytes(file, bytes);
    }
    this.rebuildLiveDirectory();
    if (this.memtable.isFull) this.rotate();
    this.schedule();
  }

  /**
   * The key directory from the tables and memtables as they are (read from the disk without
   * latency or counts: bookkeeping for the statistics, not the engine's I/O).
   */
  private rebuildLiveDirectory(): void {
    const newest = new Map<string, LsmEntry<V>>();
    const consider = (entry: LsmEntry<V>) => {
      const held = newest.get(entry.key);
      if (held === undefined || entry.seq > held.seq) newest.set(entry.key, entry);
    };
    for (const level of this.levels) {
      for (const table of level) {
        for (const record of this.disk.records(table.file)) {
          const value = record.value as SSTableRecord<V>;
          if (value.kind === "block") for (const entry of value.entries) consider(entry);
        }
      }
    }
    if (this.frozen !== null) for (const entry of this.frozen.table.sorted()) consider(entry);
    for (const entry of this.memtable.sorted()) consider(entry);
    this.live = new Map();
    this.liveBytesTotal = 0;
    for (const key of [...newest.keys()].sort()) {
      const entry = newest.get(key)!;
      if (!entry.deleted) this.setLive(key, entry.bytes);
    }
  }

  protected override onResetStats(): void {
    this.counts = newCounts();
    this.counts.requests = this.running.size;
    this.latencies = newLatencies();
  }
}

const KINDS = ["get", "getEntry", "put", "delete", "scan", "increment"] as const;

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
    flushes: 0,
    compactions: 0,
    stalls: 0,
    bloomNegatives: 0,
    blocksRead: 0,
    getBytesRead: 0,
    compactionBytesRead: 0,
    compactionBytesWritten: 0,
    walBytesWritten: 0,
    flushBytesWritten: 0,
    userBytesWritten: 0,
    diskBytesWritten: 0,
    diskBytesRead: 0,
  };
}

function newLatencies() {
  return {
    get: new Histogram(),
    put: new Histogram(),
    delete: new Histogram(),
    scan: new Histogram(),
  };
}

/** A tree's options, checked and defaulted, before the tree (or its disk) registers. */
function checkLSMTreeOptions<V>(sim: Simulation, name: string, options: LSMTreeOptions<V>) {
  const component = `LSMTree "${name}"`;
  const { disk, valueBytes } = checkStorageEngineOptions(sim, component, name, options);
  const sync = checkWalSyncPolicy(component, options.sync);
  const memtableBytes =
    options.memtableBytes === undefined
      ? 65_536
      : requireInteger(component, "memtableBytes", options.memtableBytes, 1);
  const { blockBytes, bloomFalsePositiveRate } = checkSSTableOptions(
    { blockBytes: options.blockBytes, bloomFalsePositiveRate: options.bloomFalsePositiveRate },
    component,
  );
  const given = options.compaction ?? "leveled";
  let compaction: CompactionStrategy;
  if (given === "leveled") compaction = leveledCompaction();
  else if (given === "sizeTiered") compaction = sizeTieredCompaction();
  else if (given === "fifo") compaction = fifoCompaction({ maxBytes: 64 * memtableBytes });
  else if (isCompactionStrategy(given)) compaction = given;
  else {
    throw new ConfigError(
      component,
      "compaction",
      '"leveled", "sizeTiered", "fifo" or a CompactionStrategy',
      given,
    );
  }
  return {
    disk,
    sync,
    memtableBytes,
    blockBytes,
    bloomFalsePositiveRate,
    compaction,
    valueBytes,
  } as const;
}
