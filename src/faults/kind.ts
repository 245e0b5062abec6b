/**
 * The fault kind registry's interface: a kind checks its parameters against the model, and
 * activates into something that heals. A kind is one small file in src/faults, listed in
 * `BUILTIN_FAULT_KINDS`; a model may bring its own through `FaultSchedule`'s `kinds` option.
 */
import type { Entity } from "../core/entity.js";
import type { Simulation } from "../core/simulation.js";
import { type FaultSpec, faultFieldError, type JsonValue } from "./spec.js";

/** What a kind's `activate` is given. */
export interface FaultContext {
  readonly sim: Simulation;
  /** The id its trace records share (`FaultRecord.faultId`). */
  readonly faultId: number;
  /** Its index in the schedule. */
  readonly index: number;
  /** The entity named `name` (a target or a parameter, already checked by `check`). */
  entity(name: string): Entity<unknown, unknown>;
  /**
   * Calls `callback` after `seconds`, unless the fault heals or is cancelled first (a crash
   * loop's next crash). Daemon events: a pending fault keeps no run alive.
   */
  after(seconds: number, callback: () => void): void;
}

/** A fault while it is active. */
export interface ActiveFault {
  /** Words for the activation's trace record ("a,b | c"); "" if nothing to add. */
  readonly detail: string;
  /** Ends it: undoes what activation did (a crashed node recovers, a partition heals). */
  heal(): void;
  /**
   * What it did so far, as counts named in the statistics vocabulary (`crashes`,
   * `messagesDropped`, `processesCancelled`, `callsCancelled`, `lostToCrash`, `taken`, ...).
   */
  effects(): Readonly<Record<string, number>>;
}

export interface FaultKind {
  /** The `kind` a schedule names it by. */
  readonly name: string;
  /** One line for docs and errors. */
  readonly description: string;
  /**
   * Checks the fault against the model before anything is scheduled: its targets exist and are
   * what the kind works on, its parameters are well formed. Throws a ConfigError naming
   * `faults[index].<field>` (`faultFieldError`).
   */
  check(fault: FaultSpec, index: number, sim: Simulation): void;
  /** Starts the fault now. */
  activate(fault: FaultSpec, context: FaultContext): ActiveFault;
}

// Helpers for kinds: each reads one field and throws the schedule's error naming it.

/** Refuses parameters the kind does not know (a typo would otherwise be ignored). */
export function checkParamNames(fault: FaultSpec, index: number, allowed: readonly string[]): void {
  for (const key of Object.keys(fault.params ?? {})) {
    if (!allowed.includes(key)) {
      throw faultFieldError(
        index,
        `params.${key}`,
        allowed.length === 0
          ? `absent (kind "${fault.kind}" takes no parameters)`
          : `absent (kind "${fault.kind}" takes ${allowed.join(", ")})`,
        fault.params?.[key],
      );
    }
  }
}

/** The entity named `name`, or the schedule's error naming `field`. */
export function entityNamed(
  sim: Simulation,
  name: JsonValue | undefined,
  index: number,
  field: string,
): Entity<unknown, unknown> {
  const found = typeof name === "string" ? sim.entity(name) : undefined;
  if (found === undefined) {
    throw faultFieldError(index, field, "the name of an entity in the model", name);
  }
  return found;
}

/** Every target exists. */
export function checkTargetsExist(fault: FaultSpec, index: number, sim: Simulation): void {
  for (const name of fault.targets) entityNamed(sim, name, index, "targets");
}

/** A numeric parameter; `undefined` if absent and optional. */
export function numberParam(
  fault: FaultSpec,
  index: number,
  name: string,
  rule: { min?: number; above?: number; max?: number; integer?: boolean; optional?: boolean },
): number | undefined {
  const value = fault.params?.[name];
  if (value === undefined && rule.optional === true) return undefined;
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.max === undefined || value <= rule.max) &&
    (rule.integer !== true || Number.isInteger(value));
  if (!ok) {
    const bounds = [
      rule.min !== undefined ? `>= ${rule.min}` : "",
      rule.above !== undefined ? `> ${rule.above}` : "",
      rule.max !== undefined ? `<= ${rule.max}` : "",
    ].filter((text) => text !== "");
    const what = `${rule.integer === true ? "an integer" : "a finite number"}${bounds.length > 0 ? ` ${bounds.join(" and ")}` : ""}`;
    throw faultFieldError(index, `params.${name}`, what, value);
  }
  return value as number;
}

/** A parameter that is a non-empty array of entity names, each resolved. */
export function entityListParam(
  fault: FaultSpec,
  index: number,
  name: string,
  sim: Simulation,
): Entity<unknown, unknown>[] {
  const value = fault.params?.[name];
  if (!Array.isArray(value) || value.length === 0) {
    throw faultFieldError(index, `params.${name}`, "a non-empty array of entity names", value);
  }
  return value.map((item, i) => entityNamed(sim, item, index, `params.${name}[${i}]`));
}
