/**
 * A model for the sweep tests whose run ends its own thread (as process.exit or running out
 * of memory would) for one seed: the sweep must record that run as failed and go on.
 */
import { type Measure, type ModelBuilder, Simulation } from "../../src/index.js";

export const until = 1;

const build: ModelBuilder = ({ seed, params }) => {
  if (seed === params.exitSeed) process.exit(7);
  return new Simulation({ seed });
};
export default build;

export const measure: Measure = ({ seed }) => ({ seed });
