/**
 * `AdmissionSeries`: what a rate limiter admitted and refused, bucketed by window of simulated
 * time, so its admitted rate can be read over time (a burst passed whole, a window edge
 * admitting twice, an adaptive rate finding a target's capacity) rather than as one total.
 * Shared by every rate limiter so their series have the same names, units and reset rule.
 */
import type { RecordedSeries } from "../../core/entity.js";
import { TimeSeries } from "../../metrics/timeSeries.js";

export class AdmissionSeries {
  /** Requests admitted, by window of admission: its rate is the admitted rate over time. */
  readonly admittedSeries: TimeSeries;
  /** Requests refused, by window of refusal. */
  readonly refusedSeries: TimeSeries;

  /** Windows of `window` seconds from `origin` seconds. */
  constructor(window: number, origin: number) {
    this.admittedSeries = new TimeSeries({ window, origin });
    this.refusedSeries = new TimeSeries({ window, origin });
  }

  admitted(now: number): void {
    this.admittedSeries.record(now, 0);
  }

  refused(now: number): void {
    this.refusedSeries.record(now, 0);
  }

  /** Forgets both series; their windows start again at `now`. */
  reset(now: number): void {
    this.admittedSeries.reset(now);
    this.refusedSeries.reset(now);
  }

  /** "<name> admitted" and "<name> refused", per second, window by window up to `until`. */
  recorded(name: string, until: number): RecordedSeries[] {
    return [
      {
        name: `${name} admitted`,
        unit: "per second",
        points: this.admittedSeries.series("rate", { until }),
      },
      {
        name: `${name} refused`,
        unit: "per second",
        points: this.refusedSeries.series("rate", { until }),
      },
    ];
  }
}
