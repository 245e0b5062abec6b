/**
 * `Memtable`: an LSM tree's in-memory table, where writes land first. Sorted by key (so a flush
 * writes its entries in order and a scan walks them in order), one entry per key (the newest,
 * by sequence number: a write arriving late with an older number does not undo a newer one),
 * deletes kept as tombstones (a flush must write them, or a value in an older table would come
 * back), and its size in bytes, so its owner flushes it when it is full: the owner freezes it
 * (`freeze()`: immutable from then on, handed to the flush) and a new one takes the writes.
 *
 * Its operations take no simulated time (memory is fast next to a disk), so each one is atomic
 * in the simulation: readers and writers never interleave inside it, and it needs no lock. A
 * model that wants memory contention to show puts an `RWLock` in front of it.
 *
 * @example
 * const table = new Memtable<string>({ capacityBytes: 4096 });
 * table.put("a", 1, "x", 2);
 * table.get("a"); // { key: "a", seq: 1, value: "x", deleted: false, bytes: 2 }
 */
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { requireInteger } from "../shared/validate.js";
import { SortedKeys } from "../store/sortedKeys.js";

/** A key's newest change: a value, or a tombstone (`deleted`), numbered `seq`. */
export interface LsmEntry<V> {
  readonly key: string;
  /** The write's sequence number: a later write has a larger one. */
  readonly seq: number;
  /** The value; undefined for a tombstone. */
  readonly value: V | undefined;
  readonly deleted: boolean;
  /** Bytes of user data: the key's and the value's (the key's alone for a tombstone). */
  readonly bytes: number;
}

export interface MemtableOptions {
  /** Bytes of entries at which it is full (integer >= 1). */
  readonly capacityBytes: number;
}

export class Memtable<V> {
  readonly capacityBytes: number;
  private readonly entries = new Map<string, LsmEntry<V>>();
  private readonly order = new SortedKeys();
  private bytes = 0;
  private frozen = false;
  private largestSeq = 0;

  constructor(options: MemtableOptions) {
    if (options === null || typeof options !== "object") {
      throw new ConfigError("Memtable", "options", "{ capacityBytes }", options);
    }
    this.capacityBytes = requireInteger("Memtable", "capacityBytes", options.capacityBytes, 1);
  }

  /** Writes `value` under `key` as change `seq` (`bytes`: key and value). Ignored if not newer. */
  put(key: string, seq: number, value: V, bytes: number): void {
    this.apply({ key, seq, value, deleted: false, bytes });
  }

  /** Deletes `key` as change `seq`: a tombstone (`bytes`: the key's). Ignored if not newer. */
  delete(key: string, seq: number, bytes: number): void {
    this.apply({ key, seq, value: undefined, deleted: true, bytes });
  }

  /** Applies an entry (a replayed log record): kept if newer than the key's. */
  apply(entry: LsmEntry<V>): void {
    if (this.frozen) {
      throw new SimulationError(
        `write of "${entry.key}" to a frozen memtable (it is being flushed)`,
        "Memtable",
        0,
      );
    }
    const held = this.entries.get(entry.key);
    if (held === undefined) this.order.insert(entry.key);
    else if (held.seq >= entry.seq) return;
    else this.bytes -= held.bytes;
    this.entries.set(entry.key, entry);
    this.bytes += entry.bytes;
    if (entry.seq > this.largestSeq) this.largestSeq = entry.seq;
  }

  /** The key's entry (a value or a tombstone), or undefined if the table has none. */
  get(key: string): LsmEntry<V> | undefined {
    return this.entries.get(key);
  }

  /** Entries (tombstones included) with `from <= key < to`, by key, at most `limit`. */
  range(from: string, to: string | undefined, limit = Number.POSITIVE_INFINITY): LsmEntry<V>[] {
    const keys = this.order.range(from, to, limit);
    const found: LsmEntry<V>[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) found[i] = this.entries.get(keys[i]!)!;
    return found;
  }

  /** Every entry, by key (what a flush writes). */
  sorted(): LsmEntry<V>[] {
    return this.range("", undefined);
  }

  /** No more writes: it is handed to a flush. */
  freeze(): void {
    this.frozen = true;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Whether it holds `capacityBytes` or more. */
  get isFull(): boolean {
    return this.bytes >= this.capacityBytes;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Keys held (values and tombstones). */
  get size(): number {
    return this.entries.size;
  }

  /** The largest sequence number applied (0 when empty). */
  get maxSeq(): number {
    return this.largestSeq;
  }
}
