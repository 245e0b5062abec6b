/**
 * Profiles: numbers that change with simulated time. Every numeric knob of every component is a
 * `Param = number | Profile`, so a service time, a link latency or an arrival rate can ramp,
 * step, spike or oscillate without the component knowing: it reads `valueAt(param, now)` when
 * it uses the value.
 *
 * Profiles are exact where it matters: each knows its value, its integral over any interval
 * (so a non-homogeneous Poisson source can place arrivals exactly), and bounds on its value (so
 * a component can validate a profile at construction: "rate must be >= 0 at all times").
 *
 * @example
 * import { profile } from "distsim";
 * const rate = profile.spike({ base: 8, peak: 16, start: 60, duration: 10 });
 * rate.at(65); // 16
 */
import { ConfigError } from "../errors/errors.js";
import { cos, sin } from "./portableMath.js";

/** A number that varies with simulated time (seconds). */
export interface Profile {
  readonly kind: "profile";
  /** The value at simulated time `time` (seconds). */
  at(time: number): number;
  /** The exact integral of the value over [from, to] (value x seconds). */
  integral(from: number, to: number): number;
  /** An upper bound of the value over [from, to] (exact for piecewise profiles). */
  maxOver(from: number, to: number): number;
  /**
   * The time t >= from at which the integral from `from` reaches `area` (> 0), or Infinity if
   * it never does. Requires a profile that is never negative. Exact (closed form) for
   * piecewise profiles; solved to below a nanosecond for `sine`. Arrival processes use it to
   * place the next arrival of a time-varying rate.
   */
  advance(from: number, area: number): number;
  /** The smallest value the profile ever takes. */
  readonly min: number;
  /** The largest value the profile ever takes. */
  readonly max: number;
  /** A short description for errors and reports ("ramp 1 -> 5 over [0s, 10s]"). */
  readonly description: string;
  /**
   * False for a profile whose integral is only computed numerically (`fromFunction`): a
   * Poisson source then places arrivals by thinning against `max`, which is exact in
   * distribution. Absent or true: `integral` and `advance` are closed form (or solved to below
   * a nanosecond).
   */
  readonly closedForm?: boolean;
}

/** A component parameter: a plain number, or a profile of simulated time. */
export type Param = number | Profile;

/** The value of a parameter at simulated time `time` (seconds). */
export function valueAt(param: Param, time: number): number {
  return typeof param === "number" ? param : param.at(time);
}

export function isProfile(value: unknown): value is Profile {
  return (
    typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "profile"
  );
}

/**
 * Checks a `Param` at construction: a number must satisfy `accepts`, a profile must satisfy it
 * at its minimum and maximum (so at all times). Throws `ConfigError` otherwise.
 */
export function checkParam(
  component: string,
  parameter: string,
  param: unknown,
  expected: string,
  accepts: (value: number) => boolean,
): Param {
  if (typeof param === "number") {
    if (!accepts(param)) throw new ConfigError(component, parameter, expected, param);
    return param;
  }
  if (isProfile(param)) {
    if (!accepts(param.min) || !accepts(param.max)) {
      throw new ConfigError(
        component,
        parameter,
        `${expected} at all times`,
        `${param.description} (ranges over [${param.min}, ${param.max}])`,
      );
    }
    return param;
  }
  throw new ConfigError(component, parameter, `${expected} (a number or a Profile)`, param);
}

/**
 * A piecewise-linear function with jumps allowed at knots: the representation behind every
 * profile except `sine`. On [times[i], times[i+1]) the value goes linearly from `starts[i]` to
 * `ends[i]`; before the first knot it is `before`, after the last it is `starts[last]`.
 */
class PiecewiseProfile implements Profile {
  readonly kind = "profile";
  readonly min: number;
  readonly max: number;

  constructor(
    private readonly times: readonly number[],
    private readonly starts: readonly number[],
    private readonly ends: readonly number[],
    private readonly before: number,
    readonly description: string,
  ) {
    const values = [before, ...starts, ...ends];
    this.min = Math.min(...values);
    this.max = Math.max(...values);
  }

  /** Index of the segment containing `time`: -1 before the first knot. */
  private segment(time: number): number {
    const times = this.times;
    if (time < times[0]!) return -1;
    // Binary search for the last knot <= time.
    let low = 0;
    let high = times.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (times[middle]! <= time) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  at(time: number): number {
    const i = this.segment(time);
    if (i < 0) return this.before;
    const start = this.starts[i]!;
    const next = this.times[i + 1];
    if (next === undefined) return start;
    const t0 = this.times[i]!;
    return start + ((this.ends[i]! - start) * (time - t0)) / (next - t0);
  }

  integral(from: number, to: number): number {
    if (to < from) return -this.integral(to, from);
    let total = 0;
    let cursor = from;
    while (cursor < to) {
      const i = this.segment(cursor);
      const segmentEnd = i < 0 ? this.times[0]! : (this.times[i + 1] ?? Number.POSITIVE_INFINITY);
      const end = Math.min(to, segmentEnd);
      // Trapezoid: exact for a linear piece.
      total += ((this.at(cursor) + this.valueBefore(end, i)) / 2) * (end - cursor);
      cursor = end;
    }
    return total;
  }

  /** The value approaching `time` from inside segment `i` (matters at a jump). */
  private valueBefore(time: number, i: number): number {
    if (i < 0) return this.before;
    const next = this.times[i + 1];
    if (next === undefined) return this.starts[i]!;
    const t0 = this.times[i]!;
    const start = this.starts[i]!;
    return start + ((this.ends[i]! - start) * (time - t0)) / (next - t0);
  }

  advance(from: number, area: number): number {
    let remaining = area;
    let cursor = from;
    for (;;) {
      const i = this.segment(cursor);
      const segmentEnd = i < 0 ? this.times[0]! : (this.times[i + 1] ?? Number.POSITIVE_INFINITY);
      const start = this.at(cursor);
      if (segmentEnd === Number.POSITIVE_INFINITY) {
        return start > 0 ? cursor + remaining / start : Number.POSITIVE_INFINITY;
      }
      const end = this.valueBefore(segmentEnd, i);
      const width = segmentEnd - cursor;
      const piece = ((start + end) / 2) * width;
      if (piece >= remaining) {
        // Solve start*d + slope*d^2/2 = remaining for d in [0, width], in the form that does
        // not cancel when slope is small.
        const slope = (end - start) / width;
        const root = Math.sqrt(Math.max(0, start * start + 2 * slope * remaining));
        const d = start + root > 0 ? (2 * remaining) / (start + root) : width;
        return Math.min(segmentEnd, cursor + d);
      }
      remaining -= piece;
      cursor = segmentEnd;
    }
  }

  maxOver(from: number, to: number): number {
    let best = Math.max(this.at(from), this.at(to));
    let cursor = from;
    while (cursor < to) {
      const i = this.segment(cursor);
      const segmentEnd = i < 0 ? this.times[0]! : (this.times[i + 1] ?? Number.POSITIVE_INFINITY);
      const end = Math.min(to, segmentEnd);
      // A linear piece peaks at one of its ends; a jump up shows at the next piece's start.
      best = Math.max(best, this.at(cursor), this.valueBefore(end, i));
      cursor = end;
    }
    return best;
  }
}

function finite(component: string, parameter: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ConfigError(component, parameter, "a finite number", value);
  }
  return value;
}

function time(component: string, parameter: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(component, parameter, "a time in seconds >= 0", value);
  }
  return value;
}

/** The same value at all times. */
export function constant(value: number): Profile {
  const v = finite("profile.constant", "value", value);
  return new PiecewiseProfile([0], [v], [v], v, `constant ${v}`);
}

/**
 * Piecewise constant: `initial` until the first change, then each change's value from its time
 * on. Times must be strictly increasing.
 *
 * @example profile.step(100, [{ at: 30, value: 300 }, { at: 60, value: 100 }])
 */
export function step(initial: number, changes: readonly { at: number; value: number }[]): Profile {
  const start = finite("profile.step", "initial", initial);
  if (!Array.isArray(changes) || changes.length === 0) {
    throw new ConfigError("profile.step", "changes", "a non-empty array of { at, value }", changes);
  }
  const times: number[] = [];
  const values: number[] = [];
  changes.forEach((change, i) => {
    const at = time("profile.step", `changes[${i}].at`, change?.at);
    if (i > 0 && at <= times[i - 1]!) {
      throw new ConfigError("profile.step", `changes[${i}].at`, `a time after ${times[i - 1]}`, at);
    }
    times.push(at);
    values.push(finite("profile.step", `changes[${i}].value`, change.value));
  });
  return new PiecewiseProfile(
    times,
    values,
    values,
    start,
    `step from ${start} (${changes.length} changes)`,
  );
}

/** Linear from `from` at `start` to `to` at `end`; constant outside. Seconds for times. */
export function ramp(options: { from: number; to: number; start: number; end: number }): Profile {
  const from = finite("profile.ramp", "from", options?.from);
  const to = finite("profile.ramp", "to", options.to);
  const start = time("profile.ramp", "start", options.start);
  const end = time("profile.ramp", "end", options.end);
  if (!(end > start))
    throw new ConfigError("profile.ramp", "end", `a time after start (${start})`, end);
  return new PiecewiseProfile(
    [start, end],
    [from, to],
    [to, to],
    from,
    `ramp ${from} -> ${to} over [${start}s, ${end}s]`,
  );
}

/** `base`, except `peak` during [start, start + duration). */
export function spike(options: {
  base: number;
  peak: number;
  start: number;
  duration: number;
}): Profile {
  const base = finite("profile.spike", "base", options?.base);
  const peak = finite("profile.spike", "peak", options.peak);
  const start = time("profile.spike", "start", options.start);
  const duration = options.duration;
  if (typeof duration !== "number" || !(duration > 0) || !Number.isFinite(duration)) {
    throw new ConfigError("profile.spike", "duration", "a duration in seconds > 0", duration);
  }
  return new PiecewiseProfile(
    [start, start + duration],
    [peak, base],
    [peak, base],
    base,
    `spike ${base} -> ${peak} for ${duration}s at ${start}s`,
  );
}

/**
 * Linear interpolation through points `[time, value]` (times strictly increasing); constant
 * before the first and after the last point.
 */
export function piecewise(points: readonly (readonly [number, number])[]): Profile {
  return fromTable(points, { interpolation: "linear" });
}

/**
 * A profile from a table of `[time, value]` rows (times strictly increasing), interpolated
 * linearly (default) or held constant from each row to the next (`"step"`). Use it for a
 * recorded traffic curve.
 */
export function fromTable(
  rows: readonly (readonly [number, number])[],
  options: { interpolation?: "linear" | "step" } = {},
): Profile {
  const api = "profile.fromTable";
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new ConfigError(api, "rows", "a non-empty array of [time, value]", rows);
  }
  const interpolation = options.interpolation ?? "linear";
  if (interpolation !== "linear" && interpolation !== "step") {
    throw new ConfigError(api, "interpolation", '"linear" or "step"', interpolation);
  }
  const times: number[] = [];
  const values: number[] = [];
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== 2) {
      throw new ConfigError(api, `rows[${i}]`, "a [time, value] pair", row);
    }
    const at = time(api, `rows[${i}][0]`, row[0]);
    if (i > 0 && at <= times[i - 1]!) {
      throw new ConfigError(api, `rows[${i}][0]`, `a time after ${times[i - 1]}`, at);
    }
    times.push(at);
    values.push(finite(api, `rows[${i}][1]`, row[1]));
  });
  const ends =
    interpolation === "linear" ? [...values.slice(1), values[values.length - 1]!] : values;
  return new PiecewiseProfile(
    times,
    values,
    ends,
    values[0]!,
    `${interpolation} table of ${rows.length} points`,
  );
}

class SineProfile implements Profile {
  readonly kind = "profile";
  readonly min: number;
  readonly max: number;
  readonly description: string;
  private readonly omega: number;

  constructor(
    private readonly mean: number,
    private readonly amplitude: number,
    private readonly period: number,
    private readonly phase: number,
  ) {
    this.min = mean - Math.abs(amplitude);
    this.max = mean + Math.abs(amplitude);
    this.omega = (2 * Math.PI) / period;
    this.description = `sine ${mean} +/- ${amplitude}, period ${period}s`;
  }

  at(time: number): number {
    return this.mean + this.amplitude * sin(this.omega * (time - this.phase));
  }

  integral(from: number, to: number): number {
    const { omega, phase, amplitude } = this;
    return (
      this.mean * (to - from) -
      (amplitude / omega) * (cos(omega * (to - phase)) - cos(omega * (from - phase)))
    );
  }

  advance(from: number, area: number): number {
    if (this.max <= 0) return Number.POSITIVE_INFINITY;
    // The integral is non-decreasing (the profile is never negative): bracket, then bisect.
    let low = from;
    let high = from + area / this.max;
    while (this.integral(from, high) < area) {
      low = high;
      high = from + (high - from) * 2;
      if (high - from > 1e15) return Number.POSITIVE_INFINITY;
    }
    while (high - low > 1e-10 * Math.max(1, high)) {
      const middle = (low + high) / 2;
      if (this.integral(from, middle) < area) low = middle;
      else high = middle;
    }
    return high;
  }

  maxOver(from: number, to: number): number {
    // Exact enough for thinning: the global bound unless the interval is short.
    if (to - from >= this.period) return this.max;
    return Math.min(
      this.max,
      Math.max(this.at(from), this.at(to)) + Math.abs(this.amplitude) * this.omega * (to - from),
    );
  }
}

/**
 * `mean + amplitude * sin(2 pi (t - phase) / period)`: a daily cycle, a diurnal load.
 * Times in seconds.
 */
export function sine(options: {
  mean: number;
  amplitude: number;
  period: number;
  phase?: number;
}): Profile {
  const mean = finite("profile.sine", "mean", options?.mean);
  const amplitude = finite("profile.sine", "amplitude", options.amplitude);
  const period = options.period;
  if (typeof period !== "number" || !(period > 0) || !Number.isFinite(period)) {
    throw new ConfigError("profile.sine", "period", "a duration in seconds > 0", period);
  }
  const phase = finite("profile.sine", "phase", options.phase ?? 0);
  return new SineProfile(mean, amplitude, period, phase);
}

/**
 * Any function of time, with the bounds it promises: `profile.fromFunction((t) => 50 +
 * 40 * Math.exp(-t / 30), { min: 10, max: 90 })`. Use it when no closed-form profile fits.
 * `min`/`max` are how components validate it at construction and how a Poisson source thins
 * it (exactly in distribution; a looser `max` only costs more rejected candidates). A value
 * outside the promised bounds at run time throws, naming the time. Its integral is numerical
 * (adaptive Simpson), so a constant-rate source on it is accurate to about 1e-9 relative.
 */
export function fromFunction(
  fn: (time: number) => number,
  bounds: { min: number; max: number; description?: string },
): Profile {
  if (typeof fn !== "function") {
    throw new ConfigError("profile.fromFunction", "fn", "a function (time) => number", fn);
  }
  const min = finite("profile.fromFunction", "min", bounds?.min);
  const max = finite("profile.fromFunction", "max", bounds.max);
  if (max < min) {
    throw new ConfigError("profile.fromFunction", "max", `a number >= min (${min})`, max);
  }
  const description = bounds.description ?? `function in [${min}, ${max}]`;
  if (typeof description !== "string") {
    throw new ConfigError("profile.fromFunction", "description", "a string", description);
  }
  return new FunctionProfile(fn, min, max, description);
}

class FunctionProfile implements Profile {
  readonly kind = "profile";
  readonly closedForm = false;

  constructor(
    private readonly fn: (time: number) => number,
    readonly min: number,
    readonly max: number,
    readonly description: string,
  ) {}

  at(time: number): number {
    const value = this.fn(time);
    if (!(value >= this.min && value <= this.max)) {
      throw new ConfigError(
        "profile.fromFunction",
        "fn",
        `a function staying within its bounds [${this.min}, ${this.max}] (at t=${time}s)`,
        value,
      );
    }
    return value;
  }

  integral(from: number, to: number): number {
    if (to <= from) return 0;
    const a = this.at(from);
    const b = this.at(to);
    const m = this.at((from + to) / 2);
    const whole = ((to - from) / 6) * (a + 4 * m + b);
    const tolerance = 1e-10 * Math.max(1, Math.abs(this.max) * (to - from));
    return this.simpson(from, to, a, m, b, whole, tolerance, 40);
  }

  /** Adaptive Simpson: split until the two halves agree with the whole to the tolerance. */
  private simpson(
    from: number,
    to: number,
    a: number,
    m: number,
    b: number,
    whole: number,
    tolerance: number,
    depth: number,
  ): number {
    const middle = (from + to) / 2;
    const leftMiddle = this.at((from + middle) / 2);
    const rightMiddle = this.at((middle + to) / 2);
    const left = ((middle - from) / 6) * (a + 4 * leftMiddle + m);
    const right = ((to - middle) / 6) * (m + 4 * rightMiddle + b);
    const difference = left + right - whole;
    if (depth <= 0 || Math.abs(difference) <= 15 * tolerance) return left + right + difference / 15;
    return (
      this.simpson(from, middle, a, leftMiddle, m, left, tolerance / 2, depth - 1) +
      this.simpson(middle, to, m, rightMiddle, b, right, tolerance / 2, depth - 1)
    );
  }

  advance(from: number, area: number): number {
    if (this.max <= 0) return Number.POSITIVE_INFINITY;
    // The integral is non-decreasing (the profile is never negative): bracket, then bisect.
    let low = from;
    let high = from + area / this.max;
    let below = 0; // integral over [from, low]
    for (;;) {
      const more = this.integral(low, high);
      if (below + more >= area) break;
      below += more;
      low = high;
      high = from + (high - from) * 2;
      if (high - from > 1e15) return Number.POSITIVE_INFINITY;
    }
    while (high - low > 1e-10 * Math.max(1, high)) {
      const middle = (low + high) / 2;
      const part = this.integral(low, middle);
      if (below + part < area) {
        below += part;
        low = middle;
      } else {
        high = middle;
      }
    }
    return high;
  }

  maxOver(_from: number, _to: number): number {
    return this.max;
  }
}
