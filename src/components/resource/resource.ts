/**
 * `Resource`: capacity that processes take and give back (SimPy's `Resource`): beds, cores,
 * licences, the one CPU of an event loop. A process asks with
 * `const grant = yield* beds.acquire()`, holds the grant while it works, and hands it back with
 * `beds.release(grant)`. If the capacity is taken, the process waits in a queue (FIFO, LIFO or
 * any `QueueDiscipline`), at most `maxWait` seconds if it says so, and a queue that is full
 * refuses at once. A freed unit goes straight to the next waiter, so nobody can slip in between.
 *
 * It is the future path of the `SlotPool` primitive (the one every server is built on), so it
 * has the same capacity models (a number, `concurrency.dynamic`, `concurrency.weighted`, or a
 * number with `amount`s per acquire) and the same statistics over its owner's lifetime.
 *
 * It belongs to an owner entity, whose timers and futures it uses: the owner's crash loses
 * every grant and fails every waiter (`RemoteError`), and `sim.resetStats()` restarts its
 * statistics through the owner. A model that shares one resource among many entities gives it
 * to the entity that stands for the place (a `Hospital` entity owns its beds); a plain
 * `new Entity(sim, "hospital")` will do.
 *
 * @example
 * const hospital = new Entity(sim, "hospital");
 * const beds = new Resource(hospital, { name: "beds", capacity: 10 });
 * patient.start(function* () {
 *   const bed = yield* beds.acquire({ maxWait: 3600 }); // TimeoutError after an hour
 *   try {
 *     yield stayHours * 3600;
 *   } finally {
 *     beds.release(bed);
 *   }
 * });
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import { ConfigError, RemoteError, SimulationError, TimeoutError } from "../../errors/errors.js";
import type { Histogram } from "../../metrics/histogram.js";
import { DEADLINE_EXPIRED } from "../shared/deadline.js";
import { optionalBoolean } from "../shared/validate.js";
import type { ConcurrencyModel } from "./concurrencyModel.js";
import type { QueueDiscipline } from "./queueDiscipline.js";
import { REJECTED_BY_DISCIPLINE, REJECTED_FULL, REJECTED_TOO_HEAVY, SlotPool } from "./slotPool.js";
import {
  armPoolWait,
  awaitPoolWait,
  checkOwner,
  checkWaitOptions,
  type WaitOptions,
} from "./waiting.js";

export interface ResourceOptions {
  /** Names the resource in errors and stats ("beds"). Default "resource". */
  name?: string;
  /**
   * Units of capacity (integer >= 1), or a concurrency model (`concurrency.dynamic(...)` for a
   * capacity changed at run time). Default 1.
   */
  capacity?: number | ConcurrencyModel<never>;
  /** Which waiter is served next: "fifo", "lifo", or a discipline. Default "fifo". */
  queuePolicy?: "fifo" | "lifo" | QueueDiscipline<ResourceRequest>;
  /**
   * Most processes that may wait (integer >= 0); more are refused at once. Default unlimited
   * (a run whose line passes `sim.limits.maxQueueLength` fails with a `RunawayError`).
   */
  queueCapacity?: number;
  /**
   * Never grant units to a waiter whose deadline has come: the deadline of the request its
   * process was handling when it called `acquire` (`Message.deadline`, inherited as a call's
   * is). Refused if already expired on arrival, and dropped instead of granted when its turn
   * comes; counted in `expired`; its `acquire` throws `RemoteError` ("... deadline
   * expired"). Default false.
   */
  dropExpired?: boolean;
}

export interface AcquireOptions extends WaitOptions {
  /** Units to take (integer >= 1, at most the capacity). Default 1. */
  amount?: number;
}

/** A snapshot of a resource. */
export interface ResourceStats {
  /** Capacity now (units). */
  readonly capacity: number;
  /** Units held now. */
  readonly inUse: number;
  /** Grants held now. */
  readonly active: number;
  /** Processes waiting now. */
  readonly queued: number;
  /** `acquire` calls. */
  readonly requests: number;
  /** Grants handed out. */
  readonly granted: number;
  /** Refused (the queue was full, the owner down) or dropped while waiting by the queue policy. */
  readonly rejected: number;
  /** Waiters that gave up after `maxWait`. */
  readonly timedOut: number;
  /** `acquire`s never granted because their deadline had come (`dropExpired`; else 0). */
  readonly expired: number;
  /** Grants held and processes waiting when the owner crashed. */
  readonly lostToCrash: number;
  /** Time-average fraction of the capacity in use. */
  readonly utilization: number;
  /** Time-average units in use. */
  readonly meanInUse: number;
  /** Time-average number of waiting processes. */
  readonly meanQueued: number;
  /** Fraction of `acquire`s that had to wait. */
  readonly probabilityOfWaiting: number;
  /** Mean seconds from `acquire` to the grant (0 when none); percentiles in `waitTime`. */
  readonly meanWait: number;
}

/** Units of a resource held by one process: give it back with `resource.release(grant)`. */
export class Grant {
  /** @internal False once released. */
  _held = true;
  /** @internal Only a resource makes grants. */
  constructor(
    readonly resource: Resource,
    /** Units it holds. */
    readonly amount: number,
    /** @internal The owner's crash count when it was granted: a crash since then lost it. */
    readonly _epoch: number,
  ) {}
}

/** @internal A process waiting for units. */
export class ResourceRequest {
  timerToken = -1;
  constructor(
    readonly future: SimFuture<Grant>,
    readonly amount: number,
    readonly maxWait: number,
    /** Deadline (ns) of the chain that asked; Infinity for none. */
    readonly deadlineNs: number,
  ) {}
}

function requestDeadlineNs(request: ResourceRequest): number {
  return request.deadlineNs;
}

export class Resource {
  readonly owner: Entity<never, unknown>;
  readonly name: string;
  private readonly component: string;
  /** Whether waiters whose deadline has come are dropped instead of granted. */
  readonly dropExpired: boolean;
  private readonly slots: SlotPool<ResourceRequest>;
  private counts = { requests: 0, granted: 0, rejected: 0, timedOut: 0, expired: 0 };

  constructor(owner: Entity<never, unknown>, options: ResourceOptions = {}) {
    const name = options?.name ?? "resource";
    const component = `Resource "${name}"`;
    checkOwner(component, owner);
    this.dropExpired = optionalBoolean(component, "dropExpired", options?.dropExpired, false);
    this.owner = owner;
    this.name = name;
    this.component = component;
    this.slots = new SlotPool<ResourceRequest>(owner, component, {
      capacity: options.capacity ?? 1,
      discipline: options.queuePolicy ?? "fifo",
      queueCapacity: options.queueCapacity,
      weighted: true,
      start: this.grantTo,
      statsReset: () => {
        // Grants held and waiters are counted again, as if they had just asked.
        const active = this.slots.active;
        this.counts = {
          requests: active + this.slots.queued,
          granted: active,
          rejected: 0,
          timedOut: 0,
          expired: 0,
        };
      },
      // A discipline that drops waiters (codel, deadlineQueue) ends their wait here, or the
      // waiting process would hang forever.
      dropped: (request, reason) => {
        if (request.timerToken >= 0) owner.cancelTimer(request.timerToken);
        this.counts.rejected++;
        request.future.reject(new RemoteError(`${this.label}: ${reason}`, owner.name));
      },
      crashed: (lost) => {
        for (const request of lost) {
          request.future.reject(new RemoteError(`${this.label} lost in a crash`, owner.name));
        }
      },
      deadlineOf: this.dropExpired ? requestDeadlineNs : null,
      expired: (request) => {
        if (request.timerToken >= 0) owner.cancelTimer(request.timerToken);
        this.counts.expired++;
        request.future.reject(this.expiredError());
      },
    });
  }

  /** Capacity now (units). */
  get capacity(): number {
    return this.slots.limit;
  }

  /** Units held now. */
  get inUse(): number {
    return this.slots.inUse;
  }

  /**
   * What the queue policy refused at the door or dropped while waiting, by reason ("codel",
   * "deadline", ...); counted in `rejected` too. Restarts with the statistics.
   */
  get drops(): Readonly<Record<string, number>> {
    return this.slots.drops;
  }

  /** Processes waiting now. */
  get queued(): number {
    return this.slots.queued;
  }

  /** Seconds from `acquire` to the grant, for every grant (0 for those granted at once). */
  get waitTime(): Histogram {
    return this.slots.waitTime;
  }

  get stats(): ResourceStats {
    const slots = this.slots;
    const wait = slots.waitTime;
    return {
      capacity: slots.limit,
      inUse: slots.inUse,
      active: slots.active,
      queued: slots.queued,
      ...this.counts,
      lostToCrash: slots.lostToCrash,
      utilization: slots.utilization,
      meanInUse: slots.meanInUse,
      meanQueued: slots.meanQueued,
      probabilityOfWaiting: slots.probabilityOfWaiting,
      meanWait: wait.count > 0 ? wait.mean : 0,
    };
  }

  /**
   * `const grant = yield* resource.acquire()`: `amount` units at once if they are free and
   * nobody waits (no yield, no event), else waits its turn. Throws `TimeoutError` after
   * `maxWait` seconds without them, `RemoteError` if the queue is full, the owner is down, or
   * the owner crashes meanwhile. A waiter whose process is cancelled leaves the queue.
   */
  *acquire(options?: AcquireOptions): Generator<SimFuture<Grant>, Grant, unknown> {
    const amount = this.checkAmount(options?.amount);
    const maxWait = checkWaitOptions(this.component, "acquire", options);
    const owner = this.owner;
    this.counts.requests++;
    if (!owner.isUp) {
      this.counts.rejected++;
      throw new RemoteError(`${this.label} is down`, owner.name);
    }
    const deadlineNs = owner.sim._currentDeadlineNs;
    if (this.dropExpired && deadlineNs <= owner.nowNs) {
      this.counts.expired++;
      throw this.expiredError();
    }
    const slots = this.slots;
    // A discipline that refuses late work at the door sees every arrival, even at an idle pool.
    if (!slots.screensArrivals && slots.tryTake(amount)) {
      this.counts.granted++;
      return new Grant(this, amount, slots.epoch);
    }
    const future = owner.future<Grant>(this.label);
    const request = new ResourceRequest(future, amount, maxWait, deadlineNs);
    const admission = slots.admit(request, amount);
    if (admission >= REJECTED_FULL) {
      this.counts.rejected++;
      throw new RemoteError(this.refusal(admission, amount), owner.name);
    }
    if (future.isPending) armPoolWait(owner, slots, request, this.expire);
    return yield* awaitPoolWait(owner, future, this.giveBack);
  }

  /** Granted, but cancelled before it could resume: the units go back. */
  private readonly giveBack = (grant: Grant): void => this.release(grant);

  /**
   * `amount` units now if they are free and nobody waits, else null (nothing waits). For
   * handlers, which cannot yield.
   */
  tryAcquire(amount?: number): Grant | null {
    const units = this.checkAmount(amount);
    if (!this.owner.isUp || !this.slots.tryTake(units)) return null;
    this.counts.requests++;
    this.counts.granted++;
    return new Grant(this, units, this.slots.epoch);
  }

  /**
   * Gives the units back: straight to the next waiter(s) that fit, in queue order. Releasing a
   * grant twice, or one of another resource, is a `SimulationError`; one the owner's crash
   * lost is ignored (counted lost at the crash).
   */
  release(grant: Grant): void {
    if (!(grant instanceof Grant) || grant.resource !== this) {
      throw this.misuse("release(): not a grant of this resource");
    }
    if (!grant._held) throw this.misuse("release(): grant released twice");
    grant._held = false;
    if (grant._epoch !== this.slots.epoch) return;
    this.slots.release(grant.amount);
  }

  /** The pool gave a waiter its units: stop its timer and wake it. */
  private readonly grantTo = (request: ResourceRequest): void => {
    if (request.timerToken >= 0) this.owner.cancelTimer(request.timerToken);
    this.counts.granted++;
    request.future.resolve(new Grant(this, request.amount, this.slots.epoch));
  };

  /**
   * `maxWait` ran out. The waiter leaves the queue here, in the timer's event, not when its
   * process resumes: a unit freed later in this same instant must not be handed to it. One
   * freed earlier in this instant has already granted it (and cancelled this timer).
   */
  private readonly expire = (request: ResourceRequest): void => {
    if (!this.slots.remove(request)) return;
    this.counts.timedOut++;
    request.future.reject(new TimeoutError(request.maxWait));
  };

  private expiredError(): RemoteError {
    return new RemoteError(`${this.label}: ${DEADLINE_EXPIRED}`, this.owner.name);
  }

  private get label(): string {
    return `resource "${this.name}"`;
  }

  private refusal(admission: number, amount: number): string {
    if (admission === REJECTED_TOO_HEAVY) {
      return `${this.label}: ${amount} units asked, more than the whole ${this.slots.limit}`;
    }
    if (admission === REJECTED_BY_DISCIPLINE) return this.slots.lastRefusal;
    return `${this.label} queue full (${this.slots.queueCapacity} waiting)`;
  }

  private checkAmount(amount: number | undefined): number {
    if (amount === undefined) return 1;
    if (!Number.isSafeInteger(amount) || amount < 1) {
      throw new ConfigError(`${this.component}.acquire`, "amount", "an integer >= 1", amount);
    }
    return amount;
  }

  private misuse(message: string): SimulationError {
    return new SimulationError(`${this.component} ${message}`, this.owner.name, this.owner.nowNs);
  }
}
