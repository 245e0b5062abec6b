/**
 * `TimeWeightedGauge`: a level that changes over simulated time (queue length, connections in
 * use), averaged over *time*, not over samples. A queue that holds 100 requests for one second
 * and 0 for nine has a mean length of 10, however many times it was looked at.
 */

import type { Simulation } from "../core/simulation.js";
import { ConfigError } from "../errors/errors.js";

export class TimeWeightedGauge {
  // Every numeric field starts with a number, not `undefined` (a field declared without one is
  // defined as undefined first): V8 then stores doubles in place instead of allocating a number
  // and paying a write barrier on every change.
  private current = 0;
  private low = 0;
  private high = 0;
  /** Integral of the value over time, in value x nanoseconds. */
  private area = 0;
  private lastChangeNs = 0;
  /** Start of the period `mean`, `integral`, `min` and `max` cover: creation or last reset. */
  private startNs = 0;

  constructor(
    private readonly sim: Simulation,
    initial = 0,
  ) {
    if (!Number.isFinite(initial))
      throw new ConfigError("TimeWeightedGauge", "initial", "a finite number", initial);
    this.current = initial;
    this.low = initial;
    this.high = initial;
    this.startNs = sim.nowNs;
    this.lastChangeNs = sim.nowNs;
  }

  /** Sets the level from now on. */
  set(value: number): void {
    if (!Number.isFinite(value))
      throw new ConfigError("TimeWeightedGauge.set", "value", "a finite number", value);
    this.advance();
    this.current = value;
    if (value < this.low) this.low = value;
    if (value > this.high) this.high = value;
  }

  /** Changes the level by `delta` from now on. */
  add(delta: number): void {
    this.set(this.current + delta);
  }

  get value(): number {
    return this.current;
  }
  get min(): number {
    return this.low;
  }
  get max(): number {
    return this.high;
  }

  /**
   * Restarts the statistics now (a warm-up's end): `mean` and `integral` cover [now, later]
   * only, and `min` and `max` start from the current level, which is kept.
   */
  reset(): void {
    const now = this.sim.nowNs;
    this.area = 0;
    this.startNs = now;
    this.lastChangeNs = now;
    this.low = this.current;
    this.high = this.current;
  }

  /** Integral of the level over time since creation (or the last reset), in value x seconds. */
  get integral(): number {
    this.advance();
    return this.area / 1e9;
  }

  /** Time-average since creation (or the last reset); the current value at that instant. */
  get mean(): number {
    this.advance();
    const elapsed = this.sim.nowNs - this.startNs;
    return elapsed > 0 ? this.area / elapsed : this.current;
  }

  private advance(): void {
    const now = this.sim.nowNs;
    this.area += this.current * (now - this.lastChangeNs);
    this.lastChangeNs = now;
  }
}
