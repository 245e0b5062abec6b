/**
 * Everything a run measured, as data: the summary (with every entity's counters and metrics)
 * and every series entities recorded, as one JSON-able record or one tidy CSV. Pure functions
 * returning strings and plain objects, so they work in a browser as well as behind the CLI's
 * `--json` and `--csv`.
 */
import type { RecordedSeries } from "../core/entity.js";
import type { RunSummary, Simulation } from "../core/simulation.js";
import type { FaultRow } from "../faults/schedule.js";

/** A recorded series and the entity that recorded it. */
export interface EntitySeries extends RecordedSeries {
  readonly entity: string;
}

/**
 * How a run was asked for and how it ended, beside its summary: what a record of a run that
 * may have stopped early (the CLI's, after a failure or Ctrl-C) needs to say so. The summary's
 * `simulatedSeconds`, `wallSeconds` and `eventsProcessed` cover the whole run either way.
 */
export interface RunInfo {
  /**
   * True when the run reached its end (the summary's `reason` says which). False when it
   * stopped early: every number is what ran until then, and the summary's `reason` is the
   * engine's last (usually "event-limit": it was stopped between slices of events).
   */
  readonly finished: boolean;
  /** Why an unfinished run stopped: the model failed (a runaway guard included), or Ctrl-C. */
  readonly stopped?: "failed" | "interrupted";
  /**
   * Why an unfinished run stopped, in words: "failed: <the error>" or "interrupted (Ctrl-C)".
   * Read this, not the summary's `reason`, for a run that did not finish.
   */
  readonly stopReason?: string;
  /** The error that stopped an unfinished run, as the engine reported it. */
  readonly error?: string;
  /** The horizon asked for, in seconds; absent for a run to the end of its work. */
  readonly until?: number;
  /** The parameters the model was built with. */
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

/** A run as data: `JSON.stringify(runRecord(sim, summary))` is the whole export. */
export interface RunRecord {
  /** How the run was asked for and whether it finished, when the caller says (the CLI does). */
  readonly run?: RunInfo;
  readonly summary: RunSummary;
  readonly series: readonly EntitySeries[];
  /**
   * What each fault of a fault schedule did (`FaultSchedule.rows()`, in schedule order: when
   * it activated and healed, its detail, its effects), when the run had one (`distsim run
   * --faults`); absent otherwise.
   */
  readonly faults?: readonly FaultRow[];
}

/** What a record holds beside the summary and the series. */
export interface RunRecordOptions {
  /** The run's fault schedule's rows (`schedule.rows()`), read after the run. */
  readonly faults?: readonly FaultRow[];
}

export function runRecord(
  sim: Simulation,
  summary: RunSummary,
  run?: RunInfo,
  options: RunRecordOptions = {},
): RunRecord {
  const series: EntitySeries[] = [];
  for (const entity of sim.entities) {
    for (const s of entity.recordedSeries()) {
      series.push({ entity: entity.name, name: s.name, unit: s.unit, points: s.points });
    }
  }
  const faults = options.faults;
  return {
    ...(run === undefined ? {} : { run }),
    summary,
    series,
    ...(faults === undefined ? {} : { faults }),
  };
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
 * A record with run information starts with rows of type "run" and no entity: `finished`,
 * `stopped` and `error` (if it stopped early), `until`, and `params.<name>` per parameter.
 * A record with fault rows follows with rows of type "fault", no entity and no time, named as
 * the JSON's paths: `faults[<i>].<field>` for `faultId`, `kind`, `targets` (names joined by
 * ","), `status`, `activatedAt` and `healedAt` (seconds; an empty value for null), `detail`,
 * and `faults[<i>].effects.<name>` per effect.
 */
export function runRecordCsv(record: RunRecord): string {
  const rows: string[] = ["entity,type,metric,time,value"];
  const run = record.run;
  if (run !== undefined) {
    rows.push(`,run,finished,,${run.finished}`);
    if (run.stopped !== undefined) rows.push(`,run,stopped,,${run.stopped}`);
    if (run.error !== undefined) rows.push(`,run,error,,${csvField(run.error)}`);
    if (run.until !== undefined) rows.push(`,run,until,,${run.until}`);
    for (const [name, value] of Object.entries(run.params)) {
      rows.push(
        `,run,${csvField(`params.${name}`)},,${typeof value === "string" ? csvField(value) : value}`,
      );
    }
  }
  for (const fault of record.faults ?? []) {
    const prefix = `,fault,faults[${fault.index}].`;
    rows.push(
      `${prefix}faultId,,${fault.faultId}`,
      `${prefix}kind,,${csvField(fault.kind)}`,
      `${prefix}targets,,${csvField(fault.targets.join(","))}`,
      `${prefix}status,,${fault.status}`,
      `${prefix}activatedAt,,${fault.activatedAt ?? ""}`,
      `${prefix}healedAt,,${fault.healedAt ?? ""}`,
      `${prefix}detail,,${csvField(fault.detail)}`,
    );
    for (const [name, value] of Object.entries(fault.effects)) {
      rows.push(`,fault,${csvField(`faults[${fault.index}].effects.${name}`)},,${csvValue(value)}`);
    }
  }
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
