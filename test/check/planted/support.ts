/**
 * What the planted-bug models share: each is a small model with a bug (or its correct twin)
 * whose workload ends by itself; a check made once the workload is done and the system has
 * settled (a final read, a whole history) becomes an `always` invariant registered then, so
 * `explore`, `shrink` and `replay` see it like any other invariant.
 */
import {
  always,
  type CheckResult,
  checkLinearizability,
  type FaultScheduleSpec,
  type History,
  type Model,
  type ScenarioModel,
  type Simulation,
} from "../../../src/index.js";

/** A planted model, ready for `explore` (with `faults` and `safety`) and `shrink`. */
export interface PlantedModel extends ScenarioModel {
  /** The random fault schedule of a seed. */
  readonly faults: (seed: number) => FaultScheduleSpec;
  /** Length of the safety phase (seconds). */
  readonly safety: number;
  /** The invariant the bug breaks. */
  readonly invariant: string;
}

/** The workload knobs every planted model reads from `params`. */
export interface Workload {
  readonly clients: number;
  readonly operations: number;
}

export function workload(params: Readonly<Record<string, unknown>>, defaults: Workload): Workload {
  return {
    clients: (params.clients as number | undefined) ?? defaults.clients,
    operations: (params.operations as number | undefined) ?? defaults.operations,
  };
}

/**
 * Counts clients done; `settle` seconds after the last, evaluates `check` once and registers it
 * as the invariant `name` (checked at once: the answer is fixed).
 */
export function checkWhenDone(
  sim: Simulation,
  clients: number,
  settle: number,
  name: string,
  check: () => CheckResult,
): () => void {
  let remaining = clients;
  return () => {
    remaining--;
    if (remaining > 0) return;
    sim.at(sim.now + settle, () => {
      const answer = check();
      always(sim, name, () => answer);
    });
  };
}

/** The history checked against `model`: true, or the verdict's first lines. */
export function linearizable(history: History, model: Model<unknown>): CheckResult {
  const result = checkLinearizability(history, model);
  if (result.verdict === "linearizable") return true;
  if (result.verdict === "unknown") return "unknown: the budget ran out";
  const failure = result.failure;
  const id = failure?.unplaceable[0];
  const operation = failure?.operations.find((op) => op.id === id);
  return operation === undefined
    ? "not linearizable"
    : `not linearizable: ${operation.description} by process ${operation.process} cannot be placed`;
}
