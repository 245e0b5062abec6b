/**
 * `TimeSeries`: observations bucketed into fixed windows of simulated time, so a run can be
 * read as it unfolded (p99 per second through a spike, throughput per window) rather than as one
 * average that hides the spike. Each window keeps its count, sum, min and max exactly and its
 * percentiles in a `Histogram` (bounded memory, stated relative error).
 *
 * Window k covers [origin + k x window, origin + (k + 1) x window); an observation exactly on
 * a boundary belongs to the later window. Windows with no observations are reported with
 * count 0 (rate 0, other statistics NaN), so a silent period shows as a gap, not a jump.
 *
 * Memory is bounded however long the run: when an observation falls past `maxWindows`
 * windows, neighbouring windows are merged in pairs and the window width doubles (histograms
 * merge exactly), so a series always has at most `maxWindows` points, finer for short runs
 * and coarser for long ones.
 *
 * @example
 * const latency = new TimeSeries({ window: 1 });
 * latency.record(sim.now, responseSeconds);
 * latency.series("p99"); // [[0, 0.012], [1, 0.013], [2, 0.250], ...]
 */
import { ConfigError } from "../errors/errors.js";
import { Histogram } from "./histogram.js";

export interface TimeSeriesOptions {
  /** Width of a window, in seconds (> 0). Default 1. */
  window?: number;
  /** Start of window 0, in seconds. Default 0. */
  origin?: number;
  /** Relative accuracy of each window's percentiles. Default 0.01. */
  relativeAccuracy?: number;
  /**
   * Most windows kept (an even number >= 2); past it, windows merge in pairs and the width
   * doubles. Default 1,024.
   */
  maxWindows?: number;
}

/** How `series` reads the windows. */
export interface SeriesOptions {
  /** Leave out windows with no observations. Default false. */
  skipEmpty?: boolean;
  /** Report windows (empty ones too) up to this time in seconds. Default: the last observation. */
  until?: number;
}

/** What one window holds. */
export interface WindowStats {
  /** Start of the window, in seconds. */
  readonly start: number;
  readonly count: number;
  /** Observations per second of the window. */
  readonly rate: number;
  readonly sum: number;
  /** NaN for an empty window, as are min, max and percentiles. */
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  /** Percentile q (in [0, 1]) of the window's observations. */
  percentile(q: number): number;
}

/** A statistic that `series` can chart: one of the fields, or "pNN" / "pNN.N" for a percentile. */
export type WindowStatistic = "count" | "rate" | "sum" | "mean" | "min" | "max" | `p${number}`;

class Window implements WindowStats {
  count = 0;
  sum = 0;
  min = Number.NaN;
  max = Number.NaN;
  histogram: Histogram | null = null;

  constructor(
    readonly start: number,
    readonly width: number,
  ) {}

  /** This window and the next one, as one window of twice the width. */
  mergedWith(next: Window | undefined): Window {
    const both = new Window(this.start, this.width * 2);
    for (const w of next === undefined ? [this] : [this, next]) {
      if (w.count === 0) continue;
      if (both.count === 0) {
        both.min = w.min;
        both.max = w.max;
        both.histogram = w.histogram;
      } else {
        both.min = Math.min(both.min, w.min);
        both.max = Math.max(both.max, w.max);
        both.histogram!.merge(w.histogram!);
      }
      both.count += w.count;
      both.sum += w.sum;
    }
    return both;
  }

  get rate(): number {
    return this.count / this.width;
  }

  get mean(): number {
    return this.count > 0 ? this.sum / this.count : Number.NaN;
  }

  percentile(q: number): number {
    return this.histogram === null ? Number.NaN : this.histogram.percentile(q);
  }
}

export class TimeSeries {
  /** Width of a window now, in seconds: the configured width, doubled at each coarsening. */
  window: number;
  private start: number;
  readonly relativeAccuracy: number;
  readonly maxWindows: number;
  /** Start of window 0, in seconds: the configured origin, or the time of the last reset. */
  get origin(): number {
    return this.start;
  }
  /** Observations before `origin`, not stored. */
  dropped = 0;
  private windowList: Window[] = [];
  /** The histogram of the window started last: the next one is sized like it. */
  private lastHistogram: Histogram | null = null;
  /** The configured width, which a reset restores. */
  private readonly firstWindow: number;

  constructor(options: TimeSeriesOptions = {}) {
    const window = options.window ?? 1;
    if (typeof window !== "number" || !(window > 0) || !Number.isFinite(window)) {
      throw new ConfigError("TimeSeries", "window", "a duration in seconds > 0", window);
    }
    const origin = options.origin ?? 0;
    if (typeof origin !== "number" || !Number.isFinite(origin)) {
      throw new ConfigError("TimeSeries", "origin", "a time in seconds", origin);
    }
    const accuracy = options.relativeAccuracy ?? 0.01;
    if (!(accuracy > 0 && accuracy < 1)) {
      throw new ConfigError("TimeSeries", "relativeAccuracy", "a number in (0, 1)", accuracy);
    }
    const maxWindows = options.maxWindows ?? 1024;
    if (!Number.isSafeInteger(maxWindows) || maxWindows < 2 || maxWindows % 2 !== 0) {
      throw new ConfigError("TimeSeries", "maxWindows", "an even integer >= 2", maxWindows);
    }
    this.window = window;
    this.firstWindow = window;
    this.start = origin;
    this.relativeAccuracy = accuracy;
    this.maxWindows = maxWindows;
  }

  /** Records `value` (finite, >= 0) observed at `time` seconds. */
  record(time: number, value: number): void {
    if (!(value >= 0) || value === Number.POSITIVE_INFINITY) {
      throw new ConfigError("TimeSeries.record", "value", "a finite number >= 0", value);
    }
    let index = Math.floor((time - this.start) / this.window);
    if (!(index >= 0)) {
      if (Number.isNaN(index)) {
        throw new ConfigError("TimeSeries.record", "time", "a time in seconds", time);
      }
      this.dropped++;
      return;
    }
    while (index >= this.maxWindows) {
      if (index === Number.POSITIVE_INFINITY) {
        throw new ConfigError("TimeSeries.record", "time", "a finite time in seconds", time);
      }
      this.coarsen();
      index = Math.floor((time - this.start) / this.window);
    }
    const list = this.windowList;
    while (list.length <= index) {
      list.push(new Window(this.start + list.length * this.window, this.window));
    }
    const w = list[index]!;
    if (w.count === 0) {
      w.min = value;
      w.max = value;
      const histogram = new Histogram({ relativeAccuracy: this.relativeAccuracy });
      if (this.lastHistogram !== null) {
        histogram._expectBuckets(Math.max(64, this.lastHistogram._bucketCapacity));
      }
      this.lastHistogram = histogram;
      w.histogram = histogram;
    } else {
      if (value < w.min) w.min = value;
      if (value > w.max) w.max = value;
    }
    w.count++;
    w.sum += value;
    w.histogram!.record(value);
  }

  /**
   * Forgets every observation (a warm-up's end): the series starts empty, window 0 starts at
   * `origin` seconds (usually now, so no window straddles the reset) and the width is the
   * configured one again. Observations before `origin` are dropped from now on. Memory is what
   * a new series holds.
   */
  reset(origin: number): void {
    if (typeof origin !== "number" || !Number.isFinite(origin)) {
      throw new ConfigError("TimeSeries.reset", "origin", "a time in seconds", origin);
    }
    this.windowList = [];
    this.window = this.firstWindow;
    this.start = origin;
    this.dropped = 0;
  }

  /** Merges windows in pairs: half as many, each twice as wide. */
  private coarsen(): void {
    const list = this.windowList;
    const merged: Window[] = [];
    for (let i = 0; i < list.length; i += 2) merged.push(list[i]!.mergedWith(list[i + 1]));
    this.windowList = merged;
    this.window *= 2;
  }

  /** Every window from the first to the last observed one (empty ones included). */
  windows(): readonly WindowStats[] {
    return this.windowList;
  }

  /** Observations recorded (dropped ones excluded). */
  get count(): number {
    let total = 0;
    for (const w of this.windowList) total += w.count;
    return total;
  }

  /**
   * One statistic per window as chart points [window start, value]: `series("p99")`,
   * `series("rate")`. Empty windows give NaN except for count and rate (0), or are left out
   * with `skipEmpty`. Windows stop at the last observation unless `until` (seconds, usually the
   * end of the run) says how long the series was watched: the silent windows up to it are
   * then reported too, so a throughput that fell to zero and stayed there reads as zeros, not
   * as a line that just ends.
   */
  series(statistic: WindowStatistic, options: SeriesOptions = {}): [number, number][] {
    const pick = statisticReader(statistic);
    const skipEmpty = options.skipEmpty ?? false;
    const until = options.until ?? Number.NEGATIVE_INFINITY;
    if (typeof until !== "number" || Number.isNaN(until)) {
      throw new ConfigError("TimeSeries.series", "until", "a time in seconds", until);
    }
    const points: [number, number][] = [];
    for (const w of this.windowList) if (!skipEmpty || w.count > 0) points.push([w.start, pick(w)]);
    if (!skipEmpty) {
      const silent = new Window(0, this.window);
      for (let k = this.windowList.length; ; k++) {
        const start = this.start + k * this.window;
        if (!(start < until)) break;
        points.push([start, pick(silent)]);
      }
    }
    return points;
  }

  /** All windows merged into one histogram (the whole run's percentiles). */
  merged(): Histogram {
    const all = new Histogram({ relativeAccuracy: this.relativeAccuracy });
    for (const w of this.windowList) if (w.histogram !== null) all.merge(w.histogram);
    return all;
  }
}

function statisticReader(statistic: WindowStatistic): (w: WindowStats) => number {
  switch (statistic) {
    case "count":
    case "rate":
    case "sum":
    case "mean":
    case "min":
    case "max":
      return (w) => w[statistic];
  }
  const match = typeof statistic === "string" ? /^p(\d+(?:\.\d+)?)$/.exec(statistic) : null;
  if (match !== null && match[1] === "100") return (w) => w.max;
  // "p50" is 0.50 and "p99.9" is 0.999 (percent); "p999" and "p9999" are the usual shorthand
  // for 0.999 and 0.9999.
  const digits = match?.[1] ?? "";
  const q =
    match === null
      ? Number.NaN
      : digits.includes(".") || digits.length <= 2
        ? Number(digits) / 100
        : Number(`0.${digits}`);
  if (!(q > 0 && q < 1)) {
    throw new ConfigError(
      "TimeSeries.series",
      "statistic",
      'count, rate, sum, mean, min, max or a percentile like "p99" / "p99.9"',
      statistic,
    );
  }
  return (w) => w.percentile(q);
}
