/**
 * The storage-engine family: engines that keep a key-value map on a `Disk` and answer the
 * key-value protocol (`LSMTree` with its `Memtable`, `SSTable`s and compaction strategies;
 * `BTree`), behind one contract (./storageEngine.ts) so a model
 * swaps one for the other. It stands between the storage family (disks, logs, page caches),
 * which it builds on, and the store family's protocol, which it speaks.
 */

import type { CataloguedComponent } from "../../catalog/entry.js";
import { BTree } from "./btree.js";
import { LSMTree } from "./lsmTree.js";

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
export type {
  StorageEngine,
  StorageEngineOperationStats,
  StorageEngineOptions,
  StorageEngineStats,
} from "./storageEngine.js";

/** This family's component classes, in catalog order (src/components/index.ts gathers them). */
export const ENGINE_COMPONENTS = [LSMTree, BTree] as const satisfies readonly CataloguedComponent[];
