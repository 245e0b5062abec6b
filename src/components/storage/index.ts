/**
 * The storage family: durable state that tells written from synced. `Disk` (files of records
 * with read, write and sync latencies, a volatile buffer that a power loss takes with it, torn
 * writes, and the disk faults a schedule drives), the latency-model seam device profiles plug
 * into (./diskLatency.ts), `DurableLog`, the write-ahead-log pattern a component uses to
 * declare its durable state (append, sync by policy, replay on recover), `PageCache` (a buffer
 * pool of pages between an engine and its disk), and the storage engines (`BTree`).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { BTree } from "./btree.js";
import { Disk } from "./disk.js";

export {
  BTree,
  type BTreeDiskRecord,
  type BTreeInner,
  type BTreeLeaf,
  type BTreeLogRecord,
  type BTreeNode,
  type BTreeOptions,
  type BTreeStats,
} from "./btree.js";
export {
  Disk,
  type DiskFault,
  type DiskOptions,
  type DiskRecord,
  type DiskRecordOptions,
  type DiskStats,
} from "./disk.js";
export { ChecksumError, DiskError, type DiskErrorCode, DiskFullError } from "./diskErrors.js";
export {
  type DiskLatencyContext,
  type DiskLatencyModel,
  type DiskOperation,
  optionLatency,
} from "./diskLatency.js";
export {
  DurableLog,
  type DurableLogOptions,
  type DurableLogStats,
  type SyncPolicy,
} from "./durableLog.js";
export { PageCache, type PageCacheOptions, type PageCacheStats } from "./pageCache.js";
export type { StorageEngine, StorageEngineStats } from "./storageEngine.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const STORAGE_COMPONENTS = [Disk, BTree] as const satisfies readonly CataloguedComponent[];
