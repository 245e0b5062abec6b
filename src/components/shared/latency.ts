/**
 * A store's latency options: seconds as a number, a profile of simulated time, or a
 * `Distribution` of seconds, so `readLatency: 0.001` and `readLatency: dist.lognormal(...)`
 * both read naturally. Checked once; the store draws from the distribution per operation.
 *
 * Internal to the component families (the store family and the storage family).
 */
import { ConfigError } from "../../errors/errors.js";
import { constant } from "../../random/distributions/closedForm.js";
import { type Distribution, isDistribution } from "../../random/distributions/distribution.js";
import { isProfile, type Param } from "../../random/profile.js";
import { requireDistribution, requireSecondsParam } from "./validate.js";

/** Seconds an operation takes: a number, a profile, or a distribution of seconds. */
export type Latency = Param | Distribution;

/** The option as a distribution (a number or profile becomes a constant); `fallback` if unset. */
export function requireLatency(
  component: string,
  parameter: string,
  value: unknown,
  fallback: number,
): Distribution {
  if (value === undefined) return constant(fallback);
  if (isDistribution(value)) return requireDistribution(component, parameter, value);
  if (typeof value !== "number" && !isProfile(value)) {
    throw new ConfigError(
      component,
      parameter,
      "seconds >= 0 (a number or a profile) or a Distribution of seconds",
      value,
    );
  }
  return constant(requireSecondsParam(component, parameter, value, true));
}
