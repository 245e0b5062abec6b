/**
 * Rate policies as values: `tokenBucket`, `leakyBucket` (a meter, or a queue that drains at a
 * fixed rate), `fixedWindow`, `slidingWindowCounter` and `slidingWindowLog`. Each factory
 * checks its options and returns an immutable `RatePolicy`: a description that holds no state,
 * so one policy can serve many limiters and many simulations (a model built twice, a sweep).
 * State lives in what a consumer makes from it:
 *
 * - `policy.meter(sim)` makes a fresh `RateMeter` on `sim`'s clock, which any component or
 *   process can consult at the current simulated instant: `tryTake(cost)` ("may I take `cost`
 *   now?"), `availableAt(cost)` ("when will it fit?", where the policy can say), with
 *   admitted and refused counts;
 * - `new RateLimiter(sim, name, { target, policy })` puts one in front of a target (each
 *   limiter makes its own state from the policy).
 *
 * Everything is counted exactly: amounts in millionths, times in nanoseconds.
 *
 * @example
 * const perUser = tokenBucket({ rate: 5, burst: 10 });
 * const meter = perUser.meter(sim);
 * if (meter.tryTake()) sendNow(); else retryAt(meter.availableAt()!);
 */
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { checkParam, isProfile, type Param } from "../../random/profile.js";
import { requireInteger } from "../shared/validate.js";
import { TokenBucket } from "./bucketPolicies.js";
import {
  type AdmissionPolicy,
  FixedWindow,
  MAX_TOKENS,
  SlidingWindowCounter,
  SlidingWindowLog,
  toUnits,
  UNIT,
} from "./windowPolicies.js";

/** Which rate policy a `RatePolicy` is. */
export type RatePolicyKind =
  | "tokenBucket"
  | "leakyBucket"
  | "fixedWindow"
  | "slidingWindowCounter"
  | "slidingWindowLog";

export interface TokenBucketOptions {
  /**
   * Tokens added per second (> 0): a number, or a profile of simulated time, integrated
   * exactly (the tokens earned over an interval are its integral over it).
   */
  rate: Param;
  /** Most tokens the bucket holds (integer >= 1): the largest burst admitted at once. It starts full. */
  burst: number;
}

export interface LeakyBucketOptions {
  /**
   * How fast the bucket drains, per second (> 0): a number, or a profile of simulated time
   * (drained by its exact integral; in queue mode, each release comes when the integral since
   * the previous one reaches 1).
   */
  rate: Param;
  /**
   * Meter mode: the most the bucket holds (integer >= 1, in cost units); a request is admitted
   * if the level plus its cost stays within it. Queue mode: the most requests waiting
   * (integer >= 1).
   */
  capacity: number;
  /**
   * "meter" (default): admit or refuse at once by the level. "queue": requests wait in a FIFO
   * and leave at exactly one per 1/rate seconds, so a burst goes out as an even stream.
   */
  mode?: "meter" | "queue";
}

export interface WindowOptions {
  /** The most admitted (in cost units) per window (integer >= 1). */
  limit: number;
  /** The window's length in seconds (> 0, at least a nanosecond): a number only (see below). */
  window: number;
}

/**
 * A rate policy: an immutable description. `meter(sim)` makes the state that counts.
 * `M` is the kind of meter it makes (a leaky bucket queue's can also reserve a place).
 */
export interface RatePolicy<M extends RateMeter = RateMeter> {
  readonly kind: RatePolicyKind;
  /** "queue" for a leaky bucket queue, "meter" for every other policy. */
  readonly mode: "meter" | "queue";
  /** The sustained rate, per second: a number or, for the buckets, a profile. */
  readonly rate: Param;
  /**
   * The most admitted at one instant, in cost units: the bucket's burst or capacity, the
   * window's limit; 1 for a leaky bucket queue. A larger cost never fits.
   */
  readonly burst: number;
  /** For a leaky bucket queue, the most requests waiting; otherwise 0. */
  readonly capacity: number;
  /** Whether its meters answer `availableAt` (all but the sliding window counter). */
  readonly canSchedule: boolean;
  /** A short description for messages ("tokenBucket(rate 5, burst 10)"). */
  readonly description: string;
  /** Fresh state on `sim`'s clock, starting now: a full bucket, empty windows, zero counts. */
  meter(sim: Simulation): M;
}

/** A rate policy's state, consulted at the current simulated instant of its simulation. */
export interface RateMeter {
  readonly policy: RatePolicy;
  /** `tryTake` calls (and reservations) admitted since it was made or reset. */
  readonly admitted: number;
  /** `tryTake` calls (and reservations) refused since it was made or reset. */
  readonly refused: number;
  /** What would fit now, in cost units (the tokens in a bucket, what a window has left). */
  available(): number;
  /**
   * Takes `cost` (> 0, default 1) now if it fits, and counts the call admitted; otherwise
   * takes nothing and counts it refused. A cost above the policy's `burst` never fits.
   */
  tryTake(cost?: number): boolean;
  /**
   * The earliest simulated time (seconds) at which `cost` (default 1) fits, if nothing else is
   * taken meanwhile: now if it fits now, Infinity if it never can (cost above `burst`), null
   * if the policy cannot say (the sliding window counter). Takes nothing. A bucket answers the
   * first nanosecond at or after the exact instant (at 3/s, k/3 s rounded up); a `tryTake` a
   * nanosecond sooner may already succeed, where float slack below a thousandth of a millionth
   * of a token is forgiven.
   */
  availableAt(cost?: number): number | null;
  /** Back to the starting state (a full bucket, empty windows, no reservations) and zero counts. */
  reset(): void;
}

/** A leaky bucket queue's meter: requests reserve their place in the line. */
export interface LeakyQueueMeter extends RateMeter {
  /**
   * Joins the line: the simulated time (seconds) at which this request leaves it (now if the
   * line is empty and the last release was at least 1/rate seconds ago, else 1/rate seconds
   * after the request ahead of it), counted admitted; or null, counted refused, when
   * `capacity` requests are already waiting.
   */
  reserve(): number | null;
  /** Requests that reserved a place and have not left the line yet. */
  readonly waiting: number;
}

/** What a consumer needs to make a policy's state; kept off the public interface. */
interface PolicyInternals {
  /** The engine, in units and nanoseconds, starting at `startNs`. */
  admission(startNs: number): AdmissionPolicy;
  /** The least cost one request may have, in cost units (the log keeps one entry per request). */
  readonly minCost: number;
}

const internals = new WeakMap<RatePolicy, PolicyInternals>();

/** The engine-making half of a policy made by this module's factories; undefined otherwise. */
export function policyInternals(policy: unknown): PolicyInternals | undefined {
  return typeof policy === "object" && policy !== null
    ? internals.get(policy as RatePolicy)
    : undefined;
}

class Policy<M extends RateMeter> implements RatePolicy<M> {
  constructor(
    readonly kind: RatePolicyKind,
    readonly mode: "meter" | "queue",
    readonly rate: Param,
    readonly burst: number,
    readonly capacity: number,
    readonly canSchedule: boolean,
    readonly description: string,
    private readonly makeMeter: (policy: RatePolicy<M>, sim: Simulation) => M,
    policyInternals: PolicyInternals,
  ) {
    internals.set(this, policyInternals);
    Object.freeze(this);
  }

  meter(sim: Simulation): M {
    if (typeof (sim as { nowNs?: unknown } | undefined)?.nowNs !== "number") {
      throw new ConfigError(`${this.description}.meter`, "sim", "a Simulation", sim);
    }
    return this.makeMeter(this, sim);
  }
}

/** The meter every policy but the leaky queue makes: its engine on its simulation's clock. */
class Meter implements RateMeter {
  admitted = 0;
  refused = 0;
  protected readonly engine: AdmissionPolicy;
  private readonly burstUnits: number;
  private readonly minCost: number;

  constructor(
    readonly policy: RatePolicy,
    protected readonly sim: Simulation,
  ) {
    const made = internals.get(policy)!;
    this.engine = made.admission(sim.nowNs);
    this.burstUnits = policy.burst * UNIT;
    this.minCost = made.minCost;
  }

  /** `cost` in units, checked: runtime misuse names the policy and the simulated time. */
  protected units(cost: number): number {
    if (typeof cost !== "number" || !(cost > 0 && cost >= this.minCost) || !Number.isFinite(cost)) {
      throw new SimulationError(
        `${this.policy.description}: cost must be a finite number ${this.minCost === 1 ? ">= 1 (one entry of the log per request)" : "> 0"}; given ${String(cost)}`,
        null,
        this.sim.nowNs,
      );
    }
    return toUnits(cost);
  }

  available(): number {
    return this.engine.remaining(this.sim.nowNs) / UNIT;
  }

  tryTake(cost = 1): boolean {
    const units = this.units(cost);
    if (units <= this.burstUnits && this.engine.tryTake(this.sim.nowNs, units)) {
      this.admitted++;
      return true;
    }
    this.refused++;
    return false;
  }

  availableAt(cost = 1): number | null {
    const atNs = this.engine.readyAtNs(this.sim.nowNs, this.units(cost));
    if (Number.isNaN(atNs)) return null;
    return atNs / 1e9;
  }

  reset(): void {
    this.engine.reset(this.sim.nowNs);
    this.admitted = 0;
    this.refused = 0;
  }
}

/** The leaky bucket queue: a bucket of one token, whose reservations go into debt. */
class QueueMeter extends Meter implements LeakyQueueMeter {
  private get bucket(): TokenBucket {
    return this.engine as TokenBucket;
  }

  get waiting(): number {
    const balance = this.bucket.balance(this.sim.nowNs);
    // Each waiting request owes one token; the one whose turn comes this instant owes nothing.
    return balance < 0 ? Math.ceil(-balance / UNIT) : 0;
  }

  reserve(): number | null {
    const nowNs = this.sim.nowNs;
    if (this.bucket.balance(nowNs) < UNIT && this.waiting >= this.policy.capacity) {
      this.refused++;
      return null;
    }
    this.admitted++;
    return this.bucket.takeOnCredit(nowNs, UNIT) / 1e9;
  }

  override tryTake(cost = 1): boolean {
    if (cost !== 1) {
      throw new SimulationError(
        `${this.policy.description}: cost must be 1 (the queue releases one request per 1/rate seconds); given ${String(cost)}`,
        null,
        this.sim.nowNs,
      );
    }
    return super.tryTake(1);
  }
}

const isRate = (value: number): boolean => value > 0 && Number.isFinite(value);

function checkRate(component: string, rate: unknown, unit: string): Param {
  return checkParam(component, "rate", rate, `${unit} per second > 0`, isRate);
}

function describeRate(rate: Param): string {
  return typeof rate === "number" ? String(rate) : rate.description;
}

/** `options` must be an object; each factory names itself in the error. */
function requireOptions(component: string, options: unknown): void {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError(component, "options", "an options object", options);
  }
}

/**
 * A token bucket: holds at most `burst` tokens and starts full; tokens come back at `rate` per
 * second; a request takes `cost` tokens if they are there. Over any interval of length `T` it
 * admits at most `burst + rate x T` (for a profile, `burst` plus its integral over the
 * interval). Its meters answer `availableAt` exactly. Memory: a few numbers.
 *
 * @example
 * const limiter = new RateLimiter(sim, "api", { target, policy: tokenBucket({ rate: 100, burst: 10 }) });
 */
export function tokenBucket(options: TokenBucketOptions): RatePolicy {
  requireOptions("tokenBucket", options);
  const rate = checkRate("tokenBucket", options.rate, "tokens");
  const burst = requireInteger("tokenBucket", "burst", options.burst, 1, MAX_TOKENS);
  return new Policy(
    "tokenBucket",
    "meter",
    rate,
    burst,
    0,
    true,
    `tokenBucket(rate ${describeRate(rate)}, burst ${burst})`,
    (policy, sim) => new Meter(policy, sim),
    { admission: (startNs) => new TokenBucket(rate, burst * UNIT, startNs), minCost: 0 },
  );
}

/**
 * A leaky bucket, in one of its two classic forms.
 *
 * - `mode: "meter"` (default): each admitted request adds its cost to the bucket's level,
 *   which drains at `rate` per second; a request is admitted if the level plus its cost stays
 *   within `capacity`, refused otherwise. This is the token bucket seen from the other side
 *   (the level is `capacity` less the tokens; the generic cell rate algorithm is the same
 *   test), so it admits exactly what `tokenBucket({ rate, burst: capacity })` admits, with the
 *   same bound: at most `capacity + rate x T` in any interval `T`.
 * - `mode: "queue"`: requests wait in a FIFO of at most `capacity` and leave at exactly one
 *   per 1/rate seconds (one request at once when the line is empty and the last left at least
 *   1/rate ago), so a burst goes out as an even stream; when `capacity` wait, an arrival is
 *   refused. Every request costs 1. A meter reserves places (`reserve()`); a `RateLimiter`
 *   with this policy holds the waiting requests itself.
 */
export function leakyBucket(
  options: LeakyBucketOptions & { mode: "queue" },
): RatePolicy<LeakyQueueMeter>;
export function leakyBucket(options: LeakyBucketOptions): RatePolicy;
export function leakyBucket(options: LeakyBucketOptions): RatePolicy {
  requireOptions("leakyBucket", options);
  const rate = checkRate("leakyBucket", options.rate, "drained");
  const capacity = requireInteger("leakyBucket", "capacity", options.capacity, 1, MAX_TOKENS);
  const mode = options.mode ?? "meter";
  if (mode !== "meter" && mode !== "queue") {
    throw new ConfigError("leakyBucket", "mode", '"meter" or "queue"', mode);
  }
  const description = `leakyBucket(rate ${describeRate(rate)}, capacity ${capacity}, ${mode})`;
  if (mode === "queue") {
    return new Policy<LeakyQueueMeter>(
      "leakyBucket",
      "queue",
      rate,
      1,
      capacity,
      true,
      description,
      (policy, sim) => new QueueMeter(policy, sim),
      { admission: (startNs) => new TokenBucket(rate, UNIT, startNs), minCost: 0 },
    );
  }
  return new Policy(
    "leakyBucket",
    "meter",
    rate,
    capacity,
    0,
    true,
    description,
    (policy, sim) => new Meter(policy, sim),
    { admission: (startNs) => new TokenBucket(rate, capacity * UNIT, startNs), minCost: 0 },
  );
}

/**
 * The longest sliding window log: 16 bytes an entry, allocated when a meter is made, so 256 MiB
 * at most; a larger limit would fail there with a RangeError, or take the machine's memory.
 */
const MAX_LOG_ENTRIES = 2 ** 24;

/** Checks a window policy's options; its window in nanoseconds. */
function checkWindow(
  component: string,
  options: WindowOptions,
): { limit: number; windowNs: number } {
  requireOptions(component, options);
  const limit = requireInteger(component, "limit", options.limit, 1, MAX_TOKENS);
  const window = options.window;
  if (isProfile(window)) {
    throw new ConfigError(
      component,
      "window",
      "a number of seconds (windows keep one length, so a profile cannot be honoured)",
      window,
    );
  }
  // Rounded to the nanosecond so that, say, 100 per 100/60 per second is exactly 60 s.
  const windowNs = typeof window === "number" ? Math.round(window * 1e9) : Number.NaN;
  if (!(windowNs >= 1 && Number.isSafeInteger(windowNs))) {
    throw new ConfigError(
      component,
      "window",
      `a duration in seconds from 1 ns to ${Number.MAX_SAFE_INTEGER / 1e9} s`,
      window,
    );
  }
  return { limit, windowNs };
}

function windowPolicy(
  kind: "fixedWindow" | "slidingWindowCounter" | "slidingWindowLog",
  options: WindowOptions,
  canSchedule: boolean,
  engine: (limitUnits: number, windowNs: number) => AdmissionPolicy,
  minCost: number,
): RatePolicy {
  const { limit, windowNs } = checkWindow(kind, options);
  return new Policy(
    kind,
    "meter",
    limit / (windowNs / 1e9),
    limit,
    0,
    canSchedule,
    `${kind}(limit ${limit}, window ${windowNs / 1e9} s)`,
    (policy, sim) => new Meter(policy, sim),
    { admission: () => engine(limit * UNIT, windowNs), minCost },
  );
}

/**
 * At most `limit` per window of `window` seconds, windows on a fixed grid from time 0, the
 * count starting from zero at each edge. Cheap (two numbers) and predictable, but a window's
 * worth just before an edge and another just after it is twice the limit within an instant.
 * Its meters answer `availableAt`: now, or the next edge. A number `window` only.
 */
export function fixedWindow(options: WindowOptions): RatePolicy {
  return windowPolicy(
    "fixedWindow",
    options,
    true,
    (limitUnits, windowNs) => new FixedWindow(limitUnits, windowNs),
    0,
  );
}

/**
 * The sliding window counter: the previous fixed window's count, weighted by the share of it
 * still inside a window-long span ending now, plus the current window's count, must stay
 * within `limit`. Memory: three numbers. At most `limit` within each fixed window, and over
 * any window-long span ending a fraction `f` into its window at most `limit + f x previous`
 * (so fewer than `2 x limit`, and near `limit` unless the previous window's admissions were
 * bunched at its end). Its meters do not answer `availableAt` (null): the weighted estimate
 * would say when, not a guarantee. A number `window` only.
 */
export function slidingWindowCounter(options: WindowOptions): RatePolicy {
  return windowPolicy(
    "slidingWindowCounter",
    options,
    false,
    (limitUnits, windowNs) => new SlidingWindowCounter(limitUnits, windowNs),
    0,
  );
}

/**
 * The sliding window log: keeps the time and cost of each admission still inside the
 * window-long span ending now, and admits while their sum plus the cost stays within `limit`.
 * Exact: no span of `window` seconds, wherever it starts, holds more than `limit`. Each
 * request costs at least 1, so memory is bounded by the limit: a ring buffer of `limit`
 * entries, allocated once. Its meters answer `availableAt` (when enough of the oldest entries
 * have left). A number `window` only.
 */
export function slidingWindowLog(options: WindowOptions): RatePolicy {
  const limit = (options as WindowOptions | null)?.limit;
  if (typeof limit === "number" && limit > MAX_LOG_ENTRIES) {
    throw new ConfigError(
      "slidingWindowLog",
      "limit",
      `an integer in [1, ${MAX_LOG_ENTRIES}] (its log keeps one entry per admission, allocated whole)`,
      limit,
    );
  }
  return windowPolicy(
    "slidingWindowLog",
    options,
    true,
    (limitUnits, windowNs) => new SlidingWindowLog(limitUnits, windowNs),
    1,
  );
}
