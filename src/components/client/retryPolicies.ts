/**
 * Retry policies: how many attempts a client makes and how long it waits between them. The
 * wait is where retries stop being a fix and become a storm: fixed, immediate retries multiply
 * load exactly when a server is overloaded; exponential backoff with jitter spreads them out.
 * Each policy is a description; `delay(retry, stream)` draws from the caller's stream.
 */
import { ConfigError } from "../../errors/errors.js";
import { pow } from "../../random/portableMath.js";
import type { RandomStream } from "../../random/randomStream.js";

export interface RetryPolicy {
  readonly kind: "retry";
  readonly description: string;
  /** Total attempts, the first included (1 = no retry). */
  readonly maxAttempts: number;
  /**
   * Seconds to wait before retry number `retry` (1 for the first retry); `previous` is the
   * wait before the previous retry (0 before the first), for policies that depend on it.
   */
  delay(retry: number, previous: number, stream: RandomStream): number;
}

function attempts(api: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new ConfigError(api, "maxAttempts", "an integer >= 1", value);
  }
  return value as number;
}

function seconds(api: string, parameter: string, value: unknown, positive = false): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < 0 ||
    (positive && value === 0)
  ) {
    throw new ConfigError(
      api,
      parameter,
      positive ? "a duration in seconds > 0" : "a duration in seconds >= 0",
      value,
    );
  }
  return value;
}

/** One attempt, no retry. */
export function noRetry(): RetryPolicy {
  return { kind: "retry", description: "no retry", maxAttempts: 1, delay: () => 0 };
}

/** Up to `maxAttempts` attempts, `delay` seconds apart. */
export function fixed(options: { maxAttempts: number; delay: number }): RetryPolicy {
  const maxAttempts = attempts("retry.fixed", options?.maxAttempts);
  const delay = seconds("retry.fixed", "delay", options.delay);
  return {
    kind: "retry",
    description: `fixed: ${maxAttempts} attempts, ${delay}s apart`,
    maxAttempts,
    delay: () => delay,
  };
}

/**
 * Exponential backoff: before retry k, `initial x multiplier^(k-1)`, capped at `max`; with
 * `jitter: "full"` a uniform draw in [0, that] (the AWS recommendation), with `"equal"` half
 * fixed and half uniform, with `"none"` exactly that.
 */
export function exponentialBackoff(options: {
  maxAttempts: number;
  initial: number;
  multiplier?: number;
  max?: number;
  jitter?: "none" | "full" | "equal";
}): RetryPolicy {
  const api = "retry.exponentialBackoff";
  const maxAttempts = attempts(api, options?.maxAttempts);
  const initial = seconds(api, "initial", options.initial, true);
  const multiplier = options.multiplier ?? 2;
  if (typeof multiplier !== "number" || !(multiplier >= 1) || !Number.isFinite(multiplier)) {
    throw new ConfigError(api, "multiplier", "a number >= 1", multiplier);
  }
  const max = seconds(api, "max", options.max ?? Number.MAX_SAFE_INTEGER, true);
  const jitter = options.jitter ?? "full";
  if (jitter !== "none" && jitter !== "full" && jitter !== "equal") {
    throw new ConfigError(api, "jitter", '"none", "full" or "equal"', jitter);
  }
  return {
    kind: "retry",
    description: `exponential backoff: ${maxAttempts} attempts from ${initial}s x${multiplier}, ${jitter} jitter`,
    maxAttempts,
    delay(retry, _previous, stream) {
      const ceiling = Math.min(max, initial * pow(multiplier, retry - 1));
      if (jitter === "none") return ceiling;
      if (jitter === "full") return ceiling * stream.next();
      return ceiling / 2 + (ceiling / 2) * stream.next();
    },
  };
}

/**
 * Decorrelated jitter: each wait uniform in [base, 3 x previous wait], capped at `cap`; spreads
 * retries even better than full jitter when many clients fail together.
 */
export function decorrelatedJitter(options: {
  maxAttempts: number;
  base: number;
  cap: number;
}): RetryPolicy {
  const api = "retry.decorrelatedJitter";
  const maxAttempts = attempts(api, options?.maxAttempts);
  const base = seconds(api, "base", options.base, true);
  const cap = seconds(api, "cap", options.cap, true);
  if (cap < base) throw new ConfigError(api, "cap", `a duration >= base (${base})`, cap);
  return {
    kind: "retry",
    description: `decorrelated jitter: ${maxAttempts} attempts, base ${base}s, cap ${cap}s`,
    maxAttempts,
    delay(_retry, previous, stream) {
      const high = Math.max(base, 3 * (previous || base));
      return Math.min(cap, base + (high - base) * stream.next());
    },
  };
}
