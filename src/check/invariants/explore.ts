/**
 * Seed exploration: run a model over many seeds, each with the fault schedule drawn from its
 * seed and the model's invariants registered, in two phases (TigerBeetle's): safety with the
 * faults, then liveness with every fault healed, where the model must make progress. Reports
 * the failing seeds, each one's first violation and schedule, grouped by invariant and by the
 * fault kinds started before it broke.
 *
 * `explore` runs functions in this thread (a browser too). `exploreModel` (src/sweep/explore.ts,
 * since the sweep backends depend on this folder and not the other way) runs a model file on
 * the sweep backends (inline, worker threads, BullMQ: one explored seed is one task, run by
 * the same pool and queue as a sweep's runs); the outcomes are filed by the seed's position
 * and merged in that order, so the result is the same bytes (`exploreResultJson`) whatever
 * the backend, the worker count or the order seeds finished in.
 */
import { ConfigError } from "../../errors/errors.js";
import type { FaultScheduleSpec } from "../../faults/spec.js";
import { type CheckModel, runExploreSeed, type SeedOutcome } from "./checkModel.js";
import type { InvariantKind, InvariantViolation } from "./invariants.js";

export interface ExploreOptions extends CheckModel {
  /** How many seeds (0 .. n-1), or the seeds themselves. */
  readonly seeds: number | readonly number[];
}

/** A seed that failed: its first violation (a model that threw is kind "model-failed"). */
export interface ExploreFailure {
  readonly seed: number;
  readonly violation: InvariantViolation;
  /** The fault schedule the seed ran, to replay or shrink it; null when it had none. */
  readonly faults: FaultScheduleSpec | null;
  /** Kinds of the faults that had started (activated, perhaps healed since) by the violation's time, sorted; [] for none. */
  readonly faultKinds: readonly string[];
}

/** Failing seeds that share a key, in seed order. */
export interface ExploreGroup {
  /** The first violation's invariant. */
  readonly invariant: string;
  /**
   * Its kind: an `always` and an `eventually` may share a name, and are two failures (a
   * safety property broken, a deadline missed), in two groups.
   */
  readonly kind: InvariantKind;
  /** The fault kinds active by the violation ([] for a failure without faults). */
  readonly faultKinds: readonly string[];
  readonly seeds: readonly number[];
}

export interface ExploreResult {
  /** The model file's id, or "(inline)". */
  readonly model: string;
  /** Seeds asked for. */
  readonly runs: number;
  readonly passed: number;
  readonly failed: number;
  /** Seeds never run (stopped early). */
  readonly notRun: number;
  /** In seed order. */
  readonly failures: readonly ExploreFailure[];
  /** Failing seeds by the name of their first violation, names in order of first appearance. */
  readonly byInvariant: ReadonlyMap<string, readonly number[]>;
  /**
   * Failing seeds by the kind of fault active at their violation (a seed under each of its
   * kinds; "(none)" for a failure with no fault started before it), kinds in order of first appearance.
   */
  readonly byFaultKind: ReadonlyMap<string, readonly number[]>;
  /**
   * Failing seeds by invariant (its name and kind) and the set of fault kinds together: the
   * finest grouping.
   */
  readonly groups: readonly ExploreGroup[];
  /** Why the exploration stopped before its end, or null when every seed ran. */
  readonly stopped: null | "first-failure" | "aborted";
}

/** What `byFaultKind` files a failure with no fault started before it under. */
export const NO_FAULT_KIND = "(none)";

/** The seeds asked for, checked: a count (0 .. n-1) or a list of distinct seeds. */
export function seedList(seeds: number | readonly number[]): readonly number[] {
  const expected = "an integer >= 1 or a non-empty list of distinct integer seeds in [0, 2^53)";
  if (typeof seeds === "number") {
    if (!Number.isSafeInteger(seeds) || seeds < 1) {
      throw new ConfigError("explore", "seeds", expected, seeds);
    }
    return Array.from({ length: seeds }, (_, i) => i);
  }
  if (!Array.isArray(seeds) || seeds.length === 0) {
    throw new ConfigError("explore", "seeds", expected, seeds);
  }
  const seen = new Set<number>();
  for (const seed of seeds) {
    if (!Number.isSafeInteger(seed) || seed < 0 || seen.has(seed)) {
      throw new ConfigError("explore", "seeds", expected, seed);
    }
    seen.add(seed);
  }
  return seeds;
}

/** Throws a ConfigError unless `value` is a finite number of seconds (> 0 if `positive`). */
export function checkSeconds(name: string, value: unknown, positive: boolean): void {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    (positive ? !(value > 0) : !(value >= 0))
  ) {
    throw new ConfigError(
      "explore",
      name,
      `a number of seconds ${positive ? "> 0" : ">= 0"}`,
      value,
    );
  }
}

/** Pushes `seed` onto the seeds under `key`, keys in order of first appearance. */
function file(groups: Map<string, number[]>, key: string, seed: number): void {
  const seeds = groups.get(key);
  if (seeds === undefined) groups.set(key, [seed]);
  else seeds.push(seed);
}

/**
 * The outcomes (by seed position; undefined: not run) as a result. A backend's `{ error }` (a
 * worker thread that died, a job that failed its attempts) is the seed's "model-failed".
 */
export function mergeSeedOutcomes(
  model: string,
  seeds: readonly number[],
  outcomes: readonly (SeedOutcome | { readonly error: string } | undefined)[],
  stopped: ExploreResult["stopped"],
): ExploreResult {
  const failures: ExploreFailure[] = [];
  const byInvariant = new Map<string, number[]>();
  const byFaultKind = new Map<string, number[]>();
  const groups = new Map<string, ExploreGroup>();
  let passed = 0;
  let notRun = 0;
  seeds.forEach((seed, index) => {
    const outcome = outcomes[index];
    if (outcome === undefined) {
      notRun++;
      return;
    }
    if ("pass" in outcome) {
      passed++;
      return;
    }
    const failure: ExploreFailure =
      "violation" in outcome
        ? { seed, ...outcome }
        : {
            seed,
            violation: {
              name: "model-failed",
              kind: "always",
              timeNs: 0,
              time: 0,
              event: 0,
              message: "error" in outcome ? outcome.error : "no verdict",
            },
            faults: null,
            faultKinds: [],
          };
    failures.push(failure);
    const name = failure.violation.name;
    file(byInvariant, name, seed);
    const kinds = failure.faultKinds.length === 0 ? [NO_FAULT_KIND] : failure.faultKinds;
    for (const kind of kinds) file(byFaultKind, kind, seed);
    const kind = failure.violation.kind;
    const key = JSON.stringify([name, kind, failure.faultKinds]);
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { invariant: name, kind, faultKinds: failure.faultKinds, seeds: [seed] });
    } else (group.seeds as number[]).push(seed);
  });
  return {
    model,
    runs: seeds.length,
    passed,
    failed: failures.length,
    notRun,
    failures,
    byInvariant,
    byFaultKind,
    groups: [...groups.values()],
    stopped,
  };
}

/** Runs every seed in turn (inline, in this thread) and gathers the verdicts. */
export function explore(options: ExploreOptions): ExploreResult {
  const seeds = seedList(options.seeds);
  checkSeconds("safety", options.safety, false);
  if (options.liveness !== undefined)
    checkSeconds("liveness.within", options.liveness.within, true);
  const outcomes: SeedOutcome[] = seeds.map((seed) => runExploreSeed(options, seed));
  return mergeSeedOutcomes("(inline)", seeds, outcomes, null);
}

/**
 * The result as JSON text: the bytes an exploration is compared by. The maps are written as
 * lists of `[key, seeds]` pairs, in their order (an object would put integer-like keys first).
 */
export function exploreResultJson(result: ExploreResult): string {
  const maps = (_key: string, value: unknown) => (value instanceof Map ? [...value] : value);
  return `${JSON.stringify(result, maps, 2)}\n`;
}
