/**
 * The clock of a log's periodic sync (`{ interval }`), shared by `DurableLog` and
 * `WriteAheadLog`: it ticks on the grid start + k * interval (never drifting, whatever a tick
 * costs), on a daemon timer of the disk (a periodic sync never keeps a run alive by itself),
 * and its owner calls `resume()` when the disk comes back (the disk's crash cancelled its
 * timers; the grid goes on where it would have been, skipping the ticks the outage took).
 *
 * Not exported from the package: what a tick does is its owner's.
 */
import type { Entity } from "../../core/entity.js";

export class SyncGrid {
  private readonly startNs: number;
  private readonly intervalNs: number;
  private tickNumber = 0;
  /** The armed timer's token; null once stopped. */
  private timer: number | null = null;

  /** Starts ticking now: the first tick is one interval away. */
  constructor(
    private readonly disk: Entity<never, unknown>,
    intervalSeconds: number,
    private readonly onTick: () => void,
  ) {
    this.startNs = disk.nowNs;
    // In integer ns: a grid point computed in seconds can round back onto now and fire again.
    this.intervalNs = Math.round(intervalSeconds * 1e9);
    this.schedule();
  }

  /** The disk is back from a crash (which cancelled the timer): ticks go on, on the grid. */
  resume(): void {
    if (this.timer !== null) this.schedule();
  }

  /** No more ticks (its log is gone). */
  stop(): void {
    if (this.timer !== null) this.disk.cancelTimer(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const nowNs = this.disk.nowNs;
    let atNs = this.startNs + this.tickNumber * this.intervalNs;
    while (atNs <= nowNs) atNs = this.startNs + ++this.tickNumber * this.intervalNs;
    this.timer = this.disk.at(atNs / 1e9, this.tick, undefined, { daemon: true });
  }

  private readonly tick = (): void => {
    this.onTick();
    this.schedule();
  };
}
