/**
 * The shape of a model file, as `distsim run` loads it: a builder (the file's default export,
 * or its `build` export) that makes a Simulation from a seed and parameters, and an optional
 * `until` (seconds), the run's default horizon. The types live beside the simulation, not in
 * the CLI, so a model imports them from the main entry, which runs in a browser too.
 */
import type { Simulation } from "./simulation.js";

/** What a model's builder is given: the run's root seed and the model's parameters. */
export interface ModelContext {
  readonly seed: number;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A model's builder: `export default (({ seed }) => { ... return sim; }) satisfies ModelBuilder`. */
export type ModelBuilder = (context: ModelContext) => Simulation;
