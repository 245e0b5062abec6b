/**
 * The store family: data that operations take time to reach. `KVStore` (a key-value store with
 * read and write latencies, a range scan, an atomic increment and versions), `CachedStore` (a
 * cache in front of any store, with its eviction policies), `ReplicatedStore` (a coordinator
 * over replicas with consistency levels), `ShardedStore` (a key space over shards, with its
 * sharding strategies), and the key-value protocol every store of the family answers
 * (./protocol.ts), so a store can stand in front of or in place of another.
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { CachedStore } from "./cachedStore.js";
import { KVStore } from "./kvStore.js";
import { ReplicatedStore } from "./replicatedStore.js";
import { ShardedStore } from "./shardedStore.js";

export {
  CachedStore,
  type CachedStoreOptions,
  type CachedStoreStats,
} from "./cachedStore.js";
export { EVICTION_POLICIES, type EvictionPolicyName } from "./evictionPolicies.js";
export {
  type KVLogRecord,
  KVStore,
  type KVStoreDurability,
  type KVStoreOptions,
  type KVStoreStats,
} from "./kvStore.js";
export type { Latency } from "./latency.js";
export {
  DEFAULT_SCAN_LIMIT,
  type DeleteRequest,
  type IncrementRequest,
  isTombstone,
  type KeyRequest,
  KV_OPERATIONS,
  type KVEntry,
  type KVOperation,
  type KVReply,
  type KVRequest,
  type KVStoreLike,
  type KVTombstone,
  type KVVersioned,
  type PutRequest,
  type ScanRequest,
} from "./protocol.js";
export {
  CONSISTENCY_LEVELS,
  type ConsistencyLevel,
  type LevelOption,
  type ReplicaStats,
  type ReplicatedRequest,
  ReplicatedStore,
  type ReplicatedStoreOptions,
  type ReplicatedStoreStats,
  UNAVAILABLE,
} from "./replicatedStore.js";
export {
  ShardedStore,
  type ShardedStoreOptions,
  type ShardedStoreStats,
  type ShardLoad,
} from "./shardedStore.js";
export {
  consistentHashSharding,
  hashSharding,
  isSharding,
  rangeSharding,
  type Sharding,
  type ShardRouter,
} from "./sharding.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const STORE_COMPONENTS = [
  KVStore,
  CachedStore,
  ReplicatedStore,
  ShardedStore,
] as const satisfies readonly CataloguedComponent[];
