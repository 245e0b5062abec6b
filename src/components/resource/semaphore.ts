/**
 * `Semaphore`: a count of permits that processes take one at a time and give back, for
 * bounding how many do something at once (connections to a database, writers to a disk).
 * `const hold = yield* sem.acquire()` takes a permit, waiting in FIFO order while none is
 * free (at most `maxWait` seconds if asked); `sem.release(hold)` gives it back, in a
 * `finally` so that an error or a cancellation never leaks it. `Mutex` is the semaphore of
 * one permit.
 *
 * It is a `Resource` underneath (so the waiting line, the `maxWait` rule, cancellation and
 * the statistics are the resource family's), with ownership added: each acquire returns a
 * `LockHold`, the proof of holding, and only a hold that is held can be released. Releasing a
 * hold twice, or one of another lock, is a `SimulationError` naming the lock, the owner entity
 * and the simulated time: in a model it is a bug, not an outcome.
 *
 * Crashes. The lock belongs to an owner entity (see `Resource`): the owner's crash frees
 * every permit and fails every waiter (`RemoteError`, counted in `lostToCrash`); a hold from
 * before the crash is released silently. A *holder*'s crash is another matter: its processes
 * are cancelled and their `finally` blocks run, so by default (`onHolderCrash: "release"`) the
 * permit goes to the next waiter as after any release. With `onHolderCrash: "keep"` a release
 * made while the holder's entity is crashed is ignored and the permit stays taken (a lock
 * service that never hears from a dead client): it is counted in `stats.keptByCrashed` and
 * freed only by `releaseCrashed()` or the owner's crash.
 *
 * @example
 * const db = new Entity(sim, "db");
 * const connections = new Semaphore(db, { name: "connections", permits: 8 });
 * worker.start(function* () {
 *   const hold = yield* connections.acquire({ maxWait: 2 }); // TimeoutError after 2 s
 *   try {
 *     yield 0.05;
 *   } finally {
 *     connections.release(hold);
 *   }
 * });
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import type { Histogram } from "../../metrics/histogram.js";
import { type Grant, Resource } from "./resource.js";
import { percentiles } from "./statistics.js";
import { checkOwner, checkWaitOptions, type WaitOptions } from "./waiting.js";

/** What happens to the permits of a holder whose entity crashes. */
export type HolderCrashPolicy = "release" | "keep";

export interface SemaphoreOptions {
  /** Names it in errors and stats. Default "semaphore". */
  name?: string;
  /** Permits (integer >= 1). Default 1. */
  permits?: number;
  /**
   * A holder's crash: "release" (its `finally` gives the permit back, the default) or "keep"
   * (the permit stays taken until `releaseCrashed()` or the owner's crash).
   */
  onHolderCrash?: HolderCrashPolicy;
}

export interface SemaphoreAcquireOptions extends WaitOptions {
  /**
   * Permits to take at once (integer in [1, the semaphore's permits]), released together.
   * Default 1. A large ask at the head of the line is not overtaken by smaller ones behind it.
   */
  permits?: number;
}

/** A snapshot of a semaphore or mutex, over its owner's lifetime. */
export interface LockStats {
  /** Permits in all (1 for a mutex). */
  readonly permits: number;
  /** Permits held now (kept ones included). */
  readonly held: number;
  /** Processes waiting now. */
  readonly waiting: number;
  /** Holds handed out (at once or after waiting). */
  readonly acquired: number;
  /** Waiters that gave up after `maxWait`. */
  readonly timedOut: number;
  /** Refused: the owner was down. */
  readonly rejected: number;
  /** Holds and waiters the owner's crash took. */
  readonly lostToCrash: number;
  /** Permits kept now for crashed holders (`onHolderCrash: "keep"`). */
  readonly keptByCrashed: number;
  /** Time-average fraction of the permits held. */
  readonly utilization: number;
  /** Time-average number of waiting processes. */
  readonly meanWaiting: number;
  /** Fraction of acquires that had to wait. */
  readonly probabilityOfWaiting: number;
  /** Mean seconds from `acquire` to the permit (0 when none). */
  readonly meanWait: number;
  readonly p50Wait: number;
  readonly p90Wait: number;
  readonly p99Wait: number;
  readonly p999Wait: number;
}

/** A permit held by one process: give it back with `lock.release(hold)`. */
export class LockHold {
  /** @internal The resource grant behind it; null once released (or given up by a wait). */
  _grant: Grant | null;
  /** @internal A `Condition` wait gave the lock up and was cancelled: releasing is a no-op. */
  _abandoned = false;
  /** @internal Only a lock makes holds. */
  constructor(
    readonly lock: Semaphore,
    grant: Grant,
    /** The entity whose process acquired it (null outside a process). */
    readonly holder: Entity<never, unknown> | null,
  ) {
    this._grant = grant;
  }

  /** Permits it holds. */
  get permits(): number {
    return this._grant?.amount ?? 0;
  }

  /** True until released. */
  get isHeld(): boolean {
    return this._grant !== null;
  }
}

export class Semaphore {
  readonly owner: Entity<never, unknown>;
  readonly name: string;
  readonly permits: number;
  readonly onHolderCrash: HolderCrashPolicy;
  /** @internal "Semaphore \"connections\"": names it in errors. */
  readonly _component: string;
  /** @internal The capacity and waiting line. */
  readonly _resource: Resource;
  /** Grants kept for crashed holders (`onHolderCrash: "keep"`). */
  private readonly kept: Grant[] = [];

  /** `kind` is internal: the subclass's name in errors and the default name ("Mutex"). */
  constructor(owner: Entity<never, unknown>, options: SemaphoreOptions = {}, kind = "Semaphore") {
    const name = options?.name ?? kind.toLowerCase();
    const component = `${kind} "${name}"`;
    checkOwner(component, owner);
    const permits = options.permits ?? 1;
    if (!Number.isSafeInteger(permits) || permits < 1) {
      throw new ConfigError(component, "permits", "an integer >= 1", permits);
    }
    const onHolderCrash = options.onHolderCrash ?? "release";
    if (onHolderCrash !== "release" && onHolderCrash !== "keep") {
      throw new ConfigError(component, "onHolderCrash", '"release" or "keep"', onHolderCrash);
    }
    this.owner = owner;
    this.name = name;
    this.permits = permits;
    this.onHolderCrash = onHolderCrash;
    this._component = component;
    this._resource = new Resource(owner, { name, capacity: permits });
    // The owner's crash frees every permit, kept ones too.
    owner.addLifecycleHook({ onCrash: () => this.kept.splice(0) });
  }

  /** Permits held now. */
  get held(): number {
    return this._resource.inUse;
  }

  /** Processes waiting now. */
  get waiting(): number {
    return this._resource.queued;
  }

  /** Seconds from `acquire` to the permit, for every acquire (0 for those at once). */
  get waitTime(): Histogram {
    return this._resource.waitTime;
  }

  get stats(): LockStats {
    const r = this._resource.stats;
    return {
      permits: this.permits,
      held: r.inUse,
      waiting: r.queued,
      acquired: r.granted,
      timedOut: r.timedOut,
      rejected: r.rejected,
      lostToCrash: r.lostToCrash,
      keptByCrashed: this.kept.length,
      utilization: r.utilization,
      meanWaiting: r.meanQueued,
      probabilityOfWaiting: r.probabilityOfWaiting,
      meanWait: r.meanWait,
      ...(percentiles("Wait", this._resource.waitTime) as Record<
        "p50Wait" | "p90Wait" | "p99Wait" | "p999Wait",
        number
      >),
    };
  }

  /**
   * `const hold = yield* lock.acquire()`: a permit at once if one is free and nobody waits
   * (no yield, no event), else waits its turn (FIFO). Throws `TimeoutError` after `maxWait`
   * seconds, `RemoteError` if the owner is down or crashes meanwhile. A waiter whose process
   * is cancelled leaves the line.
   */
  *acquire(options?: SemaphoreAcquireOptions): Generator<SimFuture<Grant>, LockHold, unknown> {
    const maxWait = checkWaitOptions(this._component, "acquire", options);
    const amount = this.checkPermits("acquire", options?.permits);
    const grant = yield* this._resource.acquire(maxWait >= 0 ? { amount, maxWait } : { amount });
    return new LockHold(this, grant, this.currentEntity());
  }

  /**
   * `permits` (default 1) now if they are free and nobody waits, else null. For handlers,
   * which cannot yield.
   */
  tryAcquire(permits?: number): LockHold | null {
    const grant = this._resource.tryAcquire(this.checkPermits("tryAcquire", permits));
    return grant === null ? null : new LockHold(this, grant, this.currentEntity());
  }

  /**
   * Gives the permit back, straight to the oldest waiter. A hold released twice, or one of
   * another lock, is a `SimulationError`; one the owner's crash took is ignored.
   */
  release(hold: LockHold): void {
    const grant = this.heldGrant(hold, "release");
    if (grant === null) return;
    hold._grant = null;
    if (this.onHolderCrash === "keep" && hold.holder !== null && !hold.holder.isUp) {
      this.kept.push(grant);
      return;
    }
    this._resource.release(grant);
  }

  /**
   * Frees the permits kept for crashed holders (`onHolderCrash: "keep"`), as an operator
   * clears a stale lock; returns how many.
   */
  releaseCrashed(): number {
    const kept = this.kept.splice(0);
    for (const grant of kept) this._resource.release(grant);
    return kept.length;
  }

  /** @internal `Condition.wait` gives the lock up while it waits. */
  _giveUp(hold: LockHold): void {
    const grant = this.heldGrant(hold, "Condition.wait");
    if (grant === null) throw this._misuse("Condition.wait(): the lock is not held");
    hold._grant = null;
    // Until it is taken back, the user's `finally` (run if the wait is cancelled) releases
    // nothing.
    hold._abandoned = true;
    this._resource.release(grant);
  }

  /** @internal `Condition.wait` takes the lock back, waiting its turn like any acquire. */
  *_takeBack(hold: LockHold): Generator<SimFuture<Grant>, void, unknown> {
    hold._grant = yield* this._resource.acquire();
    hold._abandoned = false;
  }

  /** @internal A run-time misuse, naming the lock, the owner and the simulated time. */
  _misuse(message: string): SimulationError {
    return new SimulationError(`${this._component} ${message}`, this.owner.name, this.owner.nowNs);
  }

  private checkPermits(api: string, permits: number | undefined): number {
    if (permits === undefined) return 1;
    if (!Number.isSafeInteger(permits) || permits < 1 || permits > this.permits) {
      throw new ConfigError(
        `${this._component}.${api}`,
        "permits",
        `an integer in [1, ${this.permits}]`,
        permits,
      );
    }
    return permits;
  }

  private heldGrant(hold: LockHold, api: string): Grant | null {
    if (!(hold instanceof LockHold) || hold.lock !== this) {
      throw this._misuse(`${api}(): not a hold of this lock`);
    }
    if (hold._grant === null) {
      if (hold._abandoned) return null;
      throw this._misuse(`${api}(): the lock is not held (released twice?)`);
    }
    return hold._grant;
  }

  private currentEntity(): Entity<never, unknown> | null {
    const process = this.owner.sim._currentProcess;
    return process === null ? null : (process.entity as Entity<never, unknown>);
  }
}
