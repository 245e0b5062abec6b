/**
 * Arrival processes: when the next request comes. Each is a description; a `Source` starts it
 * with its own random stream, so two sources with the same description are independent.
 *
 * Time-varying rates are exact: the next arrival is where the integral of the rate profile
 * reaches the next target (1 for constant spacing, an Exp(1) draw for Poisson), found with the
 * profile's own `advance`, which is closed-form for piecewise profiles. No time-stepping, no
 * accumulated error: arrival k of a constant-rate source is at start + k / rate, rounded once.
 */
import { ConfigError } from "../errors/errors.js";
import { log } from "../random/portableMath.js";
import { checkParam, type Param } from "../random/profile.js";
import type { RandomStream } from "../random/randomStream.js";

/** Yields absolute arrival times in seconds, non-decreasing; null when there are no more. */
export type ArrivalIterator = () => number | null;

export interface ArrivalProcess {
  readonly kind: "arrivals";
  readonly description: string;
  /** Starts the process at `start` (seconds) drawing from `stream`. */
  begin(stream: RandomStream, start: number): ArrivalIterator;
}

const nonNegativeRate = (v: number) => v >= 0 && Number.isFinite(v);

/**
 * Evenly spaced arrivals: the k-th (k = 1, 2, ...) where the rate's integral from the start
 * reaches k. For a constant rate that is exactly start + k / rate.
 */
export function constant(rate: Param): ArrivalProcess {
  const r = checkParam(
    "arrivals.constant",
    "rate",
    rate,
    "a rate per second >= 0",
    nonNegativeRate,
  );
  return {
    kind: "arrivals",
    description: `constant(${typeof r === "number" ? `${r}/s` : r.description})`,
    begin(_stream, start) {
      let k = 0;
      return () => {
        k++;
        if (typeof r === "number") return r > 0 ? start + k / r : null;
        const time = r.advance(start, k);
        return Number.isFinite(time) ? time : null;
      };
    },
  };
}

/** Candidates thinning may reject in a row before it calls the rate dead rather than spin. */
const MAX_THINNING_REJECTIONS = 10_000_000;

/**
 * Poisson arrivals (exponential gaps) at `rate` per second; with a profile, a
 * non-homogeneous Poisson process whose intensity follows it exactly: by closed-form
 * integration of the profile, or by thinning for `profile.fromFunction`.
 */
export function poisson(rate: Param): ArrivalProcess {
  const r = checkParam("arrivals.poisson", "rate", rate, "a rate per second >= 0", nonNegativeRate);
  return {
    kind: "arrivals",
    description: `poisson(${typeof r === "number" ? `${r}/s` : r.description})`,
    begin(stream, start) {
      // The last arrival lives in a typed array, not a `let`: a captured variable is a context
      // slot, always tagged, so each arrival (a time in seconds, a double) would allocate a
      // number and pay a write barrier storing it into the long-lived context.
      const state = new Float64Array(1);
      state[0] = start;
      if (typeof r !== "number" && r.closedForm === false) {
        // Thinning (Lewis and Shedler): candidates at the bounding rate, each kept with
        // probability rate(t) / bound. Exact in distribution for any rate under the bound.
        const bound = r.max;
        return () => {
          if (!(bound > 0)) return null;
          for (let rejected = 0; rejected < MAX_THINNING_REJECTIONS; rejected++) {
            const last = state[0]! + -log(1 - stream.next()) / bound;
            state[0] = last;
            if (stream.next() * bound < r.at(last)) return last;
          }
          // A rate that stays at zero would otherwise spin here forever.
          throw new ConfigError(
            "arrivals.poisson",
            "rate",
            `a rate that is not ~0 for ${MAX_THINNING_REJECTIONS.toLocaleString("en-US")} candidates in a row (thinning against max ${bound}/s stalled at t=${state[0]}s; lower its max or end the source with stopAfter)`,
            r.description,
          );
        };
      }
      return () => {
        const target = -log(1 - stream.next());
        const last = state[0]!;
        const next =
          typeof r === "number"
            ? r > 0
              ? last + target / r
              : Number.POSITIVE_INFINITY
            : r.advance(last, target);
        if (!Number.isFinite(next)) return null;
        state[0] = next;
        return next;
      };
    },
  };
}

/**
 * Bursts: every `every` seconds (first at start + every), `size` arrivals, spread uniformly at
 * random over the first `spread` seconds of the burst (0, the default, puts them all at once).
 */
export function bursts(options: { size: number; every: number; spread?: number }): ArrivalProcess {
  const size = options?.size;
  if (!Number.isSafeInteger(size) || size < 1)
    throw new ConfigError("arrivals.bursts", "size", "an integer >= 1", size);
  const every = options.every;
  if (typeof every !== "number" || !(every > 0) || !Number.isFinite(every)) {
    throw new ConfigError("arrivals.bursts", "every", "a period in seconds > 0", every);
  }
  const spread = options.spread ?? 0;
  if (typeof spread !== "number" || !(spread >= 0) || !(spread <= every)) {
    throw new ConfigError(
      "arrivals.bursts",
      "spread",
      `a duration in seconds in [0, every (${every})]`,
      spread,
    );
  }
  return {
    kind: "arrivals",
    description: `bursts(${size} every ${every}s${spread > 0 ? ` over ${spread}s` : ""})`,
    begin(stream, start) {
      let burst = 0;
      let pending: number[] = [];
      return () => {
        if (pending.length === 0) {
          burst++;
          const at = start + burst * every;
          pending = Array.from({ length: size }, () => at + spread * stream.next()).sort(
            (a, b) => b - a,
          );
        }
        return pending.pop()!;
      };
    },
  };
}

/** Replays recorded arrival times (seconds, non-decreasing, relative to the source's start). */
export function replay(times: readonly number[]): ArrivalProcess {
  if (!Array.isArray(times))
    throw new ConfigError("arrivals.replay", "times", "an array of times in seconds", times);
  times.forEach((time, i) => {
    if (typeof time !== "number" || !(time >= 0) || !Number.isFinite(time)) {
      throw new ConfigError(
        "arrivals.replay",
        `times[${i}]`,
        "a finite time in seconds >= 0",
        time,
      );
    }
    if (i > 0 && time < times[i - 1]!) {
      throw new ConfigError(
        "arrivals.replay",
        `times[${i}]`,
        `a time >= the previous one (${times[i - 1]})`,
        time,
      );
    }
  });
  const recorded = [...times];
  return {
    kind: "arrivals",
    description: `replay(${recorded.length} arrivals)`,
    begin(_stream, start) {
      let i = 0;
      return () => (i < recorded.length ? start + recorded[i++]! : null);
    },
  };
}
