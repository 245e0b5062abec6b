/**
 * Seed exploration, inline (in this thread, browser-safe): run a model over many seeds, each
 * with the fault schedule drawn from its seed and the model's invariants registered, in two
 * phases (TigerBeetle's): safety with the faults, then liveness with every fault healed, where
 * the model must make progress. Reports the failing seeds and each one's first violation,
 * grouped by invariant. The sweep backends (worker threads, BullMQ) and `distsim check` are
 * still to come.
 */
import type { ModelBuilder } from "../../core/model.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { FaultSchedule } from "../../faults/schedule.js";
import type { FaultScheduleSpec } from "../../faults/spec.js";
import { eventually, type InvariantViolation, invariantViolations } from "./invariants.js";

export interface ExploreOptions {
  readonly build: ModelBuilder;
  /** How many seeds (0 .. n-1), or the seeds themselves. */
  readonly seeds: number | readonly number[];
  /** The fault schedule of a seed (for example `randomFaultSchedule({ seed, ... })`); none by default. */
  readonly faults?: (seed: number) => FaultScheduleSpec;
  /** Registers the invariants on a freshly built simulation (`always`, `eventually`, trackers). */
  readonly checks?: (sim: Simulation, seed: number) => void;
  /** Length of the safety phase, with faults (seconds). */
  readonly safety: number;
  /**
   * The liveness phase: every fault healed (pending ones called off) at the end of the safety
   * phase, then `progress(sim)` must grow within `within` seconds.
   */
  readonly liveness?: { readonly within: number; readonly progress: (sim: Simulation) => number };
}

/** A seed that failed: its first violation (a model that threw is kind "model-failed"). */
export interface ExploreFailure {
  readonly seed: number;
  readonly violation: InvariantViolation;
}

export interface ExploreResult {
  readonly runs: number;
  readonly passed: number;
  readonly failed: number;
  /** In seed order. */
  readonly failures: readonly ExploreFailure[];
  /** Failing seeds by the name of their first violation, names in order of first appearance. */
  readonly byInvariant: ReadonlyMap<string, readonly number[]>;
}

function seedList(seeds: number | readonly number[]): readonly number[] {
  if (typeof seeds === "number") {
    if (!Number.isSafeInteger(seeds) || seeds < 1) {
      throw new ConfigError("explore", "seeds", "an integer >= 1 or a list of seeds", seeds);
    }
    return Array.from({ length: seeds }, (_, i) => i);
  }
  if (!Array.isArray(seeds) || seeds.length === 0) {
    throw new ConfigError("explore", "seeds", "an integer >= 1 or a list of seeds", seeds);
  }
  return seeds;
}

function runSeed(options: ExploreOptions, seed: number): InvariantViolation | null {
  let sim: Simulation | null = null;
  try {
    sim = options.build({ seed, params: {} });
    options.checks?.(sim, seed);
    const schedule =
      options.faults === undefined ? null : new FaultSchedule(sim, options.faults(seed));
    sim.run({ until: options.safety });
    const liveness = options.liveness;
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
      sim.run({ until: options.safety + liveness.within });
    }
    return invariantViolations(sim)[0] ?? null;
  } catch (error) {
    const timeNs = sim?.nowNs ?? 0;
    return {
      name: "model-failed",
      kind: "always",
      timeNs,
      time: timeNs / 1e9,
      event: sim?.eventsProcessed ?? 0,
      message: error instanceof Error ? error.message : String(error),
    };
  }
}

/** Runs every seed in turn (inline) and gathers the verdicts. */
export function explore(options: ExploreOptions): ExploreResult {
  const seeds = seedList(options.seeds);
  const failures: ExploreFailure[] = [];
  const byInvariant = new Map<string, number[]>();
  for (const seed of seeds) {
    const violation = runSeed(options, seed);
    if (violation === null) continue;
    failures.push({ seed, violation });
    const group = byInvariant.get(violation.name);
    if (group === undefined) byInvariant.set(violation.name, [seed]);
    else group.push(seed);
  }
  return {
    runs: seeds.length,
    passed: seeds.length - failures.length,
    failed: failures.length,
    failures,
    byInvariant,
  };
}
