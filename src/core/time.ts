/**
 * Simulated time is an integer count of nanoseconds held in a `number` (exact up to 2^53 ns,
 * about 104 days). The public API speaks seconds; conversion happens once, here, by rounding.
 * Ordering and equality of times are therefore exact: no float drift however long the run.
 */
import { ConfigError, formatTimeNs } from "../errors/errors.js";

/** Nanoseconds in one second. */
export const NS_PER_SECOND = 1_000_000_000;

/** The largest simulated time distsim can represent exactly, in nanoseconds. */
export const MAX_TIME_NS = Number.MAX_SAFE_INTEGER;

/** `ms(5)` is 5 milliseconds, in seconds (0.005). */
export function ms(milliseconds: number): number {
  return milliseconds / 1e3;
}
/** `us(250)` is 250 microseconds, in seconds. */
export function us(microseconds: number): number {
  return microseconds / 1e6;
}
/** `ns(100)` is 100 nanoseconds, in seconds. */
export function ns(nanoseconds: number): number {
  return nanoseconds / 1e9;
}
/** `minutes(2)` is 120 seconds. */
export function minutes(count: number): number {
  return count * 60;
}
/** `hours(1)` is 3600 seconds. */
export function hours(count: number): number {
  return count * 3600;
}

/** What error messages say of the limit of `durationToNs` and `timeToNs`. */
const LIMIT_NOTE = `at most ${formatTimeNs(MAX_TIME_NS)} (2^53 ns, about 104 days: the exact range of simulated time)`;

/**
 * Converts a duration in seconds to integer nanoseconds, rounding to the nearest. Throws a
 * {@link ConfigError} naming `component` and `parameter` for a negative, NaN or infinite value,
 * or one too large to be exact (the message names the limit).
 */
export function durationToNs(seconds: number, component: string, parameter: string): number {
  return toNs(seconds, component, parameter, "duration");
}

/**
 * Converts an absolute simulated time in seconds (`sim.at(t)`, `run({ until })`) to integer
 * nanoseconds, rounding to the nearest; refuses what `durationToNs` refuses, calling it a time.
 */
export function timeToNs(seconds: number, component: string, parameter: string): number {
  return toNs(seconds, component, parameter, "time");
}

function toNs(seconds: number, component: string, parameter: string, what: string): number {
  // Written so that NaN fails the test too.
  if (!(seconds >= 0) || seconds === Number.POSITIVE_INFINITY) {
    throw new ConfigError(component, parameter, `a finite ${what} in seconds >= 0`, seconds);
  }
  if (seconds > MAX_TIME_NS / NS_PER_SECOND) {
    throw new ConfigError(component, parameter, `a ${what} in seconds ${LIMIT_NOTE}`, seconds);
  }
  return Math.round(seconds * NS_PER_SECOND);
}

/** Converts integer nanoseconds back to seconds for display and the public API. */
export function nsToSeconds(timeNs: number): number {
  return timeNs / NS_PER_SECOND;
}
