/**
 * `DistributedRateLimiter`: one instance of a rate limit shared by several: each instance is
 * an entity in front of the target, and all of them count against one counter kept in a
 * backing store (any entity that answers the `CounterStore` protocol below: a key-value store,
 * or a counter of your own), with at most `limit` admitted per fixed window of `window`
 * seconds across all instances. The store is another entity with its own latency, and that
 * latency is what this component is about: where an instance's decision waits for it, every
 * request pays it; where it does not, the instances decide on a count that is out of date.
 *
 * Three designs, by `mode`:
 * - `"synchronous"` (the default): for each request the instance asks the store to increment
 *   the window's key and waits for the new count; it admits if the count is within `limit`.
 *   The store's increment is atomic, so this is exact at any latency: never more than `limit`
 *   per window. Its price is one round trip to the store added to every request, and a
 *   decision to make when the store does not answer within `storeTimeout`: admit
 *   (`onStoreFailure: "open"`, the limit stops holding) or refuse (`"closed"`, the target is
 *   cut off while the store is).
 * - `"asynchronous"`: the instance decides at once, on its estimate of the window's count (the
 *   highest count the store has reported plus its own increments not answered yet), and sends
 *   the increment for each admitted request without waiting for it. Requests pay nothing, but
 *   what the other instances admitted during the last round trip is not in the estimate: the
 *   instances over-admit by about the rate they admit at times the store's round trip, once
 *   per window, and more as the store gets slower.
 * - `"batched"`: the instance takes an allowance of `batchSize` from the store at once (one
 *   increment by `batchSize`, granted in full or in the part still within `limit`) and admits
 *   from it locally; a request that finds the allowance spent waits for the next one. Exact,
 *   like synchronous mode, with one round trip per batch instead of per request; an allowance
 *   left unused when the window ends is lost, so the instances together admit a little less
 *   than the limit.
 *
 * Windows are a fixed grid from time 0 (the same for every instance: the key names the window,
 * `<key>:<index>`), so the fixed window's edge effect (up to twice the limit across an edge)
 * applies too.
 *
 * @example
 * const instances = [0, 1, 2, 3].map((i) => new DistributedRateLimiter(sim, `limiter-${i}`, {
 *   target: backend, store: counters, limit: 250, window: 1,
 * }));
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import type { FutureListener, SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import type { Param } from "../../random/profile.js";
import { Forwarder, failureKind } from "../shared/forwarder.js";
import { type LedgerCounts, RequestLedger } from "../shared/requestLedger.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity, requireInteger, requireSeconds } from "../shared/validate.js";
import { AdmissionSeries } from "./admissionSeries.js";

/**
 * The payload of an `"increment"` request to a counter store: add `by` to the count kept at
 * `key` (a missing key counts from 0) and reply with the new count, a number.
 */
export interface CounterIncrement {
  readonly key: string;
  readonly by: number;
}

/**
 * The protocol a counter store speaks, as request kind to payload and reply: `"increment"`
 * takes a `CounterIncrement` and replies with the key's new count. A store may refuse
 * (`fail()`, a `RemoteError`) or not answer; the limiter treats both as the store failing.
 */
export interface CounterStoreProtocol {
  readonly increment: { readonly payload: CounterIncrement; readonly reply: number };
}

/** Any entity that answers `"increment"` requests with the new count. */
export type CounterStore = Entity<CounterIncrement, unknown>;

/** How an instance decides: waiting for the store's count, or on its own estimate. */
export type DistributedLimitMode = "synchronous" | "asynchronous" | "batched";

/** What an instance does when the store refuses or does not answer in time. */
export type StoreFailurePolicy = "open" | "closed";

const MODES: readonly DistributedLimitMode[] = ["synchronous", "asynchronous", "batched"];
const POLICIES: readonly StoreFailurePolicy[] = ["open", "closed"];

export interface DistributedRateLimiterOptions<Req, Res> {
  /** What the limiter protects. */
  target: Entity<Req, Res>;
  /** The entity keeping the shared counter (it answers `"increment"`: `CounterStoreProtocol`). */
  store: CounterStore;
  /** Requests admitted per window across every instance sharing `key` (integer >= 1). */
  limit: number;
  /**
   * Seconds per window (> 0), a fixed grid from time 0. A number: every instance must cut
   * time the same way for their keys to meet. Also the width of the windows of the admitted
   * and refused series. Default 1.
   */
  window?: number;
  /** The counter's name in the store; instances with the same key share a limit. Default "rate-limit". */
  key?: string;
  /**
   * `"synchronous"` (ask and wait for each request, exact), `"asynchronous"` (decide at once, on
   * an estimate) or `"batched"` (take allowances of `batchSize` from the store, exact). Default
   * "synchronous".
   */
  mode?: DistributedLimitMode;
  /**
   * Batched mode: requests per allowance taken from the store (integer in [1, limit]). Default
   * 10 (or `limit`, if smaller). Read, and checked, in every mode.
   */
  batchSize?: number;
  /**
   * Seconds to wait for the store's answer (> 0): a number or a profile, read when each
   * increment is sent. Default: no limit (a store that never answers holds the request).
   */
  storeTimeout?: Param;
  /**
   * When the store refuses or does not answer in time (synchronous and batched modes, for each
   * request waiting for its answer): `"open"` admits the request anyway, `"closed"` refuses it
   * ("rate limiter store unavailable"). Default "open".
   * In asynchronous mode nothing waits for the store; a failed increment is only counted.
   */
  onStoreFailure?: StoreFailurePolicy;
  /**
   * Seconds to wait for the target on each forwarded request (> 0): a number or a profile,
   * read when each request is forwarded. Default: no timeout.
   */
  timeout?: Param;
}

/**
 * What one instance did. At all times, crashes and statistics resets included, `requests =
 * rejected + queued + lostWaiting + forwarded`, `admitted = forwarded`, and `forwarded =
 * succeeded + failed + timedOut + lostToCrash + inFlight`.
 */
export interface DistributedRateLimiterStats extends LedgerCounts {
  /** Requests received. */
  readonly requests: number;
  /** Requests admitted (each forwarded at once). */
  readonly admitted: number;
  /** Refused: over the limit, or the store failed with `onStoreFailure: "closed"`. */
  readonly rejected: number;
  /** Requests waiting for the store's answer now (synchronous and batched modes). */
  readonly queued: number;
  /** Requests waiting for the store's count when the instance crashed: never answered. */
  readonly lostWaiting: number;
  /** Increments sent to the store. */
  readonly storeRequests: number;
  /** Increments the store refused or did not answer within `storeTimeout`. */
  readonly storeFailures: number;
  /** Requests admitted without the store's count, by `onStoreFailure: "open"`. */
  readonly failedOpen: number;
  /** Requests refused without the store's count, by `onStoreFailure: "closed"`. */
  readonly failedClosed: number;
}

interface ValidatedOptions<Req, Res> {
  readonly target: Entity<Req, Res>;
  readonly store: CounterStore;
  readonly limit: number;
  readonly window: number;
  readonly windowNs: number;
  readonly key: string;
  readonly mode: DistributedLimitMode;
  readonly batchSize: number;
  readonly storeTimeout: TimeoutParam | null;
  readonly failOpen: boolean;
  readonly timeout: TimeoutParam | null;
}

function validateOptions<Req, Res>(
  sim: Simulation,
  component: string,
  options: DistributedRateLimiterOptions<Req, Res>,
): ValidatedOptions<Req, Res> {
  const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
    Req,
    Res
  >;
  const store = requireEntity(component, "store", options.store, sim, Entity) as CounterStore;
  const limit = requireInteger(component, "limit", options.limit, 1);
  const window = requireSeconds(component, "window", options.window ?? 1);
  const windowNs = Math.round(window * 1e9);
  if (windowNs < 1) {
    throw new ConfigError(component, "window", "a duration in seconds of at least 1 ns", window);
  }
  const key = options.key ?? "rate-limit";
  if (typeof key !== "string" || key.length === 0) {
    throw new ConfigError(component, "key", "a non-empty string", key);
  }
  const mode = options.mode ?? "synchronous";
  if (!MODES.includes(mode)) {
    throw new ConfigError(component, "mode", `one of ${MODES.join(", ")}`, mode);
  }
  const onStoreFailure = options.onStoreFailure ?? "open";
  if (!POLICIES.includes(onStoreFailure)) {
    throw new ConfigError(
      component,
      "onStoreFailure",
      `one of ${POLICIES.join(", ")}`,
      onStoreFailure,
    );
  }
  const batchSize = requireInteger(
    component,
    "batchSize",
    options.batchSize ?? Math.min(10, limit),
    1,
  );
  if (batchSize > limit) {
    throw new ConfigError(component, "batchSize", `an integer in [1, limit = ${limit}]`, batchSize);
  }
  return {
    target,
    store,
    limit,
    window,
    windowNs,
    key,
    mode,
    batchSize,
    storeTimeout: TimeoutParam.optional(component, "storeTimeout", options.storeTimeout),
    failOpen: onStoreFailure === "open",
    timeout: TimeoutParam.optional(component, "timeout", options.timeout),
  };
}

/**
 * One window of one instance: its key's payload (shared by every increment of the window) and
 * what the instance knows of its count: in asynchronous mode an estimate, in batched mode the
 * allowance. It hears the store's answers to the window's increments, so an answer arriving
 * after the window ended updates a window nobody reads any more instead of the current one.
 */
class WindowCount implements FutureListener {
  readonly increment: CounterIncrement;
  /** Asynchronous: the highest count the store has reported for the key. */
  reported = 0;
  /** Asynchronous: increments for the key not answered yet (or failed: see `futureSettled`). */
  unanswered = 0;
  /** Batched: admissions left in the allowance. */
  allowance = 0;
  /** Batched: the store granted less than a batch, so the window's limit is spent. */
  spent = false;
  /** Batched: the allowance being fetched, which requests that found none wait for. */
  fetch: SimFuture<unknown> | null = null;

  constructor(
    private readonly owner: DistributedRateLimiter<never, unknown>,
    readonly index: number,
    key: string,
    by: number,
    private readonly limit: number,
  ) {
    this.increment = { key: `${key}:${index}`, by };
  }

  futureSettled(future: SimFuture<unknown>): void {
    // A crash cancels the instance's calls; the window is forgotten with it.
    if (future.state === "cancelled") return;
    if (future === this.fetch) {
      this.fetch = null;
      if (future.state === "resolved") {
        // The count includes this batch: what of it is still within the limit is granted.
        const by = this.increment.by;
        const before = this.owner._checkCount(future.value) - by;
        const granted = Math.min(by, Math.max(0, this.limit - before));
        this.allowance += granted;
        if (granted < by) this.spent = true;
      } else {
        if (failureKind(future.error) === null) throw future.error;
        this.owner._storeFailed();
      }
      return;
    }
    if (future.state === "resolved") {
      this.unanswered--;
      const count = this.owner._checkCount(future.value);
      if (count > this.reported) this.reported = count;
    } else {
      if (failureKind(future.error) === null) throw future.error;
      // It may have counted in the store: it keeps counting in the estimate, which errs on the
      // side of the limit (a later count that includes it counts it twice, until the window ends).
      this.owner._storeFailed();
    }
  }
}

export class DistributedRateLimiter<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "DistributedRateLimiter",
    kind: "component",
    role: "flow",
    layer: "distributed",
    contract:
      'One of several instances sharing a limit of `limit` requests per fixed window, counted in a backing store that answers "increment" with the new count. Synchronous mode asks the store for each request and admits if the count is within the limit (exact; one store round trip per request; fails open or closed when the store does not answer). Asynchronous mode admits on its estimate of the count and sends increments without waiting (no added latency; over-admits by about the admission rate times the store round trip per window). Batched mode takes allowances of batchSize from the store and admits from them (exact; one round trip per batch; unused allowances are lost at the end of the window).',
    requires: ["RatePolicy", "Window", "Clock", "Key", "Keyspace"],
    expansion: ["RatePolicy", "Window", "Clock", "Key", "Keyspace"],
    provides: ["Bounded"],
    inputs: [
      "requests",
      "the store's counts, refusals and silence",
      "the target's replies, rejections and silence",
    ],
    outputs: [
      "replies",
      'immediate rejections ("rate limited", "rate limiter store unavailable")',
      '"increment" requests to the store',
      "the admitted and refused rates over time",
      "requests, admitted, rejected, queued, lostWaiting, storeRequests, storeFailures, failedOpen, failedClosed, forwarded, succeeded, failed, timedOut, inFlight, lostToCrash",
    ],
    state:
      "none of its own in synchronous mode (the count is the store's); in asynchronous mode its estimate of the current window's count, in batched mode its allowance (volatile)",
    failure_semantics:
      "A store that refuses or does not answer within storeTimeout is a store failure: synchronous mode admits (open) or refuses (closed) the request, counted. A crash abandons forwarded requests (lostToCrash) and those waiting for the store (lostWaiting); increments already sent still count in the store.",
    composition_rules: ["Keyspace", "Client", "Server", "LoadBalancer", "RateLimiter"],
    operational_knobs: knobs<DistributedRateLimiterOptions<unknown, unknown>>()(
      "target",
      "store",
      "limit",
      "window",
      "key",
      "mode",
      "batchSize",
      "storeTimeout",
      "onStoreFailure",
      "timeout",
    ),
  };

  readonly limit: number;
  readonly mode: DistributedLimitMode;
  private readonly target: Entity<Req, Res>;
  private readonly store: CounterStore;
  private readonly windowNs: number;
  private readonly key: string;
  private readonly batchSize: number;
  private readonly storeTimeout: TimeoutParam | null;
  private readonly failOpen: boolean;
  private readonly ledger = new RequestLedger(this);
  private readonly forwarder: Forwarder<Req, Res>;
  private windowCount: WindowCount | null = null;
  /** Requests admitted and refused, by window: the admitted rate over time. */
  private readonly admissions: AdmissionSeries;
  private counts = {
    requests: 0,
    admitted: 0,
    rejected: 0,
    queued: 0,
    lostWaiting: 0,
    storeRequests: 0,
    storeFailures: 0,
    failedOpen: 0,
    failedClosed: 0,
  };

  constructor(sim: Simulation, name: string, options: DistributedRateLimiterOptions<Req, Res>) {
    const valid = validateOptions(sim, `DistributedRateLimiter "${name}"`, options);
    super(sim, name);
    this.target = valid.target;
    this.store = valid.store;
    this.limit = valid.limit;
    this.windowNs = valid.windowNs;
    this.key = valid.key;
    this.mode = valid.mode;
    this.batchSize = valid.batchSize;
    this.storeTimeout = valid.storeTimeout;
    this.failOpen = valid.failOpen;
    this.forwarder = new Forwarder(this, { timeout: valid.timeout });
    this.admissions = new AdmissionSeries(valid.window, this.now);
  }

  get stats(): DistributedRateLimiterStats {
    return { ...this.counts, ...this.ledger.counts() };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  /**
   * Admitted and refused requests per second, window by window, to the end of the run: what
   * this instance let through over time (the over-admission at each window's start).
   */
  override recordedSeries(): readonly RecordedSeries[] {
    return this.admissions.recorded(this.name, this.now);
  }

  override *handle(request: Message<Req>) {
    const c = this.counts;
    c.requests++;
    const mode = this.mode;
    if (mode === "batched") {
      if (!(yield* this.takeAllowance(request))) return;
    } else if (mode === "asynchronous") {
      const window = this.currentWindow();
      if (window.reported + window.unanswered >= this.limit) {
        this.refuse();
        this.fail(request, "rate limited");
        return;
      }
      window.unanswered++;
      this.sendIncrement(window).addListener(window);
    } else {
      c.queued++;
      const call = this.sendIncrement(this.currentWindow());
      // Only this process waits for the count: if it is cancelled, the call is abandoned too.
      call._privateToWaiter = true;
      let answer: unknown;
      try {
        answer = yield call;
      } catch (error) {
        if (failureKind(error) === null) throw error;
        answer = null;
      }
      c.queued--;
      if (answer === null) {
        this._storeFailed();
        if (!this.failedOpen(request)) return;
      } else if (this._checkCount(answer) > this.limit) {
        this.refuse();
        this.fail(request, "rate limited");
        return;
      }
    }
    c.admitted++;
    this.admissions.admitted(this.now);
    this.ledger.open();
    const outcome = yield* this.forwarder.forward(this.target, request);
    this.ledger.record(outcome);
    this.forwarder.relay(request, outcome);
  }

  /**
   * Batched mode: takes one admission from the current window's allowance, waiting for the
   * next allowance if it is spent (one fetch at a time, shared by every request waiting).
   * False if the request was refused (answered here).
   */
  private *takeAllowance(request: Message<Req>): Generator<SimFuture<unknown>, boolean, unknown> {
    const c = this.counts;
    let waiting = false;
    for (;;) {
      // A request that waited past its window's end takes from the next window's allowance.
      const window = this.currentWindow();
      if (window.allowance > 0) {
        window.allowance--;
        if (waiting) c.queued--;
        return true;
      }
      if (window.spent) {
        if (waiting) c.queued--;
        this.refuse();
        this.fail(request, "rate limited");
        return false;
      }
      if (!waiting) {
        waiting = true;
        c.queued++;
      }
      let fetch = window.fetch;
      if (fetch === null) {
        fetch = this.sendIncrement(window);
        window.fetch = fetch;
        // Heard first, so the allowance is there before any waiting request resumes.
        fetch.addListener(window);
      }
      try {
        yield fetch;
      } catch (error) {
        if (failureKind(error) === null) throw error;
        c.queued--;
        return this.failedOpen(request);
      }
    }
  }

  /** The store failed a request waiting for it: true to admit it (open), else it is refused. */
  private failedOpen(request: Message<Req>): boolean {
    const c = this.counts;
    if (this.failOpen) {
      c.failedOpen++;
      return true;
    }
    c.failedClosed++;
    this.refuse();
    this.fail(request, "rate limiter store unavailable");
    return false;
  }

  private refuse(): void {
    this.counts.rejected++;
    this.admissions.refused(this.now);
  }

  /** The window holding now, a new one (and a new key) when the grid has moved on. */
  private currentWindow(): WindowCount {
    const index = Math.floor(this.nowNs / this.windowNs);
    let window = this.windowCount;
    if (window === null || window.index !== index) {
      window = new WindowCount(
        this as DistributedRateLimiter<never, unknown>,
        index,
        this.key,
        this.mode === "batched" ? this.batchSize : 1,
        this.limit,
      );
      this.windowCount = window;
    }
    return window;
  }

  private sendIncrement(window: WindowCount): SimFuture<unknown> {
    this.counts.storeRequests++;
    return this.request(
      this.store,
      "increment",
      window.increment,
      this.storeTimeout?.callOptionsAt(this.now),
    );
  }

  /** @internal The store's answer, checked: the protocol says a count. */
  _checkCount(answer: unknown): number {
    if (typeof answer !== "number" || !(answer >= 1) || !Number.isFinite(answer)) {
      throw new SimulationError(
        `DistributedRateLimiter "${this.name}": the store "${this.store.name}" answered "increment" with ${String(answer)}; expected the key's new count, a finite number >= 1`,
        this.name,
        this.nowNs,
      );
    }
    return answer;
  }

  /** @internal The store refused an increment or did not answer in time. */
  _storeFailed(): void {
    this.counts.storeFailures++;
  }

  protected override onCrash(): void {
    // The processes waiting for the store were cancelled with the crash; the requests they
    // held are lost. The estimate or allowance of the window is forgotten.
    const c = this.counts;
    c.lostWaiting += c.queued;
    c.queued = 0;
    this.windowCount = null;
  }

  protected override onResetStats(): void {
    const c = this.counts;
    c.requests = c.queued + this.ledger.inFlight;
    c.admitted = this.ledger.inFlight;
    c.rejected = 0;
    c.lostWaiting = 0;
    c.storeRequests = 0;
    c.storeFailures = 0;
    c.failedOpen = 0;
    c.failedClosed = 0;
    this.admissions.reset(this.now);
  }
}
