/**
 * A model for the sweep tests whose parameters and figures are not all finite: Infinity as a
 * parameter (a limit turned off), and figures that are NaN, Infinity or -0, which JSON cannot
 * carry as they are.
 */
import { type Measure, type ModelBuilder, Simulation } from "../../src/index.js";

export const until = 1;

const build: ModelBuilder = ({ seed }) => new Simulation({ seed });
export default build;

export const measure: Measure = ({ params, seed }) => {
  const limit = params.limit as number;
  return {
    limit,
    inverse: 1 / limit,
    negativeZero: -0 * (seed % 2),
    nothing: seed % 2 === 0 ? NaN : 1,
  };
};
