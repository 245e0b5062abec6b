/**
 * The storage family: durable state that tells written from synced. `Disk` (files of records
 * with read, write and sync latencies, a volatile buffer that a power loss takes with it, torn
 * writes, and the disk faults a schedule drives), the latency-model seam device profiles plug
 * into (./diskLatency.ts), and `DurableLog`, the write-ahead-log pattern a component uses to
 * declare its durable state (append, sync by policy, replay on recover), and the storage
 * engines (./storageEngine.ts): `LSMTree` with its `WriteAheadLog`, `Memtable`, `SSTable` and
 * compaction strategies (./compaction.ts).
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { Disk } from "./disk.js";
import { LSMTree } from "./lsmTree.js";

export {
  type CompactionJob,
  type CompactionStrategy,
  type CompactionTable,
  type FifoOptions,
  fifoCompaction,
  type LeveledOptions,
  leveledCompaction,
  type SizeTieredOptions,
  sizeTieredCompaction,
} from "./compaction.js";
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
export {
  LSMTree,
  type LSMTreeOptions,
  type LSMTreeStats,
  type LsmLogRecord,
} from "./lsmTree.js";
export {
  type LsmEntry,
  Memtable,
  type MemtableOptions,
} from "./memtable.js";
export {
  ENTRY_OVERHEAD_BYTES,
  SSTable,
  type SSTableBlock,
  type SSTableFilter,
  type SSTableIndex,
  type SSTableOptions,
  type SSTableRecord,
  type SSTableStats,
} from "./ssTable.js";
export type { StorageEngine, StorageEngineStats } from "./storageEngine.js";
export {
  type GroupCommit,
  type WalSyncPolicy,
  WriteAheadLog,
  type WriteAheadLogOptions,
  type WriteAheadLogStats,
} from "./writeAheadLog.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const STORAGE_COMPONENTS = [Disk, LSMTree] as const satisfies readonly CataloguedComponent[];
