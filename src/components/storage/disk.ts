/**
 * `Disk`: durable storage that tells written from synced. A write lands in a volatile buffer
 * (the page cache, the device's write cache): its owner reads it back at once, but only a
 * `sync()` (fsync) makes it durable, after a sync latency. When the disk loses power (its
 * owner's host crashes, or it crashes itself) everything not synced is lost, and the last unsynced
 * write may survive torn: a prefix of it reached the medium, and a checksum, where the writer
 * declared one, tells on read. A tear damages no synced record but the one its write overwrote
 * (a torn page), and keeps no more bytes than the medium has room for.
 *
 * A disk holds files, each a sequence of records (a log's entries, a table's pages): a record
 * is any value with a size in bytes, appended, overwritten at its index, read back, or cut off
 * by a truncate. From a process: `yield* disk.append("wal", entry)`, `yield* disk.sync()`,
 * `const page = yield* disk.read("data", 3)`; every call waits on the simulation's futures
 * (`appendFuture`, ... give the futures themselves to code that is not a process).
 *
 * A write takes effect when it is issued (as `write(2)` copies into the page cache and takes
 * its offset then) and its caller waits its latency; a read sees the records as they are when
 * it is issued. Syncs run one at a time, as one flush of the whole disk: a sync covers every
 * write issued before it starts, and syncs asked for while one runs wait and share the next
 * (group commit, so the disk never flushes more often than its sync latency allows).
 *
 * Faults, each a method returning a `DiskFault` to heal (a fault schedule drives them), each
 * written to the trace stream as `fault` records: `slow(k)` (every latency times k), `fill()`
 * (writes fail with `DiskFullError`), `readErrors(p)` (reads fail with probability p),
 * `corrupt()` (a stored record flips: a checksum catches it on read, otherwise it reads back
 * silently wrong, counted), and `lieOnSync()` (syncs report success without making anything
 * durable: "fsync lied", lost on the next crash, counted in `lostAcknowledged`).
 *
 * @example
 * const node = new Entity(sim, "node");
 * const disk = new Disk(sim, "node-disk", { owner: node, syncLatency: dist.lognormal({ median: 0.002, sigma: 0.5 }) });
 * node.start(function* () {
 *   yield* disk.append("wal", { key: "a", value: 1 }, { checksum: true });
 *   yield* disk.sync(); // durable from here: survives node.crash()
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { FaultHandle } from "../../core/faultHandle.js";
import type { SimFuture } from "../../core/future.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import { type Latency, requireLatency } from "../shared/latency.js";
import { optionalBoolean, optionalFunction, requireInteger } from "../shared/validate.js";
import { ChecksumError, DiskError, DiskFullError } from "./diskErrors.js";
import {
  type DiskLatencyContext,
  type DiskLatencyModel,
  type DiskOperation,
  isDiskLatencyModel,
  optionLatency,
} from "./diskLatency.js";

export interface DiskOptions<V = unknown> {
  /**
   * The entity the disk belongs to (the node, the store): when its host crashes (`crash()`, a
   * host crash by default) the disk loses power with it (everything unsynced is lost), and when
   * it recovers the disk comes back. A process crash (`crash({ kind: "process" })`) leaves the
   * disk up with its buffer (the operating system's page cache outlives the process): the
   * recovered owner reads its unsynced writes back. Default: none (only `disk.crash()` takes
   * its power).
   */
  // biome-ignore lint/suspicious/noExplicitAny: a disk can belong to an entity of any message types
  owner?: Entity<any, any>;
  /** Seconds a read takes: a number, a profile, or a distribution (stream "read"). Default 0.0001. */
  readLatency?: Latency;
  /**
   * Seconds a write (append, overwrite, truncate) takes to reach the volatile buffer, as
   * `readLatency` (stream "write"). Default 0.00002.
   */
  writeLatency?: Latency;
  /** Seconds a sync (fsync) takes, as `readLatency` (stream "sync"). Default 0.002. */
  syncLatency?: Latency;
  /**
   * A device model that decides every operation's seconds (it may use the options above
   * through `context.baseSeconds()`). Default: the options above, drawn per operation.
   */
  latencyModel?: DiskLatencyModel;
  /** Bytes the disk holds (integer >= 1); a write past it fails with `DiskFullError`. Default: no limit. */
  capacityBytes?: number;
  /** Size of a record whose write does not give `sizeBytes` (integer >= 1). Default 4096. */
  recordBytes?: number;
  /**
   * Whether records carry a checksum when their write does not say (`{ checksum }`). Default
   * false: a component declares the checksums it keeps.
   */
  checksums?: boolean;
  /**
   * Chance (0 to 1) that a power loss leaves the last unsynced write torn on the medium (a
   * prefix of its bytes, drawn from the stream "crash") instead of lost whole. Default 0.5.
   */
  tornWriteProbability?: number;
  /**
   * What a damaged record (torn or corrupted) without a checksum reads back as. Default: its
   * value unchanged (the model cannot invent garbage of your type; give this to see what a
   * component does with a wrong value). Either way the read is counted in `silentCorruptions`.
   */
  corruptValue?: (value: V) => V;
}

/** How a record is written. */
export interface DiskRecordOptions {
  /** Its size in bytes (integer >= 1). Default: the disk's `recordBytes`. */
  readonly sizeBytes?: number;
  /** Whether it carries a checksum that a read verifies. Default: the disk's `checksums`. */
  readonly checksum?: boolean;
}

/** A stored record as tests and checkers see it (`disk.records(file)`). */
export interface DiskRecord<V> {
  readonly value: V;
  readonly sizeBytes: number;
  readonly checksum: boolean;
  /** null if intact; "torn" if a crash kept only a prefix; "corrupt" if it flipped on the medium. */
  readonly damage: "torn" | "corrupt" | null;
  /** Bytes of it on the medium (less than `sizeBytes` when torn). */
  readonly keptBytes: number;
}

/**
 * A snapshot of what a disk has done. At every instant (crashes and `sim.resetStats()`
 * included): `requests = completed + rejected + lostToCrash + active + queued` (operations) and
 * `writes = syncedWrites + lostWrites + unsyncedWrites` (writes accepted: each is made durable
 * by a sync, lost in a crash, or still in the buffer).
 */
export interface DiskStats {
  /** Operations asked for: reads, writes (appends, overwrites, truncates, deletes) and syncs. */
  readonly requests: number;
  /** Operations finished without an error. */
  readonly completed: number;
  /** Operations failed: the disk was down or full, a read error, a checksum mismatch. */
  readonly rejected: number;
  /** Operations in progress when the disk lost power (their callers get `DiskError`). */
  readonly lostToCrash: number;
  /** Operations in progress now (a running sync counts each caller it will answer). */
  readonly active: number;
  /** Sync callers waiting for the next sync, while one runs. */
  readonly queued: number;
  /** Reads finished (`bytesRead` their bytes). */
  readonly reads: number;
  readonly bytesRead: number;
  /** Writes accepted (`bytesWritten` their bytes). */
  readonly writes: number;
  readonly bytesWritten: number;
  /** Syncs run (flushes of the disk; concurrent callers share one). */
  readonly syncs: number;
  /** Writes made durable by a sync. */
  readonly syncedWrites: number;
  /** Writes in the volatile buffer now, and their bytes. */
  readonly unsyncedWrites: number;
  readonly unsyncedBytes: number;
  /** Writes lost to power losses, and their bytes (a torn write counts as lost). */
  readonly lostWrites: number;
  readonly lostBytes: number;
  /** Power losses that left the last unsynced write torn on the medium. */
  readonly tornWrites: number;
  /** Lost writes that a sync had reported durable (it lied: `lieOnSync()`). */
  readonly lostAcknowledged: number;
  /** Syncs that reported success without making anything durable. */
  readonly liedSyncs: number;
  /** Writes refused for want of room. */
  readonly refusedFull: number;
  /** Reads that failed with an I/O error (`readErrors()`). */
  readonly readErrors: number;
  /** Reads of a damaged record that its checksum caught. */
  readonly checksumFailures: number;
  /** Reads of a damaged record without a checksum: returned wrong, and nobody could tell. */
  readonly silentCorruptions: number;
  /** Records flipped on the medium by `corrupt()`. */
  readonly corruptedRecords: number;
  /** Power losses (the disk's or its owner's crashes). */
  readonly powerLosses: number;
  /** Bytes held now (what the owner sees: synced and not). */
  readonly usedBytes: number;
  /** Seconds a sync took (0 while none ran); percentiles in `metrics()`. */
  readonly meanSyncLatency: number;
}

/** A fault on a disk, from one of its fault methods: heal it to end it. */
export interface DiskFault extends FaultHandle {
  /** The id its trace records share (`FaultRecord.faultId`). */
  readonly faultId: number;
  /** The fault's kind in the trace: "disk-slow", "disk-full", "disk-read-errors", ... */
  readonly fault: string;
  /** The same as `fault` (the name every `FaultHandle` has). */
  readonly kind: string;
  /** The disk's name, alone. */
  readonly targets: readonly string[];
  /** False once healed. */
  readonly active: boolean;
  /** Ends the fault now (a second call does nothing). */
  heal(): void;
}

/** A stored record: immutable, so the buffer and the medium can share it until it changes. */
class StoredRecord<V> implements DiskRecord<V> {
  constructor(
    readonly value: V,
    readonly sizeBytes: number,
    readonly checksum: boolean,
    readonly damage: "torn" | "corrupt" | null = null,
    readonly keptBytes = sizeBytes,
  ) {}
}

/** A write in the buffer, not yet durable: replayed onto the medium by a sync, in order. */
interface PendingWrite<V> {
  readonly file: string;
  /** "write" (append or overwrite at `index`), "truncate" (to `index` records), "delete". */
  readonly kind: "write" | "truncate" | "delete";
  readonly index: number;
  readonly record: StoredRecord<V> | null;
  /** Bytes it counts for (the record's size; 0 for a truncate or delete). */
  readonly bytes: number;
  /** A lying sync reported it durable. */
  acknowledged: boolean;
}

/** A read or write in progress: settled by its latency timer, or failed by a crash. */
class InFlight {
  constructor(
    readonly future: SimFuture<unknown>,
    /** What it resolves with; an error rejects it instead. */
    readonly result: unknown,
    readonly error: DiskError | null,
    readonly readBytes: number,
  ) {}
}

type Files<V> = Map<string, StoredRecord<V>[]>;

/** Where a torn write lands on the medium, and the most of its bytes that may survive. */
interface TearSpot {
  readonly index: number;
  readonly most: number;
}

class ActiveFault implements DiskFault {
  active = true;
  constructor(
    private readonly disk: Disk<never>,
    readonly faultId: number,
    readonly fault: string,
    private readonly onHeal: () => string,
  ) {}
  get kind(): string {
    return this.fault;
  }
  get targets(): readonly string[] {
    return [this.disk.name];
  }
  heal(): void {
    if (!this.active) return;
    this.active = false;
    const detail = this.onHeal();
    this.disk._traceFault(this.faultId, this.fault, "healed", detail);
  }
}

export class Disk<V = unknown> extends Entity<never, never> {
  static readonly catalog: CatalogEntry = {
    name: "Disk",
    kind: "component",
    role: "persistence",
    layer: "durable",
    contract:
      "Holds files of records (append, overwrite, read, truncate, delete) for processes, each operation after a latency drawn per operation or given by a device model. A write is visible to reads at once but durable only once a sync that started after it completes; syncs run one at a time and concurrent callers share the next. A power loss (its own crash or its owner's) loses every unsynced write and may leave the last one torn; records written with a checksum are verified on read.",
    requires: ["Bytes", "Checksum", "Timer"],
    provides: ["Durable", "Read", "Write", "Append", "Delete", "Observable"],
    inputs: [
      "append, write, read, truncate, delete, sync (process calls)",
      "faults: slow, fill, readErrors, corrupt, lieOnSync",
    ],
    outputs: [
      "records, indexes (returned values)",
      "DiskError (down, crashed), DiskFullError, ChecksumError",
      "requests, completed, rejected, lostToCrash, active, queued, writes, syncedWrites, unsyncedWrites, lostWrites, tornWrites, lostAcknowledged, checksumFailures, silentCorruptions, sync latency",
      "fault trace records",
    ],
    state:
      "files of records twice: as written (volatile: what reads see) and as synced (durable: what a power loss leaves)",
    failure_semantics:
      "A power loss (its crash or its owner's host crash; a process crash of the owner keeps the buffer) keeps only what syncs made durable, except that the last unsynced write may survive torn (seeded); operations in progress fail with DiskError (lostToCrash). Faults: slow (latency x k), full (writes fail), read errors (probability), corruption (a checksum catches it, otherwise it reads silently wrong), lying syncs (acknowledged writes lost at the next crash).",
    composition_rules: ["KVStore", "WriteAheadLog"],
    operational_knobs: knobs<DiskOptions>()(
      "owner",
      "readLatency",
      "writeLatency",
      "syncLatency",
      "latencyModel",
      "capacityBytes",
      "recordBytes",
      "checksums",
      "tornWriteProbability",
      "corruptValue",
    ),
  };

  /** The entity whose crash takes the disk's power, or null. */
  // biome-ignore lint/suspicious/noExplicitAny: a disk can belong to an entity of any message types
  readonly owner: Entity<any, any> | null;
  /** Bytes the disk holds, or Infinity. */
  readonly capacityBytes: number;
  readonly recordBytes: number;
  readonly checksums: boolean;
  readonly tornWriteProbability: number;
  private readonly latencyModel: DiskLatencyModel;
  private readonly readLatency: Distribution;
  private readonly writeLatency: Distribution;
  private readonly syncLatency: Distribution;
  private readonly corruptValue: ((value: V) => V) | null;
  private readonly readDraws = this.random("read");
  private readonly writeDraws = this.random("write");
  private readonly syncDraws = this.random("sync");
  private readonly crashDraws = this.random("crash");
  private readonly faultDraws = this.random("faults");

  /** The files as written: what reads see. */
  private visible: Files<V> = new Map();
  /** The files as synced: what survives a power loss. */
  private readonly durable: Files<V> = new Map();
  /** Writes not yet durable, in the order issued (a prefix of it is what a sync covers). */
  private pending: PendingWrite<V>[] = [];
  private pendingBytes = 0;
  private used = 0;
  private readonly inFlight = new Set<InFlight>();
  /** Callers of the sync running now, and how many pending writes it covers; null if none runs. */
  private syncing: { readonly waiters: SimFuture<void>[]; readonly covers: number } | null = null;
  /** Sync callers waiting for the next one. */
  private nextSync: SimFuture<void>[] = [];
  /** Power lost with the owner's crash (so the owner's recovery brings it back). */
  private downWithOwner = false;

  private slowFactors: number[] = [];
  private readErrorProbabilities: number[] = [];
  private fillFaults = 0;
  private lyingFaults = 0;

  private counts = newCounts();
  private syncTimes = new Histogram();

  constructor(sim: Simulation, name: string, options: DiskOptions<V> = {}) {
    // Checked before registering: a refused disk leaves no entity behind.
    const config = checkDiskOptions(sim, name, options);
    super(sim, name);
    this.owner = config.owner;
    this.readLatency = config.readLatency;
    this.writeLatency = config.writeLatency;
    this.syncLatency = config.syncLatency;
    this.latencyModel = config.latencyModel;
    this.capacityBytes = config.capacityBytes;
    this.recordBytes = config.recordBytes;
    this.checksums = config.checksums;
    this.tornWriteProbability = config.tornWriteProbability;
    this.corruptValue = config.corruptValue;
    if (config.owner !== null) {
      const owner = config.owner;
      owner.addLifecycleHook({
        onCrash: () => {
          // A process crash leaves the host and its page cache up: only a host crash (the
          // default) takes the disk's power.
          if (!this.isUp || owner.crashKind === "process") return;
          this.downWithOwner = true;
          this.crash();
        },
        onRecover: () => {
          if (!this.downWithOwner) return;
          this.downWithOwner = false;
          // Someone may have brought the disk back already (`disk.recover()` while its owner
          // was still down): then there is nothing to do.
          if (!this.isUp) this.recover();
        },
      });
    }
  }

  // --- The process API --------------------------------------------------------------------

  /** Appends `value` to `file` (created if new); returns its index. */
  *append(
    file: string,
    value: V,
    options?: DiskRecordOptions,
  ): Generator<SimFuture<number>, number, unknown> {
    return (yield this.appendFuture(file, value, options)) as number;
  }

  /** Writes `value` at `index` of `file`: over the record there, or appended at its end. */
  *write(
    file: string,
    index: number,
    value: V,
    options?: DiskRecordOptions,
  ): Generator<SimFuture<void>, void, unknown> {
    yield this.writeFuture(file, index, value, options);
  }

  /**
   * The record at `index` of `file`. Throws `ChecksumError` if it is damaged and has a
   * checksum, `DiskError` ("io") under `readErrors()`.
   */
  *read(file: string, index: number): Generator<SimFuture<V>, V, unknown> {
    return (yield this.readFuture(file, index)) as V;
  }

  /** Cuts `file` to its first `length` records (a write: durable once synced). */
  *truncate(file: string, length: number): Generator<SimFuture<void>, void, unknown> {
    yield this.truncateFuture(file, length);
  }

  /** Removes `file` (a write: durable once synced). */
  *deleteFile(file: string): Generator<SimFuture<void>, void, unknown> {
    yield this.deleteFuture(file);
  }

  /** Makes every write issued before it durable (fsync); waits for a running sync first. */
  *sync(): Generator<SimFuture<void>, void, unknown> {
    yield this.syncFuture();
  }

  // --- The same, as futures (for code that is not a process) -------------------------------

  appendFuture(file: string, value: V, options?: DiskRecordOptions): SimFuture<number> {
    this.checkFile("append", file);
    const index = this.visible.get(file)?.length ?? 0;
    return this.issueWrite(file, index, value, options, index) as SimFuture<number>;
  }

  writeFuture(file: string, index: number, value: V, options?: DiskRecordOptions): SimFuture<void> {
    this.checkFile("write", file);
    this.checkIndex("write", file, index, true);
    return this.issueWrite(file, index, value, options, undefined) as SimFuture<void>;
  }

  readFuture(file: string, index: number): SimFuture<V> {
    this.checkFile("read", file);
    const future = this.future<V>(`read ${file}[${index}] on ${this.name}`);
    if (this.isUp) this.checkIndex("read", file, index, false);
    this.counts.requests++;
    if (!this.isUp) return this.refuse(future, new DiskError("down", this.name, "disk is down"));
    const record = this.visible.get(file)![index]!;
    const seconds = this.seconds({ kind: "read", file, index, sizeBytes: record.sizeBytes });
    let error: DiskError | null = null;
    let result: unknown = record.value;
    if (this.readErrorProbabilities.length > 0 && this.drawReadError()) {
      this.counts.readErrors++;
      error = new DiskError("io", this.name, `read error on ${file}[${index}]`);
    } else if (record.damage !== null) {
      if (record.checksum) {
        this.counts.checksumFailures++;
        error = new ChecksumError(this.name, file, index, record.damage);
      } else {
        this.counts.silentCorruptions++;
        if (this.corruptValue !== null) result = this.corruptValue(record.value);
      }
    }
    return this.schedule(future, seconds, result, error, record.sizeBytes) as SimFuture<V>;
  }

  truncateFuture(file: string, length: number): SimFuture<void> {
    this.checkFile("truncate", file);
    requireInteger(`Disk "${this.name}".truncate`, "length", length, 0);
    return this.issueMeta(file, "truncate", length);
  }

  deleteFuture(file: string): SimFuture<void> {
    this.checkFile("deleteFile", file);
    return this.issueMeta(file, "delete", 0);
  }

  syncFuture(): SimFuture<void> {
    const future = this.future<void>(`sync on ${this.name}`);
    this.counts.requests++;
    if (!this.isUp) return this.refuse(future, new DiskError("down", this.name, "disk is down"));
    if (this.syncing === null) this.startSync([future]);
    else this.nextSync.push(future);
    return future;
  }

  // --- State (no latency: for tests, checkers, recovery and probes) ------------------------

  /** Records in `file` as its owner sees them now (synced or not); 0 for a missing file. */
  length(file: string): number {
    return this.visible.get(file)?.length ?? 0;
  }

  /** Names of the files the owner sees, in ascending order. */
  files(): string[] {
    return [...this.visible.keys()].sort();
  }

  /**
   * The records of `file`: as its owner sees them now (`"written"`, the default), or as they
   * are on the medium (`"synced"`: what a power loss now would leave, before any torn write).
   */
  records(file: string, which: "written" | "synced" = "written"): readonly DiskRecord<V>[] {
    const files = which === "synced" ? this.durable : this.visible;
    return [...(files.get(file) ?? [])];
  }

  /** Writes in the volatile buffer now (issued, not yet durable). */
  get unsyncedWrites(): number {
    return this.pending.length;
  }

  /**
   * Appends `values` to `file` as already durable, without latency or counts: the data a model
   * starts with (a database restored before the run). Not for the model's own writes while it
   * runs: those are `append` and `sync`. The file must have no unsynced writes, and the records
   * must fit in `capacityBytes` with what the disk holds: more is a `ConfigError` (the data a
   * model starts with does not fit its disk), and nothing of it is restored.
   */
  restore(file: string, values: Iterable<V>, options?: DiskRecordOptions): void {
    this.checkFile("restore", file);
    const [sizeBytes, checksum] = this.recordOptions(options);
    // Read once (it may be a generator), so a refusal leaves the disk as it was.
    const list = [...values];
    const bytes = list.length * sizeBytes;
    if (this.used + bytes > this.capacityBytes) {
      throw new ConfigError(
        `Disk "${this.name}".restore(${JSON.stringify(file)})`,
        "values",
        `at most ${this.capacityBytes - this.used} bytes (capacityBytes ${this.capacityBytes}, ${this.used} used)`,
        `${list.length} records of ${sizeBytes} bytes (${bytes} bytes)`,
      );
    }
    let seen = this.visible.get(file);
    let stored = this.durable.get(file);
    if ((seen?.length ?? 0) !== (stored?.length ?? 0) || seen?.some((r, i) => r !== stored![i])) {
      throw new SimulationError(
        `restore(${JSON.stringify(file)}): the file has unsynced writes`,
        this.name,
        this.nowNs,
      );
    }
    if (seen === undefined || stored === undefined) {
      seen = [];
      stored = [];
      this.visible.set(file, seen);
      this.durable.set(file, stored);
    }
    for (const value of list) {
      const record = new StoredRecord(value, sizeBytes, checksum);
      seen.push(record);
      stored.push(record);
      this.used += sizeBytes;
    }
  }

  /** Whether a sync is running now. */
  get isSyncing(): boolean {
    return this.syncing !== null;
  }

  get stats(): DiskStats {
    const c = this.counts;
    let active = this.inFlight.size;
    if (this.syncing !== null) active += this.syncing.waiters.length;
    return {
      ...c,
      active,
      queued: this.nextSync.length,
      unsyncedWrites: this.pending.length,
      unsyncedBytes: this.pendingBytes,
      usedBytes: this.used,
      meanSyncLatency: this.syncTimes.count > 0 ? this.syncTimes.mean : 0,
    };
  }

  /** `stats`, with the percentiles of the sync latency (`p50SyncLatency`, ... `p999SyncLatency`). */
  override metrics(): EntityMetrics {
    const h = this.syncTimes;
    const empty = h.count === 0;
    return {
      ...this.stats,
      p50SyncLatency: empty ? 0 : h.p50,
      p90SyncLatency: empty ? 0 : h.p90,
      p99SyncLatency: empty ? 0 : h.p99,
      p999SyncLatency: empty ? 0 : h.p999,
    };
  }

  // --- Faults -----------------------------------------------------------------------------

  /** Every operation's latency times `factor` (> 0) until healed (a dying disk, a noisy neighbour). */
  slow(factor: number): DiskFault {
    if (typeof factor !== "number" || !(factor > 0) || !Number.isFinite(factor)) {
      throw new ConfigError(`Disk "${this.name}".slow`, "factor", "a finite number > 0", factor);
    }
    this.slowFactors.push(factor);
    return this.openFault("disk-slow", `latency x${factor}`, () => {
      this.slowFactors.splice(this.slowFactors.indexOf(factor), 1);
      return "";
    });
  }

  /** Every write fails with `DiskFullError` until healed (ENOSPC). */
  fill(): DiskFault {
    this.fillFaults++;
    const before = this.counts.refusedFull;
    return this.openFault("disk-full", "writes refused", () => {
      this.fillFaults--;
      return `refused ${this.counts.refusedFull - before} writes`;
    });
  }

  /** Each read fails with `DiskError` ("io") with `probability` (in [0, 1]) until healed. */
  readErrors(probability: number): DiskFault {
    if (typeof probability !== "number" || !(probability >= 0 && probability <= 1)) {
      throw new ConfigError(
        `Disk "${this.name}".readErrors`,
        "probability",
        "a number in [0, 1]",
        probability,
      );
    }
    this.readErrorProbabilities.push(probability);
    const before = this.counts.readErrors;
    return this.openFault("disk-read-errors", `probability ${probability}`, () => {
      this.readErrorProbabilities.splice(this.readErrorProbabilities.indexOf(probability), 1);
      return `${this.counts.readErrors - before} reads failed`;
    });
  }

  /**
   * Flips a stored record on the medium (latent corruption): `file[index]`, or one drawn at
   * random (stream "faults") among the records on the medium. A read of it then fails its
   * checksum, or returns it silently wrong without one. The damage stays until the record is
   * written again; healing the fault only ends its record in the trace. Throws if there is
   * nothing to corrupt.
   */
  corrupt(target?: { readonly file: string; readonly index: number }): DiskFault {
    const where = target ?? this.pickStoredRecord();
    if (where === null) {
      throw new SimulationError("corrupt(): no record on the medium", this.name, this.nowNs);
    }
    const { file, index } = where;
    const stored = this.durable.get(file)?.[index];
    if (stored === undefined) {
      throw new SimulationError(
        `corrupt(): no record ${file}[${index}] on the medium`,
        this.name,
        this.nowNs,
      );
    }
    const flipped = new StoredRecord(
      stored.value,
      stored.sizeBytes,
      stored.checksum,
      stored.damage ?? "corrupt",
      stored.keptBytes,
    );
    this.durable.get(file)![index] = flipped;
    // The owner reads the medium's copy unless a later write replaced it in the buffer.
    const seen = this.visible.get(file);
    if (seen !== undefined && seen[index] === stored) seen[index] = flipped;
    this.counts.corruptedRecords++;
    return this.openFault("disk-corruption", `${file}[${index}]`, () => "");
  }

  /**
   * Syncs report success without making anything durable until healed ("fsync lied"): the
   * writes stay in the buffer, lost at the next power loss unless a true sync covers them.
   */
  lieOnSync(): DiskFault {
    this.lyingFaults++;
    const before = this.counts.liedSyncs;
    return this.openFault("disk-lost-writes", "syncs acknowledge without flushing", () => {
      this.lyingFaults--;
      return `${this.counts.liedSyncs - before} syncs lied`;
    });
  }

  /** @internal Writes a fault record (when anyone listens). */
  _traceFault(
    faultId: number,
    fault: string,
    phase: "activated" | "healed" | "cancelled",
    detail: string,
  ): void {
    const sim = this.sim;
    if (sim._tracing) sim.traceFault(faultId, fault, phase, [this.name], detail);
  }

  private openFault(fault: string, detail: string, onHeal: () => string): DiskFault {
    const faultId = this.sim.nextFaultId();
    this._traceFault(faultId, fault, "activated", detail);
    return new ActiveFault(this as unknown as Disk<never>, faultId, fault, onHeal);
  }

  // --- Internals --------------------------------------------------------------------------

  private checkFile(operation: string, file: unknown): void {
    if (typeof file !== "string" || file.length === 0) {
      throw new ConfigError(`Disk "${this.name}".${operation}`, "file", "a non-empty string", file);
    }
  }

  private checkIndex(operation: string, file: string, index: unknown, mayAppend: boolean): void {
    const length = this.length(file);
    const last = mayAppend ? length : length - 1;
    if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) > last) {
      throw new SimulationError(
        `${operation}(${JSON.stringify(file)}, ${String(index)}): ${file} holds ${length} records (an index in [0, ${last}] expected)`,
        this.name,
        this.nowNs,
      );
    }
  }

  private recordOptions(options: DiskRecordOptions | undefined): [number, boolean] {
    if (options === undefined) return [this.recordBytes, this.checksums];
    const where = `Disk "${this.name}" record`;
    const size =
      options.sizeBytes === undefined
        ? this.recordBytes
        : requireInteger(where, "sizeBytes", options.sizeBytes, 1);
    return [size, optionalBoolean(where, "checksum", options.checksum, this.checksums)];
  }

  private issueWrite(
    file: string,
    index: number,
    value: V,
    options: DiskRecordOptions | undefined,
    result: unknown,
  ): SimFuture<unknown> {
    const [sizeBytes, checksum] = this.recordOptions(options);
    const future = this.future<unknown>(`write ${file}[${index}] on ${this.name}`);
    this.counts.requests++;
    if (!this.isUp) return this.refuse(future, new DiskError("down", this.name, "disk is down"));
    const records = this.visible.get(file);
    const replaced = records?.[index]?.keptBytes ?? 0;
    if (this.fillFaults > 0 || this.used - replaced + sizeBytes > this.capacityBytes) {
      this.counts.refusedFull++;
      return this.refuse(
        future,
        new DiskFullError(
          this.name,
          this.fillFaults > 0
            ? "disk full"
            : `disk full (${this.used} of ${this.capacityBytes} bytes used)`,
        ),
      );
    }
    const record = new StoredRecord(value, sizeBytes, checksum);
    const write: PendingWrite<V> = {
      file,
      kind: "write",
      index,
      record,
      bytes: sizeBytes,
      acknowledged: false,
    };
    this.used += applyWrite(this.visible, write);
    this.accept(write);
    const seconds = this.seconds({ kind: "write", file, index, sizeBytes });
    return this.schedule(future, seconds, result, null, 0);
  }

  private issueMeta(file: string, kind: "truncate" | "delete", length: number): SimFuture<void> {
    const future = this.future<void>(`${kind} ${file} on ${this.name}`);
    this.counts.requests++;
    if (!this.isUp) return this.refuse(future, new DiskError("down", this.name, "disk is down"));
    const write: PendingWrite<V> = {
      file,
      kind,
      index: length,
      record: null,
      bytes: 0,
      acknowledged: false,
    };
    this.used += applyWrite(this.visible, write);
    this.accept(write);
    const seconds = this.seconds({ kind: "write", file, index: -1, sizeBytes: 0 });
    return this.schedule(future, seconds, undefined, null, 0) as SimFuture<void>;
  }

  private accept(write: PendingWrite<V>): void {
    this.pending.push(write);
    this.pendingBytes += write.bytes;
    this.counts.writes++;
    this.counts.bytesWritten += write.bytes;
  }

  private refuse<T>(future: SimFuture<T>, error: DiskError): SimFuture<T> {
    this.counts.rejected++;
    future.reject(error);
    return future;
  }

  private seconds(operation: DiskOperation): number {
    const kind = operation.kind;
    const context: DiskLatencyContext = {
      draws: kind === "read" ? this.readDraws : kind === "write" ? this.writeDraws : this.syncDraws,
      now: this.now,
      inProgress: this.inFlight.size + (this.syncing === null ? 0 : 1),
      baseSeconds: () =>
        (kind === "read"
          ? this.readLatency
          : kind === "write"
            ? this.writeLatency
            : this.syncLatency
        ).sample(context.draws, this.now),
    };
    let seconds = this.latencyModel.seconds(operation, context);
    if (!(seconds >= 0) || !Number.isFinite(seconds)) {
      throw new SimulationError(
        `latency model "${this.latencyModel.description}" gave ${seconds} seconds for a ${kind} (finite seconds >= 0 expected)`,
        this.name,
        this.nowNs,
      );
    }
    for (const factor of this.slowFactors) seconds *= factor;
    return seconds;
  }

  private schedule(
    future: SimFuture<unknown>,
    seconds: number,
    result: unknown,
    error: DiskError | null,
    readBytes: number,
  ): SimFuture<unknown> {
    const op = new InFlight(future, result, error, readBytes);
    this.inFlight.add(op);
    this.after(seconds, this.complete, op);
    return future;
  }

  private readonly complete = (op: InFlight): void => {
    this.inFlight.delete(op);
    const c = this.counts;
    if (op.error !== null) {
      c.rejected++;
      op.future.reject(op.error);
      return;
    }
    c.completed++;
    if (op.readBytes > 0) {
      c.reads++;
      c.bytesRead += op.readBytes;
    }
    op.future.resolve(op.result);
  };

  private drawReadError(): boolean {
    let survive = 1;
    for (const p of this.readErrorProbabilities) survive *= 1 - p;
    return this.faultDraws.next() < 1 - survive;
  }

  private startSync(waiters: SimFuture<void>[]): void {
    const covers = this.pending.length;
    const seconds = this.seconds({
      kind: "sync",
      file: "",
      index: -1,
      sizeBytes: this.pendingBytes,
    });
    this.syncing = { waiters, covers };
    this.after(seconds, this.finishSync, seconds);
  }

  private readonly finishSync = (seconds: number): void => {
    const round = this.syncing!;
    this.syncing = null;
    const c = this.counts;
    c.syncs++;
    this.syncTimes.record(seconds);
    const covered = this.pending.slice(0, round.covers);
    if (this.lyingFaults > 0) {
      if (covered.length > 0) c.liedSyncs++;
      for (const write of covered) write.acknowledged = true;
    } else {
      for (const write of covered) {
        applyWrite(this.durable, write);
        this.pendingBytes -= write.bytes;
      }
      this.pending = this.pending.slice(round.covers);
      c.syncedWrites += covered.length;
    }
    for (const waiter of round.waiters) {
      c.completed++;
      waiter.resolve();
    }
    const next = this.nextSync;
    if (next.length > 0) {
      this.nextSync = [];
      this.startSync(next);
    }
  };

  private pickStoredRecord(): { file: string; index: number } | null {
    const candidates: string[] = [];
    for (const file of [...this.durable.keys()].sort()) {
      if (this.durable.get(file)!.length > 0) candidates.push(file);
    }
    if (candidates.length === 0) return null;
    let total = 0;
    for (const file of candidates) total += this.durable.get(file)!.length;
    let pick = this.faultDraws.integer(total);
    for (const file of candidates) {
      const length = this.durable.get(file)!.length;
      if (pick < length) return { file, index: pick };
      pick -= length;
    }
    return null;
  }

  // --- Lifecycle --------------------------------------------------------------------------

  /** Power loss: the buffer is gone, the medium keeps what syncs made durable (and maybe a torn write). */
  protected override onCrash(): void {
    const c = this.counts;
    c.powerLosses++;
    // The crash cancelled the timers: whoever waits learns the operation died with the power.
    const died = new DiskError("crashed", this.name, "disk lost power");
    const waiting: SimFuture<unknown>[] = [];
    for (const op of this.inFlight) waiting.push(op.future);
    this.inFlight.clear();
    if (this.syncing !== null) waiting.push(...this.syncing.waiters);
    waiting.push(...this.nextSync);
    this.syncing = null;
    this.nextSync = [];
    c.lostToCrash += waiting.length;
    for (const future of waiting) {
      // A caller that already went (its process was cancelled with the owner) is not failed twice.
      if (future.isPending) future.reject(died);
    }

    const lost = this.pending;
    let lostBytes = 0;
    let acknowledged = 0;
    for (const write of lost) {
      lostBytes += write.bytes;
      if (write.acknowledged) acknowledged++;
    }
    let torn = "";
    const last = lost[lost.length - 1];
    if (
      last !== undefined &&
      last.kind === "write" &&
      last.record!.sizeBytes >= 2 &&
      this.tornWriteProbability > 0
    ) {
      const spot = this.tearSpot(last, lost);
      if (spot !== null && this.crashDraws.next() < this.tornWriteProbability) {
        torn = this.tear(last, spot);
        c.tornWrites++;
      }
    }
    c.lostWrites += lost.length;
    c.lostBytes += lostBytes;
    c.lostAcknowledged += acknowledged;
    this.pending = [];
    this.pendingBytes = 0;
    this.visible = copyFiles(this.durable);
    this.used = bytesOf(this.visible);
    const faultId = this.sim.nextFaultId();
    if (this.sim._tracing) {
      const detail =
        `lost ${lost.length} unsynced writes (${lostBytes} bytes)` +
        (acknowledged > 0 ? `, ${acknowledged} of them acknowledged by a lying sync` : "") +
        (torn === "" ? "" : `; torn: ${torn}`);
      this._traceFault(faultId, "disk-power-loss", "activated", detail);
    }
  }

  /**
   * Where a tear of `write`, the last of the `lost` writes, would land on the medium, and the
   * most of its bytes there is room for; null if it cannot tear (it is lost whole).
   */
  private tearSpot(write: PendingWrite<V>, lost: readonly PendingWrite<V>[]): TearSpot | null {
    const records = this.durable.get(write.file);
    const length = records?.length ?? 0;
    // The writes before it never reached the medium: an append lands where the synced data of
    // its file ends.
    let index = length;
    if (write.index < length) {
      // An overwrite lands in place, a torn page over the synced record it replaced. Unless an
      // unsynced truncate (or delete) of its file cut that record away first: then it replaced
      // no synced record, and a crash never damages synced data its owner did not overwrite.
      for (let i = 0; i < lost.length - 1; i++) {
        const before = lost[i]!;
        if (
          before.file === write.file &&
          (before.kind === "delete" || (before.kind === "truncate" && before.index <= write.index))
        ) {
          return null;
        }
      }
      index = write.index;
    }
    // At least one byte and never all of them: a torn write is neither lost nor whole. Nor
    // more than the disk holds: the writes that freed room for it were lost with it.
    let most = write.record!.sizeBytes - 1;
    if (this.capacityBytes !== Number.POSITIVE_INFINITY) {
      const replaced = index < length ? records![index]!.keptBytes : 0;
      most = Math.min(most, this.capacityBytes - (bytesOf(this.durable) - replaced));
    }
    return most >= 1 ? { index, most } : null;
  }

  /** Leaves a prefix of `write` on the medium at `spot`; returns where and how much. */
  private tear(write: PendingWrite<V>, spot: TearSpot): string {
    const record = write.record!;
    const kept = 1 + this.crashDraws.integer(spot.most);
    const torn = new StoredRecord(record.value, record.sizeBytes, record.checksum, "torn", kept);
    let records = this.durable.get(write.file);
    if (records === undefined) {
      records = [];
      this.durable.set(write.file, records);
    }
    records[spot.index] = torn;
    return `${write.file}[${spot.index}] kept ${kept} of ${record.sizeBytes} bytes`;
  }

  protected override onResetStats(): void {
    // Writes still in the buffer are counted again as written, so the identity keeps holding.
    this.counts = newCounts();
    const c = this.counts;
    const active = this.inFlight.size + (this.syncing?.waiters.length ?? 0);
    c.requests = active + this.nextSync.length;
    c.writes = this.pending.length;
    this.syncTimes = new Histogram();
  }
}

function newCounts() {
  return {
    requests: 0,
    completed: 0,
    rejected: 0,
    lostToCrash: 0,
    reads: 0,
    bytesRead: 0,
    writes: 0,
    bytesWritten: 0,
    syncs: 0,
    syncedWrites: 0,
    lostWrites: 0,
    lostBytes: 0,
    tornWrites: 0,
    lostAcknowledged: 0,
    liedSyncs: 0,
    refusedFull: 0,
    readErrors: 0,
    checksumFailures: 0,
    silentCorruptions: 0,
    corruptedRecords: 0,
    powerLosses: 0,
  };
}

/** Applies a write to a set of files; returns the change in bytes held. */
function applyWrite<V>(files: Files<V>, write: PendingWrite<V>): number {
  let records = files.get(write.file);
  switch (write.kind) {
    case "write": {
      if (records === undefined) {
        records = [];
        files.set(write.file, records);
      }
      const before = records[write.index]?.keptBytes ?? 0;
      records[write.index] = write.record!;
      return write.record!.keptBytes - before;
    }
    case "truncate": {
      if (records === undefined || records.length <= write.index) return 0;
      let freed = 0;
      for (let i = write.index; i < records.length; i++) freed += records[i]!.keptBytes;
      records.length = write.index;
      return -freed;
    }
    case "delete": {
      if (records === undefined) return 0;
      files.delete(write.file);
      let freed = 0;
      for (const record of records) freed += record.keptBytes;
      return -freed;
    }
  }
}

function copyFiles<V>(files: Files<V>): Files<V> {
  const copy: Files<V> = new Map();
  for (const [name, records] of files) copy.set(name, [...records]);
  return copy;
}

function bytesOf<V>(files: Files<V>): number {
  let bytes = 0;
  for (const records of files.values()) for (const record of records) bytes += record.keptBytes;
  return bytes;
}

/**
 * @internal The disk option of a component that keeps its data on a disk: a `Disk` of this
 * simulation, or the options of one the component builds, named "<name>.disk" and owned by it
 * (so the options may not name an owner, and the name must be free). Checked before the
 * component (or its disk) registers. `option` names the option in errors ("disk",
 * "durable.disk"); `builder` says who owns the disk it builds ("the tree").
 */
export function checkDiskOrOptions(
  sim: Simulation,
  component: string,
  name: string,
  disk: unknown,
  option: string,
  builder: string,
): Disk | Omit<DiskOptions, "owner"> {
  if (disk instanceof Disk) {
    if (disk.sim !== sim) {
      throw new ConfigError(component, option, "a Disk of this simulation", disk);
    }
    return disk;
  }
  if (disk === null || typeof disk !== "object") {
    throw new ConfigError(component, option, "a Disk or a Disk's options", disk);
  }
  if ("owner" in disk) {
    throw new ConfigError(
      component,
      `${option}.owner`,
      `unset (${builder} owns the disk it builds)`,
      (disk as DiskOptions).owner,
    );
  }
  const diskName = `${name}.disk`;
  if (sim.entity(diskName) !== undefined) {
    throw new ConfigError(
      component,
      option,
      `options of a disk named "${diskName}", a free name`,
      diskName,
    );
  }
  checkDiskOptions(sim, diskName, disk as DiskOptions);
  return disk as Omit<DiskOptions, "owner">;
}

/** @internal A disk's options, checked and defaulted, before the disk registers (a store that builds its disk checks them before it registers itself). */
export function checkDiskOptions<V>(sim: Simulation, name: string, options: DiskOptions<V>) {
  const component = `Disk "${name}"`;
  if (options === null || typeof options !== "object") {
    throw new ConfigError(component, "options", "an options object", options);
  }
  const owner = options.owner;
  if (owner !== undefined && (!(owner instanceof Entity) || owner.sim !== sim)) {
    throw new ConfigError(component, "owner", "an entity of this simulation", owner);
  }
  const readLatency = requireLatency(component, "readLatency", options.readLatency, 0.0001);
  const writeLatency = requireLatency(component, "writeLatency", options.writeLatency, 0.00002);
  const syncLatency = requireLatency(component, "syncLatency", options.syncLatency, 0.002);
  const model = options.latencyModel;
  if (model !== undefined && !isDiskLatencyModel(model)) {
    throw new ConfigError(
      component,
      "latencyModel",
      "a DiskLatencyModel ({ description, seconds(operation, context) })",
      model,
    );
  }
  const capacityBytes =
    options.capacityBytes === undefined
      ? Number.POSITIVE_INFINITY
      : requireInteger(component, "capacityBytes", options.capacityBytes, 1);
  const recordBytes =
    options.recordBytes === undefined
      ? 4096
      : requireInteger(component, "recordBytes", options.recordBytes, 1);
  const checksums = optionalBoolean(component, "checksums", options.checksums, false);
  const torn = options.tornWriteProbability ?? 0.5;
  if (typeof torn !== "number" || !(torn >= 0 && torn <= 1)) {
    throw new ConfigError(component, "tornWriteProbability", "a number in [0, 1]", torn);
  }
  const corruptValue = optionalFunction(
    component,
    "corruptValue",
    options.corruptValue,
    "a function (value) => value",
  );
  return {
    owner: owner ?? null,
    readLatency,
    writeLatency,
    syncLatency,
    latencyModel: model ?? optionLatency,
    capacityBytes,
    recordBytes,
    checksums,
    tornWriteProbability: torn,
    corruptValue,
  } as const;
}
