/**
 * Gamma with `shape` k and `scale` theta (mean k * theta): sums of exponential stages, so a
 * service with k steps. Sampled by Marsaglia and Tsang's squeeze method (shape >= 1) with the
 * u^(1/k) boost for shape < 1.
 */

import { log, pow } from "../portableMath.js";
import { checkParam, type Param, valueAt } from "../profile.js";
import type { RandomStream } from "../randomStream.js";
import { describe } from "./closedForm.js";
import { checkQuantile, type Distribution, inverseStandardNormal } from "./distribution.js";

const positive = (v: number) => v > 0 && Number.isFinite(v);

function sampleStandardGamma(stream: RandomStream, shape: number): number {
  if (shape < 1) {
    // Gamma(k) = Gamma(k + 1) * U^(1/k).
    const u = 1 - stream.next();
    return sampleStandardGamma(stream, shape + 1) * pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      let u = stream.next();
      while (u === 0) u = stream.next();
      x = inverseStandardNormal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - stream.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (log(u) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
  }
}

export function gamma(options: { shape: Param; scale: Param }): Distribution {
  const k = checkParam("dist.gamma", "shape", options?.shape, "a finite number > 0", positive);
  const theta = checkParam("dist.gamma", "scale", options.scale, "a finite number > 0", positive);
  return {
    kind: "distribution",
    description: `gamma(shape ${describe(k)}, scale ${describe(theta)})`,
    lowerBound: 0,
    sample: (stream, time = 0) =>
      valueAt(theta, time) * sampleStandardGamma(stream, valueAt(k, time)),
    mean: (time = 0) => valueAt(k, time) * valueAt(theta, time),
    // No closed form; use a fitted or empirical distribution when percentiles matter.
    percentile: (q) => {
      checkQuantile("dist.gamma", q);
      return undefined;
    },
  };
}
