/**
 * Numbers for reading: thousands separators, four significant digits, seconds in the unit that
 * suits them, long simulated times as h:mm:ss. One place, so the HTML report, its charts and
 * the terminal table of `distsim run` print the same number the same way. Pure and
 * locale-independent (always "1,726,218", never the host's separators), so outputs are stable.
 *
 * The report page runs these same functions in the browser (html.ts inlines their source), so
 * each refers only to its arguments, the globals of plain JavaScript and the other functions
 * listed in `PAGE_FORMATTERS`: no module constants, no imports.
 */

/** Groups a finite number's integer part in threes: 1726218 → "1,726,218"; 0.5 → "0.5". */
function grouped(text: string): string {
  const negative = text.startsWith("-");
  const digits = negative ? text.slice(1) : text;
  const [whole = "", fraction] = digits.split(".");
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}${withCommas}${fraction === undefined ? "" : `.${fraction}`}`;
}

/**
 * A plain number: integers grouped in full (1,726,218), others to four significant digits
 * (0.1235, 12.35, 12,346), never in exponent form for the magnitudes a run produces. NaN
 * ("no data" in a statistic: nothing was measured) reads as "–".
 */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  if (Number.isInteger(value)) return grouped(value.toFixed(0));
  const magnitude = Math.abs(value);
  if (magnitude >= 10_000) return grouped(value.toFixed(0));
  if (magnitude < 1e-6) return value.toExponential(3);
  // toPrecision keeps 4 significant digits; Number() drops trailing zeros ("0.1000" → 0.1).
  return grouped(String(Number(value.toPrecision(4))));
}

/**
 * A duration given in seconds, in the unit that reads best: "850 ns", "12.5 µs", "204.1 ms",
 * "1.53 s", "1,234 s". (A time of day in a long run reads better as h:mm:ss: `formatClock`.)
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return formatNumber(seconds);
  const magnitude = Math.abs(seconds);
  if (magnitude === 0) return "0 s";
  if (magnitude < 1e-6) return `${formatNumber(seconds * 1e9)} ns`;
  if (magnitude < 1e-3) return `${formatNumber(seconds * 1e6)} µs`;
  if (magnitude < 1) return `${formatNumber(seconds * 1e3)} ms`;
  return `${formatNumber(seconds)} s`;
}

/** A share in [0, 1] as a percentage with up to four significant digits: 0.3812 → "38.12%". */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return formatNumber(share);
  return `${formatNumber(share * 100)}%`;
}

/**
 * A simulated time in seconds as a clock, h:mm:ss (hours not wrapped at 24): 64800 → "18:00:00",
 * 90 → "0:01:30"; fractions of a second are kept to the millisecond ("0:00:01.25").
 */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds)) return formatNumber(seconds);
  const sign = seconds < 0 ? "-" : "";
  const totalMs = Math.round(Math.abs(seconds) * 1000);
  const ms = totalMs % 1000;
  const totalS = (totalMs - ms) / 1000;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const fraction = ms === 0 ? "" : `.${String(ms).padStart(3, "0").replace(/0+$/, "")}`;
  return `${sign}${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}${fraction}`;
}

/**
 * A span of simulated or wall time: seconds below a minute ("42.5 s"), then the clock with the
 * seconds beside it for a long one ("18:00:00 (64,800 s)").
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || Math.abs(seconds) < 60) return formatSeconds(seconds);
  return `${formatClock(seconds)} (${formatNumber(Math.round(seconds))} s)`;
}

/** What a metric's name says about its unit, by the statistics vocabulary. */
export type MetricUnit = "seconds" | "share" | "count";

/**
 * The unit of a metric, from its name in the vocabulary of docs/components/statistics.md:
 * latencies, waits, sojourns, lags and timeouts are seconds; rates of failure, utilizations
 * and probabilities are shares in [0, 1]; anything else is a plain number.
 */
export function metricUnit(name: string): MetricUnit {
  if (/(Latency|Wait|Sojourn|LoopLag|Lag|Seconds|Timeout)$/.test(name)) return "seconds";
  if (/^(failureRate|utilization|probabilityOfWaiting|hitRatio|missRatio)$/.test(name)) {
    return "share";
  }
  return "count";
}

/** A metric's value for reading, in the unit its name implies ("204.1 ms", "38.12%", "1,204"). */
export function formatMetric(name: string, value: number | string): string {
  if (typeof value === "string") return value;
  switch (metricUnit(name)) {
    case "seconds":
      return formatSeconds(value);
    case "share":
      return formatPercent(value);
    default:
      return formatNumber(value);
  }
}

/** The formatters the report page needs, by the names it calls them. */
export const PAGE_FORMATTERS: Readonly<Record<string, (...args: never[]) => string>> = {
  grouped,
  formatNumber,
  formatSeconds,
  formatPercent,
  formatClock,
};
