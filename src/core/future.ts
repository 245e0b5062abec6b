/**
 * `SimFuture<T>`: a value that will exist at some simulated time. A process waits for one by
 * yielding it (`const v = yield* wait(f)`); it resumes with the value, or has the error thrown
 * at its `yield`.
 *
 * Settling a future never runs user code synchronously: waiting processes are resumed by an
 * event scheduled at the current time, in the order they started waiting. That keeps every
 * handler atomic (no process runs inside another's step) and the order deterministic.
 *
 * A rejected future that nobody has waited on fails the run, unless it was `defuse()`d: an
 * error is never silently dropped. The check runs once every event at the instant of the
 * rejection has run (so anything started at that same instant can still wait on it), or when
 * the run (or `step`) returns, whichever is first; a pause defers it to `resume()`.
 * Cancellation is not an error: a cancelled future rejects its waiters with `CancelledError`
 * but fails nothing.
 */

import { CancelledError, ConfigError, SimulationError, TimeoutError } from "../errors/errors.js";
import type { Entity } from "./entity.js";
import type { Simulation } from "./simulation.js";

/** Something told when a future settles (a waiting process, or a combinator). */
export interface FutureListener {
  futureSettled(future: SimFuture<unknown>): void;
}

/** @internal What `_onCancelHook` takes: told once if the future is cancelled. */
export interface CancelHook {
  _futureCancelled(reason: string): void;
}

/** Lifecycle of a future. */
export type FutureState = "pending" | "resolved" | "rejected" | "cancelled";

export class SimFuture<T> {
  private _state: FutureState = "pending";
  private _value: T | undefined = undefined;
  private _error: unknown = undefined;
  /** One listener inline (the common case), more in an array. */
  private listeners: FutureListener | FutureListener[] | null = null;
  private observed = false;
  private canceller: ((reason: string) => void) | CancelHook | null = null;
  /**
   * @internal Set for a future only its one waiter can see (the call inside `yield* call()`):
   * a process that abandons it (cancelled, interrupted) cancels it too, so a call does not
   * keep its timeout timer and pending entry after nobody can receive its answer.
   */
  _privateToWaiter = false;

  /**
   * @param sim the simulation whose clock this future lives on
   * @param owner the entity responsible for it, named in errors (null for the simulation)
   * @param label what it stands for, named in errors ("call db.get", "sleep 0.5s")
   */
  constructor(
    readonly sim: Simulation,
    readonly owner: Entity | null = null,
    readonly label = "future",
  ) {}

  get state(): FutureState {
    return this._state;
  }
  get isPending(): boolean {
    return this._state === "pending";
  }
  get isSettled(): boolean {
    return this._state !== "pending";
  }

  /** The resolved value; throws if the future is not resolved. */
  get value(): T {
    if (this._state !== "resolved") {
      throw this.misuse(`read the value of a ${this._state} future`);
    }
    return this._value as T;
  }

  /** The rejection (or `CancelledError`); undefined unless rejected or cancelled. */
  get error(): unknown {
    return this._error;
  }

  /**
   * Settles the future with a value. Returns false (and does nothing) if it was cancelled,
   * which is normal when a race loser finishes late; throws if it was already resolved or
   * rejected, which is a bug in the model.
   */
  resolve(value: T): boolean {
    if (this._state !== "pending") return this.lateSettle("resolve");
    this._state = "resolved";
    this._value = value;
    this.canceller = null;
    this.notify();
    return true;
  }

  /** Settles the future with an error, thrown at the `yield` of every waiting process. */
  reject(error: unknown): boolean {
    if (this._state !== "pending") return this.lateSettle("reject");
    this._state = "rejected";
    this._error = error;
    this.canceller = null;
    if (!this.observed) this.sim._noteUnobservedRejection(this);
    this.notify();
    return true;
  }

  /**
   * Cancels a pending future: its waiters get `CancelledError`, and whatever it stood for (a
   * timer, a call, a process) is cancelled too. Returns false if it had already settled.
   */
  cancel(reason = "cancelled"): boolean {
    if (this._state !== "pending") return false;
    this._state = "cancelled";
    this._error = new CancelledError(reason);
    const canceller = this.canceller;
    this.canceller = null;
    if (canceller !== null) {
      if (typeof canceller === "function") canceller(reason);
      else canceller._futureCancelled(reason);
    }
    this.notify();
    return true;
  }

  /** Marks a rejection as handled, so that nobody waiting for it does not fail the run. */
  defuse(): this {
    this.observed = true;
    return this;
  }

  /** True once something has waited on the future or it was defused. */
  get isObserved(): boolean {
    return this.observed;
  }

  /**
   * Registers what to do if this future is cancelled (cancel a timer, abandon a call). For
   * components that create futures; one canceller per future.
   */
  onCancel(canceller: (reason: string) => void): this {
    if (this.canceller !== null) throw this.misuse("set a second canceller");
    this.canceller = canceller;
    return this;
  }

  /**
   * @internal `onCancel` with an object instead of a closure: engine code that already has an
   * object per future (an outstanding call) saves the closure and its context.
   */
  _onCancelHook(hook: CancelHook): this {
    if (this.canceller !== null) throw this.misuse("set a second canceller");
    this.canceller = hook;
    return this;
  }

  /** @internal Adds a listener; settles are announced to listeners in the order they were added. */
  addListener(listener: FutureListener): void {
    this.observed = true;
    if (this._state !== "pending") {
      listener.futureSettled(this as SimFuture<unknown>);
      return;
    }
    const current = this.listeners;
    if (current === null) this.listeners = listener;
    else if (Array.isArray(current)) current.push(listener);
    else this.listeners = [current, listener];
  }

  /** @internal Removes a listener (a process that was interrupted while waiting). */
  removeListener(listener: FutureListener): void {
    const current = this.listeners;
    if (current === listener) {
      this.listeners = null;
    } else if (Array.isArray(current)) {
      const index = current.indexOf(listener);
      if (index >= 0) current.splice(index, 1);
    }
  }

  private notify(): void {
    const current = this.listeners;
    if (current === null) return;
    this.listeners = null;
    const self = this as SimFuture<unknown>;
    if (Array.isArray(current)) {
      for (const listener of current) listener.futureSettled(self);
    } else {
      current.futureSettled(self);
    }
  }

  private lateSettle(verb: string): boolean {
    if (this._state === "cancelled") return false;
    throw this.misuse(`${verb} a future that is already ${this._state}`);
  }

  private misuse(what: string): SimulationError {
    return new SimulationError(
      `tried to ${what} (${this.label})`,
      this.owner?.name ?? null,
      this.sim.nowNs,
    );
  }
}

/**
 * `const v = yield* wait(future)`: waits for a future inside a process and returns its value
 * with its type, no cast needed. Throws the future's error at this point if it rejects.
 */
export function* wait<T>(future: SimFuture<T>): Generator<SimFuture<T>, T, unknown> {
  return (yield future) as T;
}

type ValuesOf<Futures extends readonly SimFuture<unknown>[]> = {
  -readonly [K in keyof Futures]: Futures[K] extends SimFuture<infer V> ? V : never;
};

function requireFutures(api: string, futures: readonly SimFuture<unknown>[]): Simulation {
  const first = futures[0];
  if (first === undefined) {
    throw new ConfigError(api, "futures", "a non-empty array of SimFuture", futures);
  }
  for (const future of futures) {
    if (!(future instanceof SimFuture)) {
      throw new ConfigError(api, "futures", "an array of SimFuture", future);
    }
    if (future.sim !== first.sim) {
      throw new ConfigError(api, "futures", "futures of one simulation", "futures of two");
    }
  }
  return first.sim;
}

/** Settles `target` from `future`, whichever way `future` went. */
function settleFrom<T>(target: SimFuture<T>, future: SimFuture<T>): void {
  if (future.state === "resolved") target.resolve(future.value);
  else target.reject(future.error);
}

class AllListener implements FutureListener {
  remaining: number;
  constructor(
    readonly futures: readonly SimFuture<unknown>[],
    readonly result: SimFuture<unknown[]>,
  ) {
    this.remaining = futures.length;
  }
  futureSettled(future: SimFuture<unknown>): void {
    if (!this.result.isPending) return;
    if (future.state !== "resolved") {
      this.result.reject(future.error);
      return;
    }
    if (--this.remaining === 0) this.result.resolve(this.futures.map((f) => f.value));
  }
}

/**
 * Resolves with every value, in input order, once all have resolved; rejects with the first
 * error (the others keep running).
 */
export function all<const Futures extends readonly SimFuture<unknown>[]>(
  futures: Futures,
): SimFuture<ValuesOf<Futures>> {
  const sim = requireFutures("all", futures);
  const result = new SimFuture<unknown[]>(sim, null, "all");
  const listener = new AllListener(futures, result);
  for (const future of futures) future.addListener(listener);
  return result as SimFuture<ValuesOf<Futures>>;
}

class AnyListener implements FutureListener {
  remaining: number;
  constructor(
    readonly futures: readonly SimFuture<unknown>[],
    readonly result: SimFuture<unknown>,
  ) {
    this.remaining = futures.length;
  }
  futureSettled(future: SimFuture<unknown>): void {
    if (!this.result.isPending) return;
    if (future.state === "resolved") {
      this.result.resolve(future.value);
    } else if (--this.remaining === 0) {
      this.result.reject(
        new AggregateError(
          this.futures.map((f) => f.error),
          "any: every future was rejected",
        ),
      );
    }
  }
}

/**
 * Resolves with the first value to arrive; rejects (with an `AggregateError`) only if all
 * reject. The others keep running: use `race` to cancel them.
 */
export function any<const Futures extends readonly SimFuture<unknown>[]>(
  futures: Futures,
): SimFuture<ValuesOf<Futures>[number]> {
  const sim = requireFutures("any", futures);
  const result = new SimFuture<unknown>(sim, null, "any");
  const listener = new AnyListener(futures, result);
  for (const future of futures) future.addListener(listener);
  return result as SimFuture<ValuesOf<Futures>[number]>;
}

class RaceListener implements FutureListener {
  constructor(
    readonly futures: readonly SimFuture<unknown>[],
    readonly result: SimFuture<unknown>,
  ) {}
  futureSettled(future: SimFuture<unknown>): void {
    if (!this.result.isPending) return;
    settleFrom(this.result, future);
    for (const other of this.futures) if (other !== future) other.cancel("lost a race");
  }
}

/**
 * Settles like the first of `futures` to settle, and cancels the rest (their timers, calls and
 * processes with them). If several have settled already, the first in array order wins.
 * Cancelling the race cancels every input.
 */
export function race<const Futures extends readonly SimFuture<unknown>[]>(
  futures: Futures,
): SimFuture<ValuesOf<Futures>[number]> {
  const sim = requireFutures("race", futures);
  const result = new SimFuture<unknown>(sim, null, "race");
  const listener = new RaceListener(futures, result);
  result.onCancel((reason) => {
    for (const future of futures) future.cancel(reason);
  });
  for (const future of futures) {
    future.addListener(listener);
    if (!result.isPending) break;
  }
  return result as SimFuture<ValuesOf<Futures>[number]>;
}

/**
 * Settles like `future` if it settles within `seconds`; otherwise rejects with `TimeoutError`
 * and cancels `future`. Either way the timer is cancelled, so it never keeps a run alive.
 */
export function timeout<T>(future: SimFuture<T>, seconds: number): SimFuture<T> {
  const sim = requireFutures("timeout", [future]);
  const timer = sim.sleep(seconds, future.owner);
  const result = new SimFuture<T>(sim, future.owner, `timeout(${future.label}, ${seconds}s)`);
  const listener: FutureListener = {
    futureSettled(settled) {
      if (!result.isPending) return;
      if (settled === timer) {
        if (timer.state !== "resolved") return;
        // Settle first: cancelling `future` notifies this listener again.
        result.reject(new TimeoutError(seconds));
        future.cancel("timed out");
      } else {
        timer.cancel("settled in time");
        settleFrom(result, future);
      }
    },
  };
  result.onCancel((reason) => {
    timer.cancel(reason);
    future.cancel(reason);
  });
  future.addListener(listener);
  if (result.isPending) timer.addListener(listener);
  else timer.cancel("settled in time");
  return result;
}
