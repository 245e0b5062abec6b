/**
 * Argument checks shared by the pure algorithms (phi accrual detector, Bloom filter, Merkle
 * tree), so each failure reads the same way: `BloomFilter: option "bits" must be an integer
 * >= 1; given 0`. Not exported from the package.
 */

import { ConfigError } from "../errors/errors.js";

export function requirePositiveSeconds(
  component: string,
  parameter: string,
  value: unknown,
): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(component, parameter, "a duration in seconds > 0", value);
  }
  return value;
}

export function requireNonNegativeSeconds(
  component: string,
  parameter: string,
  value: unknown,
): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(component, parameter, "a duration in seconds >= 0", value);
  }
  return value;
}

/** A point in time in seconds: any finite number. */
export function requireFiniteTime(component: string, parameter: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ConfigError(component, parameter, "a finite time in seconds", value);
  }
  return value;
}

export function requireIntegerAtLeast(
  component: string,
  parameter: string,
  value: unknown,
  minimum: number,
): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < minimum) {
    throw new ConfigError(component, parameter, `an integer >= ${minimum}`, value);
  }
  return value;
}
