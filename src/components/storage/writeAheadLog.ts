/**
 * `WriteAheadLog`: an engine's log of changes, in segments on a `Disk`, synced by a policy, with
 * the counts that tell what the policy costs (syncs, records per sync, bytes).
 *
 * Each segment is a `DurableLog` (one file, `<file>.<n>`): the checksums, the replay that
 * stops at a torn or corrupt record and cuts it off, come from there. What this adds is what an
 * engine's log needs on top: segments, so a memtable's records can be dropped once its table is
 * durable (`rotate()` starts a new segment, `drop(n)` deletes the older ones; a file can only be
 * cut at its end, so without segments a log would grow forever), and one sync policy over all
 * segments (the segments' own DurableLogs never sync: their periodic timers would multiply with
 * the segments).
 *
 * Sync policies:
 * - "everyWrite": an append returns once a sync covers it. The disk runs one sync at a time and
 *   the appends arriving while it runs share the next one, so under load a sync covers many
 *   records (the disk's own group commit), with no waiting added.
 * - `{ interval }`: a sync every `interval` seconds when the disk has something to sync; an
 *   append returns once in the buffer, so a crash loses up to an interval of acknowledged
 *   appends.
 * - `{ batch, window }`: group commit, the log's own. An append waits for a sync; the log
 *   issues it once `batch` appends wait, or `window` seconds after the first of them began to
 *   wait, whichever comes first, and the appends arriving while it runs wait for the next one.
 *   Fewer, larger syncs than "everyWrite" (each append may wait up to the window), and nothing
 *   acknowledged is lost.
 * - "never": the buffer only; a sync someone else asks for (a table's flush) covers it.
 *
 * It is not an entity: it lives on its disk (its timers are the disk's, restarted when the disk
 * comes back) and belongs to the engine that owns both.
 *
 * @example
 * const wal = new WriteAheadLog<string>(disk, { sync: { batch: 8, window: 0.002 } });
 * // in a process of the disk's owner:
 * yield* wal.append("put a 1"); // durable when it returns
 */
import type { SimFuture } from "../../core/future.js";
import { ConfigError } from "../../errors/errors.js";
import { requireInteger, requireSeconds } from "../shared/validate.js";
import { Disk } from "./disk.js";
import { DiskError } from "./diskErrors.js";
import { checkSyncPolicy, DurableLog, type SyncPolicy } from "./durableLog.js";
import { SyncGrid } from "./syncGrid.js";

/** Group commit: a sync once `batch` appends wait, or `window` seconds after the first did. */
export interface GroupCommit {
  /** Appends that trigger a sync at once (integer >= 1). */
  readonly batch: number;
  /** Seconds the first waiting append waits at most for its batch to fill (> 0). */
  readonly window: number;
}

/** When a write-ahead log syncs: DurableLog's policies, or group commit. */
export type WalSyncPolicy = SyncPolicy | GroupCommit;

export interface WriteAheadLogOptions<R> {
  /** Prefix of the segments' files (`<file>.<n>`). Default "wal". */
  readonly file?: string;
  /** When to sync. Default "everyWrite". */
  readonly sync?: WalSyncPolicy;
  /** A record's size in bytes: a number (integer >= 1) or a function of the record. Default: the disk's `recordBytes`. */
  readonly recordBytes?: number | ((record: R) => number);
}

/** What a log has done since it was built (its own counts: a disk's reset does not touch them). */
export interface WriteAheadLogStats {
  /** Records appended, and their bytes. */
  readonly appended: number;
  readonly bytesAppended: number;
  /** Syncs that made appended records durable (syncs that found none of them are not counted). */
  readonly syncs: number;
  /** Records those syncs made durable; `recordsPerSync` = recordsSynced / syncs (0 before any). */
  readonly recordsSynced: number;
  readonly recordsPerSync: number;
  /** Appends waiting for a sync now. */
  readonly waiting: number;
  /** Segments on the disk now. */
  readonly segments: number;
  /** Records handed back by replays, and records cut off (a torn or corrupt tail). */
  readonly replayed: number;
  readonly droppedOnReplay: number;
}

/** An append waiting for a group commit's sync. */
interface Waiter {
  readonly future: SimFuture<void>;
  /** The disk's power losses when its record was written. */
  readonly powerLosses: number;
}

export class WriteAheadLog<R> {
  readonly file: string;
  readonly sync: WalSyncPolicy;
  private readonly recordBytes: number | ((record: R) => number);
  /** Segment number -> its log, for segments still on the disk, ascending. */
  private readonly segments = new Map<number, DurableLog<R>>();
  private current: number;
  private powerLosses = 0;
  /** Appends whose record is written, so far; and how many of them a sync has covered. */
  private written = 0;
  private coveredThrough = 0;
  private lastSyncNs = -1;
  private counts = { appended: 0, bytesAppended: 0, syncs: 0, recordsSynced: 0 };
  private replayedCount = 0;
  /** Records cut off from segments since dropped (the live segments' logs count their own). */
  private droppedFromDropped = 0;
  /** Group commit: appends waiting for the next sync, when the batch's window ends, the sync in flight. */
  private waiting: Waiter[] = [];
  private windowTimer: number | null = null;
  private groupSyncing = false;
  /** The periodic sync's clock (`{ interval }` only). */
  private readonly grid: SyncGrid | null = null;

  constructor(
    readonly disk: Disk<R>,
    options: WriteAheadLogOptions<R> = {},
  ) {
    const component = "WriteAheadLog";
    if (!(disk instanceof Disk)) throw new ConfigError(component, "disk", "a Disk", disk);
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an options object", options);
    }
    const where = `WriteAheadLog on "${disk.name}"`;
    const file = options.file ?? "wal";
    if (typeof file !== "string" || file.length === 0) {
      throw new ConfigError(where, "file", "a non-empty string", file);
    }
    this.file = file;
    this.sync = checkWalSyncPolicy(where, options.sync);
    const size = options.recordBytes ?? disk.recordBytes;
    if (typeof size !== "function") requireInteger(where, "recordBytes", size, 1);
    this.recordBytes = size;
    // Segments a previous life left on the disk are found again (a log rebuilt after a restart).
    for (const n of this.segmentsOnDisk()) this.segmentLog(n);
    this.current = this.lastSegment() + 1;
    if (typeof this.sync === "object" && "interval" in this.sync) {
      this.grid = new SyncGrid(disk, this.sync.interval, this.tick);
    }
    disk.addLifecycleHook({
      onCrash: () => {
        this.powerLosses++;
        // The disk's crash failed the sync in flight; the waiters' processes learn at their yield.
        const died = new DiskError("crashed", disk.name, "disk lost power");
        for (const waiter of this.waiting) if (waiter.future.isPending) waiter.future.reject(died);
        this.waiting = [];
        this.windowTimer = null;
        this.groupSyncing = false;
        this.written = 0;
        this.coveredThrough = 0;
      },
      onRecover: () => {
        this.grid?.resume();
      },
    });
  }

  /**
   * Appends `record` to the current segment. Returns once it is durable ("everyWrite", group
   * commit) or in the disk's buffer (the others). Throws the disk's `DiskError`s.
   */
  *append(record: R): Generator<SimFuture<unknown>, void, unknown> {
    const powerLosses = this.powerLosses;
    const log = this.segmentLog(this.current);
    const bytes = this.sizeOf(record);
    // The record is in the buffer once its write is issued: counted then, as the disk does.
    const write = this.disk.appendFuture(log.file, record, { sizeBytes: bytes, checksum: true });
    this.counts.appended++;
    this.counts.bytesAppended += bytes;
    // A sync covers every write issued before it starts: this record is covered from now on.
    this.written++;
    yield write;
    const sync = this.sync;
    if (sync === "everyWrite") {
      yield* this.syncCovering(powerLosses);
    } else if (typeof sync === "object" && "batch" in sync) {
      // Defused: a crash fails it after its waiter's process may have gone with the owner.
      const future = this.disk.future<void>(`group commit on ${this.disk.name}`).defuse();
      this.waiting.push({ future, powerLosses });
      if (this.waiting.length >= sync.batch) this.startGroupSync();
      else if (this.waiting.length === 1 && this.windowTimer === null) {
        this.windowTimer = this.disk.after(sync.window, this.windowEnds);
      }
      yield future;
    }
  }

  /** Syncs the disk now, whatever the policy (a checkpoint, a clean shutdown). */
  *flush(): Generator<SimFuture<void>, void, unknown> {
    yield* this.syncCovering(this.powerLosses);
  }

  /** Starts a new segment for the appends from now on; returns the number of the one before it. */
  rotate(): number {
    const before = this.current;
    this.current = Math.max(this.current, this.lastSegment()) + 1;
    return before;
  }

  /** The segment appends go to now. */
  get currentSegment(): number {
    return this.current;
  }

  /**
   * Deletes the segments numbered up to `through` (their records are durable elsewhere: a
   * flushed table). The delete is a write: a crash before the next sync brings them back.
   */
  drop(through: number): void {
    for (const n of [...this.segments.keys()]) {
      if (n > through) continue;
      const log = this.segments.get(n)!;
      this.droppedFromDropped += log.stats.droppedOnReplay;
      log.detach();
      this.segments.delete(n);
      this.disk.deleteFuture(segmentFile(this.file, n)).defuse();
    }
  }

  /**
   * The records of every segment, oldest segment first, as the disk holds them now (recovery
   * reads are not charged latency); each segment stops at its first damaged record (torn by a
   * crash, or corrupted), cut off there (counted in `droppedOnReplay`). A torn record is the
   * last write before the power went: nothing after it reached the medium.
   */
  replay(): R[] {
    for (const n of this.segmentsOnDisk()) this.segmentLog(n);
    const records: R[] = [];
    for (const n of [...this.segments.keys()].sort((a, b) => a - b)) {
      const values = this.segments.get(n)!.replay();
      this.replayedCount += values.length;
      for (const value of values) records.push(value);
    }
    this.current = Math.max(this.current, this.lastSegment() + 1);
    return records;
  }

  get stats(): WriteAheadLogStats {
    const c = this.counts;
    let dropped = this.droppedFromDropped;
    for (const log of this.segments.values()) dropped += log.stats.droppedOnReplay;
    return {
      ...c,
      recordsPerSync: c.syncs > 0 ? c.recordsSynced / c.syncs : 0,
      waiting: this.waiting.length,
      segments: this.segments.size,
      replayed: this.replayedCount,
      droppedOnReplay: dropped,
    };
  }

  private sizeOf(record: R): number {
    const size = this.recordBytes;
    return typeof size === "number" ? size : size(record);
  }

  /** A sync covering the records written so far; fails if the power went since `powerLosses`. */
  private *syncCovering(powerLosses: number): Generator<SimFuture<void>, void, unknown> {
    const through = this.written;
    if (this.powerLosses === powerLosses) yield this.disk.syncFuture();
    if (this.powerLosses !== powerLosses) {
      throw new DiskError(
        "crashed",
        this.disk.name,
        "disk lost power before the records were synced",
      );
    }
    this.covered(through);
  }

  /** A sync made the first `through` written records durable: counted once per sync. */
  private covered(through: number): void {
    if (through <= this.coveredThrough) return;
    const c = this.counts;
    // Callers sharing one disk sync are answered in one instant: one sync, not one per caller.
    if (this.disk.nowNs !== this.lastSyncNs) c.syncs++;
    this.lastSyncNs = this.disk.nowNs;
    c.recordsSynced += through - this.coveredThrough;
    this.coveredThrough = through;
  }

  private readonly windowEnds = (): void => {
    this.windowTimer = null;
    if (this.waiting.length > 0) this.startGroupSync();
  };

  /** Issues the group's sync now, or right after the one in flight. */
  private startGroupSync(): void {
    if (this.groupSyncing) return;
    if (this.windowTimer !== null) {
      this.disk.cancelTimer(this.windowTimer);
      this.windowTimer = null;
    }
    const group = this.waiting;
    this.waiting = [];
    this.groupSyncing = true;
    const through = this.written;
    const powerLosses = this.powerLosses;
    this.disk.start(this.groupSync(group, through, powerLosses), { name: "group commit" });
  }

  private *groupSync(
    group: readonly Waiter[],
    through: number,
    powerLosses: number,
  ): Generator<SimFuture<void>, void, unknown> {
    let error: unknown = null;
    try {
      yield this.disk.syncFuture();
    } catch (failure) {
      error = failure;
    }
    if (this.powerLosses !== powerLosses) return; // the crash answered the group
    this.groupSyncing = false;
    if (error === null) this.covered(through);
    for (const waiter of group) {
      if (!waiter.future.isPending) continue;
      if (error !== null) waiter.future.reject(error);
      else waiter.future.resolve();
    }
    // Appends that arrived while it ran: a full batch goes now, a partial one at its window.
    const policy = this.sync as GroupCommit;
    if (this.waiting.length >= policy.batch) this.startGroupSync();
    else if (this.waiting.length > 0 && this.windowTimer === null) {
      this.windowTimer = this.disk.after(policy.window, this.windowEnds);
    }
  }

  private readonly tick = (): void => {
    if (this.disk.unsyncedWrites > 0 && this.written > this.coveredThrough) {
      this.disk.start(this.periodicSync(this.written, this.powerLosses), {
        name: "periodic sync",
        daemon: true,
      });
    }
  };

  private *periodicSync(through: number, powerLosses: number) {
    try {
      yield this.disk.syncFuture();
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      return; // the power went: nothing of it is durable, and the waiters were told
    }
    if (this.powerLosses === powerLosses) this.covered(through);
  }

  private segmentLog(n: number): DurableLog<R> {
    let log = this.segments.get(n);
    if (log === undefined) {
      // Never synced by itself: the policy above is the one sync policy of all segments.
      log = new DurableLog<R>(this.disk, { file: segmentFile(this.file, n), sync: "never" });
      this.segments.set(n, log);
    }
    return log;
  }

  private lastSegment(): number {
    let last = 0;
    for (const n of this.segments.keys()) if (n > last) last = n;
    return last;
  }

  /** Numbers of this log's segments on the disk, ascending. */
  private segmentsOnDisk(): number[] {
    const prefix = `${this.file}.`;
    const found: number[] = [];
    for (const name of this.disk.files()) {
      if (!name.startsWith(prefix)) continue;
      const n = Number(name.slice(prefix.length));
      if (Number.isSafeInteger(n) && n >= 1) found.push(n);
    }
    return found.sort((a, b) => a - b);
  }
}

function segmentFile(prefix: string, n: number): string {
  return `${prefix}.${n}`;
}

/** A write-ahead log's sync policy, checked. */
export function checkWalSyncPolicy(where: string, policy: unknown): WalSyncPolicy {
  if (typeof policy === "object" && policy !== null && "batch" in policy) {
    const { batch, window } = policy as { batch: unknown; window: unknown };
    return {
      batch: requireInteger(where, "sync.batch", batch, 1),
      window: requireSeconds(where, "sync.window", window),
    };
  }
  try {
    return checkSyncPolicy(where, policy);
  } catch (error) {
    if (!(error instanceof ConfigError) || (typeof policy === "object" && policy !== null)) {
      throw error;
    }
    throw new ConfigError(
      where,
      "sync",
      '"everyWrite", "never", { interval: seconds } or { batch, window } (group commit)',
      policy,
    );
  }
}
