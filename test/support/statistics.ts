/**
 * Small, exact statistics for the statistical tests: sample moments, the one-sample
 * Kolmogorov-Smirnov statistic and its large-sample critical value, chi-square, and Student t
 * critical values for the confidence intervals over replications.
 */

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Unbiased sample variance. */
export function variance(values: readonly number[]): number {
  const m = mean(values);
  let sum = 0;
  for (const value of values) sum += (value - m) ** 2;
  return sum / (values.length - 1);
}

/** sup |F_n(x) - F(x)| for a sample against a continuous CDF. */
export function ksStatistic(sample: readonly number[], cdf: (x: number) => number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Asymptotic KS critical value: c(alpha) / sqrt(n); c = 1.9495 for alpha = 0.001. */
export function ksCritical(n: number, alpha: 0.01 | 0.001): number {
  return (alpha === 0.001 ? 1.9495 : 1.6276) / Math.sqrt(n);
}

/** Pearson's chi-square statistic of observed counts against equal expected counts. */
export function chiSquareUniform(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
}

/** Two-sided Student t critical values at 99% for small degrees of freedom. */
const T_99: Record<number, number> = { 4: 4.604, 9: 3.25, 19: 2.861, 29: 2.756 };

/** 99% confidence interval of the mean of replication results. */
export function confidenceInterval99(values: readonly number[]): {
  low: number;
  high: number;
  mean: number;
} {
  const t = T_99[values.length - 1];
  if (t === undefined) throw new Error(`no t value for ${values.length - 1} degrees of freedom`);
  const m = mean(values);
  const half = t * Math.sqrt(variance(values) / values.length);
  return { low: m - half, high: m + half, mean: m };
}

/** Erlang C: probability an arrival waits in M/M/c with offered load a = lambda / mu (< c). */
export function erlangC(servers: number, offered: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < servers; k++) {
    term *= offered / k;
    sum += term;
  }
  const top = ((term * offered) / servers) * (servers / (servers - offered));
  return top / (sum + top);
}
