/**
 * What a report shows: charts of time series and tables, plus the run summary. Plain data, so
 * anything (a run's metrics, a sweep, a hand-built comparison) can be reported.
 */
import type { RunSummary } from "../core/simulation.js";

export interface ReportSeries {
  readonly name: string;
  /** `[time in seconds, value]`, in time order. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ReportChart {
  readonly title: string;
  /** Label of the value axis, with its unit ("latency (ms)"). */
  readonly yLabel: string;
  readonly series: readonly ReportSeries[];
}

export interface ReportTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface ReportInput {
  readonly title: string;
  /** A line under the title: the scenario, the seed. */
  readonly subtitle?: string;
  readonly summary?: RunSummary;
  readonly charts: readonly ReportChart[];
  readonly tables?: readonly ReportTable[];
}
