/**
 * A scenario: everything one checked run depends on, as plain JSON (a seed, the model's
 * parameters, a fault schedule, the length of the safety phase), so a failing run found by
 * `explore` can be printed, stored, shrunk and replayed exactly. `replay` runs one with the
 * very function `explore` runs a seed with (`runCheckedPhases`): build, register the checks,
 * apply the faults, run the safety phase, then (with `liveness`) heal every fault and ask for
 * progress.
 */
import type { ModelBuilder } from "../../core/model.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { checkFaultSchedule, type FaultScheduleSpec, type JsonValue } from "../../faults/spec.js";
import { runCheckedPhases, type ShrinkableParam } from "../invariants/checkModel.js";

export type { ShrinkableParam };

import type { InvariantViolation } from "../invariants/invariants.js";

/** One run, as data: replaying it gives the same run, event for event. */
export interface Scenario {
  /** The root seed. */
  readonly seed: number;
  /** The model's parameters (`ModelContext.params`): its workload knobs. */
  readonly params: { readonly [name: string]: JsonValue };
  /** The faults, applied from time 0. */
  readonly faults: FaultScheduleSpec;
  /** Length of the safety phase, with faults (seconds). */
  readonly until: number;
}

/**
 * A model with its checks, as `explore` takes it (an `ExploreOptions` is one): how to build
 * it, which invariants to register, and the liveness phase. `shrinkable` names the parameters
 * the shrinker may lower.
 */
export interface ScenarioModel {
  readonly build: ModelBuilder;
  /** Registers the invariants on a freshly built simulation (`always`, `eventually`, trackers). */
  readonly checks?: (sim: Simulation, seed: number) => void;
  /** As `ExploreOptions.liveness`: after the safety phase every fault heals; progress must grow. */
  readonly liveness?: {
    readonly within: number;
    readonly progress: (sim: Simulation) => number;
  };
  /** Workload knobs (`params`) the shrinker may lower, each with its default and minimum. */
  readonly shrinkable?: { readonly [name: string]: ShrinkableParam };
}

/** What one run of a scenario gave. */
export interface ScenarioRun {
  /** The first violation (a model that threw is "model-failed"), or null when it passed. */
  readonly violation: InvariantViolation | null;
  /** Every violation, earliest first. */
  readonly violations: readonly InvariantViolation[];
  /** The simulation after the run (null if the builder threw), to look into. */
  readonly sim: Simulation | null;
}

/**
 * Runs `scenario` on `model` once, as `explore` runs a seed, and returns its violations.
 * Never throws for the model: a builder, check or fault schedule that throws is reported as
 * the violation "model-failed" (a shrunk schedule naming an entity the smaller model lacks is
 * one).
 */
export function replay(model: ScenarioModel, scenario: Scenario): ScenarioRun {
  const { sim, violations } = runCheckedPhases(
    model,
    scenario.seed,
    scenario.params,
    () => scenario.faults,
    scenario.until,
  );
  return { violation: violations[0] ?? null, violations, sim };
}

/**
 * The scenario as JSON text: one fault a line, so a diff of two scenarios reads fault by
 * fault; `JSON.parse` gives it back.
 */
export function scenarioJson(scenario: Scenario): string {
  const faults = scenario.faults.faults.map((fault) => `      ${JSON.stringify(fault)}`);
  const schedule =
    faults.length === 0
      ? '{ "faults": [] }'
      : `{\n    "faults": [\n${faults.join(",\n")}\n    ]\n  }`;
  return [
    "{",
    `  "seed": ${JSON.stringify(scenario.seed)},`,
    `  "params": ${JSON.stringify(scenario.params)},`,
    `  "faults": ${schedule},`,
    `  "until": ${JSON.stringify(scenario.until)}`,
    "}",
  ].join("\n");
}

const SCENARIO_FIELDS = new Set(["seed", "params", "faults", "until"]);

/**
 * Checks a scenario's shape (a parsed JSON file, or a literal) and returns it with its schedule
 * normalised (every `for` explicit). Throws a ConfigError naming the field, what was expected
 * and what was given.
 */
export function checkScenario(value: unknown): Scenario {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(
      "Scenario",
      "scenario",
      "an object { seed, params, faults, until }",
      value,
    );
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!SCENARIO_FIELDS.has(key)) {
      throw new ConfigError(
        "Scenario",
        key,
        "absent (a scenario has seed, params, faults, until)",
        record[key],
      );
    }
  }
  const { seed, params, until } = record;
  if (!Number.isSafeInteger(seed) || (seed as number) < 0) {
    throw new ConfigError("Scenario", "seed", "an integer in [0, 2^53)", seed);
  }
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new ConfigError("Scenario", "params", "an object of JSON values", params);
  }
  if (typeof until !== "number" || !Number.isFinite(until) || until < 0) {
    throw new ConfigError("Scenario", "until", "a finite number of seconds >= 0", until);
  }
  return {
    seed: seed as number,
    params: params as Scenario["params"],
    faults: checkFaultSchedule(record.faults),
    until,
  };
}

/** Parses a scenario from JSON text (`scenarioJson`'s, or a file) and checks it. */
export function parseScenario(json: string): Scenario {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new ConfigError("Scenario", "json", "valid JSON", (error as Error).message);
  }
  return checkScenario(parsed);
}
