/**
 * `LevelSeries`: a level that changes at events (a queue's depth, the age of its oldest
 * message) read per window of simulated time: its time average and its maximum in each window,
 * exact, with no event of its own. A `TimeSeries` buckets observations; a depth is not an
 * observation but a level that holds between changes, and sampling it (a `Probe`) would miss
 * every spike shorter than the sampling period. Here the owner says when the level changes and
 * the series integrates it between changes.
 *
 * Between two changes the level is either constant (a depth) or grows at one unit per second
 * (an age: `since` is the instant it counts from), so each window's area and maximum are exact.
 * Window k covers [k x window, (k + 1) x window) of simulated time. Memory stays bounded:
 * past `MAX_WINDOWS` windows, neighbours merge in pairs and the width doubles, as `TimeSeries`
 * does.
 *
 * Internal to the messaging family.
 */

const MAX_WINDOWS = 1024;

export class LevelSeries {
  private windowNs: number;
  /** Absolute index (time / window) of the first window kept. */
  private firstWindow: number;
  /** Start of what the series covers (creation or the last reset). */
  private startNs: number;
  private areas: number[] = [];
  private maxes: number[] = [];
  /** Time up to which the level is integrated. */
  private lastNs: number;
  /** Constant part of the level since `lastNs`. */
  private level = 0;
  /** For an age: the instant it counts from (ns), or -1 when there is nothing to age. */
  private sinceNs = -1;
  private totalArea = 0;
  private peak = 0;

  constructor(
    windowSeconds: number,
    nowNs: number,
    /** True for an age (grows one second per second from `since`), false for a plain level. */
    private readonly isAge: boolean,
  ) {
    this.windowNs = Math.max(1, Math.round(windowSeconds * 1e9));
    this.startNs = nowNs;
    this.lastNs = nowNs;
    this.firstWindow = Math.floor(nowNs / this.windowNs);
  }

  /** The level is `value` from `nowNs` on. */
  set(nowNs: number, value: number): void {
    if (nowNs > this.lastNs) this.advance(nowNs);
    this.level = value;
    this.noteAt(nowNs, value);
  }

  /** The age counts from `sinceNs` from `nowNs` on (-1: nothing to age, the level is 0). */
  setSince(nowNs: number, sinceNs: number): void {
    if (nowNs > this.lastNs) this.advance(nowNs);
    this.sinceNs = sinceNs;
    this.noteAt(nowNs, this.valueAt(nowNs));
  }

  /** Forgets every window: the series starts over at `nowNs`, keeping the level. */
  reset(nowNs: number): void {
    this.startNs = nowNs;
    this.lastNs = nowNs;
    this.firstWindow = Math.floor(nowNs / this.windowNs);
    this.areas = [];
    this.maxes = [];
    this.totalArea = 0;
    this.peak = this.valueAt(nowNs);
  }

  /** Time average over everything covered up to `nowNs`; the level itself before any time passed. */
  mean(nowNs: number): number {
    this.advance(nowNs);
    const covered = nowNs - this.startNs;
    return covered > 0 ? this.totalArea / covered : this.valueAt(nowNs);
  }

  /** Highest level reached since creation or the last reset. */
  max(nowNs: number): number {
    this.advance(nowNs);
    return Math.max(this.peak, this.valueAt(nowNs));
  }

  /**
   * [window start in seconds, value] for every window covered up to `nowNs`: the time average
   * ("mean") or the maximum ("max") of the level in it.
   */
  series(statistic: "mean" | "max", nowNs: number): [number, number][] {
    this.advance(nowNs);
    const points: [number, number][] = [];
    const width = this.windowNs;
    for (let i = 0; i < this.areas.length; i++) {
      const start = (this.firstWindow + i) * width;
      const covered = Math.min(start + width, nowNs) - Math.max(start, this.startNs);
      if (covered <= 0) continue;
      points.push([start / 1e9, statistic === "mean" ? this.areas[i]! / covered : this.maxes[i]!]);
    }
    return points;
  }

  private valueAt(nowNs: number): number {
    if (!this.isAge) return this.level;
    return this.sinceNs < 0 ? 0 : (nowNs - this.sinceNs) / 1e9;
  }

  /** Integrates the level from `lastNs` to `nowNs`, window by window. */
  private advance(nowNs: number): void {
    let t = this.lastNs;
    while (t < nowNs) {
      const absolute = Math.floor(t / this.windowNs);
      if (absolute - this.firstWindow >= MAX_WINDOWS) {
        this.merge();
        continue;
      }
      const end = Math.min((absolute + 1) * this.windowNs, nowNs);
      const index = this.window(absolute);
      const from = this.valueAt(t);
      const to = this.valueAt(end);
      const area = ((from + to) / 2) * (end - t);
      this.areas[index]! += area;
      this.totalArea += area;
      if (to > this.maxes[index]!) this.maxes[index] = to;
      if (from > this.maxes[index]!) this.maxes[index] = from;
      if (to > this.peak) this.peak = to;
      t = end;
    }
    this.lastNs = Math.max(this.lastNs, nowNs);
  }

  /** Records that the level is `value` at `nowNs` (a new level counts toward its window's max). */
  private noteAt(nowNs: number, value: number): void {
    let absolute = Math.floor(nowNs / this.windowNs);
    while (absolute - this.firstWindow >= MAX_WINDOWS) {
      this.merge();
      absolute = Math.floor(nowNs / this.windowNs);
    }
    const index = this.window(absolute);
    if (value > this.maxes[index]!) this.maxes[index] = value;
    if (value > this.peak) this.peak = value;
  }

  /** The array index of absolute window `absolute`, created (empty) if new. */
  private window(absolute: number): number {
    const index = absolute - this.firstWindow;
    while (this.areas.length <= index) {
      this.areas.push(0);
      this.maxes.push(Number.NEGATIVE_INFINITY);
    }
    return index;
  }

  /** Halves the resolution: neighbouring windows merge, the width doubles. */
  private merge(): void {
    const first = Math.floor(this.firstWindow / 2);
    const areas: number[] = [];
    const maxes: number[] = [];
    for (let i = 0; i < this.areas.length; i++) {
      const index = Math.floor((this.firstWindow + i) / 2) - first;
      if (areas.length <= index) {
        areas.push(0);
        maxes.push(Number.NEGATIVE_INFINITY);
      }
      areas[index]! += this.areas[i]!;
      maxes[index] = Math.max(maxes[index]!, this.maxes[i]!);
    }
    this.areas = areas;
    this.maxes = maxes;
    this.firstWindow = first;
    this.windowNs *= 2;
  }
}
