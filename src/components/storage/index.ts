/**
 * The storage family: durable state that tells written from synced. `Disk` (files of records
 * with read, write and sync latencies, a volatile buffer that a power loss takes with it, torn
 * writes, and the disk faults a schedule drives), the latency-model seam device profiles plug
 * into (./diskLatency.ts) with the `DiskIO` device models on it (hdd, ssd, nvme), `DurableLog`,
 * the write-ahead-log pattern a component uses to declare its durable state (append, sync by
 * policy, replay on recover), `WriteAheadLog` (log segments synced every write, periodically or
 * by group commit), and `PageCache` (a buffer pool of pages between an engine and its
 * disk). The storage engines on them (`BTree`, `LSMTree`) are the engine family's.
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { Disk } from "./disk.js";

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
  type DeviceModel,
  DiskIO,
  FlashModel,
  type FlashOptions,
  type FlashStats,
  HddModel,
  type HddOptions,
  type HddStats,
  type QueueDepthCurveOptions,
  type QueueDepthRow,
  queueDepthCurve,
  type WriteCliffOptions,
} from "./diskIO.js";
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
export {
  type GroupCommit,
  type WalSyncPolicy,
  WriteAheadLog,
  type WriteAheadLogOptions,
  type WriteAheadLogStats,
} from "./writeAheadLog.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const STORAGE_COMPONENTS = [Disk] as const satisfies readonly CataloguedComponent[];
