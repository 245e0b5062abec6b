/**
 * `Mutex`: mutual exclusion for processes, a `Semaphore` of one permit. At most one process
 * holds it; the others wait in FIFO order (each at most `maxWait` seconds if it asks). The
 * hold that `acquire` returns is the proof of ownership: only the holder can release, and a
 * second release of the same hold is a `SimulationError` (naming the mutex, its owner and the
 * simulated time), as a release by a process that never acquired it would be.
 *
 * Crash semantics are the semaphore's: the owner's crash frees the mutex and fails the
 * waiters; a holder's crash releases it (its `finally` runs) unless `onHolderCrash: "keep"`,
 * where it stays locked until `releaseCrashed()`.
 *
 * @example
 * const row = new Mutex(db, { name: "row 42" });
 * txn.start(function* () {
 *   const hold = yield* row.acquire({ maxWait: 1 });
 *   try {
 *     yield 0.002; // update the row
 *   } finally {
 *     row.release(hold);
 *   }
 * });
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Grant } from "./resource.js";
import { type HolderCrashPolicy, type LockHold, Semaphore } from "./semaphore.js";
import type { WaitOptions } from "./waiting.js";

export interface MutexOptions {
  /** Names it in errors and stats. Default "mutex". */
  name?: string;
  /**
   * A holder's crash: "release" (its `finally` unlocks, the default) or "keep" (it stays
   * locked until `releaseCrashed()` or the owner's crash).
   */
  onHolderCrash?: HolderCrashPolicy;
}

export class Mutex extends Semaphore {
  constructor(owner: Entity<never, unknown>, options: MutexOptions = {}) {
    super(owner, { ...options, permits: 1 }, "Mutex");
  }

  /**
   * `const hold = yield* mutex.acquire()`: the mutex at once if it is free and nobody waits,
   * else in FIFO turn. Throws `TimeoutError` after `maxWait` seconds, `RemoteError` if the
   * owner is down or crashes meanwhile.
   */
  override acquire(options?: WaitOptions): Generator<SimFuture<Grant>, LockHold, unknown> {
    return super.acquire(options === undefined ? undefined : { maxWait: options.maxWait });
  }

  /** The mutex now if it is free and nobody waits, else null. For handlers. */
  override tryAcquire(): LockHold | null {
    return super.tryAcquire();
  }

  /** True while some process holds it (or it is kept for a crashed holder). */
  get isLocked(): boolean {
    return this.held > 0;
  }
}
