/**
 * What a report shows: charts of time series and tables, plus the run summary. Plain data, so
 * anything (a run's metrics, a sweep, a hand-built comparison) can be reported. Everything past
 * `title` and `charts` is optional.
 */
import type { RunSummary } from "../core/simulation.js";

export interface ReportSeries {
  readonly name: string;
  /**
   * `[time in seconds, value]`, in time order. A value of NaN (null in JSON) is a window with
   * no data (no request finished in it, say): the line stops there and starts again after, so
   * an outage shows as a gap instead of a straight line drawn across it. Points of one series
   * are never joined across such a gap; points that are merely missing (another series of the
   * chart has a time this one has not) are joined.
   */
  readonly points: readonly (readonly [number, number])[];
  /**
   * An edge of a band around the series before it (a confidence interval's low or high):
   * drawn thin and dashed, in that series' colour. Default false.
   */
  readonly band?: boolean;
}

/** How a chart prints its values (axis ticks and the legend). */
export type ReportValueFormat =
  /** Seconds, in the unit that reads best ("850 µs", "204.1 ms", "1.53 s"). */
  | "seconds"
  /** Shares in [0, 1], as percentages ("38.12%"). */
  | "share"
  /** Plain numbers, grouped and to four significant digits. */
  | "number";

export interface ReportChart {
  readonly title: string;
  /** Label of the value axis, with its unit ("latency (ms)"). */
  readonly yLabel: string;
  readonly series: readonly ReportSeries[];
  /**
   * What the chart covers, in a sentence shown under its title: which requests a latency
   * counts ("successful requests only: failed ones are not in these percentiles").
   */
  readonly note?: string;
  /** How values are printed. Default "seconds" when `yLabel` is "s", else "number". */
  readonly valueFormat?: ReportValueFormat;
  /**
   * Offer a log-scale toggle for the value axis (a latency whose tail is 100 times its median
   * flattens the median on a linear axis). Default: for charts of durations (`valueFormat`
   * "seconds", or a `yLabel` of "ms", "µs" or "s").
   */
  readonly logScaleToggle?: boolean;
  /**
   * What the x values are, when not simulated seconds (a sweep charts a figure against a
   * parameter): the axis label, with plain numbers as ticks. Default: simulated time.
   */
  readonly xLabel?: string;
}

export interface ReportTable {
  readonly title: string;
  readonly columns: readonly string[];
  /** Cells: numbers are printed grouped, to four significant digits; strings as they are. */
  readonly rows: readonly (readonly (string | number)[])[];
  /** A sentence under the title: what the rows cover, a legend of the columns. */
  readonly note?: string;
}

/** A moment drawn on every chart as a vertical line (a crash, a recovery, a deploy). */
export interface ReportMarker {
  /** Simulated time, in seconds. */
  readonly time: number;
  /** What happened, in a few words ("server crashed"). */
  readonly label: string;
  /** Sets the line's colour and style: crashes red, recoveries green, others grey. Default "note". */
  readonly kind?: "crash" | "recovery" | "note";
}

/** An interval shaded on every chart and listed in a table (a fault, while it was active). */
export interface ReportBand {
  /** Simulated time it starts, in seconds. */
  readonly from: number;
  /** Simulated time it ends, in seconds; null: it lasts to the end of the run. */
  readonly to: number | null;
  /** What it was, in a few words ("#3 crash s2"). */
  readonly label: string;
}

/**
 * How a run went, beyond its `RunSummary`: for the report's run table. Every field is
 * optional; `distsim run` fills in what it knows.
 */
export interface ReportRunInfo {
  /** The model (its file, or a name). */
  readonly model?: string;
  /** The model's parameters, shown as `name = value`. */
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  /**
   * False for a partial run, one stopped before its end (a failure, a runaway guard, an
   * interruption): the report then says so at the top, and that its numbers cover only the
   * simulated time that ran. Default true.
   */
  readonly finished?: boolean;
  /** Why the run stopped, in words, when it did not finish ("interrupted (Ctrl-C)"). */
  readonly stopReason?: string;
  /**
   * Simulated seconds the whole run covered (a run made of several `run` calls spans more than
   * its last summary's `simulatedSeconds`). Default: the summary's.
   */
  readonly simulatedSeconds?: number;
  /** Wall-clock seconds the whole run took. Default: the summary's. */
  readonly wallSeconds?: number;
  /** Events the whole run processed. Default: the summary's `totalEvents`. */
  readonly events?: number;
}

export interface ReportInput {
  readonly title: string;
  /** A line under the title: the scenario, the seed. */
  readonly subtitle?: string;
  readonly summary?: RunSummary;
  /** What the summary does not say: parameters, wall time, whether the run finished. */
  readonly run?: ReportRunInfo;
  readonly charts: readonly ReportChart[];
  readonly tables?: readonly ReportTable[];
  /** Moments drawn on every chart and listed in a table (crashes and recoveries). */
  readonly markers?: readonly ReportMarker[];
  /** Intervals shaded on every chart and listed in a table (faults while active). */
  readonly bands?: readonly ReportBand[];
}
