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
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { KVEntry, KVReply, KVRequest, ScanRequest } from "../store/protocol.js";

/** Amplification and I/O of an engine, from the bytes it moved (since its stats were reset). */
export interface StorageEngineStats {
  /** User puts and deletes applied. */
  readonly userWrites: number;
  /** Bytes of user data written: key and value sizes of puts, key sizes of deletes. */
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

/** What a model needs of a storage engine. */
export interface StorageEngine<V> extends Entity<KVRequest<V>, KVReply<V>> {
  get(key: string): Generator<SimFuture<KVReply<V>>, V | undefined, unknown>;
  put(key: string, value: V): Generator<SimFuture<KVReply<V>>, number, unknown>;
  delete(key: string): Generator<SimFuture<KVReply<V>>, boolean, unknown>;
  scan(range?: ScanRequest): Generator<SimFuture<KVReply<V>>, KVEntry<V>[], unknown>;
  readonly engineStats: StorageEngineStats;
}
