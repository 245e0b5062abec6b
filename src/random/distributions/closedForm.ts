/**
 * The closed-form continuous distributions: constant, uniform, exponential, normal, lognormal,
 * weibull, pareto. Each takes `Param`s (a number or a profile), validated at construction for
 * all times, and knows its mean and percentiles exactly.
 */
import { ConfigError } from "../../errors/errors.js";
import { exp, log, pow } from "../portableMath.js";
import { checkParam, type Param, valueAt } from "../profile.js";
import type { RandomStream } from "../randomStream.js";
import {
  checkQuantile,
  type Distribution,
  gammaFunction,
  inverseStandardNormal,
  lowestOf,
} from "./distribution.js";

const positive = (v: number) => v > 0 && Number.isFinite(v);
const nonNegative = (v: number) => v >= 0 && Number.isFinite(v);
const finite = (v: number) => Number.isFinite(v);
/** 1 - u with u in [0, 1): in (0, 1], so logarithms of it are finite. */
const openUniform = (stream: RandomStream) => 1 - stream.next();

/** Always `value` (default service times, fixed latencies). */
export function constant(value: Param): Distribution {
  const v = checkParam("dist.constant", "value", value, "a finite number", finite);
  return {
    kind: "distribution",
    description: `constant(${describe(v)})`,
    lowerBound: lowestOf(v),
    sample: (_stream, time = 0) => valueAt(v, time),
    mean: (time = 0) => valueAt(v, time),
    percentile: (q, time = 0) => {
      checkQuantile("dist.constant", q);
      return valueAt(v, time);
    },
  };
}

/** Uniform on [min, max). */
export function uniform(min: Param, max: Param): Distribution {
  const low = checkParam("dist.uniform", "min", min, "a finite number", finite);
  const high = checkParam("dist.uniform", "max", max, "a finite number", finite);
  if (typeof low === "number" && typeof high === "number" && !(high >= low)) {
    throw new ConfigError("dist.uniform", "max", `a number >= min (${low})`, high);
  }
  const at = (time: number) => {
    const a = valueAt(low, time);
    const b = valueAt(high, time);
    if (b < a) throw new RangeError(`dist.uniform: max (${b}) < min (${a}) at t=${time}s`);
    return [a, b] as const;
  };
  return {
    kind: "distribution",
    description: `uniform(${describe(low)}, ${describe(high)})`,
    lowerBound: lowestOf(low),
    sample: (stream, time = 0) => {
      const [a, b] = at(time);
      return a + (b - a) * stream.next();
    },
    mean: (time = 0) => {
      const [a, b] = at(time);
      return (a + b) / 2;
    },
    percentile: (q, time = 0) => {
      checkQuantile("dist.uniform", q);
      const [a, b] = at(time);
      return a + (b - a) * q;
    },
  };
}

/** Exponential with the given mean (seconds for a duration; the gap of a Poisson process is 1 / rate). */
export function exponential(mean: Param): Distribution {
  const m = checkParam("dist.exponential", "mean", mean, "a finite number > 0", positive);
  return {
    kind: "distribution",
    description: `exponential(mean ${describe(m)})`,
    lowerBound: 0,
    sample: (stream, time = 0) => -log(openUniform(stream)) * valueAt(m, time),
    mean: (time = 0) => valueAt(m, time),
    percentile: (q, time = 0) => {
      checkQuantile("dist.exponential", q);
      return -log(1 - q) * valueAt(m, time);
    },
  };
}

/**
 * Normal with mean and standard deviation. Latencies are not negative: pass `min` (for example
 * 0) to truncate by rejection, explicitly; nothing is clamped silently.
 */
export function normal(options: { mean: Param; sd: Param; min?: number }): Distribution {
  const mu = checkParam("dist.normal", "mean", options?.mean, "a finite number", finite);
  const sigma = checkParam("dist.normal", "sd", options.sd, "a finite number >= 0", nonNegative);
  const min = options.min;
  if (min !== undefined && !Number.isFinite(min))
    throw new ConfigError("dist.normal", "min", "a finite number", min);
  return {
    kind: "distribution",
    description: `normal(mean ${describe(mu)}, sd ${describe(sigma)}${min === undefined ? "" : `, min ${min}`})`,
    lowerBound: min ?? Number.NEGATIVE_INFINITY,
    sample: (stream, time = 0) => {
      const m = valueAt(mu, time);
      const s = valueAt(sigma, time);
      // Bounded rejection: a minimum far in the upper tail is a modelling error, not a loop.
      for (let attempt = 0; attempt < 1000; attempt++) {
        const x = m + s * inverseStandardNormal(uniformOpen(stream));
        if (min === undefined || x >= min) return x;
      }
      throw new RangeError(
        `dist.normal: min ${min} rejects almost every draw of mean ${m}, sd ${s}`,
      );
    },
    mean: (time = 0) => (min === undefined ? valueAt(mu, time) : undefined),
    percentile: (q, time = 0) => {
      checkQuantile("dist.normal", q);
      return min === undefined
        ? valueAt(mu, time) + valueAt(sigma, time) * inverseStandardNormal(q)
        : undefined;
    },
  };
}

/** Lognormal by its median (= e^mu, in the value's unit) and `sigma` (the spread of the logarithm). */
export interface LognormalByMedian {
  median: Param;
  sigma: Param;
}

/** Lognormal by its mean and coefficient of variation (sd / mean), as capacity planning states it. */
export interface LognormalByMean {
  mean: Param;
  cv: Param;
}

/**
 * Lognormal through two of its percentiles (exactly two of p50, p90, p99, p999), as a latency
 * dashboard shows them: `{ p50: 0.02, p99: 0.2 }`.
 */
export interface LognormalByPercentiles {
  p50?: number;
  p90?: number;
  p99?: number;
  p999?: number;
}

export type LognormalOptions = LognormalByMedian | LognormalByMean | LognormalByPercentiles;

const LOGNORMAL_PERCENTILES = [
  ["p50", 0.5],
  ["p90", 0.9],
  ["p99", 0.99],
  ["p999", 0.999],
] as const;

/**
 * Lognormal: exp(N(mu, sigma)), a heavy right tail, common for service times. Say what you
 * know: `{ median, sigma }` (the shape), `{ mean, cv }` (sigma^2 = ln(1 + cv^2), median =
 * mean / sqrt(1 + cv^2)), or two percentiles such as `{ p50, p99 }` (the distribution passes
 * through both exactly). Options of two forms at once are refused.
 */
export function lognormal(options: LognormalByMedian): Distribution;
export function lognormal(options: LognormalByMean): Distribution;
export function lognormal(options: LognormalByPercentiles): Distribution;
export function lognormal(options: LognormalOptions): Distribution {
  const api = "dist.lognormal";
  const given = (options ?? {}) as Record<string, unknown>;
  const byMedian = given.median !== undefined || given.sigma !== undefined;
  const byMean = given.mean !== undefined || given.cv !== undefined;
  const byPercentiles = LOGNORMAL_PERCENTILES.some(([name]) => given[name] !== undefined);
  if (Number(byMedian) + Number(byMean) + Number(byPercentiles) !== 1) {
    throw new ConfigError(
      api,
      "options",
      "one of { median, sigma }, { mean, cv } or two percentiles ({ p50, p99 }, ...)",
      Object.keys(given).join(", ") || "none",
    );
  }
  if (byMean) {
    const mean = checkParam(api, "mean", given.mean, "a finite number > 0", positive);
    const cv = checkParam(api, "cv", given.cv, "a finite number >= 0", nonNegative);
    if (typeof mean === "number" && typeof cv === "number") {
      const spread = 1 + cv * cv;
      return lognormalOf(mean / Math.sqrt(spread), Math.sqrt(log(spread)), () => mean, {
        lowerBound: 0,
        description: `lognormal(mean ${mean}, cv ${cv})`,
      });
    }
    return lognormalOf(
      (time) => {
        const c = valueAt(cv, time);
        return valueAt(mean, time) / Math.sqrt(1 + c * c);
      },
      (time) => {
        const c = valueAt(cv, time);
        return Math.sqrt(log(1 + c * c));
      },
      (time) => valueAt(mean, time),
      { lowerBound: 0, description: `lognormal(mean ${describe(mean)}, cv ${describe(cv)})` },
    );
  }
  if (byPercentiles) {
    const known: [string, number, number][] = [];
    for (const [name, q] of LOGNORMAL_PERCENTILES) {
      const value = given[name];
      if (value === undefined) continue;
      if (typeof value !== "number" || !positive(value)) {
        throw new ConfigError(api, name, "a finite number > 0", value);
      }
      known.push([name, q, value]);
    }
    if (known.length !== 2) {
      throw new ConfigError(
        api,
        "options",
        "exactly two percentiles of p50, p90, p99, p999",
        known.map(([name]) => name).join(", "),
      );
    }
    const [[lowName, lowQ, low], [highName, highQ, high]] = known as [
      [string, number, number],
      [string, number, number],
    ];
    if (!(high > low)) {
      throw new ConfigError(api, highName, `a value above ${lowName} (${low})`, high);
    }
    const zLow = inverseStandardNormal(lowQ);
    const sigma = log(high / low) / (inverseStandardNormal(highQ) - zLow);
    const median = low * exp(-sigma * zLow);
    return lognormalOf(median, sigma, null, {
      lowerBound: 0,
      description: `lognormal(${lowName} ${low}, ${highName} ${high})`,
    });
  }
  const median = checkParam(api, "median", given.median, "a finite number > 0", positive);
  const sigma = checkParam(api, "sigma", given.sigma, "a finite number >= 0", nonNegative);
  return lognormalOf(
    typeof median === "number" ? median : (time) => valueAt(median, time),
    typeof sigma === "number" ? sigma : (time) => valueAt(sigma, time),
    null,
    {
      lowerBound: 0,
      description: `lognormal(median ${describe(median)}, sigma ${describe(sigma)})`,
    },
  );
}

type AtTime = number | ((time: number) => number);
const read = (value: AtTime, time: number): number =>
  typeof value === "number" ? value : value(time);

/** The lognormal of `median` and `sigma` (each fixed or read at the time); `mean` if known exactly. */
function lognormalOf(
  median: AtTime,
  sigma: AtTime,
  mean: ((time: number) => number) | null,
  fields: { lowerBound: number; description: string },
): Distribution {
  return {
    kind: "distribution",
    description: fields.description,
    lowerBound: fields.lowerBound,
    sample: (stream, time = 0) =>
      read(median, time) * exp(read(sigma, time) * inverseStandardNormal(uniformOpen(stream))),
    mean: (time = 0) => {
      if (mean !== null) return mean(time);
      const s = read(sigma, time);
      return read(median, time) * exp((s * s) / 2);
    },
    percentile: (q, time = 0) => {
      checkQuantile("dist.lognormal", q);
      return read(median, time) * exp(read(sigma, time) * inverseStandardNormal(q));
    },
  };
}

/** Weibull with `shape` k and `scale` lambda: k < 1 heavy-tailed, k = 1 exponential. */
export function weibull(options: { shape: Param; scale: Param }): Distribution {
  const k = checkParam("dist.weibull", "shape", options?.shape, "a finite number > 0", positive);
  const lambda = checkParam(
    "dist.weibull",
    "scale",
    options.scale,
    "a finite number > 0",
    positive,
  );
  return {
    kind: "distribution",
    description: `weibull(shape ${describe(k)}, scale ${describe(lambda)})`,
    lowerBound: 0,
    sample: (stream, time = 0) =>
      valueAt(lambda, time) * pow(-log(openUniform(stream)), 1 / valueAt(k, time)),
    mean: (time = 0) => valueAt(lambda, time) * gammaFunction(1 + 1 / valueAt(k, time)),
    percentile: (q, time = 0) => {
      checkQuantile("dist.weibull", q);
      return valueAt(lambda, time) * pow(-log(1 - q), 1 / valueAt(k, time));
    },
  };
}

/**
 * Pareto (type I) with `scale` x_m (the minimum) and `shape` alpha: P(X > x) = (x_m / x)^alpha.
 * The mean is infinite for alpha <= 1.
 */
export function pareto(options: { scale: Param; shape: Param }): Distribution {
  const xm = checkParam("dist.pareto", "scale", options?.scale, "a finite number > 0", positive);
  const alpha = checkParam("dist.pareto", "shape", options.shape, "a finite number > 0", positive);
  return {
    kind: "distribution",
    description: `pareto(scale ${describe(xm)}, shape ${describe(alpha)})`,
    lowerBound: lowestOf(xm),
    sample: (stream, time = 0) =>
      valueAt(xm, time) * pow(openUniform(stream), -1 / valueAt(alpha, time)),
    mean: (time = 0) => {
      const a = valueAt(alpha, time);
      return a <= 1 ? Number.POSITIVE_INFINITY : (a * valueAt(xm, time)) / (a - 1);
    },
    percentile: (q, time = 0) => {
      checkQuantile("dist.pareto", q);
      return valueAt(xm, time) * pow(1 - q, -1 / valueAt(alpha, time));
    },
  };
}

/** A uniform on the open interval (0, 1), for inverse-CDF sampling of unbounded laws. */
function uniformOpen(stream: RandomStream): number {
  for (;;) {
    const u = stream.next();
    if (u > 0) return u;
  }
}

export function describe(param: Param): string {
  return typeof param === "number" ? String(param) : param.description;
}
