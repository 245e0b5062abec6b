/**
 * Everything a run measured, as data: the summary (with every entity's counters and metrics)
 * and every series entities recorded, as one JSON-able record or one tidy CSV. Pure functions
 * returning strings and plain objects, so they work in a browser as well as behind the CLI's
 * `--json` and `--csv`.
 */
import type { RecordedSeries } from "../core/entity.js";
import type { RunSummary, Simulation } from "../core/simulation.js";

/** A recorded series and the entity that recorded it. */
export interface EntitySeries extends RecordedSeries {
  readonly entity: string;
}

/** A run as data: `JSON.stringify(runRecord(sim, summary))` is the whole export. */
export interface RunRecord {
  readonly summary: RunSummary;
  readonly series: readonly EntitySeries[];
}

export function runRecord(sim: Simulation, summary: RunSummary): RunRecord {
  const series: EntitySeries[] = [];
  for (const entity of sim.entities) {
    for (const s of entity.recordedSeries()) {
      series.push({ entity: entity.name, name: s.name, unit: s.unit, points: s.points });
    }
  }
  return { summary, series };
}

/**
 * JSON text of a record. Non-finite numbers (a NaN percentile of an empty window) become
 * null, which JSON can carry; `JSON.stringify` would turn them into null silently anyway, this
 * just says so.
 */
export function runRecordJson(record: RunRecord): string {
  return `${JSON.stringify(record, (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? null : value), 2)}\n`;
}

/**
 * The record as one tidy CSV, a row per number: `entity,type,metric,time,value`. End-of-run
 * counters and metrics have an empty time; series points have their time in seconds, with the
 * series name as the metric. Load it into a spreadsheet, pandas or R and pivot as you like.
 */
export function runRecordCsv(record: RunRecord): string {
  const rows: string[] = ["entity,type,metric,time,value"];
  const types = new Map<string, string>();
  for (const e of record.summary.entities) {
    types.set(e.name, e.type);
    const prefix = `${csvField(e.name)},${csvField(e.type)},`;
    rows.push(`${prefix}status,,${csvField(e.status)}`);
    for (const [name, value] of Object.entries(e.counters)) {
      rows.push(`${prefix}${csvField(name)},,${csvValue(value)}`);
    }
    rows.push(`${prefix}liveProcesses,,${e.liveProcesses}`);
    for (const [name, value] of Object.entries(e.metrics)) {
      rows.push(`${prefix}${csvField(name)},,${csvValue(value)}`);
    }
  }
  for (const s of record.series) {
    const prefix = `${csvField(s.entity)},${csvField(types.get(s.entity) ?? "")},${csvField(s.name)},`;
    for (const [time, value] of s.points) rows.push(`${prefix}${time},${csvValue(value)}`);
  }
  return `${rows.join("\n")}\n`;
}

/** RFC 4180: quote a field that holds a comma, quote, or line break; double inner quotes. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvValue(value: number | string): string {
  if (typeof value === "string") return csvField(value);
  return Number.isFinite(value) ? String(value) : "";
}
