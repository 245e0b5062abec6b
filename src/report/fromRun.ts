/**
 * Builds a report from a finished run: one chart per unit of the series entities recorded
 * (probes, sinks; series with the same unit share axes), a table of every entity's status and
 * counters, and a table of metrics per entity type.
 */
import type { RunSummary, Simulation } from "../core/simulation.js";
import { type RunInfo, runRecord } from "../metrics/export.js";
import type { ReportChart, ReportInput, ReportSeries, ReportTable } from "./reportInput.js";

export function reportFromRun(
  sim: Simulation,
  summary: RunSummary,
  title: string,
  subtitle?: string,
  /** How the run was asked for and whether it finished (the CLI's record): a "Run" table. */
  run?: RunInfo,
): ReportInput {
  const byUnit = new Map<string, ReportSeries[]>();
  for (const s of runRecord(sim, summary).series) {
    if (s.points.length === 0) continue;
    const list = byUnit.get(s.unit) ?? [];
    list.push({ name: s.name, points: s.points });
    byUnit.set(s.unit, list);
  }
  const charts: ReportChart[] = [...byUnit].map(([unit, series]) => ({
    title: series.map((s) => s.name).join(", "),
    yLabel: unit || "value",
    series,
  }));
  return {
    title,
    ...(subtitle === undefined ? {} : { subtitle }),
    summary,
    charts,
    tables: [
      ...(run === undefined ? [] : [runTable(summary, run)]),
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

/** Whether the run finished, what it covered and how it was asked for. */
function runTable(summary: RunSummary, run: RunInfo): ReportTable {
  const rows: (string | number)[][] = [
    [
      "finished",
      run.finished
        ? "yes"
        : `no (PARTIAL: ${run.stopped ?? "stopped"}${run.error ? `: ${run.error}` : ""})`,
    ],
    ["simulated", `${summary.simulatedSeconds}s (to t=${summary.time}s)`],
    ["wall time", `${summary.wallSeconds.toFixed(3)}s`],
    ["seed", summary.seed],
  ];
  if (run.until !== undefined) rows.push(["until", `${run.until}s`]);
  for (const [name, value] of Object.entries(run.params))
    rows.push([`param ${name}`, String(value)]);
  return { title: "Run", columns: ["", ""], rows };
}

/** One table per entity type that reports metrics: a row per entity, a column per metric. */
function metricTables(summary: RunSummary): ReportTable[] {
  const byType = new Map<string, RunSummary["entities"][number][]>();
  for (const e of summary.entities) {
    if (Object.keys(e.metrics).length === 0) continue;
    const list = byType.get(e.type) ?? [];
    list.push(e);
    byType.set(e.type, list);
  }
  return [...byType].map(([type, entities]) => {
    const columns = [...new Set(entities.flatMap((e) => Object.keys(e.metrics)))];
    return {
      title: type,
      columns: ["entity", ...columns],
      rows: entities.map((e) => [e.name, ...columns.map((c) => rounded(e.metrics[c]))]),
    };
  });
}

function rounded(value: number | string | undefined): string | number {
  if (value === undefined) return "";
  if (typeof value === "string" || Number.isInteger(value)) return value;
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : String(value);
}
