/**
 * What `distsim run` reports: the run record (how the run was asked for and whether it
 * finished, the summary with every entity's counters and metrics, recorded series, and with
 * --faults what each fault did) as a plain JSON-able object for --json, and as text tables for
 * the terminal. A run that stopped
 * early (a failure, Ctrl-C) is reported the same way, marked PARTIAL.
 */
import type { RunSummary, Simulation } from "../core/simulation.js";
import {
  type RunInfo,
  type RunRecord,
  type RunRecordOptions,
  runRecord,
} from "../metrics/export.js";
import { formatMetric } from "../report/format.js";

export interface RunReport extends RunRecord {
  readonly model: string;
}

export function toRunReport(
  model: string,
  sim: Simulation,
  summary: RunSummary,
  run?: RunInfo,
  options?: RunRecordOptions,
): RunReport {
  return { model, ...runRecord(sim, summary, run, options) };
}

const group = (value: number) => Math.round(value).toLocaleString("en-US");

export function formatRunReport(report: RunReport): string {
  const s = report.summary;
  const run = report.run;
  const partial = run !== undefined && !run.finished;
  const lines = [`distsim run ${report.model}  (seed ${s.seed})${partial ? "  PARTIAL" : ""}`, ""];
  if (partial) {
    lines.push(
      `  PARTIAL     ${run.stopped === "interrupted" ? "interrupted (Ctrl-C)" : "the model failed"} at t=${s.time}s: the numbers cover what ran until then`,
    );
  } else {
    lines.push(`  stopped     ${s.reason} at t=${s.time}s`);
  }
  lines.push(
    `  events      ${group(s.eventsProcessed)} (${group(s.eventsPerWallSecond)} per wall second)`,
    `  simulated   ${s.simulatedSeconds}s${s.simulatedSeconds === s.time ? "" : ` (to t=${s.time}s)`}`,
    `  wall time   ${s.wallSeconds.toFixed(3)}s`,
    `  pending     ${group(s.pendingEvents)} non-daemon events`,
  );
  if (run !== undefined && Object.keys(run.params).length > 0) {
    const pairs = Object.entries(run.params).map(([k, v]) => `${k}=${String(v)}`);
    lines.push(`  params      ${pairs.join("  ")}`);
  }
  lines.push(`  trace       ${s.traceHash}`, "");
  const header = [
    "entity",
    "status",
    "received",
    "dropped while down",
    "late replies",
    "crashes",
    "processes",
  ];
  const entities = report.summary.entities;
  const rows = entities.map((e) => [
    e.name,
    e.status,
    group(e.counters.received),
    group(e.counters.droppedWhileDown),
    group(e.counters.lateReplies),
    group(e.counters.crashes),
    group(e.liveProcesses),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: string[]) =>
    `  ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")}`.trimEnd();
  lines.push(line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line));
  const measured = entities.filter((e) => Object.keys(e.metrics).length > 0);
  if (measured.length > 0) lines.push("", "  metrics", ...metricLines(measured));
  return `${lines.join("\n")}\n`;
}

/** Metric lines wrap here, so a client's twenty metrics do not run off a terminal. */
const METRICS_WIDTH = 100;

/**
 * `name  key=value  key=value`, values in their unit (latencies in ms or s, rates in %),
 * wrapped under the first pair; then a legend when a client's latency counts successes only.
 */
function metricLines(measured: RunReport["summary"]["entities"]): string[] {
  const lines: string[] = [];
  const nameWidth = Math.max(...measured.map((e) => e.name.length));
  const indent = " ".repeat(2 + nameWidth + 2);
  for (const e of measured) {
    let line = `  ${e.name.padEnd(nameWidth)}`;
    let pairsOnLine = 0;
    for (const [key, value] of Object.entries(e.metrics)) {
      const pair = `${key}=${formatMetric(key, value)}`;
      if (pairsOnLine > 0 && line.length + 2 + pair.length > METRICS_WIDTH) {
        lines.push(line);
        line = indent.slice(0, -2);
        pairsOnLine = 0;
      }
      line += `  ${pair}`;
      pairsOnLine++;
    }
    lines.push(line);
  }
  if (measured.some((e) => "failureRate" in e.metrics && "p99Latency" in e.metrics)) {
    lines.push(
      "",
      "  a client's ...Latency counts successful requests only; ...FinishedLatency counts every",
      "  finished request (failures when given up); failureRate = gaveUp / (succeeded + gaveUp)",
    );
  }
  return lines;
}
