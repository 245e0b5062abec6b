/**
 * What `Resource`, `Store` and `Container` share about a process that waits: the owner check,
 * the `maxWait` option, and one waiter's future and deadline timer. The deadline follows one
 * rule everywhere: a waiter whose `maxWait` runs out leaves the line in the timer's own event,
 * so something freed later in that same instant is not handed to it; something freed earlier
 * in that instant has served it already (and cancelled its timer).
 */
import { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import { ConfigError } from "../../errors/errors.js";
import { queueRanAway } from "../shared/runaway.js";

export interface WaitOptions {
  /**
   * Seconds to wait at most (a finite number >= 0); then the wait throws `TimeoutError`.
   * Default: no limit.
   */
  maxWait?: number;
}

export function checkOwner(component: string, owner: unknown): void {
  if (!(owner instanceof Entity)) {
    throw new ConfigError(
      component,
      "owner",
      "an entity (whose crash and resets it follows)",
      owner,
    );
  }
}

/** `maxWait` in seconds, or -1 for none. */
export function checkWaitOptions(
  component: string,
  api: string,
  options: WaitOptions | undefined,
): number {
  const maxWait = options?.maxWait;
  if (maxWait === undefined) return -1;
  if (typeof maxWait !== "number" || !Number.isFinite(maxWait) || maxWait < 0) {
    throw new ConfigError(
      `${component}.${api}`,
      "maxWait",
      "a finite number of seconds >= 0",
      maxWait,
    );
  }
  return maxWait;
}

/** A process waiting in a `Store` or `Container` line: its future, what it asks, its timer. */
export class Waiter<V, A> {
  timerToken = -1;
  constructor(
    readonly future: SimFuture<V>,
    /** What it asks for: an item filter, an item to put, an amount. */
    readonly ask: A,
    readonly maxWait: number,
    readonly sinceNs: number,
  ) {}
}

/**
 * Processes waiting in arrival order (FIFO) for something a `Store` or `Container` hands
 * them, each with its own deadline. The owner decides who can be served (`serve`); the line
 * keeps the futures, timers and cancellations right.
 */
export class WaitLine<V, A> {
  /** Waiters, oldest first. */
  readonly waiters: Waiter<V, A>[] = [];
  /** Waiters that gave up after their `maxWait`. */
  timedOut = 0;

  constructor(
    private readonly owner: Entity<never, unknown>,
    private readonly label: string,
    private readonly timeoutError: (maxWait: number) => Error,
    /** A waiter left without being served (gave up, cancelled): the next may now fit. */
    private readonly left: () => void = () => {},
  ) {}

  get length(): number {
    return this.waiters.length;
  }

  /** A new waiter asking `ask`; cancelled waits leave the line, `maxWait` arms a timer. */
  join(ask: A, maxWait: number): SimFuture<V> {
    const owner = this.owner;
    if (this.waiters.length >= owner.sim.limits.maxQueueLength) {
      queueRanAway(
        owner,
        `the line to ${this.label}`,
        this.waiters.length,
        "a maxWait on each wait lets waiters give up",
      );
    }
    const future = owner.future<V>(this.label);
    const waiter = new Waiter<V, A>(future, ask, maxWait, owner.nowNs);
    this.waiters.push(waiter);
    future._privateToWaiter = true;
    future.onCancel(() => {
      if (!this.remove(waiter)) return;
      if (waiter.timerToken >= 0) owner.cancelTimer(waiter.timerToken);
      if (owner.isUp) this.left();
    });
    if (maxWait >= 0) waiter.timerToken = owner.after(maxWait, this.expire, waiter);
    return future;
  }

  /** Takes waiter `index` out of the line and settles it with `value`. */
  serve(index: number, value: V): void {
    const waiter = this.waiters[index]!;
    this.waiters.splice(index, 1);
    if (waiter.timerToken >= 0) this.owner.cancelTimer(waiter.timerToken);
    waiter.future.resolve(value);
  }

  /** Fails every waiter (the owner crashed; its timers are already cancelled). */
  rejectAll(error: () => Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.future.reject(error());
  }

  /** Fails every waiter and stops their deadline timers (the owner is up: a barrier broke). */
  failAll(error: () => Error): void {
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.timerToken >= 0) this.owner.cancelTimer(waiter.timerToken);
      waiter.future.reject(error());
    }
  }

  private remove(waiter: Waiter<V, A>): boolean {
    const index = this.waiters.indexOf(waiter);
    if (index < 0) return false;
    this.waiters.splice(index, 1);
    return true;
  }

  /** The deadline: the waiter leaves the line in this event (see the module comment). */
  private readonly expire = (waiter: Waiter<V, A>): void => {
    if (!this.remove(waiter)) return;
    this.timedOut++;
    waiter.future.reject(this.timeoutError(waiter.maxWait));
    this.left();
  };
}

/** A process waiting in a `SlotPool` for units (a `Resource`) or a connection (a `Database`). */
export interface PoolWaiter<V> {
  readonly future: SimFuture<V>;
  /** Seconds it may wait, or -1 for no limit. */
  readonly maxWait: number;
  timerToken: number;
}

/**
 * Arms `waiter`, queued in `slots`: its `maxWait` timer (`expire` takes it out of the line in
 * the timer's event, see the module comment), and its cancellation (its process was cancelled
 * or lost a race): it leaves the line at once, or units would be handed to nobody, and
 * `abandoned` counts it. An owner crashing has cancelled its own processes first; its pool
 * then empties the line itself, counting what was lost, so a cancellation then does nothing.
 */
export function armPoolWait<V, W extends PoolWaiter<V>>(
  owner: Entity<never, unknown>,
  slots: { remove(waiter: W): boolean },
  waiter: W,
  expire: (waiter: W) => void,
  abandoned: (() => void) | null = null,
): void {
  const future = waiter.future;
  future._privateToWaiter = true;
  future.onCancel(() => {
    if (!owner.isUp || !slots.remove(waiter)) return;
    if (waiter.timerToken >= 0) owner.cancelTimer(waiter.timerToken);
    abandoned?.();
  });
  if (waiter.maxWait >= 0) waiter.timerToken = owner.after(waiter.maxWait, expire, waiter);
}

/**
 * `yield* awaitPoolWait(owner, future, giveBack)`: waits for a pool's hand-over. One handed
 * over but cancelled before its process could resume is given back (`giveBack`), unless the
 * owner is crashing, which takes everything back itself.
 */
export function* awaitPoolWait<V>(
  owner: Entity<never, unknown>,
  future: SimFuture<V>,
  giveBack: (value: V) => void,
): Generator<SimFuture<V>, V, unknown> {
  let received = false;
  try {
    const value = (yield future) as V;
    received = true;
    return value;
  } finally {
    if (!received && future.state === "resolved" && owner.isUp) giveBack(future.value as V);
  }
}
