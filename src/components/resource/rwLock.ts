/**
 * `RWLock`: a readers-writer lock for processes. Any number of readers (up to `maxReaders`)
 * hold it together, or one writer alone: a read-mostly table, a cache being rebuilt.
 * `const hold = yield* lock.acquireRead()` (or `acquireWrite()`), `lock.release(hold)` in a
 * `finally`.
 *
 * Writer preference, by construction: waiters form one FIFO line and an arrival never
 * overtakes it, so a waiting writer blocks every reader that comes after it, even while
 * readers hold the lock. Readers cannot starve a writer; a writer waits only for the readers
 * already inside (and those ahead of it in line). Readers that queued behind a writer go in
 * together once it releases. There is no reader-preference mode: it would let a steady stream
 * of readers starve writers, which is the failure this lock exists to show.
 *
 * It is a `Resource` of `maxReaders` units underneath (a reader takes one, a writer all), so
 * `maxWait`, cancellation and the owner's crash behave as for every lock of the family (see
 * `Semaphore`), including `onHolderCrash`.
 *
 * @example
 * const table = new RWLock(db, { name: "prices" });
 * reader.start(function* () {
 *   const hold = yield* table.acquireRead({ maxWait: 1 });
 *   try {
 *     yield 0.001;
 *   } finally {
 *     table.release(hold);
 *   }
 * });
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { type Grant, Resource } from "./resource.js";
import type { HolderCrashPolicy } from "./semaphore.js";
import { percentiles } from "./statistics.js";
import { checkOwner, checkWaitOptions, type WaitOptions } from "./waiting.js";

/** Units that stand for "no limit on readers": more than any line can hold. */
const UNLIMITED_READERS = 2 ** 30;

export interface RWLockOptions {
  /** Names it in errors and stats. Default "rwlock". */
  name?: string;
  /** Most readers holding it at once (integer >= 1, or Infinity). Default Infinity. */
  maxReaders?: number;
  /** A holder's crash: "release" (the default) or "keep" (see `Semaphore`). */
  onHolderCrash?: HolderCrashPolicy;
}

export type RWLockMode = "read" | "write";

/** A snapshot of a readers-writer lock, over its owner's lifetime. */
export interface RWLockStats {
  /** Readers holding it now. */
  readonly readers: number;
  /** True while a writer holds it. */
  readonly writing: boolean;
  /** Processes waiting to read / to write now. */
  readonly readersWaiting: number;
  readonly writersWaiting: number;
  /** Read / write holds handed out. */
  readonly readsAcquired: number;
  readonly writesAcquired: number;
  /** Waiters (either mode) that gave up after `maxWait`. */
  readonly timedOut: number;
  /** Refused: the owner was down. */
  readonly rejected: number;
  /** Holds and waiters the owner's crash took. */
  readonly lostToCrash: number;
  /** Holds kept now for crashed holders (`onHolderCrash: "keep"`). */
  readonly keptByCrashed: number;
  /** Mean seconds from `acquireRead` / `acquireWrite` to the hold (0 when none). */
  readonly meanReadWait: number;
  readonly meanWriteWait: number;
  readonly p99ReadWait: number;
  readonly p99WriteWait: number;
}

/** The lock held by one process, in one mode: give it back with `lock.release(hold)`. */
export class RWLockHold {
  /** @internal Null once released. */
  _grant: Grant | null;
  /** @internal Only a lock makes holds. */
  constructor(
    readonly lock: RWLock,
    readonly mode: RWLockMode,
    grant: Grant,
    /** The entity whose process acquired it (null outside a process). */
    readonly holder: Entity<never, unknown> | null,
  ) {
    this._grant = grant;
  }

  get isHeld(): boolean {
    return this._grant !== null;
  }
}

export class RWLock {
  readonly owner: Entity<never, unknown>;
  readonly name: string;
  readonly maxReaders: number;
  readonly onHolderCrash: HolderCrashPolicy;
  private readonly component: string;
  private readonly resource: Resource;
  private readonly units: number;
  private readonly kept: Grant[] = [];
  private waitingFor = { read: 0, write: 0 };
  private acquired = { read: 0, write: 0 };
  /** Seconds from asking to holding, per mode (0 for those at once). */
  readonly readWaitTime = new Histogram();
  readonly writeWaitTime = new Histogram();

  constructor(owner: Entity<never, unknown>, options: RWLockOptions = {}) {
    const name = options?.name ?? "rwlock";
    const component = `RWLock "${name}"`;
    checkOwner(component, owner);
    const maxReaders = options.maxReaders ?? Number.POSITIVE_INFINITY;
    if (
      maxReaders !== Number.POSITIVE_INFINITY &&
      (!Number.isSafeInteger(maxReaders) || maxReaders < 1 || maxReaders >= UNLIMITED_READERS)
    ) {
      throw new ConfigError(
        component,
        "maxReaders",
        `an integer in [1, ${UNLIMITED_READERS - 1}] (or Infinity)`,
        maxReaders,
      );
    }
    const onHolderCrash = options.onHolderCrash ?? "release";
    if (onHolderCrash !== "release" && onHolderCrash !== "keep") {
      throw new ConfigError(component, "onHolderCrash", '"release" or "keep"', onHolderCrash);
    }
    this.owner = owner;
    this.name = name;
    this.maxReaders = maxReaders;
    this.onHolderCrash = onHolderCrash;
    this.component = component;
    this.units = maxReaders === Number.POSITIVE_INFINITY ? UNLIMITED_READERS : maxReaders;
    this.resource = new Resource(owner, { name, capacity: this.units });
    owner.addLifecycleHook({
      onCrash: () => {
        this.kept.splice(0);
      },
      onResetStats: () => {
        this.readWaitTime.reset();
        this.writeWaitTime.reset();
        // Holds still held are counted again, as every lock and resource does after a reset.
        this.acquired = { read: this.readers, write: this.writing ? 1 : 0 };
      },
    });
  }

  /** Readers holding it now. */
  get readers(): number {
    return this.resource.inUse >= this.units ? 0 : this.resource.inUse;
  }

  /** True while a writer holds it. */
  get writing(): boolean {
    return this.resource.inUse >= this.units;
  }

  get stats(): RWLockStats {
    const r = this.resource.stats;
    const read = this.readWaitTime;
    const write = this.writeWaitTime;
    return {
      readers: this.readers,
      writing: this.writing,
      readersWaiting: this.waitingFor.read,
      writersWaiting: this.waitingFor.write,
      readsAcquired: this.acquired.read,
      writesAcquired: this.acquired.write,
      timedOut: r.timedOut,
      rejected: r.rejected,
      lostToCrash: r.lostToCrash,
      keptByCrashed: this.kept.length,
      meanReadWait: read.count > 0 ? read.mean : 0,
      meanWriteWait: write.count > 0 ? write.mean : 0,
      p99ReadWait: percentiles("", read).p99!,
      p99WriteWait: percentiles("", write).p99!,
    };
  }

  /** `yield* lock.acquireRead()`: shares the lock with other readers. See `acquire`. */
  acquireRead(options?: WaitOptions): Generator<SimFuture<Grant>, RWLockHold, unknown> {
    return this.acquire("read", options);
  }

  /** `yield* lock.acquireWrite()`: the lock alone. See `acquire`. */
  acquireWrite(options?: WaitOptions): Generator<SimFuture<Grant>, RWLockHold, unknown> {
    return this.acquire("write", options);
  }

  /**
   * The lock in `mode`, at once if it is free for that mode and nobody waits, else in FIFO
   * turn. Throws `TimeoutError` after `maxWait` seconds, `RemoteError` if the owner is down or
   * crashes meanwhile; a waiter whose process is cancelled leaves the line.
   */
  *acquire(
    mode: RWLockMode,
    options?: WaitOptions,
  ): Generator<SimFuture<Grant>, RWLockHold, unknown> {
    if (mode !== "read" && mode !== "write") {
      throw new ConfigError(`${this.component}.acquire`, "mode", '"read" or "write"', mode);
    }
    const maxWait = checkWaitOptions(this.component, "acquire", options);
    const amount = mode === "read" ? 1 : this.units;
    const sinceNs = this.owner.nowNs;
    let grant = this.resource.tryAcquire(amount);
    if (grant === null) {
      this.waitingFor[mode]++;
      try {
        grant = yield* this.resource.acquire(maxWait >= 0 ? { amount, maxWait } : { amount });
      } finally {
        this.waitingFor[mode]--;
      }
    }
    return this.hold(mode, grant, (this.owner.nowNs - sinceNs) / 1e9);
  }

  /** A read hold now if readers may enter and nobody waits, else null. For handlers. */
  tryAcquireRead(): RWLockHold | null {
    return this.tryAcquire("read");
  }

  /** A write hold now if the lock is free and nobody waits, else null. For handlers. */
  tryAcquireWrite(): RWLockHold | null {
    return this.tryAcquire("write");
  }

  /**
   * Gives the hold back; waiters that now fit go in, in line order. A hold released twice,
   * or one of another lock, is a `SimulationError`; one the owner's crash took is ignored.
   */
  release(hold: RWLockHold): void {
    if (!(hold instanceof RWLockHold) || hold.lock !== this) {
      throw this.misuse("release(): not a hold of this lock");
    }
    const grant = hold._grant;
    if (grant === null) {
      throw this.misuse(`release(): the ${hold.mode} lock is not held (released twice?)`);
    }
    hold._grant = null;
    if (this.onHolderCrash === "keep" && hold.holder !== null && !hold.holder.isUp) {
      this.kept.push(grant);
      return;
    }
    this.resource.release(grant);
  }

  /** Frees the holds kept for crashed holders (`onHolderCrash: "keep"`); returns how many. */
  releaseCrashed(): number {
    const kept = this.kept.splice(0);
    for (const grant of kept) this.resource.release(grant);
    return kept.length;
  }

  private tryAcquire(mode: RWLockMode): RWLockHold | null {
    const grant = this.resource.tryAcquire(mode === "read" ? 1 : this.units);
    return grant === null ? null : this.hold(mode, grant, 0);
  }

  private hold(mode: RWLockMode, grant: Grant, waitSeconds: number): RWLockHold {
    this.acquired[mode]++;
    (mode === "read" ? this.readWaitTime : this.writeWaitTime).record(waitSeconds);
    const process = this.owner.sim._currentProcess;
    const holder = process === null ? null : (process.entity as Entity<never, unknown>);
    return new RWLockHold(this, mode, grant, holder);
  }

  private misuse(message: string): SimulationError {
    return new SimulationError(`${this.component} ${message}`, this.owner.name, this.owner.nowNs);
  }
}
