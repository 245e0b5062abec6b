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

/**
 * Lognormal: exp(N(mu, sigma)). Give `median` (= exp(mu), in the value's unit) and `sigma`
 * (the shape: spread of the logarithm). Heavy right tail, common for service times.
 */
export function lognormal(options: { median: Param; sigma: Param }): Distribution {
  const median = checkParam(
    "dist.lognormal",
    "median",
    options?.median,
    "a finite number > 0",
    positive,
  );
  const sigma = checkParam(
    "dist.lognormal",
    "sigma",
    options.sigma,
    "a finite number >= 0",
    nonNegative,
  );
  return {
    kind: "distribution",
    description: `lognormal(median ${describe(median)}, sigma ${describe(sigma)})`,
    sample: (stream, time = 0) =>
      valueAt(median, time) *
      exp(valueAt(sigma, time) * inverseStandardNormal(uniformOpen(stream))),
    mean: (time = 0) => {
      const s = valueAt(sigma, time);
      return valueAt(median, time) * exp((s * s) / 2);
    },
    percentile: (q, time = 0) => {
      checkQuantile("dist.lognormal", q);
      return valueAt(median, time) * exp(valueAt(sigma, time) * inverseStandardNormal(q));
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
