/**
 * `TimeoutParam`: a per-call timeout that may vary with simulated time (`timeout: 0.5` or
 * `timeout: profile.step(1, [{ at: 10, value: 0.1 }])`), checked once and read each time a call
 * is sent. Every component that calls with a timeout (clients, balancers, breakers, wrappers,
 * servers with a downstream) holds one, so they all check and read it the same way.
 *
 * The options object handed to `request` is built once for a number, so the common case
 * allocates nothing per call; a profile's is built per call, from its value at that moment.
 * A call keeps the timeout it was sent with: a profile changing while it is out does not
 * shorten or lengthen it.
 *
 * Not exported from the package: components and load generators share it.
 */

import type { Param, Profile } from "../../random/profile.js";
import { requireSecondsParam } from "./validate.js";

export class TimeoutParam {
  /** Prebuilt call options for a number; null for a profile. */
  private readonly fixed: { readonly timeout: number } | null;

  private constructor(
    /** The option as given: seconds, or a profile of seconds. */
    readonly param: Param,
  ) {
    this.fixed = typeof param === "number" ? { timeout: param } : null;
  }

  /** Checks `value` as the option `parameter` of `component` (> 0 at all times). */
  static from(component: string, parameter: string, value: unknown): TimeoutParam {
    return new TimeoutParam(requireSecondsParam(component, parameter, value));
  }

  /** As `from`, but null when the option is unset (no timeout). */
  static optional(component: string, parameter: string, value: unknown): TimeoutParam | null {
    return value === undefined ? null : TimeoutParam.from(component, parameter, value);
  }

  /** Options for a call sent at `now`: the same object every time for a number. */
  callOptionsAt(now: number): { readonly timeout: number } {
    return this.fixed ?? { timeout: (this.param as Profile).at(now) };
  }
}
