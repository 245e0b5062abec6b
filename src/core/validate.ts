/**
 * Option checks every component needs, in one place, so each failure reads the same way:
 * `Server "api": option "concurrency" must be an integer >= 1; given 0`.
 */
import type { Entity } from "./entity.js";
import { ConfigError } from "./errors.js";
import type { Simulation } from "./simulation.js";

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

/** A safe integer >= `min`. */
export function requireInteger(
  component: string,
  parameter: string,
  value: unknown,
  min: number,
): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new ConfigError(component, parameter, `an integer >= ${min}`, value);
  }
  return value as number;
}
