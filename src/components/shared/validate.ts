/**
 * Option checks every component needs, in one place, so each failure reads the same way:
 * `Server "api": option "concurrency" must be an integer >= 1; given 0`.
 */

import type { Entity } from "../../core/entity.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { type Distribution, isDistribution } from "../../random/distributions/distribution.js";
import { checkParam, isProfile, type Param } from "../../random/profile.js";

/** An entity of `sim` (a target, a link's end). */
export function requireEntity<E extends Entity<never, unknown>>(
  component: string,
  parameter: string,
  value: unknown,
  sim: Simulation,
  // The class is passed in, so this module does not import Entity at run time (no cycle).
  entityClass: abstract new (...args: never[]) => E,
): E {
  if (!(value instanceof entityClass) || (value as unknown as { sim: Simulation }).sim !== sim) {
    throw new ConfigError(component, parameter, "an entity of this simulation", value);
  }
  return value;
}

/** A finite duration in seconds, > 0 (or >= 0 with `allowZero`). */
export function requireSeconds(
  component: string,
  parameter: string,
  value: unknown,
  allowZero = false,
): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw new ConfigError(
      component,
      parameter,
      `a duration in seconds ${allowZero ? ">= 0" : "> 0"}`,
      value,
    );
  }
  return value;
}

const isPositiveSeconds = (value: number): boolean => value > 0 && Number.isFinite(value);
const isSecondsOrZero = (value: number): boolean => value >= 0 && Number.isFinite(value);

/**
 * A duration in seconds that may vary with simulated time: a number, checked exactly as by
 * `requireSeconds` (same message), or a `Profile`, checked over its whole range by
 * `checkParam` (finite and > 0 at all times, or >= 0 with `allowZero`). The component reads it
 * with `valueAt(param, now)` each time it uses it.
 */
export function requireSecondsParam(
  component: string,
  parameter: string,
  value: unknown,
  allowZero = false,
): Param {
  if (!isProfile(value)) return requireSeconds(component, parameter, value, allowZero);
  return checkParam(
    component,
    parameter,
    value,
    `a duration in seconds ${allowZero ? ">= 0" : "> 0"}`,
    allowZero ? isSecondsOrZero : isPositiveSeconds,
  );
}

/** A safe integer >= `min`. */
export function requireInteger(
  component: string,
  parameter: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    // The upper bound is named when it is the one crossed (it rarely is the one that matters).
    const expected =
      Number.isSafeInteger(value) && (value as number) > max
        ? `an integer in [${min}, ${max}]`
        : `an integer >= ${min}`;
    throw new ConfigError(component, parameter, expected, value);
  }
  return value as number;
}

/**
 * A `Distribution` of seconds (service times, latencies): one that can produce a negative
 * value (its `lowerBound` is below 0: a constant or uniform below 0, an untruncated normal) is
 * refused here, at construction, rather than at the first draw. A hand-written distribution
 * without a `lowerBound` is checked at each draw only.
 */
export function requireDistribution(
  component: string,
  parameter: string,
  value: unknown,
): Distribution {
  if (!isDistribution(value)) {
    throw new ConfigError(
      component,
      parameter,
      "a Distribution of seconds (dist.exponential(0.01), ...)",
      value,
    );
  }
  const bound = value.lowerBound;
  if (bound !== undefined && !(bound >= 0)) {
    throw new ConfigError(
      component,
      parameter,
      "a Distribution of durations, never below 0 (truncate a normal with `min: 0`)",
      `${value.description}, which can produce ${bound}`,
    );
  }
  return value;
}

/** A waiting-line order: "fifo" (oldest first) or "lifo" (newest first); true for LIFO. */
export function requireQueuePolicy(component: string, value: unknown): boolean {
  if (value !== "fifo" && value !== "lifo") {
    throw new ConfigError(component, "queuePolicy", '"fifo" or "lifo"', value);
  }
  return value === "lifo";
}

/** A queue capacity: an integer >= 0, or Infinity (the default when unset) for unlimited. */
export function requireQueueCapacity(component: string, value: unknown): number {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new ConfigError(
      component,
      "queueCapacity",
      "an integer >= 0 (or leave it unset for unlimited)",
      value,
    );
  }
  return value as number;
}

/** An optional callback; `expected` describes its signature for the error. */
export function optionalFunction<F extends (...args: never[]) => unknown>(
  component: string,
  parameter: string,
  value: F | undefined,
  expected: string,
): F | null {
  if (value === undefined) return null;
  if (typeof value !== "function") throw new ConfigError(component, parameter, expected, value);
  return value;
}

/** An optional switch: `fallback` when unset, else exactly true or false. */
export function optionalBoolean(
  component: string,
  parameter: string,
  value: unknown,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean")
    throw new ConfigError(component, parameter, "true or false", value);
  return value;
}
