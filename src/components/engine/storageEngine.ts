/**
 * The storage-engine contract: what `LSMTree` and `BTree` (and any engine built later) share,
 * so a model swaps one for the other without changing a line. An engine is an entity that
 * answers the key-value protocol (../store/protocol.ts: `get`, `put`, `delete`, `scan`, and
 * `getEntry`/`increment` as a `KVStore` does) with a process API of the same signatures, keeps
 * its durable state on a `Disk` (so a crash loses exactly what was not synced), and reports
 * its amplification from bytes it actually moved, in one vocabulary:
 *
 * - write amplification = bytes the engine wrote to its disk / bytes of user data written
 *   (keys + values of puts and deletes);
 * - read amplification = bytes (or pages) read from the disk per user read;
 * - space amplification = bytes the engine's files hold on the disk / bytes of live user data.
 *
 * Visibility before durability: an engine applies a write to its memory (a memtable, a page)
 * before the log record's sync ends, as RocksDB does by default, so a reader sees it at once,
 * before the writer is answered; a power loss before the sync takes it back, and a reader may
 * have seen a value that is then gone (the writer's call fails and was never acknowledged).
 * Under "everyWrite" or group commit nothing acknowledged is lost, but reads are not held back
 * until durable: a model that needs that answers its readers only after the writes they
 * depend on have returned.
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { requireInteger } from "../shared/validate.js";
import { checkDiskOrOptions, Disk, type DiskOptions } from "../storage/disk.js";
import type { KVEntry, KVReply, KVRequest, ScanRequest } from "../store/protocol.js";

/** Amplification and I/O of an engine, from the bytes it moved (since its stats were reset). */
export interface StorageEngineStats {
  /**
   * User writes the engine completed (puts, deletes, increments): the workload's count, the
   * same for the same operations on every engine. A delete of a key that is not there counts
   * too, whether the engine writes for it (an LSM tree's blind tombstone, in
   * `diskBytesWritten`) or finds nothing to change (a B-tree): what an engine does with a
   * write is its amplification, not the user's writes.
   */
  readonly userWrites: number;
  /**
   * Bytes of user data written: key and value sizes of puts, key sizes of deletes (a missing
   * key's included), counted with `userWrites`.
   */
  readonly userBytesWritten: number;
  /** User gets answered (scans are counted apart). */
  readonly userReads: number;
  /** Bytes the engine wrote to its disk (log, flushes, compactions, page writes). */
  readonly diskBytesWritten: number;
  /** Bytes the engine read from its disk (misses of its caches only). */
  readonly diskBytesRead: number;
  /** diskBytesWritten / userBytesWritten (0 before any write). */
  readonly writeAmplification: number;
  /** diskBytesRead / userReads, in bytes per get (0 before any read). */
  readonly readAmplification: number;
  /** Bytes the engine's files hold on the disk / bytes of live user data (0 when empty). */
  readonly spaceAmplification: number;
  /** Bytes of live user data (keys and values of keys present now). */
  readonly liveBytes: number;
}

/**
 * An engine's operations (the station vocabulary, docs/components/statistics.md). At every
 * instant, crashes and `sim.resetStats()` included: `requests = completed + rejected +
 * lostToCrash + active + queued`.
 */
export interface StorageEngineOperationStats {
  readonly requests: number;
  readonly completed: number;
  /** Operations refused: called while down, a request it cannot answer, a disk error. */
  readonly rejected: number;
  /** Operations waiting or in progress when the engine crashed. */
  readonly lostToCrash: number;
  /** Operations in progress now (a write waiting for its log record's sync included). */
  readonly active: number;
  /** Operations waiting for the engine now. */
  readonly queued: number;
  /** Completed operations by kind; `found + notFound = gets`. */
  readonly gets: number;
  readonly found: number;
  readonly notFound: number;
  readonly puts: number;
  readonly deletes: number;
  readonly scans: number;
}

/** What a model needs of a storage engine. */
export interface StorageEngine<V> extends Entity<KVRequest<V>, KVReply<V>> {
  get(key: string): Generator<SimFuture<KVReply<V>>, V | undefined, unknown>;
  put(key: string, value: V): Generator<SimFuture<KVReply<V>>, number, unknown>;
  delete(key: string): Generator<SimFuture<KVReply<V>>, boolean, unknown>;
  scan(range?: ScanRequest): Generator<SimFuture<KVReply<V>>, KVEntry<V>[], unknown>;
  readonly engineStats: StorageEngineStats;
}

/** The options every engine takes, whatever its structure. */
export interface StorageEngineOptions<V> {
  /**
   * The disk it keeps its files on: a `Disk` (give it the node both stand for as owner), or the
   * options of one the engine builds, named "<engine>.disk" and owned by the engine. Default:
   * one with the disk's default latencies.
   */
  disk?: Disk | Omit<DiskOptions, "owner">;
  /** A value's size in bytes: a number (integer >= 0) or a function of the value. Default 100. */
  valueBytes?: number | ((value: V) => number);
}

/**
 * An engine's options object and the options every engine takes, checked and defaulted before
 * the engine (or its disk) registers: a refused engine leaves no entity behind.
 */
export function checkStorageEngineOptions<V>(
  sim: Simulation,
  component: string,
  name: string,
  options: StorageEngineOptions<V>,
) {
  if (options === null || typeof options !== "object") {
    throw new ConfigError(component, "options", "an options object", options);
  }
  const disk = checkDiskOrOptions(sim, component, name, options.disk ?? {}, "disk", "the tree");
  const valueBytes = options.valueBytes ?? 100;
  if (typeof valueBytes !== "function") requireInteger(component, "valueBytes", valueBytes, 0);
  return { disk, valueBytes } as const;
}

/** The engine's disk: the one given, or one built from its options ("<engine>.disk", owned by the engine). */
export function engineDisk<R>(
  engine: Entity<never, unknown>,
  given: Disk | Omit<DiskOptions, "owner">,
): Disk<R> {
  return (
    given instanceof Disk
      ? given
      : new Disk(engine.sim, `${engine.name}.disk`, { ...given, owner: engine } as DiskOptions)
  ) as Disk<R>;
}

/**
 * Ties `engine` to its disk: the engine's memory (memtables, a root page, free pages) describes
 * what the disk holds, so a power loss of the disk alone takes the engine down with it (a write
 * it failed would otherwise stay readable in memory until a crash of the engine's own undid
 * it, as a database stops on its disk's I/O errors), and the disk's return brings it back,
 * rebuilt from what the disk kept. Called once the engine's logs are built: their hooks (a
 * torn tail cut, a periodic sync resumed) run first, and the engine rebuilds from them.
 */
export function followDisk(engine: Entity<never, unknown>, disk: Entity<never, unknown>): void {
  let downWithDisk = false;
  disk.addLifecycleHook({
    onCrash: () => {
      if (!engine.isUp) return;
      downWithDisk = true;
      engine.crash();
    },
    onRecover: () => {
      if (!downWithDisk) return;
      downWithDisk = false;
      if (!engine.isUp) engine.recover();
    },
  });
}
