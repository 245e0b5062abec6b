/**
 * How long a disk operation takes: the seam where device models plug in. A `Disk` asks its
 * latency model for the seconds of every read, write and sync as the operation starts; the
 * default model draws the disk's `readLatency`, `writeLatency` or `syncLatency` option. A
 * device profile (an HDD whose seek depends on distance, an SSD with a few channels and a
 * write cliff, NVMe queues) implements the same interface, keeping whatever state it needs
 * (where the head is, when a channel frees up) between calls, and may use the option's draw
 * (`context.baseSeconds()`) or ignore it.
 */
import type { RandomStream } from "../../random/randomStream.js";

/** What an operation is, for a latency model. */
export interface DiskOperation {
  readonly kind: "read" | "write" | "sync";
  /** The file it reads or writes; "" for a sync (it flushes the whole disk). */
  readonly file: string;
  /** The record's index in the file; -1 for a sync or a truncate. */
  readonly index: number;
  /** Bytes moved: the record's size, or for a sync the unsynced bytes it flushes. */
  readonly sizeBytes: number;
}

/** What a latency model may use besides the operation. */
export interface DiskLatencyContext {
  /** The disk's random stream for this kind of operation ("read", "write", "sync"). */
  readonly draws: RandomStream;
  /** Simulated time now, in seconds. */
  readonly now: number;
  /** Operations of any kind in progress on the disk now, this one excluded (a queue depth). */
  readonly inProgress: number;
  /** A draw of the disk's own option for this kind (`readLatency`, ...), in seconds. */
  baseSeconds(): number;
}

/**
 * Seconds an operation takes (>= 0, finite). Called once per operation, as it starts, in the
 * order operations start, so a model with state (a head position) sees them in order.
 */
export interface DiskLatencyModel {
  /** In words, for errors and docs ("ssd, 4 channels"). */
  readonly description: string;
  seconds(operation: DiskOperation, context: DiskLatencyContext): number;
}

/** The default model: each operation takes a draw of the disk's option for its kind. */
export const optionLatency: DiskLatencyModel = {
  description: "the disk's readLatency, writeLatency and syncLatency",
  seconds: (_operation, context) => context.baseSeconds(),
};

/** Whether `value` looks like a latency model (checked when a disk is built). */
export function isDiskLatencyModel(value: unknown): value is DiskLatencyModel {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { seconds?: unknown }).seconds === "function" &&
    typeof (value as { description?: unknown }).description === "string"
  );
}
