/**
 * Builds a report from a finished run: charts of the series entities recorded (a client's or
 * sink's series get charts of their own; probes with the same unit share one), a client's
 * failure rate beside its latency, a table of percentiles per component, a table of every
 * entity's status and counters, and a table of metrics per entity type.
 *
 * A client's latency counts successful requests only; a run in collapse can show a calm p99 of
 * the few that succeeded. So its latency chart says what it covers and how many requests
 * failed, its failure rate is charted next to it, and the percentile table puts the latency of
 * every finished request and the failure rate beside the latency of successes.
 */
import type { Entity } from "../core/entity.js";
import type { RunSummary, Simulation } from "../core/simulation.js";
import { type EntitySeries, runRecord } from "../metrics/export.js";
import type { Histogram } from "../metrics/histogram.js";
import { formatMetric, formatNumber, formatPercent, formatSeconds } from "./format.js";
import type {
  ReportBand,
  ReportChart,
  ReportInput,
  ReportMarker,
  ReportRunInfo,
  ReportSeries,
  ReportTable,
} from "./reportInput.js";

/** What `reportFromRun` adds beyond the run itself. */
export interface ReportFromRunOptions {
  /** Parameters, wall time, whether the run finished (see `ReportRunInfo`). */
  readonly run?: ReportRunInfo;
  /** Crashes, recoveries and other moments to draw on every chart (`watchCrashes`). */
  readonly markers?: readonly ReportMarker[];
  /** Intervals to shade on every chart (a fault schedule's faults while active). */
  readonly bands?: readonly ReportBand[];
}

type EntityReport = RunSummary["entities"][number];

export function reportFromRun(
  sim: Simulation,
  summary: RunSummary,
  title: string,
  subtitle?: string,
  options: ReportFromRunOptions = {},
): ReportInput {
  const percentiles = percentileTable(sim, summary);
  return {
    title,
    ...(subtitle === undefined ? {} : { subtitle }),
    summary,
    ...(options.run === undefined ? {} : { run: options.run }),
    ...(options.markers === undefined ? {} : { markers: options.markers }),
    ...(options.bands === undefined ? {} : { bands: options.bands }),
    charts: charts(runRecord(sim, summary).series, summary),
    tables: [
      ...(percentiles === null ? [] : [percentiles]),
      {
        title: "Entities",
        columns: ["entity", "status", "received", "dropped while down", "late replies", "crashes"],
        rows: summary.entities.map((e) => [
          e.name,
          e.status,
          e.counters.received,
          e.counters.droppedWhileDown,
          e.counters.lateReplies,
          e.counters.crashes,
        ]),
      },
      ...metricTables(summary),
    ],
  };
}

/** An entity that reports a failure rate: its plain latency counts successes only. */
const countsFailures = (e: EntityReport | undefined) =>
  e !== undefined && "failureRate" in e.metrics;

/**
 * Charts, in the order entities were created. An entity with several series (a client, a sink)
 * gets a chart per unit; single-series entities (probes) share a chart per unit.
 */
function charts(series: readonly EntitySeries[], summary: RunSummary): ReportChart[] {
  const entities = new Map(summary.entities.map((e) => [e.name, e]));
  const seriesCount = new Map<string, number>();
  for (const s of series) seriesCount.set(s.entity, (seriesCount.get(s.entity) ?? 0) + 1);
  const groups = new Map<string, { entity: string | null; unit: string; series: EntitySeries[] }>();
  for (const s of series) {
    const own = (seriesCount.get(s.entity) ?? 0) > 1;
    const key = own ? `${s.entity}\u0000${s.unit}` : `\u0000${s.unit}`;
    const group = groups.get(key) ?? { entity: own ? s.entity : null, unit: s.unit, series: [] };
    group.series.push(s);
    groups.set(key, group);
  }
  const result: ReportChart[] = [];
  for (const group of groups.values()) {
    const entity = group.entity === null ? undefined : entities.get(group.entity);
    const points: ReportSeries[] = group.series.map((s) => ({ name: s.name, points: s.points }));
    const seconds = group.unit === "s";
    const base = {
      title: points.map((s) => s.name).join(", "),
      // Durations are printed in their unit on every tick ("250 ms"), so the axis names the quantity.
      yLabel: seconds ? (entity === undefined ? "duration" : "latency") : group.unit || "value",
      series: points,
      ...(seconds ? { valueFormat: "seconds" as const } : {}),
    };
    if (seconds && entity !== undefined && countsFailures(entity)) {
      result.push({
        ...base,
        title: `${entity.name}: latency of successful requests, per window`,
        note: successNote(entity),
      });
      const failureRate = failureRateSeries(group.entity!, series);
      if (failureRate !== null) {
        result.push({
          title: `${entity.name}: failure rate, per window`,
          yLabel: "share of finished requests",
          valueFormat: "share",
          note: "Requests given up (after their last attempt) over requests finished in the window; a gap is a window in which no request finished.",
          series: [{ name: `${entity.name} failure rate`, points: failureRate }],
        });
      }
    } else if (seconds && entity !== undefined) {
      result.push({
        ...base,
        title: `${entity.name}: latency, per window`,
        note: "Every piece of work received counts; a gap is a window in which none arrived.",
      });
    } else {
      result.push(base);
    }
  }
  return result;
}

function successNote(entity: EntityReport): string {
  const { succeeded, gaveUp, failureRate } = entity.metrics;
  const failed =
    typeof gaveUp === "number" && typeof succeeded === "number" && typeof failureRate === "number"
      ? ` In this run ${formatNumber(gaveUp)} of ${formatNumber(gaveUp + succeeded)} finished requests (${formatPercent(failureRate)}) failed.`
      : "";
  return `Successful requests only: failed requests are not in these percentiles, and a gap is a window in which none succeeded.${failed} The failure rate is charted below; the percentile table gives the latency of every finished request.`;
}

/**
 * failures / (successes + failures) per window, from a client's goodput and failures series
 * (the same windows, both charted to the end of the run); NaN where nothing finished.
 */
function failureRateSeries(
  entity: string,
  series: readonly EntitySeries[],
): [number, number][] | null {
  const goodput = series.find((s) => s.entity === entity && s.name === `${entity} goodput`);
  const failures = series.find((s) => s.entity === entity && s.name === `${entity} failures`);
  if (goodput === undefined || failures === undefined) return null;
  const failedAt = new Map(failures.points.map(([t, v]) => [t, v]));
  return goodput.points.map(([t, ok]) => {
    const failed = failedAt.get(t) ?? 0;
    return [t, ok + failed > 0 ? failed / (ok + failed) : Number.NaN];
  });
}

/** A duration an entity measures: the metric suffix it reports and the histogram behind it. */
interface Measure {
  readonly suffix: string;
  /** The entity's property holding the histogram, read for the percentiles it does not report. */
  readonly property: string;
  readonly label: (e: EntityReport) => string;
}

const MEASURES: readonly Measure[] = [
  {
    suffix: "Latency",
    property: "latency",
    label: (e) => (countsFailures(e) ? "latency, successes only" : "latency"),
  },
  {
    suffix: "FinishedLatency",
    property: "finishedLatency",
    label: () => "latency, every finished request",
  },
  { suffix: "Wait", property: "waitTime", label: () => "queue wait" },
  {
    suffix: "Sojourn",
    property: "sojournTime",
    label: () => "sojourn (wait + service)",
  },
  { suffix: "ConnectionWait", property: "connectionWait", label: () => "wait for a connection" },
  { suffix: "AcquireWait", property: "acquireWait", label: () => "wait to acquire" },
  { suffix: "LoopLag", property: "loopLag", label: () => "event-loop lag" },
];

const QUANTILES = ["p50", "p90", "p99", "p999"] as const;

/**
 * p50/p90/p99/p999 of every duration a component measures, a row per component and measure.
 * Read from the component's histogram when it exposes one (so the four are there even when
 * its metrics name only two), else from its metrics; "–" where nothing was measured.
 */
function percentileTable(sim: Simulation, summary: RunSummary): ReportTable | null {
  const rows: (string | number)[][] = [];
  for (const e of summary.entities) {
    for (const measure of MEASURES) {
      const reported = QUANTILES.some((q) => `${q}${measure.suffix}` in e.metrics);
      if (!reported) continue;
      const histogram = histogramOf(sim.entity(e.name), measure.property);
      const read = (name: string, fromHistogram: (h: HistogramReading) => number) => {
        if (histogram !== null) return histogram.count > 0 ? fromHistogram(histogram) : Number.NaN;
        const value = e.metrics[`${name}${measure.suffix}`];
        return typeof value === "number" ? value : Number.NaN;
      };
      const count = histogram === null ? Number.NaN : histogram.count;
      const cells = [
        read("mean", (h) => h.mean),
        read("p50", (h) => h.p50),
        read("p90", (h) => h.p90),
        read("p99", (h) => h.p99),
        read("p999", (h) => h.p999),
        read("max", (h) => h.max),
      ];
      const failureRate = e.metrics.failureRate;
      rows.push([
        e.name,
        measure.label(e),
        formatNumber(count),
        ...cells.map((v) => (count === 0 ? "–" : formatSeconds(v))),
        typeof failureRate === "number" && measure.suffix.endsWith("Latency")
          ? formatPercent(failureRate)
          : "",
      ]);
    }
  }
  if (rows.length === 0) return null;
  return {
    title: "Percentiles",
    note: "Durations over the whole run (since the last statistics reset). A client's latency of successes leaves failed requests out: read it beside the failure rate and the latency of every finished request (a failure counts when it is given up, after its last attempt). '–': nothing measured.",
    columns: [
      "entity",
      "measure",
      "count",
      "mean",
      "p50",
      "p90",
      "p99",
      "p999",
      "max",
      "failure rate",
    ],
    rows,
  };
}

/** What the percentile table reads from a histogram. */
type HistogramReading = Pick<Histogram, "count" | "mean" | "p50" | "p90" | "p99" | "p999" | "max">;

const READINGS = ["count", "mean", "p50", "p90", "p99", "p999", "max"] as const;

/**
 * The entity's histogram under `property`, recognised by its shape, not by `instanceof`: a
 * model run by `distsim run` is loaded through tsx with its own copy of distsim's modules, so
 * its histograms are instances of another `Histogram` class than this module's.
 */
function histogramOf(
  entity: Entity<unknown, unknown> | undefined,
  property: string,
): HistogramReading | null {
  if (entity === undefined) return null;
  const value = (entity as unknown as Record<string, unknown>)[property];
  if (typeof value !== "object" || value === null) return null;
  const candidate = value as Record<string, unknown>;
  return READINGS.every((reading) => typeof candidate[reading] === "number")
    ? (value as HistogramReading)
    : null;
}

/**
 * One table per entity type that reports metrics. Few metrics: a row per entity, a column per
 * metric. Many (a client reports twenty): a row per metric, a column per entity, so the table
 * fits the page instead of running off its right edge. Values are printed in their unit (a
 * latency in ms, a failure rate in %), and a client's latency columns say what they count.
 */
function metricTables(summary: RunSummary): ReportTable[] {
  const byType = new Map<string, EntityReport[]>();
  for (const e of summary.entities) {
    if (Object.keys(e.metrics).length === 0) continue;
    const list = byType.get(e.type) ?? [];
    list.push(e);
    byType.set(e.type, list);
  }
  return [...byType].map(([type, entities]) => {
    const metrics = [...new Set(entities.flatMap((e) => Object.keys(e.metrics)))];
    const failures = entities.some(countsFailures);
    const label = (metric: string) => {
      if (!failures) return metric;
      if (/FinishedLatency$/.test(metric)) return `${metric} (every finished request)`;
      if (/Latency$/.test(metric)) return `${metric} (successes only)`;
      return metric;
    };
    const cell = (e: EntityReport, metric: string) => {
      const value = e.metrics[metric];
      return value === undefined ? "" : formatMetric(metric, value);
    };
    if (metrics.length > Math.max(8, entities.length)) {
      return {
        title: type,
        columns: ["metric", ...entities.map((e) => e.name)],
        rows: metrics.map((m) => [label(m), ...entities.map((e) => cell(e, m))]),
      };
    }
    return {
      title: type,
      columns: ["entity", ...metrics.map(label)],
      rows: entities.map((e) => [e.name, ...metrics.map((m) => cell(e, m))]),
    };
  });
}
