/**
 * What `distsim run` reports: the run summary plus each entity's status and counters, as a
 * plain JSON-able object (for --json) and as a text table (for the terminal).
 */
import type { EntityCounters, EntityStatus } from "../core/entity.js";
import type { RunSummary, Simulation } from "../core/simulation.js";

export interface RunReport {
  readonly model: string;
  readonly summary: RunSummary;
  readonly entities: readonly {
    readonly name: string;
    readonly status: EntityStatus;
    readonly counters: EntityCounters;
    readonly liveProcesses: number;
  }[];
}

export function toRunReport(model: string, sim: Simulation, summary: RunSummary): RunReport {
  return {
    model,
    summary,
    entities: sim.entities.map((entity) => ({
      name: entity.name,
      status: entity.status,
      counters: { ...entity.counters },
      liveProcesses: entity.liveProcessCount,
    })),
  };
}

const group = (value: number) => Math.round(value).toLocaleString("en-US");

export function formatRunReport(report: RunReport): string {
  const s = report.summary;
  const lines = [
    `distsim run ${report.model}  (seed ${s.seed})`,
    "",
    `  stopped     ${s.reason} at t=${s.time}s`,
    `  events      ${group(s.eventsProcessed)} (${group(s.eventsPerWallSecond)} per wall second)`,
    `  simulated   ${s.simulatedSeconds}s in ${s.wallSeconds.toFixed(3)}s of wall time`,
    `  pending     ${group(s.pendingEvents)} non-daemon events`,
    `  trace       ${s.traceHash}`,
    "",
  ];
  const header = [
    "entity",
    "status",
    "received",
    "dropped while down",
    "late replies",
    "crashes",
    "processes",
  ];
  const rows = report.entities.map((e) => [
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
  return `${lines.join("\n")}\n`;
}
