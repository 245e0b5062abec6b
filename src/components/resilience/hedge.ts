/**
 * `Hedge`: sends a request, and if no answer has come after `hedgeAfter` seconds, sends a copy
 * (to the same target or the next alternate); the first successful answer wins, the losers are
 * abandoned. When slowness is a property of one attempt (a GC pause, a slow disk, a busy
 * replica) rather than of the request, a second try rarely hits the same bad luck, so hedging
 * at about the p95 of normal latency cuts the tail for a few percent of extra load. It is
 * extra load all the same: at high utilization the copies queue behind each other and hedging
 * backfires (`examples/resilience/hedged-requests.ts` shows both).
 *
 * A hedge is not a retry: a copy is sent only because time passed, never because a copy
 * failed, and the request fails as soon as every copy sent so far has failed (with the last
 * copy's reason). Put a `Client` with a retry policy in front for retries.
 *
 * @example
 * const hedged = new Hedge(sim, "hedge", { target: replicaA, alternates: [replicaB], hedgeAfter: 0.05 });
 * const client = new Client(sim, "client", { target: hedged, timeout: 1 });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import { any, type SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { type Param, valueAt } from "../../random/profile.js";
import { Forwarder, type ForwardOutcome } from "../shared/forwarder.js";
import { type LedgerCounts, RequestLedger } from "../shared/requestLedger.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity, requireInteger, requireSecondsParam } from "../shared/validate.js";
import { type BudgetOptions, TokenBudget } from "./tokenBudget.js";

export interface HedgeOptions<Req, Res> {
  /** Where the first copy goes. */
  target: Entity<Req, Res>;
  /**
   * Seconds without an answer before each further copy is sent (> 0): a number or a profile,
   * read each time the wait for the next copy starts.
   */
  hedgeAfter: Param;
  /** Most extra copies per request (integer >= 1). Default 1. */
  maxHedges?: number;
  /** Where copies go, in turn (copy k to alternates[(k - 1) % n]). Default: the target itself. */
  alternates?: readonly Entity<Req, Res>[];
  /**
   * Seconds each copy may take before it counts as failed (> 0): a number or a profile, read
   * when each copy is sent. Default: no timeout.
   */
  timeout?: Param;
  /**
   * Caps hedging to a share of the traffic, as real systems do: each request earns `ratio` of
   * a copy (in (0, 1]), each copy spends one, and at most `burst` copies (default 10) can be
   * saved up, so a quiet spell cannot bank a flood of copies for the next overload. A request
   * due a copy when the budget is empty just keeps waiting for the copies it has. The budget
   * starts full. Default: no budget.
   */
  budget?: BudgetOptions;
}

/**
 * What a hedge did with its requests: the request ledger's counts, one entry per request however
 * many copies it sent, and its own. At all times, crashes and statistics resets included,
 * `forwarded = succeeded + failed + timedOut + lostToCrash + inFlight`. A request every copy of
 * which failed counts as its last copy ended: `failed` (refused) or `timedOut`.
 */
export interface HedgeStats extends LedgerCounts {
  /** Extra copies sent. */
  readonly hedgesSent: number;
  /** Requests answered by a copy rather than the first attempt. */
  readonly hedgeWins: number;
  /** Copies that were due (hedgeAfter passed) but not sent because the budget was empty. */
  readonly hedgesDenied: number;
  /** Extra load: hedges sent per request forwarded. */
  readonly extraLoad: number;
}

export class Hedge<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "Hedge",
    kind: "component",
    role: "recovery",
    layer: "local",
    contract:
      "Forwards each request; after hedgeAfter seconds without an answer sends another copy (up to maxHedges, to the target or alternates in turn); replies with the first success and abandons the rest; fails only when every copy failed.",
    requires: ["Timer", "Timeout", "RequestId"],
    provides: ["AtLeastOnce"],
    inputs: ["requests", "the copies' replies, rejections and silence"],
    outputs: [
      "replies (first success)",
      "hedged copies",
      "forwarded, hedgesSent, hedgeWins, succeeded, failed, timedOut, inFlight, lostToCrash",
    ],
    state: "the copies of each request in flight",
    failure_semantics:
      "A request may be executed more than once (every copy runs to completion at its server); late answers of abandoned copies are dropped. A crash abandons requests in flight (counted in lostToCrash; callers time out).",
    composition_rules: ["Client", "Server", "LoadBalancer"],
    operational_knobs: knobs<HedgeOptions<unknown, unknown>>()(
      "target",
      "hedgeAfter",
      "maxHedges",
      "alternates",
      "timeout",
      "budget",
    ),
  };

  private readonly target: Entity<Req, Res>;
  private readonly alternates: readonly Entity<Req, Res>[];
  private readonly hedgeAfter: Param;
  private readonly maxHedges: number;
  private readonly timeout: TimeoutParam | null;
  private readonly budget: TokenBudget | null;
  private counts = { hedgesSent: 0, hedgesDenied: 0, hedgeWins: 0 };
  /** One entry per request, however many copies it sends. */
  private readonly ledger = new RequestLedger(this);
  /** Waits for the copies; counts nothing itself (the ledger counts requests, not copies). */
  private readonly forwarder = new Forwarder<Req, Res>(this);

  constructor(sim: Simulation, name: string, options: HedgeOptions<Req, Res>) {
    // Every option is checked before the entity registers, so a refused one leaves no trace.
    const component = `Hedge "${name}"`;
    const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
      Req,
      Res
    >;
    const hedgeAfter = requireSecondsParam(component, "hedgeAfter", options.hedgeAfter);
    const maxHedges = requireInteger(component, "maxHedges", options.maxHedges ?? 1, 1);
    const alternates = options.alternates ?? [];
    if (!Array.isArray(alternates)) {
      throw new ConfigError(component, "alternates", "an array of entities", alternates);
    }
    for (const alternate of alternates) {
      requireEntity(component, "alternates", alternate, sim, Entity);
    }
    const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
    const budget = TokenBudget.from(component, "budget", options.budget);
    super(sim, name);
    this.target = target;
    this.alternates = [...alternates];
    this.hedgeAfter = hedgeAfter;
    this.maxHedges = maxHedges;
    this.timeout = timeout;
    this.budget = budget;
  }

  get stats(): HedgeStats {
    const c = this.counts;
    const ledger = this.ledger;
    return {
      ...ledger.counts(),
      ...c,
      extraLoad: ledger.forwarded > 0 ? c.hedgesSent / ledger.forwarded : 0,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  override *handle(request: Message<Req>) {
    const c = this.counts;
    const forwarder = this.forwarder;
    const sentNs = this.nowNs;
    this.ledger.open();
    this.budget?.earn();
    const copies: SimFuture<Res>[] = [this.copy(request, 0)];
    let budgetDenied = false;
    let outcome: ForwardOutcome<Res>;
    try {
      for (;;) {
        const canHedge = copies.length <= this.maxHedges && !budgetDenied;
        // Rejects once every copy has failed; the outcome is then the last copy's.
        const firstSuccess = any(copies);
        if (!canHedge) {
          outcome = yield* forwarder.await(firstSuccess, sentNs);
          break;
        }
        const timer = this.sleep(valueAt(this.hedgeAfter, this.now));
        // When the timer wins, only the wait for `any` is abandoned: the copies keep running
        // and join the next round.
        const settled = yield* forwarder.awaitUntil(firstSuccess, timer, sentNs);
        if (settled === null) {
          if (this.budget !== null && !this.budget.trySpend()) {
            c.hedgesDenied++;
            budgetDenied = true;
            continue;
          }
          c.hedgesSent++;
          copies.push(this.copy(request, copies.length));
          continue;
        }
        outcome = settled;
        break;
      }
    } finally {
      for (const copy of copies) copy.cancel("another copy answered");
    }
    if (outcome.kind === "answer" && copies[0]!.state !== "resolved") c.hedgeWins++;
    this.ledger.record(outcome);
    forwarder.relay(request, outcome);
  }

  private copy(request: Message<Req>, index: number): SimFuture<Res> {
    const n = this.alternates.length;
    const target = index === 0 || n === 0 ? this.target : this.alternates[(index - 1) % n]!;
    return this.request(target, request.kind, request.payload, {
      ...this.timeout?.callOptionsAt(this.now),
      causedBy: request,
    }) as SimFuture<Res>;
  }

  protected override onResetStats(): void {
    const c = this.counts;
    c.hedgesSent = 0;
    c.hedgesDenied = 0;
    c.hedgeWins = 0;
  }
}
