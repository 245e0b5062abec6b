/**
 * `TimeoutWrapper`: puts a deadline on every request to a target. A caller that waits
 * without one waits as long as the slowest dependency takes (forever, if it hangs), holding
 * whatever the request holds (a worker, a connection, a user). The wrapper fails the request
 * once `timeout` seconds pass ("timed out"), so the caller gets an answer it can act on
 * (retry elsewhere, fall back, give up) in bounded time. The target is not told: it may
 * still finish the work, and its late answer is dropped.
 *
 * @example
 * const bounded = new TimeoutWrapper(sim, "deadline", { target: inventory, timeout: 0.25 });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import type { Param } from "../../random/profile.js";
import { Forwarder } from "../shared/forwarder.js";
import { type LedgerCounts, RequestLedger } from "../shared/requestLedger.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity } from "../shared/validate.js";

export interface TimeoutWrapperOptions<Req, Res> {
  /** What the deadline applies to. */
  target: Entity<Req, Res>;
  /**
   * Seconds each request may take before the caller is answered "timed out" (> 0): a number or
   * a profile, read when each request is forwarded.
   */
  timeout: Param;
}

/**
 * What a wrapper did with its requests: the request ledger's counts (it forwards every request
 * it receives, at once). At all times, crashes and statistics resets included, `forwarded =
 * succeeded + failed + timedOut + lostToCrash + inFlight`. `failed` counts the requests the
 * target refused (passed on as they came), `timedOut` those failed because the deadline passed.
 */
export type TimeoutWrapperStats = LedgerCounts;

export class TimeoutWrapper<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "TimeoutWrapper",
    kind: "component",
    role: "timing",
    layer: "local",
    contract:
      "Forwards each request and answers with the target's reply, or fails it with \"timed out\" once timeout seconds pass; the target's own rejections pass through.",
    requires: ["Timeout", "Deadline", "Timer"],
    provides: ["Bounded"],
    inputs: ["requests", "the target's replies, rejections and silence"],
    outputs: [
      "replies",
      "timeouts (RemoteError at the caller)",
      "forwarded, succeeded, failed, timedOut, inFlight, lostToCrash",
    ],
    state: "requests in flight (volatile)",
    failure_semantics:
      "A timed-out request may still be executed by the target (its late answer is dropped): the deadline bounds the caller's wait, not the work. A crash abandons requests in flight (counted in lostToCrash; callers time out).",
    composition_rules: ["Client", "Server", "Fallback", "CircuitBreaker"],
    operational_knobs: knobs<TimeoutWrapperOptions<unknown, unknown>>()("target", "timeout"),
  };

  /** The deadline as given: seconds, or a profile of seconds. */
  readonly timeout: Param;
  private readonly target: Entity<Req, Res>;
  private readonly ledger = new RequestLedger(this);
  private readonly forwarder: Forwarder<Req, Res>;

  constructor(sim: Simulation, name: string, options: TimeoutWrapperOptions<Req, Res>) {
    // Every option is checked before the entity registers, so a refused one leaves no trace.
    const component = `TimeoutWrapper "${name}"`;
    const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
      Req,
      Res
    >;
    const deadline = TimeoutParam.from(component, "timeout", options.timeout);
    super(sim, name);
    this.target = target;
    this.timeout = deadline.param;
    this.forwarder = new Forwarder(this, {
      ledger: this.ledger,
      timeout: deadline,
      timedOutReason: (seconds) => `timed out after ${seconds}s`,
    });
  }

  get stats(): TimeoutWrapperStats {
    return this.ledger.counts();
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  override *handle(request: Message<Req>) {
    this.forwarder.relay(request, yield* this.forwarder.forward(this.target, request));
  }
}
