/**
 * A model to check, and one explored seed of it. The same contract serves `explore` given
 * functions and a model file run on the sweep backends: a worker thread or a BullMQ worker
 * imports the file and reads these exports (a function cannot travel to it), runs one seed and
 * sends back a `SeedOutcome`, plain data. Browser-safe: reading files is the CLI's.
 */
import { type ModelBuilder, type ModelContext, modelModuleOf } from "../../core/model.js";
import type { Simulation } from "../../core/simulation.js";
import { FaultSchedule } from "../../faults/schedule.js";
import type { FaultScheduleSpec } from "../../faults/spec.js";
import { eventually, type InvariantViolation, invariantViolations } from "./invariants.js";

/** The liveness phase: every fault healed, then `progress(sim)` must grow within `within` s. */
export interface LivenessPhase {
  readonly within: number;
  readonly progress: (sim: Simulation) => number;
}

/**
 * A model with its checks: what `explore` runs and what a file for `distsim check` exports
 * (the builder as its default export or `build`, and `faults`, `checks`, `safety` or
 * `until`, `liveness` by those names).
 */
export interface CheckModel {
  readonly build: ModelBuilder;
  /**
   * The fault schedule of a seed, plain data (for example `randomFaultSchedule({ seed, ... })`);
   * none by default. It must depend on the seed only, so a seed replays with its schedule.
   */
  readonly faults?: (seed: number) => FaultScheduleSpec;
  /** Registers the invariants on a freshly built simulation (`always`, `eventually`, trackers). */
  readonly checks?: (sim: Simulation, seed: number) => void;
  /** Length of the safety phase, with faults (seconds). */
  readonly safety: number;
  /**
   * The liveness phase: every fault healed (pending ones called off) at the end of the safety
   * phase, then `progress(sim)` must grow within `within` seconds.
   */
  readonly liveness?: LivenessPhase;
  /**
   * Workload knobs (`params`) the shrinker may lower, each with its default and its least
   * value: `{ clients: { initial: 5, min: 1 } }` (whole numbers unless `integer: false`).
   */
  readonly shrinkable?: { readonly [name: string]: ShrinkableParam };
}

/** A workload knob the shrinker may lower: a number the model reads from `params`. */
export interface ShrinkableParam {
  /** The value the model uses when `params` does not set it (its default). */
  readonly initial: number;
  /** The least value worth trying (one client, one operation). */
  readonly min: number;
  /** Whole numbers only. Default true. */
  readonly integer?: boolean;
}

/**
 * How one seed went, as plain data for any transport: a pass, or the first violation (a model
 * that threw is "model-failed") with the fault schedule the seed ran, to replay or shrink it.
 */
export type SeedOutcome =
  | { readonly pass: true }
  | {
      readonly violation: InvariantViolation;
      /** The schedule as applied (every `for` explicit); null when the seed had none. */
      readonly faults: FaultScheduleSpec | null;
      /**
       * Kinds of the faults that had activated by the violation's time (sorted, distinct):
       * what the failure is grouped by besides its invariant. [] when none had.
       */
      readonly faultKinds: readonly string[];
    };

/** The kinds of the schedule's faults activated at or before `time` seconds, sorted. */
function kindsActiveBy(schedule: FaultSchedule | null, time: number): string[] {
  if (schedule === null) return [];
  const kinds = new Set<string>();
  for (const row of schedule.rows()) {
    if (row.activatedAt !== null && row.activatedAt <= time) kinds.add(row.kind);
  }
  return [...kinds].sort();
}

/** What a checked run needs of a model: how to build it, its checks, its liveness phase. */
export type CheckedPhases = Pick<CheckModel, "build" | "checks" | "liveness">;

/** One checked run, as `runCheckedPhases` left it. */
export interface CheckedRun {
  /** The simulation after the run (null if the builder threw). */
  readonly sim: Simulation | null;
  /** The applied fault schedule, or null when the run had none (or it never got applied). */
  readonly schedule: FaultSchedule | null;
  /** Every violation, earliest first; a model that threw gives just "model-failed". */
  readonly violations: readonly InvariantViolation[];
}

/**
 * The one run both `explore` (a seed) and the shrinker (`replay`, a scenario) make, so a seed
 * and its scenario fail the same way: build, register the checks, apply the schedule `faults()`
 * gives (called after the checks, as a model's `faults` always was), run the safety phase,
 * heal everything, run the liveness phase. Never throws for the model: a builder, check or
 * schedule that throws is the violation "model-failed".
 */
export function runCheckedPhases(
  model: CheckedPhases,
  seed: number,
  params: ModelContext["params"],
  faults: () => FaultScheduleSpec | null | undefined,
  safety: number,
): CheckedRun {
  let sim: Simulation | null = null;
  let schedule: FaultSchedule | null = null;
  try {
    sim = model.build({ seed, params });
    if (typeof sim !== "object" || sim === null || typeof sim.run !== "function") {
      throw new Error("the builder did not return a Simulation");
    }
    model.checks?.(sim, seed);
    const spec = faults();
    if (spec !== undefined && spec !== null) schedule = new FaultSchedule(sim, spec);
    sim.run({ until: safety });
    const liveness = model.liveness;
    if (liveness !== undefined) {
      if (schedule !== null) {
        for (const row of schedule.rows()) {
          if (row.status === "active") schedule.heal(row.index);
          else if (row.status === "pending") schedule.cancel(row.index);
        }
      }
      const live = sim;
      const before = liveness.progress(live);
      eventually(live, "progress after heal", () => liveness.progress(live) > before, {
        within: liveness.within,
      });
      sim.run({ until: safety + liveness.within });
    }
    return { sim, schedule, violations: invariantViolations(sim) };
  } catch (error) {
    const timeNs = sim?.nowNs ?? 0;
    const violation: InvariantViolation = {
      name: "model-failed",
      kind: "always",
      timeNs,
      time: timeNs / 1e9,
      event: sim?.eventsProcessed ?? 0,
      message: error instanceof Error ? error.message : String(error),
    };
    return { sim, schedule, violations: [violation] };
  }
}

/**
 * Runs one seed (`runCheckedPhases` with no parameters) with the seed's schedule, or `faults`
 * given (a replay). Never throws: a model that throws is the violation "model-failed".
 */
export function runExploreSeed(
  model: CheckModel,
  seed: number,
  faults?: FaultScheduleSpec | null,
): SeedOutcome {
  const run = runCheckedPhases(
    model,
    seed,
    {},
    () => (faults === undefined ? model.faults?.(seed) : faults),
    model.safety,
  );
  const violation = run.violations[0];
  if (violation === undefined) return { pass: true };
  return {
    violation,
    faults: run.schedule?.spec ?? null,
    faultKinds: kindsActiveBy(run.schedule, violation.time),
  };
}

function isSeconds(value: unknown, positive: boolean): value is number {
  return typeof value === "number" && Number.isFinite(value) && (positive ? value > 0 : value >= 0);
}

/**
 * A loaded module (a namespace object from `import()`) as a `CheckModel`, or what is wrong
 * with it, in words. `safety` falls back to `until`, so a file written for `distsim run` is
 * checked over its own horizon. A TypeScript file loaded as CommonJS arrives wrapped in
 * `default`.
 */
export function checkModelOf(loaded: Record<string, unknown>, name: string): CheckModel | string {
  const found = modelModuleOf(loaded, name);
  if (typeof found === "string") return found;
  const { module, build } = found;
  const safety = module.safety ?? module.until;
  if (!isSeconds(safety, false)) {
    return `${name} must export "safety" (or "until"), the safety phase's length in seconds >= 0; given ${String(safety)}`;
  }
  for (const exported of ["faults", "checks"] as const) {
    const value = module[exported];
    if (value !== undefined && typeof value !== "function") {
      return `${name} exports "${exported}" that is not a function`;
    }
  }
  const liveness = module.liveness as Record<string, unknown> | undefined;
  if (liveness !== undefined) {
    if (
      typeof liveness !== "object" ||
      liveness === null ||
      !isSeconds(liveness.within, true) ||
      typeof liveness.progress !== "function"
    ) {
      return `${name} exports "liveness" that is not { within: seconds > 0, progress: (sim) => number }`;
    }
  }
  const shrinkable = module.shrinkable;
  if (shrinkable !== undefined) {
    const problem = shrinkableProblem(shrinkable);
    if (problem !== null) return `${name} exports "shrinkable" ${problem}`;
  }
  return {
    build: build as ModelBuilder,
    safety,
    ...(module.faults === undefined
      ? {}
      : { faults: module.faults as (seed: number) => FaultScheduleSpec }),
    ...(module.checks === undefined
      ? {}
      : { checks: module.checks as (sim: Simulation, seed: number) => void }),
    ...(liveness === undefined ? {} : { liveness: liveness as unknown as LivenessPhase }),
    ...(shrinkable === undefined
      ? {}
      : { shrinkable: shrinkable as { [name: string]: ShrinkableParam } }),
  };
}

/** What is wrong with a `shrinkable` export, in words (after `exports "shrinkable"`), or null. */
function shrinkableProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `that is not an object { [param]: { initial, min, integer? } }; given ${String(value)}`;
  }
  for (const [param, spec] of Object.entries(value)) {
    const at = `whose "${param}"`;
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
      return `${at} is not { initial, min, integer? }; given ${String(spec)}`;
    }
    const { initial, min, integer } = spec as Record<string, unknown>;
    if (typeof min !== "number" || !Number.isFinite(min)) {
      return `${at}.min is not a finite number; given ${String(min)}`;
    }
    if (typeof initial !== "number" || !Number.isFinite(initial) || initial < min) {
      return `${at}.initial is not a finite number >= min (${min}); given ${String(initial)}`;
    }
    if (integer !== undefined && typeof integer !== "boolean") {
      return `${at}.integer is not a boolean; given ${String(integer)}`;
    }
  }
  return null;
}
