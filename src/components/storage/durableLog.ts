/**
 * `DurableLog`: the write-ahead-log pattern on a `Disk`, for components that declare which of
 * their state is durable. The component appends a record for every change it must not lose,
 * the log syncs by its policy, and after a crash the component rebuilds its state by replaying
 * what the disk kept: `onRecover() { for (const r of this.log.replay()) this.apply(r); }`.
 *
 * Every record is written with a checksum, so replay finds a record torn by the crash (or
 * corrupted on the medium) and stops there, cutting the log back to its intact prefix (as a
 * database drops a torn tail; the log cuts it too when its disk comes back from a power
 * loss), and a later append never lands after garbage.
 *
 * Sync policies: "everyWrite" (an append returns once a sync covers it: nothing acknowledged is
 * ever lost, each append pays a sync or shares one), `{ interval }` (a sync every `interval`
 * seconds when there is something to sync; an append returns once it is in the buffer, so a
 * crash loses up to an interval of acknowledged appends), and "never" (the buffer only: a power
 * loss takes everything since the last sync someone else asked for).
 *
 * It is not an entity: it lives on its disk (the periodic sync is the disk's timer, restarted
 * when the disk comes back) and belongs to the component that owns both.
 *
 * @example
 * class Counter extends Entity {
 *   private readonly log = new DurableLog<number>(new Disk(this.sim, "counter-disk", { owner: this }));
 *   total = 0;
 *   *add(n: number) {
 *     yield* this.log.append(n); // durable when it returns ("everyWrite")
 *     this.total += n;
 *   }
 *   protected override onRecover() {
 *     this.total = this.log.replay().reduce((a, b) => a + b, 0);
 *   }
 * }
 */
import type { LifecycleHook } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import { ConfigError } from "../../errors/errors.js";
import { requireInteger, requireSeconds } from "../shared/validate.js";
import { Disk } from "./disk.js";
import { DiskError } from "./diskErrors.js";
import { SyncGrid } from "./syncGrid.js";

/** When a log syncs its disk. */
export type SyncPolicy = "everyWrite" | "never" | { readonly interval: number };

export interface DurableLogOptions<R> {
  /** The file on the disk. Default "log". */
  readonly file?: string;
  /** When to sync. Default "everyWrite". */
  readonly sync?: SyncPolicy;
  /** A record's size in bytes: a number (integer >= 1) or a function of the record. Default: the disk's `recordBytes`. */
  readonly recordBytes?: number | ((record: R) => number);
}

/** What a log has done (since its disk's statistics were last reset, they are its own counts). */
export interface DurableLogStats {
  /** Records appended. */
  readonly appended: number;
  /** Records handed back by replays. */
  readonly replayed: number;
  /**
   * Records cut off, by replays and when the disk came back from a power loss: a damaged record
   * (torn, corrupt) and everything after it.
   */
  readonly droppedOnReplay: number;
  /** Records in the log now, as its owner sees them. */
  readonly length: number;
}

export class DurableLog<R> {
  readonly file: string;
  readonly sync: SyncPolicy;
  private readonly recordBytes: number | ((record: R) => number);
  /** The periodic sync's clock (`{ interval }` only). */
  private readonly grid: SyncGrid | null = null;
  private counts = { appended: 0, replayed: 0, droppedOnReplay: 0 };
  /** The disk's power losses since the log was built (its statistics may be reset). */
  private powerLosses = 0;
  /** What it registered with its disk, to hear of power losses (removed by `detach`). */
  private readonly diskHook: LifecycleHook;

  constructor(
    readonly disk: Disk<R>,
    options: DurableLogOptions<R> = {},
  ) {
    const component = "DurableLog";
    if (!(disk instanceof Disk)) throw new ConfigError(component, "disk", "a Disk", disk);
    if (options === null || typeof options !== "object") {
      throw new ConfigError(component, "options", "an options object", options);
    }
    const where = `DurableLog on "${disk.name}"`;
    const file = options.file ?? "log";
    if (typeof file !== "string" || file.length === 0) {
      throw new ConfigError(where, "file", "a non-empty string", file);
    }
    this.file = file;
    this.sync = checkSyncPolicy(where, options.sync);
    const size = options.recordBytes ?? disk.recordBytes;
    if (typeof size !== "function") requireInteger(where, "recordBytes", size, 1);
    this.recordBytes = size;
    if (typeof this.sync === "object")
      this.grid = new SyncGrid(disk, this.sync.interval, this.tick);
    this.diskHook = disk.addLifecycleHook({
      onCrash: () => {
        this.powerLosses++;
      },
      onRecover: () => {
        // The power loss may have torn the tail: it is cut now, not at the component's replay,
        // which may never come (the component ran on through the disk's own crash) or came
        // while the disk was down (its cut refused), and an append after it would be lost
        // with it at the next replay.
        this.cutDamagedTail();
        // The disk's crash cancelled its timers; the periodic sync resumes on its grid.
        this.grid?.resume();
      },
    });
  }

  /**
   * Appends `record`; returns its index. Under "everyWrite" it returns once a sync covers it
   * (durable); otherwise once it is in the disk's buffer. Throws the disk's `DiskError`s.
   */
  *append(record: R): Generator<SimFuture<unknown>, number, unknown> {
    const powerLosses = this.powerLosses;
    const index = (yield this.disk.appendFuture(this.file, record, this.options(record))) as number;
    this.counts.appended++;
    if (this.sync === "everyWrite") yield* this.syncSince(powerLosses);
    return index;
  }

  /**
   * Appends `records` in order, issued together (one `writev`: they take consecutive places in
   * the log), with one sync at the end under "everyWrite" (a batch, group commit). A record the
   * disk refuses at once ends the batch there.
   */
  *appendAll(records: readonly R[]): Generator<SimFuture<unknown>, void, unknown> {
    const powerLosses = this.powerLosses;
    if (records.length === 1) {
      yield this.disk.appendFuture(this.file, records[0]!, this.options(records[0]!));
      this.counts.appended++;
    } else if (records.length > 1) {
      // Issued one per write latency, another writer's record could land inside the batch,
      // and a replay would apply its change before the batch's later ones.
      const writes: SimFuture<number>[] = [];
      for (const record of records) {
        // The first failure is thrown at its yield; the others fail with it, unwatched.
        const write = this.disk.appendFuture(this.file, record, this.options(record)).defuse();
        writes.push(write);
        if (write.state === "rejected") break;
      }
      for (const write of writes) {
        yield write;
        this.counts.appended++;
      }
    }
    if (this.sync === "everyWrite" && records.length > 0) yield* this.syncSince(powerLosses);
  }

  /**
   * A sync for records written since the disk's `powerLosses`-th power loss. One that fell
   * between their writes and this sync took them from the buffer, and the sync would succeed
   * over nothing: it fails instead, as fsync reports a writeback error (EIO).
   */
  private *syncSince(powerLosses: number): Generator<SimFuture<void>, void, unknown> {
    if (this.powerLosses === powerLosses) yield this.disk.syncFuture();
    if (this.powerLosses !== powerLosses) {
      throw new DiskError(
        "crashed",
        this.disk.name,
        "disk lost power before the records were synced",
      );
    }
  }

  /** Syncs the disk now, whatever the policy (a checkpoint, a clean shutdown). */
  *flush(): Generator<SimFuture<void>, void, unknown> {
    yield this.disk.syncFuture();
  }

  /**
   * The records as the disk holds them now, from the first, at once (recovery reads are not
   * charged latency): after a crash, exactly what syncs made durable. Stops at the first
   * damaged record (its checksum fails: torn by the crash, or corrupted) and cuts the log back
   * to the records before it, counted in `droppedOnReplay`.
   */
  replay(): R[] {
    const values = this.cutDamagedTail();
    this.counts.replayed += values.length;
    return values;
  }

  /**
   * @internal Stops following the disk's crashes and recoveries, for a log whose file its owner
   * deleted (a write-ahead log's dropped segment): a long-lived owner would otherwise pile up
   * hooks on the disk that all run at every crash. Its periodic sync stops too.
   */
  detach(): void {
    this.disk.removeLifecycleHook(this.diskHook);
    this.grid?.stop();
  }

  /** Records in the log now, as its owner sees them (synced or not). */
  get length(): number {
    return this.disk.length(this.file);
  }

  get stats(): DurableLogStats {
    return { ...this.counts, length: this.length };
  }

  /** The records before the first damaged one; the log is cut there (counted in `droppedOnReplay`). */
  private cutDamagedTail(): R[] {
    const records = this.disk.records(this.file);
    const values: R[] = [];
    for (const record of records) {
      if (record.damage !== null) break;
      values.push(record.value);
    }
    if (values.length < records.length) {
      // The cut is a write of its own, issued now: a crash before the next sync brings the
      // damaged tail back, and the disk's return cuts it again. A disk that is down refuses
      // it (counted then, when it comes back).
      const cut = this.disk.truncateFuture(this.file, values.length).defuse();
      if (cut.state !== "rejected") this.counts.droppedOnReplay += records.length - values.length;
    }
    return values;
  }

  private options(record: R) {
    const size = this.recordBytes;
    const sizeBytes = typeof size === "number" ? size : size(record);
    return { sizeBytes, checksum: true };
  }

  private readonly tick = (): void => {
    // Nothing in the buffer: an fsync of clean files costs nothing, so none is issued.
    if (this.disk.unsyncedWrites > 0) this.disk.syncFuture().defuse();
  };
}

export function checkSyncPolicy(where: string, policy: unknown): SyncPolicy {
  if (policy === undefined) return "everyWrite";
  if (policy === "everyWrite" || policy === "never") return policy;
  if (typeof policy === "object" && policy !== null && "interval" in policy) {
    const interval = requireSeconds(
      where,
      "sync.interval",
      (policy as { interval: unknown }).interval,
    );
    // The grid is kept in whole nanoseconds: a shorter interval would not move it.
    if (Math.round(interval * 1e9) < 1) {
      throw new ConfigError(where, "sync.interval", "at least 1e-9 seconds (1 ns)", interval);
    }
    return { interval };
  }
  throw new ConfigError(where, "sync", '"everyWrite", "never" or { interval: seconds }', policy);
}
