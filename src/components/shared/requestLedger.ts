/**
 * `RequestLedger`: the books of a component that forwards requests (a proxy, a balancer, a
 * breaker): how many it forwarded and how each forward ended, in the one vocabulary of
 * docs/components/statistics.md. Every count moves with another, so
 * `forwarded = succeeded + failed + timedOut + lostToCrash + inFlight` holds at every instant
 * by construction, crashes and statistics resets included.
 *
 * Built with its owner, it registers itself as a lifecycle hook of that entity:
 *
 * @example
 * private readonly ledger = new RequestLedger(this);
 *
 * Then a crash moves whatever is in flight to `lostToCrash` (the crash has cancelled the
 * processes that were waiting for those answers, so nobody else would count them), and
 * `sim.resetStats()` restarts the counts with the work still in flight counted as forwarded
 * again. The component writes no crash or reset code for its forwards.
 *
 * Forwards are opened and settled by `Forwarder.forward` (one forward, one entry), or by the
 * component itself when one request makes several calls but counts once (a `Fallback` trying
 * its primary and then its fallback, a `Hedge` sending copies): `open()` when it takes the
 * request on, `record(outcome)` when it knows the outcome.
 *
 * Not exported from the package: components are built from it.
 */
import type { Entity, LifecycleHook } from "../../core/entity.js";
import { SimulationError } from "../../errors/errors.js";
import type { ForwardOutcome } from "./forwarder.js";

/** The ledger's counts, as a component reports them in its `stats` and `metrics()`. */
export interface LedgerCounts {
  /** Requests forwarded (since creation or the last statistics reset, plus those in flight then). */
  readonly forwarded: number;
  /** Answered with a usable answer. */
  readonly succeeded: number;
  /** Refused by the target (a `RemoteError`), or answered with an answer judged a failure. */
  readonly failed: number;
  /** Not answered in time. */
  readonly timedOut: number;
  /** In flight when the owner crashed: never answered. */
  readonly lostToCrash: number;
  /** Forwarded and not settled yet. */
  readonly inFlight: number;
}

export class RequestLedger implements LifecycleHook {
  private _forwarded = 0;
  private _succeeded = 0;
  private _failed = 0;
  private _timedOut = 0;
  private _lostToCrash = 0;
  private _inFlight = 0;

  /** @param owner the entity whose forwards it counts, named in misuse errors */
  constructor(private readonly owner: Entity<never, unknown>) {
    owner.addLifecycleHook(this);
  }

  get forwarded(): number {
    return this._forwarded;
  }
  get succeeded(): number {
    return this._succeeded;
  }
  get failed(): number {
    return this._failed;
  }
  get timedOut(): number {
    return this._timedOut;
  }
  get lostToCrash(): number {
    return this._lostToCrash;
  }
  get inFlight(): number {
    return this._inFlight;
  }

  /** A snapshot of the six counts (for `stats`; allocates, so not for a per-request path). */
  counts(): LedgerCounts {
    return {
      forwarded: this._forwarded,
      succeeded: this._succeeded,
      failed: this._failed,
      timedOut: this._timedOut,
      lostToCrash: this._lostToCrash,
      inFlight: this._inFlight,
    };
  }

  /** A request is forwarded now: it stays in flight until `record` settles it. */
  open(): void {
    this._forwarded++;
    this._inFlight++;
  }

  /**
   * Settles one forward opened earlier with its outcome: an answer succeeded, an answer
   * judged a failure or a refusal failed, a timeout timed out.
   */
  record(outcome: ForwardOutcome<unknown>): void {
    this.settle(outcome.kind);
  }

  /**
   * As `record`, from the outcome's kind alone: for a component that learns the outcome from a
   * settled future rather than a `Forwarder` (a `Server` handing a request on to its `next`
   * stage), so its per-request path builds no outcome object.
   */
  settle(kind: ForwardOutcome<unknown>["kind"]): void {
    if (this._inFlight === 0) {
      // A settle with nothing open is a bug in the component (a forward counted twice, or one
      // cancelled by a crash still settling): fail loudly rather than drift.
      throw new SimulationError(
        `request ledger: a "${kind}" outcome settled, but no forward is in flight`,
        this.owner.name,
        this.owner.nowNs,
      );
    }
    this._inFlight--;
    switch (kind) {
      case "answer":
        this._succeeded++;
        break;
      case "failedAnswer":
      case "refused":
        this._failed++;
        break;
      case "timedOut":
        this._timedOut++;
        break;
    }
  }

  /** The owner crashed and its waiting processes are cancelled: what was in flight is lost. */
  onCrash(): void {
    this._lostToCrash += this._inFlight;
    this._inFlight = 0;
  }

  /** Statistics restart now: the forwards still in flight count as forwarded again. */
  onResetStats(): void {
    this._forwarded = this._inFlight;
    this._succeeded = 0;
    this._failed = 0;
    this._timedOut = 0;
    this._lostToCrash = 0;
  }
}
