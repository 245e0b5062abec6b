/** Distributions, exported together as the `dist` namespace: `dist.exponential(0.1)`. */

export {
  constant,
  exponential,
  lognormal,
  normal,
  pareto,
  uniform,
  weibull,
} from "./closedForm.js";
export { type Distribution, isDistribution } from "./distribution.js";
export { empirical } from "./empirical.js";
export { gamma } from "./gamma.js";
export { bimodal, mixture } from "./mixture.js";
export { type FittedPercentiles, percentileFitted } from "./percentileFitted.js";
export { MAX_ZIPF_POPULATION, zipf } from "./zipf.js";
