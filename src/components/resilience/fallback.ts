/**
 * `Fallback`: answers from a second source when the first fails. Requests go to `primary`;
 * when it fails (a rejection, or no answer within `timeout`), the answer comes from
 * `fallback`: another entity to call (a replica, a degraded service, a static page) or a
 * function of the request (a cached or default value). Users get a worse answer instead of
 * an error, which during an outage of the primary is the difference between degraded and
 * down.
 *
 * @example
 * const prices = new Fallback(sim, "prices", {
 *   primary: pricingService,
 *   fallback: (request) => lastKnownPrice(request.payload),
 *   timeout: 0.2,
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, type RemoteError, type TimeoutError } from "../../errors/errors.js";
import type { Param } from "../../random/profile.js";
import { type Answer, Forwarder } from "../shared/forwarder.js";
import { type LedgerCounts, RequestLedger } from "../shared/requestLedger.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity } from "../shared/validate.js";

/** Where a fallback answer comes from: an entity to call, or a function of the request. */
export type FallbackSource<Req, Res> =
  | Entity<Req, Res>
  | ((request: Message<Req>, error: TimeoutError | RemoteError) => Res);

export interface FallbackOptions<Req, Res> {
  /** Where requests go first. */
  primary: Entity<Req, Res>;
  /** Where the answer comes from when the primary fails. */
  fallback: FallbackSource<Req, Res>;
  /**
   * Seconds to wait for the primary before falling back (> 0): a number or a profile, read
   * when each request is sent to the primary. Default: no timeout.
   */
  timeout?: Param;
  /**
   * Seconds to wait for a fallback entity (> 0): a number or a profile, read when each request
   * is sent to it. Default: no timeout.
   */
  fallbackTimeout?: Param;
}

/**
 * What a fallback did with its requests: the request ledger's counts, one entry per request
 * (each is forwarded to the primary at once, and maybe then to the fallback). At all times,
 * crashes and statistics resets included, `forwarded = succeeded + failed + timedOut +
 * lostToCrash + inFlight`. `succeeded` counts requests answered, by the primary or the
 * fallback; `failed` and `timedOut` those the fallback entity refused or did not answer in time
 * too; `inFlight` those waiting for the primary or for a fallback entity.
 */
export interface FallbackStats extends LedgerCounts {
  /** Of `succeeded`, answered by the fallback after the primary failed. */
  readonly fallbacksUsed: number;
}

export class Fallback<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "Fallback",
    kind: "component",
    role: "recovery",
    layer: "local",
    contract:
      "Answers each request from the primary; if the primary rejects it or does not answer within timeout, answers from the fallback (an entity or a function) instead.",
    requires: ["Timeout"],
    provides: ["Observable"],
    inputs: ["requests", "the primary's and fallback's replies, rejections and silence"],
    outputs: [
      "replies (primary or fallback)",
      "forwarded, succeeded, fallbacksUsed, failed, timedOut, inFlight, lostToCrash",
    ],
    state: "requests in flight (volatile)",
    failure_semantics:
      "A fallback answer may be stale or degraded; the caller cannot tell unless the answer says so. A primary that timed out may still execute the request. Fails only if the fallback entity fails too. A crash abandons requests in flight (counted in lostToCrash; callers time out).",
    composition_rules: ["Client", "TimeoutWrapper", "CircuitBreaker", "Server"],
    operational_knobs: knobs<FallbackOptions<unknown, unknown>>()(
      "primary",
      "fallback",
      "timeout",
      "fallbackTimeout",
    ),
  };

  private readonly primary: Entity<Req, Res>;
  private readonly fallback: FallbackSource<Req, Res>;
  private readonly fallbackTimeout: TimeoutParam | null;
  /** One entry per request, however many calls it takes. */
  private readonly ledger = new RequestLedger(this);
  private readonly forwarder: Forwarder<Req, Res>;
  private fallbacksUsed = 0;

  constructor(sim: Simulation, name: string, options: FallbackOptions<Req, Res>) {
    // Every option is checked before the entity registers, so a refused one leaves no trace.
    const component = `Fallback "${name}"`;
    const primary = requireEntity(component, "primary", options?.primary, sim, Entity) as Entity<
      Req,
      Res
    >;
    const fallback = options.fallback;
    if (typeof fallback !== "function") requireEntity(component, "fallback", fallback, sim, Entity);
    const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
    const fallbackTimeout = TimeoutParam.optional(
      component,
      "fallbackTimeout",
      options.fallbackTimeout,
    );
    if (fallbackTimeout !== null && typeof fallback === "function") {
      throw new ConfigError(
        component,
        "fallbackTimeout",
        "unset when the fallback is a function (it answers at once)",
        fallbackTimeout.param,
      );
    }
    super(sim, name);
    this.primary = primary;
    this.fallback = fallback;
    this.forwarder = new Forwarder(this, { timeout });
    this.fallbackTimeout = fallbackTimeout;
  }

  get stats(): FallbackStats {
    return { ...this.ledger.counts(), fallbacksUsed: this.fallbacksUsed };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  override *handle(request: Message<Req>) {
    const ledger = this.ledger;
    const forwarder = this.forwarder;
    ledger.open();
    const primary = yield* forwarder.forward(this.primary, request);
    let outcome = primary;
    if (primary.kind === "refused" || primary.kind === "timedOut") {
      const fallback = this.fallback;
      if (fallback instanceof Entity) {
        outcome = yield* forwarder.forward(fallback, request, this.fallbackTimeout);
      } else {
        const answer: Answer<Res> = {
          kind: "answer",
          answer: fallback(request, primary.error),
          seconds: primary.seconds,
        };
        outcome = answer;
      }
      if (outcome.kind === "answer") this.fallbacksUsed++;
    }
    ledger.record(outcome);
    forwarder.relay(request, outcome);
  }

  protected override onResetStats(): void {
    this.fallbacksUsed = 0;
  }
}
