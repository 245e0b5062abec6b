/**
 * `Forwarder`: sends a request on to a target and hands the component a typed outcome instead
 * of an exception, so a proxy, a balancer or a breaker reads as a decision on that outcome:
 *
 * @example
 * const outcome = yield* this.forwarder.forward(this.target, request);
 * if (outcome.kind === "answer") this.onSuccess();
 * this.forwarder.relay(request, outcome);   // reply with the answer, or fail with the reason
 *
 * The outcomes, one vocabulary with the `RequestLedger`'s counts:
 * - `answer`: the target answered (`answer`, typed; `seconds` since the forward);
 * - `failedAnswer`: it answered, but the component's `isFailure` judged the answer a failure
 *   (still relayed as an answer);
 * - `refused`: the target refused (`reason`, from its `RemoteError`);
 * - `timedOut`: no answer within the timeout (`error.seconds`, the timeout the call was sent
 *   with).
 * A crash of the component cancels the process waiting here: the forward never returns, and
 * the ledger counts it in `lostToCrash`. Any other error (a bug, a cancellation) propagates:
 * only the two modelled failures become outcomes.
 *
 * Per forward it allocates what the call needs plus the outcome object and this generator;
 * the call options of a fixed timeout are built once (see `TimeoutParam`).
 *
 * Not exported from the package: components are built from it.
 */
import type { Entity } from "../../core/entity.js";
import { race, type SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import { RemoteError, TimeoutError } from "../../errors/errors.js";
import type { RequestLedger } from "./requestLedger.js";
import type { TimeoutParam } from "./timeoutParam.js";

/** The target answered with a usable answer. */
export interface Answer<Res> {
  readonly kind: "answer";
  readonly answer: Res;
  /** Seconds from the forward to the answer. */
  readonly seconds: number;
}

/** The target answered, and `isFailure` judged the answer a failure. */
export interface FailedAnswer<Res> {
  readonly kind: "failedAnswer";
  readonly answer: Res;
  readonly seconds: number;
}

/** The target refused the request (`fail()` on its side: a full queue, a 503). */
export interface Refused {
  readonly kind: "refused";
  /** The target's reason, as its caller would see it. */
  readonly reason: string;
  readonly error: RemoteError;
  readonly seconds: number;
}

/** No answer came within the timeout. */
export interface TimedOut {
  readonly kind: "timedOut";
  /** `error.seconds` is the timeout the forward was sent with. */
  readonly error: TimeoutError;
  readonly seconds: number;
}

/** How one forward ended, as far as the component can see (a crash ends it unseen). */
export type ForwardOutcome<Res> = Answer<Res> | FailedAnswer<Res> | Refused | TimedOut;

export interface ForwarderOptions<Res> {
  /**
   * Counts every `forward` (opened when sent, settled with its outcome). Leave it out when the
   * component counts at the level of its requests (several calls, one entry).
   */
  readonly ledger?: RequestLedger | null;
  /** Timeout of each forward, read when it is sent, unless `forward` is given one. Default none. */
  readonly timeout?: TimeoutParam | null;
  /** Judges an answer (with the seconds it took): true makes it a `failedAnswer`. */
  readonly isFailure?: ((answer: Res, seconds: number) => boolean) | null;
  /** The reason `relay` fails a timed-out request with, from the timeout. Default "timed out". */
  readonly timedOutReason?: (timeoutSeconds: number) => string;
}

const timedOut = (): string => "timed out";

/**
 * The one classification of a call's error: a `RemoteError` (the target refused) or a
 * `TimeoutError` (no answer in time) is a modelled failure; anything else (a bug, a
 * cancellation) is `null`, for the caller to rethrow.
 */
export function failureKind(error: unknown): "refused" | "timedOut" | null {
  if (error instanceof RemoteError) return "refused";
  if (error instanceof TimeoutError) return "timedOut";
  return null;
}

/**
 * Holds `isFailure` behind a method type: methods compare bivariantly, so a component typed by
 * its answers (`LoadBalancer<number, number>`) still passes where one of `unknown` answers is
 * expected, as it did before it held a forwarder.
 */
interface AnswerJudge<Res> {
  isFailure(answer: Res, seconds: number): boolean;
}

export class Forwarder<Req, Res> {
  private readonly ledger: RequestLedger | null;
  private readonly timeout: TimeoutParam | null;
  private readonly judge: AnswerJudge<Res> | null;
  private readonly timedOutReason: (timeoutSeconds: number) => string;

  /** @param owner the component that forwards (it sends the calls and answers its callers) */
  constructor(
    private readonly owner: Entity<Req, Res>,
    options: ForwarderOptions<Res> = {},
  ) {
    this.ledger = options.ledger ?? null;
    this.timeout = options.timeout ?? null;
    const isFailure = options.isFailure;
    this.judge = isFailure == null ? null : { isFailure };
    this.timedOutReason = options.timedOutReason ?? timedOut;
  }

  /**
   * `const outcome = yield* forwarder.forward(target, request)`: sends the request's kind and
   * payload to `target` (as the owner, in the current process: the message continues the
   * request's causal chain) and waits for its outcome. `timeout` overrides the forwarder's.
   */
  *forward(
    target: Entity<Req, Res>,
    request: Message<Req>,
    timeout: TimeoutParam | null = this.timeout,
  ): Generator<SimFuture<Res>, ForwardOutcome<Res>, unknown> {
    const owner = this.owner;
    const sentNs = owner.nowNs;
    const call = owner.request(
      target,
      request.kind,
      request.payload,
      timeout?.callOptionsAt(owner.now),
    );
    // Only this process can receive the answer: if it is abandoned, so is the call.
    call._privateToWaiter = true;
    const ledger = this.ledger;
    ledger?.open();
    // The wait is written out here rather than delegated to `await`: one generator per forward.
    let answer: Res;
    try {
      answer = (yield call) as Res;
    } catch (error) {
      const failure = this.failureOf(error, sentNs);
      ledger?.record(failure);
      return failure;
    }
    const outcome = this.answered(answer, sentNs);
    ledger?.record(outcome);
    return outcome;
  }

  /**
   * `const outcome = yield* forwarder.await(future, sentNs)`: waits for a future of an answer
   * the component sent for itself (a hedge's copies, `any` of them) and returns its outcome,
   * `seconds` counted from `sentNs`. A rejection by `any` (every copy failed) is the outcome of
   * its last copy. It does not touch the ledger.
   */
  *await(
    future: SimFuture<Res>,
    sentNs: number,
  ): Generator<SimFuture<Res>, ForwardOutcome<Res>, unknown> {
    let answer: Res;
    try {
      answer = (yield future) as Res;
    } catch (error) {
      return this.failureOf(error, sentNs);
    }
    return this.answered(answer, sentNs);
  }

  /**
   * As `await`, but gives up waiting once `timer` resolves (a hedge's next copy is due) and
   * returns null. Whichever settles first cancels the other (`race`): the timer if an outcome
   * comes first, else `future`, so pass a combinator over what must keep running (`any(copies)`:
   * cancelling it leaves the copies out).
   */
  *awaitUntil(
    future: SimFuture<Res>,
    timer: SimFuture<void>,
    sentNs: number,
  ): Generator<SimFuture<unknown>, ForwardOutcome<Res> | null, unknown> {
    let answer: Res;
    try {
      answer = (yield race([future, timer])) as Res;
    } catch (error) {
      return this.failureOf(error, sentNs);
    }
    return timer.state === "resolved" ? null : this.answered(answer, sentNs);
  }

  /** Answers the caller with the outcome: the answer as a reply, or a failure with its reason. */
  relay(request: Message<Req>, outcome: ForwardOutcome<Res>): void {
    switch (outcome.kind) {
      case "answer":
      case "failedAnswer":
        this.owner.reply(request, outcome.answer);
        return;
      case "refused":
        this.owner.fail(request, outcome.reason);
        return;
      case "timedOut":
        this.owner.fail(request, this.timedOutReason(outcome.error.seconds));
        return;
    }
  }

  /** The outcome of an answer: judged by `isFailure`, if the forwarder has one. */
  private answered(answer: Res, sentNs: number): Answer<Res> | FailedAnswer<Res> {
    const seconds = (this.owner.nowNs - sentNs) / 1e9;
    return this.judge?.isFailure(answer, seconds) === true
      ? { kind: "failedAnswer", answer, seconds }
      : { kind: "answer", answer, seconds };
  }

  /** The outcome of a modelled failure; anything else (a bug, a cancellation) is rethrown. */
  private failureOf(error: unknown, sentNs: number): Refused | TimedOut {
    // `any` rejects with every copy's error once all have failed: the last one speaks for all.
    const last = error instanceof AggregateError ? error.errors[error.errors.length - 1] : error;
    const seconds = (this.owner.nowNs - sentNs) / 1e9;
    switch (failureKind(last)) {
      case "refused":
        return { kind: "refused", reason: last.reason, error: last as RemoteError, seconds };
      case "timedOut":
        return { kind: "timedOut", error: last as TimeoutError, seconds };
      default:
        throw error;
    }
  }
}
