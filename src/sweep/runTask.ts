/**
 * One run of a sweep, the same code on every backend: build the model with a seed and
 * parameters, run it to its horizon, and measure it. A model that throws (building, running
 * or measuring) gives a failed outcome with its message, never an exception, so one bad seed
 * does not take the sweep down.
 */
import { type ModelBuilder, modelModuleOf } from "../core/model.js";
import type { RunSummary, Simulation } from "../core/simulation.js";
import type { Params } from "./grid.js";

/**
 * What a sweep measures in one run: named numbers. Given the finished simulation and its
 * summary; the names become the figures of the sweep's result.
 */
export type Measure = (run: {
  readonly sim: Simulation;
  readonly summary: RunSummary;
  readonly params: Params;
  readonly seed: number;
}) => Readonly<Record<string, number>>;

/**
 * A model as a sweep loads it: the shape of a model file (`distsim run`'s), plus an optional
 * `measure`. Workers import the file and read these exports.
 */
export interface SweepModel {
  /** The builder: the file's default export or its `build` export. */
  readonly build: ModelBuilder;
  /** The horizon in seconds (the file's `until` export); without one a run goes to its end. */
  readonly until?: number;
  /** The file's `measure` export; without one, every entity's numeric metrics. */
  readonly measure?: Measure;
}

/** One run of a sweep: which grid point, which replication, and the two things it is given. */
export interface RunTask {
  /** Position in the sweep: point * replications + replication. */
  readonly index: number;
  readonly point: number;
  readonly replication: number;
  readonly params: Params;
  readonly seed: number;
}

/** How one run went: its figures, or the error it failed with. Plain data, for any transport. */
export type RunOutcome =
  | { readonly figures: Readonly<Record<string, number>> }
  | { readonly error: string };

/**
 * Every entity's numeric metrics, named `entity.metric`, in the order the simulation lists
 * them: what a sweep measures when the model says nothing.
 */
export const everyMetric: Measure = ({ summary }) => {
  const figures: Record<string, number> = {};
  for (const entity of summary.entities) {
    for (const [name, value] of Object.entries(entity.metrics)) {
      if (typeof value === "number") figures[`${entity.name}.${name}`] = value;
    }
  }
  return figures;
};

/** Runs one task of a sweep. `until` (when given) overrides the model's own horizon. */
export function runTask(model: SweepModel, task: RunTask, until?: number): RunOutcome {
  try {
    const sim = model.build({ seed: task.seed, params: task.params });
    if (typeof sim !== "object" || sim === null || typeof sim.run !== "function") {
      return { error: "the builder did not return a Simulation" };
    }
    const horizon = until ?? model.until;
    const summary = sim.run(horizon === undefined ? {} : { until: horizon });
    const measured = (model.measure ?? everyMetric)({
      sim,
      summary,
      params: task.params,
      seed: task.seed,
    });
    const figures: Record<string, number> = {};
    for (const [name, value] of Object.entries(measured)) {
      if (typeof value !== "number") {
        return { error: `measure gave ${name} = ${String(value)}; figures must be numbers` };
      }
      figures[name] = value;
    }
    return { figures };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * A loaded model module (a namespace object from `import()`) as a `SweepModel`, or the reason
 * it is not one. A TypeScript file loaded as CommonJS arrives wrapped in `default`.
 */
export function sweepModelOf(loaded: Record<string, unknown>, name: string): SweepModel | string {
  const found = modelModuleOf(loaded, name);
  if (typeof found === "string") return found;
  const { module, build } = found;
  const until = module.until;
  if (until !== undefined && (typeof until !== "number" || !(until >= 0))) {
    return `${name} exports "until" = ${String(until)}; it must be a number of seconds >= 0`;
  }
  const measure = module.measure;
  if (measure !== undefined && typeof measure !== "function") {
    return `${name} exports "measure" that is not a function`;
  }
  return {
    build: build as ModelBuilder,
    ...(until === undefined ? {} : { until: until as number }),
    ...(measure === undefined ? {} : { measure: measure as Measure }),
  };
}
