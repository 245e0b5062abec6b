/**
 * A disk latency model for the storage examples: a device that serves one read or flush at a
 * time, so I/O competes. A read waits for the reads and syncs ahead of it, then takes a fixed
 * access time plus its bytes over the bandwidth; a sync (the flush of the disk's buffer) takes
 * a fixed time plus the bytes it flushes over the bandwidth, and holds the device meanwhile; a
 * write only copies into the buffer (page cache) and queues for nothing. A background job that
 * reads and flushes a lot (a compaction) makes every foreground read and sync behind it wait.
 *
 * Why not a one-channel `DiskIO.ssd`: DiskIO times writes as placed on the device when issued
 * (write-through). Its SATA sync holds the drive, but only for the flush's fixed time: the
 * bytes were placed already. A compaction issues its I/O one block at a time, so on DiskIO a
 * foreground read waits behind at most one block or one flush, the log's periodic syncs block
 * reads in every interval alike, and the storm of examples/storage/compaction-storm.ts (p99
 * 2.37 ms in compaction intervals against 1.16 ms) shrinks to 0.94 against 0.72 ms (30 MB/s,
 * 0.5 ms flushes). The storm here comes from a write-back cache: writes pile up in the buffer
 * and a sync flushes them in one operation that holds the device for all their bytes.
 */
import type { DiskLatencyModel } from "distsim";

export function queuedDevice(options: {
  readonly accessSeconds: number;
  readonly bytesPerSecond: number;
  readonly syncSeconds: number;
  readonly writeSeconds?: number;
}): DiskLatencyModel {
  let freeAt = 0;
  return {
    description: `one queue, ${options.bytesPerSecond / 1e6} MB/s`,
    seconds(operation, context) {
      if (operation.kind === "write") return options.writeSeconds ?? 0.00001;
      const start = Math.max(context.now, freeAt);
      const fixed = operation.kind === "read" ? options.accessSeconds : options.syncSeconds;
      freeAt = start + fixed + operation.sizeBytes / options.bytesPerSecond;
      return freeAt - context.now;
    },
  };
}
