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

/**
 * A loaded model module (a namespace object from `import()`) unwrapped (a TypeScript file
 * loaded as CommonJS arrives wrapped in `default`) with its builder, or why it has none, in
 * words. What sweeps and checks read from a model file starts here.
 */
export function modelModuleOf(
  module: Record<string, unknown>,
  name: string,
): { readonly module: Record<string, unknown>; readonly build: ModelBuilder } | string {
  const wrapped = module.default as Record<string, unknown> | undefined;
  if (
    typeof wrapped === "object" &&
    wrapped !== null &&
    (typeof wrapped.default === "function" || typeof wrapped.build === "function")
  ) {
    module = wrapped;
  }
  const build = module.default ?? module.build;
  if (typeof build !== "function") {
    return `${name} must export its builder as the default export or as "build": (context: { seed, params }) => Simulation`;
  }
  return { module, build: build as ModelBuilder };
}
