/**
 * `Condition`: a condition variable over a `Mutex`, for processes that wait until some shared
 * state changes (a queue becomes non-empty, a balance covers a withdrawal). A process holding
 * the mutex calls `yield* cond.wait(hold)`: it gives the mutex up, sleeps until another process
 * calls `notify()` or `notifyAll()`, then takes the mutex back (waiting its FIFO turn like any
 * acquire) before `wait` returns. Waiters are woken oldest first.
 *
 * Always wait in a loop that re-checks the state:
 *
 *   const hold = yield* mutex.acquire();
 *   try {
 *     while (queue.length === 0) yield* notEmpty.wait(hold);
 *     const job = queue.shift();
 *   } finally {
 *     mutex.release(hold);
 *   }
 *
 * A notify only says the state may have changed: between the notify and the waiter taking the
 * mutex back, another process may take the mutex first and change the state again (a
 * newcomer whose `acquire` found the mutex free, or a waiter notified by the same
 * `notifyAll`). The loop makes that harmless; an `if` would not.
 *
 * `maxWait` bounds the sleep: when it runs out, the waiter takes the mutex back and then throws
 * `TimeoutError`, so the caller's `finally` releases a mutex it holds, as always. A waiter whose
 * process is cancelled leaves the line and does not take the mutex back: its `release(hold)`
 * in `finally` is then ignored. The mutex's owner's crash fails every waiter with `RemoteError`
 * (counted in `lostToCrash`), without taking the mutex back.
 *
 * @example
 * const notEmpty = new Condition(mutex, { name: "not empty" });
 * producer.start(function* () {
 *   const hold = yield* mutex.acquire();
 *   try {
 *     queue.push(job);
 *     notEmpty.notify();
 *   } finally {
 *     mutex.release(hold);
 *   }
 * });
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import { ConfigError, RemoteError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { Mutex } from "./mutex.js";
import type { Grant } from "./resource.js";
import type { LockHold } from "./semaphore.js";
import { percentiles } from "./statistics.js";
import { checkWaitOptions, WaitLine, type WaitOptions } from "./waiting.js";

export interface ConditionOptions {
  /** Names it in errors and stats. Default "condition". */
  name?: string;
}

/** A snapshot of a condition variable, over its owner's lifetime. */
export interface ConditionStats {
  /** Processes waiting for a notify now. */
  readonly waiting: number;
  /** `wait` calls. */
  readonly waits: number;
  /** Waiters woken by `notify` / `notifyAll`. */
  readonly notified: number;
  /** Waiters whose `maxWait` ran out first. */
  readonly timedOut: number;
  /** Waiters the owner's crash failed. */
  readonly lostToCrash: number;
  /** Mean seconds from `wait` to the notify (0 when none); the mutex's wait comes after. */
  readonly meanWait: number;
  readonly p99Wait: number;
}

export class Condition {
  readonly mutex: Mutex;
  readonly owner: Entity<never, unknown>;
  readonly name: string;
  private readonly component: string;
  private readonly line: WaitLine<void, null>;
  /** Seconds from `wait` to the notify, for every notified waiter. */
  readonly waitTime = new Histogram();
  private waits = 0;
  private notified = 0;
  private timedOutBefore = 0;
  private lostToCrash = 0;

  constructor(mutex: Mutex, options: ConditionOptions = {}) {
    const name = options?.name ?? "condition";
    const component = `Condition "${name}"`;
    if (!(mutex instanceof Mutex)) {
      throw new ConfigError(component, "mutex", "a Mutex", mutex);
    }
    this.mutex = mutex;
    this.owner = mutex.owner;
    this.name = name;
    this.component = component;
    this.line = new WaitLine(this.owner, `condition "${name}"`, (s) => new TimeoutError(s));
    this.owner.addLifecycleHook(this);
  }

  /** Processes waiting for a notify now. */
  get waiting(): number {
    return this.line.length;
  }

  get stats(): ConditionStats {
    const wait = this.waitTime;
    return {
      waiting: this.line.length,
      waits: this.waits,
      notified: this.notified,
      timedOut: this.line.timedOut - this.timedOutBefore,
      lostToCrash: this.lostToCrash,
      meanWait: wait.count > 0 ? wait.mean : 0,
      p99Wait: percentiles("", wait).p99!,
    };
  }

  /**
   * `yield* cond.wait(hold)`: gives up the mutex `hold` holds, waits for a notify, takes the
   * mutex back. Use it in a loop that re-checks the state (see the module comment). Throws
   * `TimeoutError` after `maxWait` seconds without a notify (holding the mutex again),
   * `RemoteError` if the owner is down or crashes meanwhile (not holding it).
   */
  *wait(
    hold: LockHold,
    options?: WaitOptions,
  ): Generator<SimFuture<void> | SimFuture<Grant>, void, unknown> {
    const maxWait = checkWaitOptions(this.component, "wait", options);
    if (hold?.lock !== this.mutex) {
      throw this.mutex._misuse(`${this.component}.wait(): not a hold of this condition's mutex`);
    }
    if (!this.owner.isUp) {
      throw new RemoteError(`condition "${this.name}" is down`, this.owner.name);
    }
    const sinceNs = this.owner.nowNs;
    this.mutex._giveUp(hold);
    this.waits++;
    const woken = this.line.join(null, maxWait);
    let timedOut: TimeoutError | null = null;
    try {
      yield woken;
      this.waitTime.record((this.owner.nowNs - sinceNs) / 1e9);
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      timedOut = error;
    }
    yield* this.mutex._takeBack(hold);
    if (timedOut !== null) throw timedOut;
  }

  /** Wakes the `count` oldest waiters (default 1); returns how many it woke. */
  notify(count = 1): number {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new ConfigError(`${this.component}.notify`, "count", "an integer >= 0", count);
    }
    let woken = 0;
    while (woken < count && this.line.length > 0) {
      this.line.serve(0, undefined);
      woken++;
    }
    this.notified += woken;
    return woken;
  }

  /** Wakes every waiter; returns how many. */
  notifyAll(): number {
    return this.notify(this.line.length);
  }

  /** @internal The owner crashed: every waiter fails. */
  onCrash(): void {
    this.lostToCrash += this.line.length;
    const error = () =>
      new RemoteError(`condition "${this.name}" lost in a crash`, this.owner.name);
    this.line.rejectAll(error);
  }

  /** @internal Statistics restart now. */
  onResetStats(): void {
    this.waitTime.reset();
    this.waits = 0;
    this.notified = 0;
    this.timedOutBefore = this.line.timedOut;
    this.lostToCrash = 0;
  }
}
