/**
 * `PhiAccrualDetector`: the phi accrual failure detector of Hayashibara, Défago, Yared and
 * Katayama ("The φ Accrual Failure Detector", SRDS 2004), as Cassandra and Akka use it.
 *
 * Instead of a yes/no verdict after a fixed timeout, it answers how surprised it would be that
 * no heartbeat has come yet: it keeps the last `windowSize` intervals between heartbeats,
 * models the next interval as normal with their mean and standard deviation, and reports
 *
 *   phi(t) = -log10(P(interval > t))   with   P(interval > t) = 1 - Φ((t - μ') / σ')
 *
 * where t is the time since the last heartbeat, μ' = μ + `acceptableHeartbeatPauseSeconds`
 * (a pause the network or the garbage collector is allowed without suspicion) and
 * σ' = max(σ, `minStdDeviationSeconds`) (so a very regular sender does not make one late
 * heartbeat look impossible). phi = 1 means a 10% chance of a mistake if the node is suspected
 * now, phi = 8 a 1e-8 chance. Jittery heartbeats widen σ, so the detector waits longer on a
 * jittery link and suspects quickly on a steady one, where a fixed timeout must be set for the
 * worst link.
 *
 * Until a first interval is known (one heartbeat seen), the interval is assumed to be
 * `firstHeartbeatEstimateSeconds` with a standard deviation of a quarter of it, as Akka does.
 * Before any heartbeat, phi is 0: nothing is expected yet.
 *
 * The tail is computed through `logStandardNormalTail` (portable `log`/`exp`), so phi is the
 * same bits on every engine and stays finite far into the tail. Not an entity: the owner calls
 * `heartbeat(now)` when one arrives and `phi(now)` when it decides.
 */

import { ConfigError } from "../errors/errors.js";
import { logStandardNormalTail } from "../random/distributions/distribution.js";
import {
  requireFiniteTime,
  requireIntegerAtLeast,
  requireNonNegativeSeconds,
  requirePositiveSeconds,
} from "./optionChecks.js";

const COMPONENT = "PhiAccrualDetector";

export interface PhiAccrualDetectorOptions {
  /** How many of the latest intervals the estimate uses; default 1000 (Akka's). */
  readonly windowSize?: number;
  /** Floor of the standard deviation used in phi, in seconds; default 0.1. */
  readonly minStdDeviationSeconds?: number;
  /** Added to the mean interval: a pause tolerated without suspicion, in seconds; default 0. */
  readonly acceptableHeartbeatPauseSeconds?: number;
  /** The interval assumed before the first one is measured, in seconds; default 1. */
  readonly firstHeartbeatEstimateSeconds?: number;
  /** phi at or above which `isAvailable` answers false; default 8. */
  readonly threshold?: number;
}

/** The interval statistics phi is computed from (after the floor and the pause). */
export interface PhiEstimate {
  readonly meanSeconds: number;
  readonly stdDeviationSeconds: number;
  /** Intervals in the window (0 while the first-heartbeat estimate stands in). */
  readonly samples: number;
}

export class PhiAccrualDetector {
  readonly windowSize: number;
  readonly minStdDeviationSeconds: number;
  readonly acceptableHeartbeatPauseSeconds: number;
  readonly firstHeartbeatEstimateSeconds: number;
  readonly threshold: number;

  // A ring of the latest intervals, with their running sum and sum of squares so each phi is
  // O(1) (the window is re-summed when it wraps, so rounding cannot drift over a long run).
  private readonly intervals: Float64Array;
  private count = 0;
  private next = 0;
  private sum = 0;
  private sumOfSquares = 0;
  private lastHeartbeatSeconds = Number.NaN;

  constructor(options: PhiAccrualDetectorOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(COMPONENT, "options", "an options object", options);
    }
    this.windowSize = requireIntegerAtLeast(COMPONENT, "windowSize", options.windowSize ?? 1000, 1);
    this.minStdDeviationSeconds = requirePositiveSeconds(
      COMPONENT,
      "minStdDeviationSeconds",
      options.minStdDeviationSeconds ?? 0.1,
    );
    this.acceptableHeartbeatPauseSeconds = requireNonNegativeSeconds(
      COMPONENT,
      "acceptableHeartbeatPauseSeconds",
      options.acceptableHeartbeatPauseSeconds ?? 0,
    );
    this.firstHeartbeatEstimateSeconds = requirePositiveSeconds(
      COMPONENT,
      "firstHeartbeatEstimateSeconds",
      options.firstHeartbeatEstimateSeconds ?? 1,
    );
    const threshold = options.threshold ?? 8;
    if (typeof threshold !== "number" || !Number.isFinite(threshold) || threshold <= 0) {
      throw new ConfigError(COMPONENT, "threshold", "a finite number > 0", threshold);
    }
    this.threshold = threshold;
    this.intervals = new Float64Array(this.windowSize);
  }

  /** Records a heartbeat that arrived at `atSeconds` (never earlier than the previous one). */
  heartbeat(atSeconds: number): void {
    requireFiniteTime(COMPONENT, "atSeconds", atSeconds);
    const last = this.lastHeartbeatSeconds;
    if (atSeconds < last) {
      throw new ConfigError(
        COMPONENT,
        "atSeconds",
        `a time >= the last heartbeat's (${last})`,
        atSeconds,
      );
    }
    this.lastHeartbeatSeconds = atSeconds;
    if (Number.isNaN(last)) return;
    this.record(atSeconds - last);
  }

  /** The suspicion level at `atSeconds`: 0 before any heartbeat, growing while none comes. */
  phi(atSeconds: number): number {
    requireFiniteTime(COMPONENT, "atSeconds", atSeconds);
    const last = this.lastHeartbeatSeconds;
    if (Number.isNaN(last)) return 0;
    if (atSeconds < last) {
      throw new ConfigError(
        COMPONENT,
        "atSeconds",
        `a time >= the last heartbeat's (${last})`,
        atSeconds,
      );
    }
    const { meanSeconds, stdDeviationSeconds } = this.estimate();
    const logTail = logStandardNormalTail((atSeconds - last - meanSeconds) / stdDeviationSeconds);
    // -0 would print as "-0" where the tail is 1; phi is a level, never negative.
    return Math.max(0, -logTail / Math.LN10);
  }

  /** Whether phi at `atSeconds` is below the threshold (the node is not suspected). */
  isAvailable(atSeconds: number): boolean {
    return this.phi(atSeconds) < this.threshold;
  }

  /** The mean and standard deviation phi uses now: the pause added, the floor applied. */
  estimate(): PhiEstimate {
    let mean: number;
    let std: number;
    if (this.count === 0) {
      mean = this.firstHeartbeatEstimateSeconds;
      std = mean / 4;
    } else {
      mean = this.sum / this.count;
      // Population variance; rounding can leave it a hair below zero for equal intervals.
      std = Math.sqrt(Math.max(0, this.sumOfSquares / this.count - mean * mean));
    }
    return {
      meanSeconds: mean + this.acceptableHeartbeatPauseSeconds,
      stdDeviationSeconds: Math.max(std, this.minStdDeviationSeconds),
      samples: this.count,
    };
  }

  /** The time of the last heartbeat, or null before the first. */
  get lastHeartbeatAtSeconds(): number | null {
    return Number.isNaN(this.lastHeartbeatSeconds) ? null : this.lastHeartbeatSeconds;
  }

  private record(interval: number): void {
    const intervals = this.intervals;
    if (this.count === this.windowSize) {
      const evicted = intervals[this.next]!;
      this.sum -= evicted;
      this.sumOfSquares -= evicted * evicted;
    } else {
      this.count++;
    }
    intervals[this.next] = interval;
    this.sum += interval;
    this.sumOfSquares += interval * interval;
    this.next++;
    if (this.next === this.windowSize) {
      this.next = 0;
      this.resum();
    }
  }

  private resum(): void {
    let sum = 0;
    let sumOfSquares = 0;
    for (let i = 0; i < this.count; i++) {
      const interval = this.intervals[i]!;
      sum += interval;
      sumOfSquares += interval * interval;
    }
    this.sum = sum;
    this.sumOfSquares = sumOfSquares;
  }
}
