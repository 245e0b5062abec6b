/**
 * What a pipeline stage (`Server`, `ThreadPool` with `next`) shares: waiting for the next
 * stage's answer to one item handed on, as a future listener (no process per item).
 */
import type { FutureListener, SimFuture } from "../../core/future.js";
import type { RequestLedger } from "../shared/requestLedger.js";

/** A stage told when the next stage answered (or refused) an item it handed on. */
export interface Stage<Item, Res> {
  _stageAnswered(item: Item, answer: SimFuture<Res>): void;
}

/** Waits for the next stage's answer to one item handed on. */
export class StageAnswer<Item, Res> implements FutureListener {
  constructor(
    readonly stage: Stage<Item, Res>,
    readonly item: Item,
    readonly answer: SimFuture<Res>,
  ) {}

  futureSettled(): void {
    this.stage._stageAnswered(this.item, this.answer);
  }
}

/**
 * The books of a stage's hand-ons (with `next` only; without it nothing is handed on, and
 * summaries keep their shape): `forwarded = succeeded + failed + lostInFlight + inFlight`.
 */
export interface HandOnStats {
  /** Handed on to `next` (each also in `completed`). */
  readonly forwarded: number;
  /** Handed on and answered by `next` (the answer went back). */
  readonly succeeded: number;
  /** Handed on and refused by `next` (the reason went back). */
  readonly failed: number;
  /**
   * Handed on and waiting for `next`'s answer when this stage crashed: never answered. Apart
   * from `lostToCrash` (queued and in-service work a crash lost), never completed here.
   */
  readonly lostInFlight: number;
  /** Handed on and waiting for `next`'s answer now. */
  readonly inFlight: number;
}

/** A stage's hand-on books for its `stats`, or null for a stage without `next`. */
export function handOnStats(ledger: RequestLedger | null): HandOnStats | null {
  return ledger === null
    ? null
    : {
        forwarded: ledger.forwarded,
        succeeded: ledger.succeeded,
        failed: ledger.failed,
        lostInFlight: ledger.lostToCrash,
        inFlight: ledger.inFlight,
      };
}
