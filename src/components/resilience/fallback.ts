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
import { ConfigError, RemoteError, TimeoutError } from "../../errors/errors.js";
import type { Param } from "../../random/profile.js";
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
 * What a fallback did with its requests. At all times, crashes or not, `requests =
 * primarySucceeded + fallbacksUsed + failed + lostToCrash + inFlight`.
 */
export interface FallbackStats {
  readonly requests: number;
  /** Answered by the primary. */
  readonly primarySucceeded: number;
  /** Answered by the fallback after the primary failed. */
  readonly fallbacksUsed: number;
  /** Failed both ways (the fallback entity failed too). */
  readonly failed: number;
  /** Requests not answered yet (waiting for the primary or for a fallback entity). */
  readonly inFlight: number;
  /** Requests in flight when the fallback crashed: never answered. */
  readonly lostToCrash: number;
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
      "primarySucceeded, fallbacksUsed, failed, inFlight, lostToCrash",
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
  private readonly timeout: TimeoutParam | null;
  private readonly fallbackTimeout: TimeoutParam | null;
  /**
   * Requests not answered yet. A request leaves it where its outcome is counted, so the ones a
   * crash cancels are still here when `onCrash` counts them lost.
   */
  private inFlight = 0;
  private counts = {
    requests: 0,
    primarySucceeded: 0,
    fallbacksUsed: 0,
    failed: 0,
    lostToCrash: 0,
  };

  constructor(sim: Simulation, name: string, options: FallbackOptions<Req, Res>) {
    super(sim, name);
    const component = `Fallback "${name}"`;
    this.primary = requireEntity(component, "primary", options?.primary, sim, Entity) as Entity<
      Req,
      Res
    >;
    const fallback = options.fallback;
    if (typeof fallback !== "function") requireEntity(component, "fallback", fallback, sim, Entity);
    this.fallback = fallback;
    this.timeout = TimeoutParam.optional(component, "timeout", options.timeout);
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
    this.fallbackTimeout = fallbackTimeout;
  }

  get stats(): FallbackStats {
    return { ...this.counts, inFlight: this.inFlight };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  override *handle(request: Message<Req>) {
    const c = this.counts;
    c.requests++;
    this.inFlight++;
    let primaryError: TimeoutError | RemoteError;
    try {
      const answer = (yield this.request(
        this.primary,
        request.kind,
        request.payload,
        this.timeout?.callOptionsAt(this.now),
      )) as Res;
      c.primarySucceeded++;
      this.inFlight--;
      this.reply(request, answer);
      return;
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof RemoteError)) throw error;
      primaryError = error;
    }
    const fallback = this.fallback;
    if (!(fallback instanceof Entity)) {
      c.fallbacksUsed++;
      this.inFlight--;
      this.reply(request, fallback(request, primaryError));
      return;
    }
    try {
      const answer = (yield this.request(
        fallback,
        request.kind,
        request.payload,
        this.fallbackTimeout?.callOptionsAt(this.now),
      )) as Res;
      c.fallbacksUsed++;
      this.inFlight--;
      this.reply(request, answer);
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof RemoteError)) throw error;
      c.failed++;
      this.inFlight--;
      this.fail(request, error instanceof RemoteError ? error.reason : "timed out");
    }
  }

  protected override onCrash(): void {
    // The crash cancelled the processes of the requests in flight (they count nothing when
    // cancelled): those requests are lost.
    this.counts.lostToCrash += this.inFlight;
    this.inFlight = 0;
  }
}
