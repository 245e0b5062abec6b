/**
 * The key-value protocol: the messages a `KVStore` answers, and a `CachedStore` (or any store
 * built later: replicated, sharded) answers the same way, so each can stand in front of or in
 * place of another. A message's kind names the operation; its payload carries the arguments;
 * the reply's payload is the result, exactly what the process API (`yield* store.get(key)`)
 * returns:
 *
 * | kind | payload | reply |
 * | --- | --- | --- |
 * | `"get"` | `{ key }` | the value, or `undefined` |
 * | `"getEntry"` | `{ key, tombstones? }` | `{ key, value, version }`, or `undefined` |
 * | `"put"` | `{ key, value, version? }` | the key's version after the write |
 * | `"delete"` | `{ key, version?, tombstone? }` | `true` if the key was there |
 * | `"scan"` | `{ from?, to?, limit?, tombstones? }` | entries with `from <= key < to`, by key, at most `limit` |
 * | `"increment"` | `{ key, by? }` | the new number (a missing key counts as 0) |
 *
 * Versioned deletes and tombstones are for replication: a `delete` with a `version` (a
 * coordinator's) removes the value only if the delete is newer, and leaves a tombstone, a
 * record "deleted at version v", so a later write older than the delete (a read repair from a
 * replica that missed it) cannot bring the value back. A `getEntry` or `scan` with
 * `tombstones: true` answers tombstones too (`{ key, version, deleted: true }`), so a
 * coordinator can compare a delete's version with a value's. Without the flag tombstones are
 * invisible: a deleted key is not found. A `delete` with `tombstone: true` (and no version)
 * leaves a tombstone at the store's own next version, taken in the instant it applies, so it
 * is newer than anything written before it, whatever landed meanwhile (a sharding coordinator's
 * delete, which must beat a migration's copy of the key still on its way).
 *
 * A refusal (the store is full, an increment of a value that is not a number, a full queue)
 * is a failed request: `RemoteError` at the caller, with the reason.
 */
import type { Entity } from "../../core/entity.js";

/** The operations of the protocol: the message kinds. */
export type KVOperation = "get" | "getEntry" | "put" | "delete" | "scan" | "increment";

/** The protocol's kinds, in the order of the table above. */
export const KV_OPERATIONS: readonly KVOperation[] = [
  "get",
  "getEntry",
  "put",
  "delete",
  "scan",
  "increment",
];

/**
 * `get`, `getEntry` and `delete`: one key. Keys are strings. `getEntry` with `tombstones: true`
 * may answer a `KVTombstone`.
 */
export interface KeyRequest {
  readonly key: string;
  readonly tombstones?: boolean;
}

/**
 * `delete`: removes `key`. With `version` (an integer >= 1, a replication coordinator's) the
 * delete applies only if newer than the key's version, and leaves a tombstone at that version.
 */
export interface DeleteRequest {
  readonly key: string;
  readonly version?: number;
  /**
   * Without `version`: whether the delete leaves a tombstone at the store's next version, taken
   * when it applies (one step: no write can land between choosing the version and applying it).
   * Default false (a plain delete leaves none). A versioned delete always leaves one.
   */
  readonly tombstone?: boolean;
}

/**
 * `put`: writes `value` under `key`. Without `version` the store numbers the write itself;
 * with one (an integer >= 1, a replication coordinator's), the write is applied only if it is
 * newer than the version the key has, and the reply is then the version the key keeps.
 */
export interface PutRequest<V> {
  readonly key: string;
  readonly value: V;
  readonly version?: number;
}

/** `increment`: adds `by` (default 1, any finite number) to the number under `key`. */
export interface IncrementRequest {
  readonly key: string;
  readonly by?: number;
}

/**
 * `scan`: keys from `from` (inclusive, default the first) to `to` (exclusive, default past the
 * last), in ascending order, at most `limit` of them (an integer >= 1, default 1,000).
 */
export interface ScanRequest {
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  /** Whether tombstones are answered too (counting toward `limit`). Default false. */
  readonly tombstones?: boolean;
}

/** Any request of the protocol. */
export type KVRequest<V> =
  | KeyRequest
  | DeleteRequest
  | PutRequest<V>
  | IncrementRequest
  | ScanRequest;

/** A key with its value and version, as `getEntry` and `scan` answer. */
export interface KVEntry<V> {
  readonly key: string;
  readonly value: V;
  /**
   * The write that set this value: versions come from one counter per store, so a key's
   * versions only grow (also across a delete and a new put) and a later write has a larger one.
   */
  readonly version: number;
}

/**
 * A versioned delete's record, answered by `getEntry` and `scan` with `tombstones: true`: the
 * key was deleted by the write numbered `version`.
 */
export interface KVTombstone {
  readonly key: string;
  readonly version: number;
  readonly deleted: true;
}

/** A value's entry or a tombstone, as answered with `tombstones: true`. */
export type KVVersioned<V> = KVEntry<V> | KVTombstone;

/** Whether `entry` is a tombstone. */
export function isTombstone<V>(entry: KVVersioned<V>): entry is KVTombstone {
  return (entry as Partial<KVTombstone>).deleted === true;
}

/** Any reply of the protocol (the table above says which for each kind). */
export type KVReply<V> =
  | V
  | undefined
  | number
  | boolean
  | KVEntry<V>
  | KVTombstone
  | readonly KVVersioned<V>[];

/** An entity that speaks the protocol: a `KVStore`, a `CachedStore`, or a store of your own. */
export type KVStoreLike<V> = Entity<KVRequest<V>, KVReply<V>>;

/** The default most entries a scan returns. */
export const DEFAULT_SCAN_LIMIT = 1000;
