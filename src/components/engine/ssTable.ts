/**
 * `SSTable`: a sorted string table, an LSM tree's immutable file. Written once, in key order,
 * as data blocks (each about `blockBytes` of entries), then an index (each block's first key)
 * and a bloom filter over its keys, all on a `Disk`, checksummed, then synced. A table in use
 * keeps its index and filter in memory (read once, when it is written or loaded at a restart),
 * so a point read costs at most one block read: the filter answers "certainly not here" for
 * most tables without the key (counted in `bloomNegatives`), the key range and the index pick
 * the one block that may hold it.
 *
 * File layout (records of the disk file): blocks 0..n-1, then the index, then the filter. A
 * table whose file is incomplete or damaged (a crash while it was written) does not load.
 *
 * @example
 * const table = yield* SSTable.write(disk, "sst-1", memtable.sorted(), { blockBytes: 4096 });
 * const entry = yield* table.get("a"); // one block read, or none if the filter says no
 */
import { BloomFilter } from "../../algorithms/bloomFilter.js";
import type { SimFuture } from "../../core/future.js";
import { ConfigError } from "../../errors/errors.js";
import { requireInteger } from "../shared/validate.js";
import type { Disk } from "../storage/disk.js";
import type { LsmEntry } from "./memtable.js";

/** Bytes an entry takes on the disk beyond its user bytes (its sequence number and lengths). */
export const ENTRY_OVERHEAD_BYTES = 8;

export interface SSTableBlock<V> {
  readonly kind: "block";
  readonly entries: readonly LsmEntry<V>[];
}

export interface SSTableIndex {
  readonly kind: "index";
  /** Each block's first key, ascending. */
  readonly firstKeys: readonly string[];
  /** Each block's bytes on the disk. */
  readonly blockBytes: readonly number[];
  readonly lastKey: string;
  readonly entries: number;
  readonly minSeq: number;
  readonly maxSeq: number;
}

export interface SSTableFilter {
  readonly kind: "filter";
  readonly filter: BloomFilter;
}

/** A record of a table's file. */
export type SSTableRecord<V> = SSTableBlock<V> | SSTableIndex | SSTableFilter;

export interface SSTableOptions {
  /** Bytes of entries per data block (integer >= 1). Default 4096. */
  readonly blockBytes?: number;
  /** The bloom filter's false-positive rate at the table's key count, in (0, 1). Default 0.01. */
  readonly bloomFalsePositiveRate?: number;
}

/** What a table's reads did. */
export interface SSTableStats {
  /** Point reads asked of it. */
  readonly lookups: number;
  /** Lookups its bloom filter answered "certainly not here" (no block read). */
  readonly bloomNegatives: number;
  /** Lookups that read a block and did not find the key (the filter's false positives). */
  readonly bloomFalsePositives: number;
  /** Blocks read (lookups and scans), and their bytes. */
  readonly blocksRead: number;
  readonly bytesRead: number;
}

export class SSTable<V> {
  private counts = {
    lookups: 0,
    bloomNegatives: 0,
    bloomFalsePositives: 0,
    blocksRead: 0,
    bytesRead: 0,
  };

  private constructor(
    readonly disk: Disk<SSTableRecord<V>>,
    readonly file: string,
    readonly index: SSTableIndex,
    readonly filter: BloomFilter,
    /** Bytes of its file on the disk: blocks, index and filter. */
    readonly fileBytes: number,
  ) {}

  /**
   * Writes `entries` (sorted by key, one per key) as a table in `file` and syncs it; returns
   * the table, its index and filter in memory. Each record is written in turn (a flush or a
   * compaction streams its output; its I/O competes with everything else on the disk).
   */
  static *write<V>(
    disk: Disk<SSTableRecord<V>>,
    file: string,
    entries: readonly LsmEntry<V>[],
    options: SSTableOptions = {},
  ): Generator<SimFuture<unknown>, SSTable<V>, unknown> {
    const { blockBytes, bloomFalsePositiveRate } = checkSSTableOptions(options);
    if (entries.length === 0) {
      throw new ConfigError(`SSTable "${file}"`, "entries", "at least one entry", entries);
    }
    const filter = new BloomFilter({
      expectedItems: entries.length,
      falsePositiveRate: bloomFalsePositiveRate,
    });
    const firstKeys: string[] = [];
    const sizes: number[] = [];
    let minSeq = Number.POSITIVE_INFINITY;
    let maxSeq = 0;
    let fileBytes = 0;
    let block: LsmEntry<V>[] = [];
    let bytes = 0;
    const writeBlock = function* () {
      firstKeys.push(block[0]!.key);
      sizes.push(bytes);
      fileBytes += bytes;
      const record: SSTableBlock<V> = { kind: "block", entries: block };
      yield disk.appendFuture(file, record, { sizeBytes: bytes, checksum: true });
      block = [];
      bytes = 0;
    };
    for (const entry of entries) {
      filter.add(entry.key);
      if (entry.seq < minSeq) minSeq = entry.seq;
      if (entry.seq > maxSeq) maxSeq = entry.seq;
      block.push(entry);
      bytes += entry.bytes + ENTRY_OVERHEAD_BYTES;
      if (bytes >= blockBytes) yield* writeBlock();
    }
    if (block.length > 0) yield* writeBlock();
    const index: SSTableIndex = {
      kind: "index",
      firstKeys,
      blockBytes: sizes,
      lastKey: entries[entries.length - 1]!.key,
      entries: entries.length,
      minSeq,
      maxSeq,
    };
    const indexBytes = indexSize(index);
    const filterBytes = Math.max(1, Math.ceil(filter.bits / 8));
    yield disk.appendFuture(file, index, { sizeBytes: indexBytes, checksum: true });
    yield disk.appendFuture(
      file,
      { kind: "filter", filter },
      { sizeBytes: filterBytes, checksum: true },
    );
    yield disk.syncFuture();
    return new SSTable(disk, file, index, filter, fileBytes + indexBytes + filterBytes);
  }

  /**
   * The table in `file` as the disk holds it now, its index and filter read at once (a restart
   * reads them before serving); null if the file is incomplete or damaged.
   */
  static load<V>(disk: Disk<SSTableRecord<V>>, file: string): SSTable<V> | null {
    const records = disk.records(file);
    if (records.length < 3) return null;
    let fileBytes = 0;
    for (const record of records) {
      if (record.damage !== null) return null;
      fileBytes += record.sizeBytes;
    }
    const index = records[records.length - 2]!.value;
    const filter = records[records.length - 1]!.value;
    if (index.kind !== "index" || filter.kind !== "filter") return null;
    if (index.firstKeys.length !== records.length - 2) return null;
    return new SSTable(disk, file, index, filter.filter, fileBytes);
  }

  get minKey(): string {
    return this.index.firstKeys[0]!;
  }

  get maxKey(): string {
    return this.index.lastKey;
  }

  get minSeq(): number {
    return this.index.minSeq;
  }

  get maxSeq(): number {
    return this.index.maxSeq;
  }

  get blocks(): number {
    return this.index.firstKeys.length;
  }

  /** Whether the table's key range holds `key` (no I/O). */
  covers(key: string): boolean {
    return key >= this.minKey && key <= this.maxKey;
  }

  /** Whether the table's key range meets `[from, to)` (no I/O). */
  overlaps(from: string, to: string | undefined): boolean {
    return this.maxKey >= from && (to === undefined || this.minKey < to);
  }

  /**
   * Whether `key` may be in the table, from its key range and filter (no I/O). A "no" from the
   * filter is counted (`bloomNegatives`): the read it saved.
   */
  mayContain(key: string): boolean {
    if (!this.covers(key)) return false;
    this.counts.lookups++;
    if (this.filter.mightContain(key)) return true;
    this.counts.bloomNegatives++;
    return false;
  }

  /**
   * The entry of `key` (a value or a tombstone), reading the one block that may hold it; call
   * after `mayContain` said yes. Throws the disk's errors.
   */
  *get(key: string): Generator<SimFuture<unknown>, LsmEntry<V> | undefined, unknown> {
    const b = upperBound(this.index.firstKeys, key) - 1;
    if (b < 0) return undefined;
    const block = yield* this.readBlock(b);
    const entries = block.entries;
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (entries[middle]!.key < key) low = middle + 1;
      else high = middle;
    }
    const entry = entries[low];
    if (entry !== undefined && entry.key === key) return entry;
    this.counts.bloomFalsePositives++;
    return undefined;
  }

  /** Block `b`'s entries (one disk read). */
  *readBlock(b: number): Generator<SimFuture<unknown>, SSTableBlock<V>, unknown> {
    const record = (yield this.disk.readFuture(this.file, b)) as SSTableRecord<V>;
    this.counts.blocksRead++;
    this.counts.bytesRead += this.index.blockBytes[b]!;
    return record as SSTableBlock<V>;
  }

  /** The first block that may hold keys >= `from` (0 when `from` is before the table). */
  firstBlockFor(from: string): number {
    return Math.max(0, upperBound(this.index.firstKeys, from) - 1);
  }

  get stats(): SSTableStats {
    return { ...this.counts };
  }
}

function indexSize(index: SSTableIndex): number {
  let bytes = 16 + index.lastKey.length;
  for (const key of index.firstKeys) bytes += key.length + 8;
  return bytes;
}

/** The index of the first element > `key` in the ascending `keys`. */
function upperBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A table's options, checked and defaulted. */
export function checkSSTableOptions(options: SSTableOptions, where = "SSTable") {
  if (options === null || typeof options !== "object") {
    throw new ConfigError(where, "options", "an options object", options);
  }
  const blockBytes =
    options.blockBytes === undefined
      ? 4096
      : requireInteger(where, "blockBytes", options.blockBytes, 1);
  const rate = options.bloomFalsePositiveRate ?? 0.01;
  if (typeof rate !== "number" || !(rate > 0 && rate < 1)) {
    throw new ConfigError(where, "bloomFalsePositiveRate", "a number in (0, 1)", rate);
  }
  return { blockBytes, bloomFalsePositiveRate: rate } as const;
}
