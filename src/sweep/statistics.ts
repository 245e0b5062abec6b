/**
 * What a sweep says about one figure over its replications: the mean with a confidence
 * interval (Student's t, since replications are few), the spread, and percentiles of the
 * replications' own values. Pure arithmetic in a fixed order, so the same values give the
 * same bits whichever backend ran them.
 */

/** One figure at one grid point, over its successful replications. */
export interface FigureSummary {
  /** Replications that gave the figure (failed runs are left out). */
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n - 1 in the denominator); NaN (null in JSON) for n < 2. */
  readonly stdDev: number;
  /** Half-width of the confidence interval of the mean; NaN (null in JSON) for n < 2. */
  readonly halfWidth: number;
  /** mean - halfWidth. */
  readonly ciLow: number;
  /** mean + halfWidth. */
  readonly ciHigh: number;
  readonly min: number;
  /** Percentiles of the replications' values (linear interpolation between order statistics). */
  readonly p5: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/**
 * P(|T| < t) for Student's t with `df` degrees of freedom, in closed form (Abramowitz and
 * Stegun 26.7.3 and 26.7.4): a finite sum in cos²θ, θ = atan(t / √df).
 */
function tCentralProbability(t: number, df: number): number {
  const theta = Math.atan(t / Math.sqrt(df));
  const cos2 = df / (df + t * t);
  const sin = t / Math.sqrt(df + t * t);
  if (df % 2 === 0) {
    let term = 1;
    let sum = 1;
    for (let k = 1; k <= (df - 2) / 2; k++) {
      term *= (cos2 * (2 * k - 1)) / (2 * k);
      sum += term;
    }
    return sin * sum;
  }
  if (df === 1) return (2 / Math.PI) * theta;
  let term = 1;
  let sum = 1;
  for (let k = 1; k <= (df - 3) / 2; k++) {
    term *= (cos2 * (2 * k)) / (2 * k + 1);
    sum += term;
  }
  return (2 / Math.PI) * (theta + sin * Math.sqrt(cos2) * sum);
}

const quantileCache = new Map<string, number>();

/**
 * The t such that P(|T| < t) = `confidence` for `df` degrees of freedom (2.262 for 95% and
 * df = 9), by bisection on the closed-form distribution: exact to the last few bits for any
 * df and level, with no table.
 */
export function studentTQuantile(confidence: number, df: number): number {
  const key = `${confidence}/${df}`;
  const cached = quantileCache.get(key);
  if (cached !== undefined) return cached;
  let low = 0;
  let high = 1;
  while (tCentralProbability(high, df) < confidence) high *= 2;
  for (let i = 0; i < 200 && high - low > high * 1e-15; i++) {
    const mid = (low + high) / 2;
    if (tCentralProbability(mid, df) < confidence) low = mid;
    else high = mid;
  }
  const t = (low + high) / 2;
  quantileCache.set(key, t);
  return t;
}

/** Percentile `q` in [0, 1] of values sorted ascending, interpolating between neighbours. */
function percentileOfSorted(sorted: readonly number[], q: number): number {
  const at = q * (sorted.length - 1);
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (at - below) * (sorted[above]! - sorted[below]!);
}

/**
 * Summarizes one figure's values over replications, taken in replication order (the order
 * matters for the last bit of the mean, so it is fixed by the caller).
 */
export function summarizeFigure(values: readonly number[], confidence: number): FigureSummary {
  const n = values.length;
  if (n === 0) {
    return {
      n,
      mean: NaN,
      stdDev: NaN,
      halfWidth: NaN,
      ciLow: NaN,
      ciHigh: NaN,
      min: NaN,
      p5: NaN,
      p50: NaN,
      p95: NaN,
      max: NaN,
    };
  }
  let sum = 0;
  for (const value of values) sum += value;
  const sorted = [...values].sort((a, b) => a - b);
  // A second pass adds back what the first sum's rounding lost (ten 0.1s sum to
  // 0.9999999999999999), and the mean stays within the values: a figure that never varied
  // has its own value as the mean and no spread.
  const rough = sum / n;
  let residual = 0;
  for (const value of values) residual += value - rough;
  const mean = Number.isFinite(rough)
    ? Math.min(Math.max(rough + residual / n, sorted[0]!), sorted[n - 1]!)
    : rough;
  let squares = 0;
  for (const value of values) squares += (value - mean) * (value - mean);
  const stdDev = n < 2 ? NaN : Math.sqrt(squares / (n - 1));
  const halfWidth = n < 2 ? NaN : (studentTQuantile(confidence, n - 1) * stdDev) / Math.sqrt(n);
  return {
    n,
    mean,
    stdDev,
    halfWidth,
    ciLow: mean - halfWidth,
    ciHigh: mean + halfWidth,
    min: sorted[0]!,
    p5: percentileOfSorted(sorted, 0.05),
    p50: percentileOfSorted(sorted, 0.5),
    p95: percentileOfSorted(sorted, 0.95),
    max: sorted[n - 1]!,
  };
}
