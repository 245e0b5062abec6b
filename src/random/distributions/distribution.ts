/**
 * `Distribution`: a description of a random quantity (a service time, a latency, a key rank),
 * separate from the stream that draws it. A component takes a distribution as an option and
 * samples it from one of its own named streams, so the same description can be shared by many
 * entities without sharing their randomness.
 *
 * Parameters are `Param`s: a distribution whose mean follows a profile samples with the value
 * at the time passed to `sample`.
 */

import { exp, log, pow, sin } from "../portableMath.js";
import type { Param } from "../profile.js";
import type { RandomStream } from "../randomStream.js";

export interface Distribution {
  readonly kind: "distribution";
  /** Short description for errors and reports ("exponential(mean 0.1)"). */
  readonly description: string;
  /** One draw from `stream`, with time-varying parameters read at `time` (seconds, default 0). */
  sample(stream: RandomStream, time?: number): number;
  /** The mean at `time`, or undefined where it does not exist or has no closed form. */
  mean(time?: number): number | undefined;
  /** The q-quantile (q in [0, 1]) at `time`, or undefined where it has no closed form. */
  percentile(q: number, time?: number): number | undefined;
  /**
   * The smallest value it can ever produce, at any time (the lower end of its support):
   * constant's value, uniform's min, 0 for exponential and lognormal, -Infinity for an
   * untruncated normal. Undefined where unknown (a hand-written distribution). A component
   * taking a duration refuses, at construction, a distribution whose bound is below 0.
   */
  readonly lowerBound?: number;
}

/** The lowest value a `Param` takes at any time. */
export function lowestOf(param: Param): number {
  return typeof param === "number" ? param : param.min;
}

export function isDistribution(value: unknown): value is Distribution {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "distribution"
  );
}

/** Checks a quantile argument; shared by every `percentile`. */
export function checkQuantile(api: string, q: number): void {
  if (!(q >= 0 && q <= 1))
    throw new RangeError(`${api}.percentile: q must be in [0, 1]; given ${q}`);
}

// --- Special functions (used by several distributions). ---

/** Coefficients of Acklam's approximation, built once (not on every draw). */
const ACKLAM_A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const ACKLAM_B = [
  -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
];
const ACKLAM_C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const ACKLAM_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

/**
 * Inverse of the standard normal CDF (P. J. Acklam's rational approximation, relative error
 * below 1.15e-9 over (0, 1)). Used both to sample (one uniform per draw, monotone) and for
 * closed-form percentiles.
 */
export function inverseStandardNormal(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * log(p));
    return (
      (((((ACKLAM_C[0]! * q + ACKLAM_C[1]!) * q + ACKLAM_C[2]!) * q + ACKLAM_C[3]!) * q +
        ACKLAM_C[4]!) *
        q +
        ACKLAM_C[5]!) /
      ((((ACKLAM_D[0]! * q + ACKLAM_D[1]!) * q + ACKLAM_D[2]!) * q + ACKLAM_D[3]!) * q + 1)
    );
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * log(1 - p));
    return (
      -(
        ((((ACKLAM_C[0]! * q + ACKLAM_C[1]!) * q + ACKLAM_C[2]!) * q + ACKLAM_C[3]!) * q +
          ACKLAM_C[4]!) *
          q +
        ACKLAM_C[5]!
      ) /
      ((((ACKLAM_D[0]! * q + ACKLAM_D[1]!) * q + ACKLAM_D[2]!) * q + ACKLAM_D[3]!) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((ACKLAM_A[0]! * r + ACKLAM_A[1]!) * r + ACKLAM_A[2]!) * r + ACKLAM_A[3]!) * r +
      ACKLAM_A[4]!) *
      r +
      ACKLAM_A[5]!) *
      q) /
    (((((ACKLAM_B[0]! * r + ACKLAM_B[1]!) * r + ACKLAM_B[2]!) * r + ACKLAM_B[3]!) * r +
      ACKLAM_B[4]!) *
      r +
      1)
  );
}

/**
 * The exponent of the erfc approximation below (W. J. Cody-style rational approximation, the
 * "erfcc" of Numerical Recipes): erfc(z) = t * exp(erfcExponent(z, t)) with t = 1 / (1 + z / 2),
 * for z >= 0, with fractional error < 1.2e-7 everywhere. Kept apart so that a tail's logarithm
 * can be taken without going through exp, which underflows to 0 beyond z of about 27.
 */
function erfcExponent(z: number, t: number): number {
  return (
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t *
                          (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
}

/** Standard normal CDF via erfc (W. J. Cody-style rational approximation, |error| < 1.2e-7). */
export function standardNormalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc = t * exp(erfcExponent(z, t));
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/**
 * The natural logarithm of the standard normal upper tail, ln P(Z > x) = ln(1 - Φ(x)), with
 * small relative error however far out x is: for x >= 0 it is ln(erfc(x / √2) / 2) taken from
 * the approximation's own logarithm, so it neither loses digits to 1 - Φ(x) nor underflows
 * (the phi accrual detector's suspicion level lives in that far tail).
 */
export function logStandardNormalTail(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  if (x >= 0) return log(t) + erfcExponent(z, t) - Math.LN2;
  return log(1 - (t * exp(erfcExponent(z, t))) / 2);
}

/** The gamma function (Lanczos approximation, g = 7, 9 terms; ~15 significant digits). */
export function gammaFunction(x: number): number {
  if (x < 0.5) return Math.PI / (sin(Math.PI * x) * gammaFunction(1 - x));
  const g = 7;
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = coefficients[0]!;
  for (let i = 1; i < g + 2; i++) sum += coefficients[i]! / (z + i);
  const t = z + g + 0.5;
  return Math.sqrt(2 * Math.PI) * pow(t, z + 0.5) * exp(-t) * sum;
}
