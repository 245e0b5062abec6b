/**
 * `FaultSchedule`: applies a schedule (plain data, `FaultScheduleSpec`) to a simulation. Every
 * fault is checked against the model before anything is scheduled, so a bad schedule fails
 * with nothing half-registered; then each activates at its `at` and heals `for` seconds later.
 * Every activation, heal and cancellation writes a `fault` trace record, and the schedule keeps
 * a row per fault (when it ran, what it did) for the run summary. A fault is one pair of
 * records: the handles its kind opens on the targets (an entity's pause, a network's
 * partition) share its id and write none of their own.
 */
import type { Simulation } from "../core/simulation.js";
import { durationToNs } from "../core/time.js";
import { ConfigError } from "../errors/errors.js";
import { BUILTIN_FAULT_KINDS } from "./builtinKinds.js";
import type { ActiveFault, FaultContext, FaultKind } from "./kind.js";
import {
  checkFaultSchedule,
  type FaultScheduleSpec,
  type FaultSpec,
  faultFieldError,
  formatSeconds,
} from "./spec.js";

export interface FaultScheduleOptions {
  /**
   * Fault kinds beside the built-in ones (`BUILTIN_FAULT_KINDS`); one with a built-in's name
   * replaces it.
   */
  readonly kinds?: readonly FaultKind[];
}

export type FaultStatus = "pending" | "active" | "healed" | "cancelled";

/** One fault's line in the summary: what was asked, what happened, what it did. */
export interface FaultRow {
  readonly index: number;
  readonly faultId: number;
  readonly kind: string;
  readonly targets: readonly string[];
  readonly status: FaultStatus;
  /** Seconds; null until it activates (never, if cancelled). */
  readonly activatedAt: number | null;
  /** Seconds; null while pending or active, or if it lasts until the end. */
  readonly healedAt: number | null;
  /** The kind's words on activation ("a | b"), "" if none. */
  readonly detail: string;
  /** What it did, counted (`crashes`, `messagesDropped`, `processesCancelled`, ...). */
  readonly effects: Readonly<Record<string, number>>;
}

interface Entry {
  readonly spec: FaultSpec;
  readonly kind: FaultKind;
  readonly index: number;
  readonly faultId: number;
  status: FaultStatus;
  activatedNs: number;
  healedNs: number;
  /** The activation's timer while pending. */
  token: number;
  /** When its `for` runs out (ns), or -1 (none, or not active). */
  healDueNs: number;
  active: ActiveFault | null;
  /** Timers the fault set while active (its heal, a crash loop's steps), cancelled on heal. */
  readonly timers: Set<number>;
}

const NO_EFFECTS: Readonly<Record<string, number>> = Object.freeze({});

/** "crashes 1, messagesDropped 12" (keys sorted, so a summary reads the same every run). */
export function describeEffects(effects: Readonly<Record<string, number>>): string {
  return Object.keys(effects)
    .sort()
    .filter((key) => effects[key] !== 0)
    .map((key) => `${key} ${effects[key]}`)
    .join(", ");
}

export class FaultSchedule {
  /** The schedule as given, normalised (every `for` explicit): what to print, store and replay. */
  readonly spec: FaultScheduleSpec;
  readonly sim: Simulation;
  private readonly entries: Entry[];
  /** Active faults with a `for`, in the order they activated. */
  private readonly timed = new Set<Entry>();

  constructor(sim: Simulation, schedule: FaultScheduleSpec, options: FaultScheduleOptions = {}) {
    this.sim = sim;
    const spec = checkFaultSchedule(schedule);
    const kinds = new Map<string, FaultKind>();
    for (const kind of [...BUILTIN_FAULT_KINDS, ...(options.kinds ?? [])])
      kinds.set(kind.name, kind);
    const nowSeconds = sim.now;
    // Every fault is checked before any is scheduled: a bad one leaves nothing behind.
    const checked = spec.faults.map((fault, index) => {
      const kind = kinds.get(fault.kind);
      if (kind === undefined) {
        throw faultFieldError(
          index,
          "kind",
          `a known fault kind (${[...kinds.keys()].join(", ")})`,
          fault.kind,
        );
      }
      if (fault.at < nowSeconds) {
        throw faultFieldError(index, "at", `a time not before now (${nowSeconds}s)`, fault.at);
      }
      kind.check(fault, index, sim);
      return kind;
    });
    this.spec = spec;
    this.entries = spec.faults.map((fault, index) => {
      const entry: Entry = {
        spec: fault,
        kind: checked[index]!,
        index,
        faultId: sim.nextFaultId(),
        status: "pending",
        activatedNs: -1,
        healedNs: -1,
        token: 0,
        healDueNs: -1,
        active: null,
        timers: new Set(),
      };
      entry.token = sim.at(fault.at, this.activate, entry, { daemon: true });
      return entry;
    });
  }

  /**
   * Calls off fault `index` before it fires: true if it was pending (now cancelled), false if
   * it has already activated (end it early with `heal`) or was cancelled.
   */
  cancel(index: number): boolean {
    const entry = this.entry(index, "cancel");
    if (entry.status !== "pending") return false;
    this.sim.cancel(entry.token);
    entry.status = "cancelled";
    this.record(entry, "cancelled", "");
    return true;
  }

  /** Ends active fault `index` now, before its `for` runs out; false if it is not active. */
  heal(index: number): boolean {
    const entry = this.entry(index, "heal");
    if (entry.status !== "active") return false;
    this.end(entry);
    return true;
  }

  /** One row per fault, in schedule order. */
  rows(): FaultRow[] {
    return this.entries.map((entry) => ({
      index: entry.index,
      faultId: entry.faultId,
      kind: entry.spec.kind,
      targets: entry.spec.targets,
      status: entry.status,
      activatedAt: entry.activatedNs < 0 ? null : entry.activatedNs / 1e9,
      healedAt: entry.healedNs < 0 ? null : entry.healedNs / 1e9,
      detail: entry.active?.detail ?? "",
      effects: entry.active?.effects() ?? NO_EFFECTS,
    }));
  }

  /** The rows as a text table (what `distsim run --faults` prints after the run). */
  table(): string {
    return formatFaultTable(this.rows());
  }

  private entry(index: number, method: string): Entry {
    const entry = Number.isInteger(index) ? this.entries[index] : undefined;
    if (entry === undefined) {
      throw new ConfigError(
        `FaultSchedule.${method}`,
        "index",
        `the index of a fault in the schedule (0 to ${this.entries.length - 1})`,
        index,
      );
    }
    return entry;
  }

  private readonly activate = (entry: Entry): void => {
    const sim = this.sim;
    // A fault whose `for` runs out now heals before this one activates (its heal timer was set
    // later, so it would run after): a target repaired at t is up for a failure at t, as a
    // random schedule's cap on faults at once assumes.
    for (const other of this.timed) if (other.healDueNs === sim.nowNs) this.end(other);
    entry.status = "active";
    entry.activatedNs = sim.nowNs;
    const context: FaultContext = {
      sim,
      faultId: entry.faultId,
      index: entry.index,
      entity: (name) => sim.entity(name)!,
      after: (seconds, callback) => {
        const token = sim.after(
          seconds,
          () => {
            entry.timers.delete(token);
            // A crash loop's next crash, say, is this fault acting too.
            sim._asPartOfFault(entry.faultId, callback);
          },
          undefined,
          { daemon: true },
        );
        entry.timers.add(token);
      },
    };
    // What the kind opens (an entity's pause, a network's partition) is part of this fault:
    // it takes the fault's id and leaves the records to the schedule, so a reader counts the
    // fault once.
    const active = sim._asPartOfFault(entry.faultId, () =>
      entry.kind.activate(entry.spec, context),
    );
    entry.active = active;
    this.record(entry, "activated", active.detail);
    const duration = entry.spec.for;
    if (duration !== null && duration !== undefined) {
      context.after(duration, () => this.end(entry));
      entry.healDueNs = sim.nowNs + durationToNs(duration, "FaultSchedule", "for");
      this.timed.add(entry);
    }
  };

  private end(entry: Entry): void {
    this.timed.delete(entry);
    for (const token of entry.timers) this.sim.cancel(token);
    entry.timers.clear();
    const active = entry.active!;
    this.sim._asPartOfFault(entry.faultId, () => active.heal());
    entry.status = "healed";
    entry.healedNs = this.sim.nowNs;
    this.record(entry, "healed", describeEffects(active.effects()));
  }

  private record(entry: Entry, phase: "activated" | "healed" | "cancelled", detail: string): void {
    this.sim._traceDrivenFault(entry.faultId, entry.spec.kind, phase, entry.spec.targets, detail);
  }
}

/** Fault rows as a text table: one line a fault, what it did in words. */
export function formatFaultTable(rows: readonly FaultRow[]): string {
  const header = ["#", "fault", "targets", "activated", "healed", "did"];
  const lines = rows.map((row) => [
    String(row.index),
    row.kind,
    row.targets.join(","),
    row.activatedAt === null ? row.status : formatSeconds(row.activatedAt),
    row.healedAt === null
      ? row.status === "active"
        ? "still active"
        : "-"
      : formatSeconds(row.healedAt),
    [row.detail, describeEffects(row.effects)].filter((text) => text !== "").join("; ") || "-",
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const render = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join("  ");
  return `${[render(header), ...lines.map(render)].join("\n")}\n`;
}
