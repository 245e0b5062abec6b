/**
 * Compaction strategies: which tables an LSM tree merges next, and where the result goes. A
 * strategy looks at the tree's levels (level 0 holds flushed tables, newest last; deeper levels
 * hold each a sorted run of tables with disjoint key ranges) and answers with a job or null; the
 * tree does the I/O (reads every block of the inputs, writes the merged output, commits the
 * change to its manifest, deletes the inputs). One instance serves one tree (a strategy may
 * keep state: leveled's round-robin cursor).
 *
 * - `sizeTieredCompaction()` (Cassandra's STCS): tables stay in level 0, bucketed by size; a
 *   bucket of `minThreshold` tables of similar size merges into one bigger table. Each byte is
 *   rewritten about once per tier (log of the data size over the flush size, in base
 *   `minThreshold`): low write amplification; but a key may sit in many tables (reads check
 *   more of them) and an overwritten key's old versions linger until their tier merges (space).
 * - `leveledCompaction()` (LevelDB, RocksDB): level 1 and below each hold one sorted run, each
 *   `fanout` times the one above; level 0 merges into level 1 once `l0Trigger` tables wait, and a
 *   level over its size pushes one table (round robin over the key space) into the next,
 *   rewriting the overlapping tables there. Each byte is rewritten about `fanout` times per
 *   level: high write amplification, for low read and space amplification.
 * - `fifoCompaction()` (RocksDB FIFO): no merging at all; once the tables hold more than
 *   `maxBytes`, the oldest are deleted whole. Write amplification 1 (the log and the flush),
 *   for data that may expire (metrics, logs): old keys are gone.
 *
 * @example
 * const db = new LSMTree<string>(sim, "db", { compaction: leveledCompaction({ fanout: 4 }) });
 */
import { ConfigError } from "../../errors/errors.js";
import { requireInteger } from "../shared/validate.js";

/** What a strategy sees of a table. */
export interface CompactionTable {
  readonly file: string;
  readonly fileBytes: number;
  readonly minKey: string;
  readonly maxKey: string;
  readonly minSeq: number;
  readonly maxSeq: number;
}

/** A compaction to run. */
export interface CompactionJob<T extends CompactionTable = CompactionTable> {
  /** The tables it takes (merged into new ones, or, without `merge`, deleted). */
  readonly inputs: readonly T[];
  /** The level its output tables join. */
  readonly outputLevel: number;
  /** False: the inputs are deleted whole, nothing written (FIFO expiry). */
  readonly merge: boolean;
  /** Whether tombstones may go: no table outside the inputs can hold an older value they hide. */
  readonly dropTombstones: boolean;
}

/** Picks compactions for one tree. */
export interface CompactionStrategy {
  /** For reports: "leveled(fanout 10)". */
  readonly name: string;
  /** Most bytes of one output table (a merge's output is cut into tables of this size). */
  readonly tableBytes: number;
  /** The next job for `levels` (level 0 first), or null when nothing needs doing. */
  pick<T extends CompactionTable>(levels: readonly (readonly T[])[]): CompactionJob<T> | null;
}

export interface SizeTieredOptions {
  /** Tables of similar size that trigger a merge (integer >= 2). Default 4. */
  readonly minThreshold?: number;
  /** Most tables merged at once (integer >= minThreshold). Default 32. */
  readonly maxThreshold?: number;
  /** A table joins a bucket whose mean size is within [low, high] times its own. Default 0.5 and 1.5. */
  readonly bucketLow?: number;
  readonly bucketHigh?: number;
}

export interface LeveledOptions {
  /** Level-0 tables that trigger their merge into level 1 (integer >= 1). Default 4. */
  readonly l0Trigger?: number;
  /** Bytes level 1 holds before it pushes tables down (integer >= 1). Default 10 x tableBytes. */
  readonly levelBytes?: number;
  /** Each level holds `fanout` times the one above (integer >= 2). Default 10. */
  readonly fanout?: number;
  /** Most bytes of one table (integer >= 1). Default 65,536. */
  readonly tableBytes?: number;
}

export interface FifoOptions {
  /** Bytes of tables kept; past it the oldest tables are deleted (integer >= 1). */
  readonly maxBytes: number;
}

function sumBytes(tables: readonly CompactionTable[]): number {
  let bytes = 0;
  for (const table of tables) bytes += table.fileBytes;
  return bytes;
}

/** Size-tiered compaction (Cassandra's STCS): similar-sized tables merge into one. */
export function sizeTieredCompaction(options: SizeTieredOptions = {}): CompactionStrategy {
  const where = "sizeTieredCompaction";
  if (options === null || typeof options !== "object") {
    throw new ConfigError(where, "options", "an options object", options);
  }
  const minThreshold = requireInteger(where, "minThreshold", options.minThreshold ?? 4, 2);
  const maxThreshold = requireInteger(
    where,
    "maxThreshold",
    options.maxThreshold ?? Math.max(32, minThreshold),
    minThreshold,
  );
  const low = options.bucketLow ?? 0.5;
  const high = options.bucketHigh ?? 1.5;
  if (typeof low !== "number" || !(low > 0 && low <= 1)) {
    throw new ConfigError(where, "bucketLow", "a number in (0, 1]", low);
  }
  if (typeof high !== "number" || !(high >= 1) || !Number.isFinite(high)) {
    throw new ConfigError(where, "bucketHigh", "a finite number >= 1", high);
  }
  return {
    name: `sizeTiered(min ${minThreshold})`,
    tableBytes: Number.POSITIVE_INFINITY,
    pick<T extends CompactionTable>(levels: readonly (readonly T[])[]) {
      const tables = levels[0] ?? [];
      if (tables.length < minThreshold) return null;
      // By size, ties by age: the order never depends on anything but the tables.
      const sorted = [...tables].sort((a, b) => a.fileBytes - b.fileBytes || a.maxSeq - b.maxSeq);
      const buckets: T[][] = [];
      let bucket: T[] = [];
      let mean = 0;
      for (const table of sorted) {
        // Ascending sizes: a table too big for the bucket's mean opens the next bucket.
        if (bucket.length > 0 && (table.fileBytes > mean * high || table.fileBytes * low > mean)) {
          buckets.push(bucket);
          bucket = [];
        }
        bucket.push(table);
        mean = sumBytes(bucket) / bucket.length;
      }
      if (bucket.length > 0) buckets.push(bucket);
      // The smallest tables merge first: the cheapest merge that removes the most tables.
      const chosen = buckets.find((b) => b.length >= minThreshold);
      if (chosen === undefined) return null;
      const inputs = chosen.slice(0, maxThreshold);
      return {
        inputs,
        outputLevel: 0,
        merge: true,
        dropTombstones: inputs.length === tables.length,
      };
    },
  };
}

/** Leveled compaction (LevelDB, RocksDB): one sorted run per level, each `fanout` times bigger. */
export function leveledCompaction(options: LeveledOptions = {}): CompactionStrategy {
  const where = "leveledCompaction";
  if (options === null || typeof options !== "object") {
    throw new ConfigError(where, "options", "an options object", options);
  }
  const l0Trigger = requireInteger(where, "l0Trigger", options.l0Trigger ?? 4, 1);
  const fanout = requireInteger(where, "fanout", options.fanout ?? 10, 2);
  const tableBytes = requireInteger(where, "tableBytes", options.tableBytes ?? 65_536, 1);
  const levelBytes = requireInteger(where, "levelBytes", options.levelBytes ?? 10 * tableBytes, 1);
  /** Per level, the last key pushed down: the next push starts after it (round robin). */
  const cursors: string[] = [];
  const overlapping = <T extends CompactionTable>(tables: readonly T[], min: string, max: string) =>
    tables.filter((t) => t.maxKey >= min && t.minKey <= max);
  const deepest = (levels: readonly (readonly CompactionTable[])[]) => {
    let last = 0;
    for (let i = 0; i < levels.length; i++) if (levels[i]!.length > 0) last = i;
    return last;
  };
  return {
    name: `leveled(fanout ${fanout})`,
    tableBytes,
    pick<T extends CompactionTable>(levels: readonly (readonly T[])[]) {
      const l0 = levels[0] ?? [];
      if (l0.length >= l0Trigger) {
        let min = l0[0]!.minKey;
        let max = l0[0]!.maxKey;
        for (const t of l0) {
          if (t.minKey < min) min = t.minKey;
          if (t.maxKey > max) max = t.maxKey;
        }
        const inputs = [...l0, ...overlapping(levels[1] ?? [], min, max)];
        return { inputs, outputLevel: 1, merge: true, dropTombstones: deepest(levels) <= 1 };
      }
      let limit = levelBytes;
      for (let level = 1; level < levels.length; level++, limit *= fanout) {
        const tables = levels[level]!;
        if (tables.length === 0 || sumBytes(tables) <= limit) continue;
        const cursor = cursors[level] ?? "";
        const table = tables.find((t) => t.minKey > cursor) ?? tables[0]!;
        cursors[level] = table.maxKey;
        const inputs = [table, ...overlapping(levels[level + 1] ?? [], table.minKey, table.maxKey)];
        return {
          inputs,
          outputLevel: level + 1,
          merge: true,
          dropTombstones: deepest(levels) <= level + 1,
        };
      }
      return null;
    },
  };
}

/** FIFO compaction (RocksDB): no merges; the oldest tables are deleted past `maxBytes`. */
export function fifoCompaction(options: FifoOptions): CompactionStrategy {
  const where = "fifoCompaction";
  if (options === null || typeof options !== "object") {
    throw new ConfigError(where, "options", "{ maxBytes }", options);
  }
  const maxBytes = requireInteger(where, "maxBytes", options.maxBytes, 1);
  return {
    name: `fifo(${maxBytes} bytes)`,
    tableBytes: Number.POSITIVE_INFINITY,
    pick<T extends CompactionTable>(levels: readonly (readonly T[])[]) {
      const tables = levels[0] ?? [];
      let total = sumBytes(tables);
      if (total <= maxBytes) return null;
      const oldest = [...tables].sort((a, b) => a.maxSeq - b.maxSeq);
      const inputs: T[] = [];
      for (const table of oldest) {
        if (total <= maxBytes) break;
        inputs.push(table);
        total -= table.fileBytes;
      }
      return { inputs, outputLevel: 0, merge: false, dropTombstones: false };
    },
  };
}

/** Whether `value` looks like a compaction strategy. */
export function isCompactionStrategy(value: unknown): value is CompactionStrategy {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as CompactionStrategy).pick === "function" &&
    typeof (value as CompactionStrategy).name === "string" &&
    typeof (value as CompactionStrategy).tableBytes === "number"
  );
}
