/**
 * `SlotPool`: the slots-and-waiting-line primitive every server-like component is built on
 * (Server, ThreadPool, AsyncServer's event loop, and `Resource` for users' own processes).
 * Capacity comes from a plain number (slots) or a `ConcurrencyModel` (a fixed count, a limit
 * changed at run time, or units each item takes its weight of). Items that find no capacity
 * wait in a queue ordered by a pluggable `QueueDiscipline` (FIFO, LIFO, or your own), up to
 * `queueCapacity`; beyond it they are refused at once.
 *
 * This is the callback path, for handlers: `admit(item)` starts the item now (calling `start`)
 * or queues it, and `release(weight)` hands the freed capacity to waiting items in queue order,
 * calling `start` for each, synchronously. It schedules no event of its own and allocates
 * nothing per item beyond the queue's array slots, so a component built on it keeps the exact
 * event sequence (and trace hash) of a hand-written queue. Processes use `Resource`, the future
 * path on top of it. The one exception is a paused owner, which runs nothing: what would start
 * while it is paused (capacity freed or added by another entity's direct call, an arrival that
 * found capacity) waits, and a timer of the owner's, held by the pause, starts it when the
 * owner resumes.
 *
 * It keeps the statistics a queueing station reports, over its owner's lifetime (from the
 * owner's creation or last `sim.resetStats()`, `entity.statsSinceNs`): time-average capacity
 * in use, items in service and items waiting; the wait from arrival to start (a histogram);
 * the probability that an arrival had to wait; drops by reason; items lost to crashes.
 *
 * It registers with its owner entity (`addLifecycleHook`): a crash empties it (what waited
 * goes to `crashed`, in arrival order) and counts the loss; a statistics reset restarts its
 * numbers and keeps its state. It never creates an entity (entity ids and trace hashes stay).
 *
 * @example
 * // inside an entity's constructor (a server): start service when a slot is free
 * this.slots = new SlotPool<Message<Req>>(this, `Server "${name}"`, {
 *   capacity: 4,
 *   start: (request) => this.after(this.draw(), this.finish, request),
 * });
 * // handle(): if (this.slots.admit(request) >= REJECTED) this.fail(request, "queue full");
 * // finish(): this.reply(request, ...); this.slots.release();
 */
import type { Entity, LifecycleHook } from "../../core/entity.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { queueRanAway } from "../shared/runaway.js";
import { requireInteger, requireQueueCapacity } from "../shared/validate.js";
import {
  type ConcurrencyModel,
  type ConcurrencyOwner,
  isConcurrencyModel,
} from "./concurrencyModel.js";
import {
  type DropSink,
  fifo,
  isQueueDiscipline,
  lifo,
  type QueueDiscipline,
} from "./queueDiscipline.js";
import { countReason, reasonCounts } from "./statistics.js";

/** What `admit` did with an item. Values >= `REJECTED_FULL` are refusals. */
export const STARTED = 0;
export const QUEUED = 1;
/**
 * Not admitted: its deadline had already come (`deadlineOf`); counted in `expired` and handed
 * to `expired`, so the owner has nothing left to do.
 */
export const EXPIRED = 2;
/** Refused: `queueCapacity` items were already waiting. */
export const REJECTED_FULL = 3;
/** Refused: it needs more capacity units than the whole capacity (a weighted model). */
export const REJECTED_TOO_HEAVY = 4;
/** Refused by the discipline at the door (an early drop); the reason is in `lastRefusal`. */
export const REJECTED_BY_DISCIPLINE = 5;
export type Admission = 0 | 1 | 2 | 3 | 4 | 5;

/** A queue order by name, or a discipline instance (one per pool). */
export type QueueDisciplineOption<T> = "fifo" | "lifo" | QueueDiscipline<T>;

export interface SlotPoolOptions<T> {
  /**
   * Capacity: slots (integer >= 1), or a concurrency model (`concurrency.dynamic(...)`,
   * `concurrency.weighted(...)`), bound to this pool for life.
   */
  capacity: number | ConcurrencyModel<never>;
  /** Name of the option that carried `capacity`, for errors. Default "capacity". */
  capacityOption?: string;
  /** Which waiting item starts next. Default "fifo". */
  discipline?: QueueDisciplineOption<T>;
  /** Name of the option that carried `discipline`, for errors. Default "queuePolicy". */
  disciplineOption?: string;
  /**
   * Most items that may wait (integer >= 0, or Infinity). Default unlimited: then the run
   * fails with a `RunawayError` once `sim.limits.maxQueueLength` wait.
   */
  queueCapacity?: number;
  /** How a user bounds this queue, for the runaway error. Default "its queueCapacity option refuses the excess at once". */
  queueBoundHint?: string;
  /**
   * Whether items take different amounts of a numeric capacity (the weight passed to `admit`).
   * Implied by a weighted concurrency model. Default false: every item takes 1.
   */
  weighted?: boolean;
  /**
   * Starts an item that was given capacity: at once from `admit`, or later from `release` or
   * a raised limit (then in queue order). `weight` is the capacity it took; `arrivalNs` when it
   * was admitted. Must not call back into the pool's `admit` or `release` synchronously.
   */
  start: (item: T, weight: number, arrivalNs: number) => void;
  /** An item the discipline dropped while it waited (already removed and counted). */
  dropped?: (item: T, reason: string) => void;
  /**
   * The owner crashed: `lost` waited in the queue (arrival order). Items in service are the
   * owner's to forget; the pool has counted them and zeroed its capacity in use.
   */
  crashed?: (lost: readonly T[]) => void;
  /** Statistics restarted (`sim.resetStats()`), after the pool's own: reset the owner's counts. */
  statsReset?: () => void;
  /**
   * Drops expired work (the owner's `dropExpired`): an item's deadline in integer ns (Infinity
   * for none). An item whose deadline has come (deadline <= now) is never started: not
   * admitted on arrival, and dropped when it would be started from the queue. Default none.
   */
  deadlineOf?: ((item: T) => number) | null;
  /** An item dropped for its deadline (already removed and counted in `expired`). */
  expired?: (item: T) => void;
}

/** Pools built on a discipline instance, so one instance never serves two pools. */
const boundDisciplines = new WeakSet<object>();

export class SlotPool<T> implements LifecycleHook, DropSink<T>, ConcurrencyOwner {
  readonly owner: Entity<never, unknown>;
  /** "Server \"api\"": names the pool's component in errors. */
  readonly component: string;
  readonly queueCapacity: number;
  /**
   * The length at which `admit` looks closer: `queueCapacity` when bounded (refuse), else the
   * runaway guard's `maxQueueLength` (fail the run). One compare either way.
   */
  private readonly queueCheckAt: number;
  private readonly queueBoundHint: string;
  /** The concurrency model, or null when capacity is a plain number. */
  readonly model: ConcurrencyModel<never> | null;
  readonly discipline: QueueDiscipline<T>;
  /**
   * The discipline refuses some arrivals at the door (`refuseAtDoor`): `admit` asks it first,
   * and callers with a fast path that skips `admit` (`tryTake`) must not take it.
   */
  readonly screensArrivals: boolean;
  /** Seconds from admission to start, for every item started (0 for those started at once). */
  waitTime = new Histogram();
  /** Why the last `REJECTED_BY_DISCIPLINE` was refused. */
  lastRefusal = "";
  private readonly startItem: (item: T, weight: number, arrivalNs: number) => void;
  private readonly onDropped: ((item: T, reason: string) => void) | null;
  private readonly onCrashed: ((lost: readonly T[]) => void) | null;
  private readonly onStatsReset: (() => void) | null;
  /** Null unless the owner drops expired work: one compare per admit and per start when off. */
  private readonly deadlineOf: ((item: T) => number) | null;
  private readonly onExpired: ((item: T) => void) | null;
  private _expired = 0;
  /** Weights of waiting items, for a weighted model only. */
  private readonly weights: Map<T, number> | null;
  private _limit: number;
  /**
   * The owner's capacity fraction (`Entity.reduceCapacity`): the limit is the model's or the
   * configured count times it, rounded down.
   */
  private capacityFraction = 1;
  /** The capacity without a reduction: the configured count, or the model's limit. */
  private fullLimit: number;
  /**
   * Whether the limit can change (a model, or once a reduction came): only then is its
   * integral kept, and utilization divides by it.
   */
  private tracksLimit: boolean;
  private _active = 0;
  private _inUse = 0;
  /** Bumped by every crash: grants and items from before it are no longer held. */
  private _epoch = 0;
  private admitted = 0;
  private admittedToQueue = 0;
  private _started = 0;
  private _lostToCrash = 0;
  private dropCounts: Record<string, number> | null = null;
  private droppedTotal = 0;
  // Integrals over time (value x ns), exact integers, since the owner's statsSinceNs. Capacity
  // in use is integrated apart from items in service only under weights (without them the two
  // are equal at every instant), the limit only when it can change (`tracksLimit`):
  // `account` runs on every admission and release.
  private inUseArea = 0;
  private activeArea = 0;
  private queuedArea = 0;
  private limitArea = 0;
  /**
   * Initialised here, not only in the constructor: a field declared without a value starts as
   * `undefined` (ES2022 class fields), so V8 keeps it tagged and every store of a time above
   * 2^31 ns allocates a number and pays a write barrier (twice per request on this path).
   */
  private lastChangeNs = 0;

  constructor(owner: Entity<never, unknown>, component: string, options: SlotPoolOptions<T>) {
    this.owner = owner;
    this.component = component;
    checkSlotPoolOptions(component, options);
    if (typeof options.start !== "function") {
      throw new ConfigError(
        component,
        "start",
        "a function (item, weight, arrivalNs)",
        options.start,
      );
    }
    const capacity = options.capacity;
    if (isConcurrencyModel(capacity)) {
      this.model = capacity;
      capacity._bind(this, component);
      this._limit = capacity.limit;
    } else {
      this.model = null;
      this._limit = capacity;
    }
    this.fullLimit = this._limit;
    this.tracksLimit = this.model !== null;
    this.weights = this.model?.weighted === true || options.weighted === true ? new Map() : null;
    this.discipline = bindDiscipline<T>(options.discipline ?? "fifo");
    this.screensArrivals = this.discipline.refuseAtDoor !== undefined;
    this.queueCapacity = requireQueueCapacity(component, options.queueCapacity);
    this.queueCheckAt =
      this.queueCapacity === Number.POSITIVE_INFINITY
        ? owner.sim.limits.maxQueueLength
        : this.queueCapacity;
    this.queueBoundHint =
      options.queueBoundHint ?? "its queueCapacity option refuses the excess at once";
    this.startItem = options.start;
    this.onDropped = options.dropped ?? null;
    this.onCrashed = options.crashed ?? null;
    this.onStatsReset = options.statsReset ?? null;
    this.deadlineOf = options.deadlineOf ?? null;
    this.onExpired = options.expired ?? null;
    this.lastChangeNs = owner.nowNs;
    owner.addLifecycleHook(this);
  }

  // --- ConcurrencyOwner (a model reports to the pool) -------------------------------------

  get name(): string {
    return this.owner.name;
  }

  get nowNs(): number {
    return this.owner.nowNs;
  }

  /** @internal A dynamic model's limit changed: integrate at the old limit, then apply it. */
  _capacityChanged(): void {
    this.account();
    this.fullLimit = this.model!.limit;
    this._limit = this.reducedLimit();
    if (this.owner.isUp) this.startWaitingNowOrAfterPause();
  }

  /**
   * @internal LifecycleHook: the owner's capacity is reduced to `fraction` of the full limit
   * (rounded down), or restored (1). Nothing in service is pre-empted; a limit that grows
   * starts waiting items at once.
   */
  onCapacityFraction(fraction: number): void {
    this.account();
    this.capacityFraction = fraction;
    if (!this.tracksLimit) {
      // Until now the limit was the configured count, unchanged since the statistics began.
      this.limitArea = this._limit * this.elapsedNs;
      this.tracksLimit = true;
    }
    this._limit = this.reducedLimit();
    if (this.owner.isUp) this.startWaitingNowOrAfterPause();
  }

  /**
   * Starts waiting items now, or, while the owner is paused, when it resumes: a paused owner
   * runs nothing (a `start` is its code: a service time drawn, a timer set, a waiter woken), so
   * a timer of its own, held by the pause, starts them then, in order with its other held
   * events. This is how a direct call from another entity (a `Resource` released or given up
   * by another entity's process, a dynamic limit raised, a capacity restored) waits for the
   * pause to end.
   */
  private startWaitingNowOrAfterPause(): void {
    if (this.owner.isPaused) this.owner.after(0, startWaitingOf, this as SlotPool<unknown>);
    else this.startWaiting();
  }

  /** @internal The owner resumed after something freed or added capacity while it was paused. */
  _startWaitingAfterPause(): void {
    if (this.owner.isUp) this.startWaiting();
  }

  private reducedLimit(): number {
    const fraction = this.capacityFraction;
    return fraction === 1 ? this.fullLimit : Math.floor(this.fullLimit * fraction);
  }

  // --- State ------------------------------------------------------------------------------

  /** Capacity now: slots, a dynamic model's current limit, or a weighted model's units. */
  get limit(): number {
    return this._limit;
  }

  /** Items in service now. */
  get active(): number {
    return this._active;
  }

  /** Capacity in use now: items in service, or their summed weights under a weighted model. */
  get inUse(): number {
    return this._inUse;
  }

  /** Items waiting now. */
  get queued(): number {
    return this.discipline.length;
  }

  /** Crashes so far (never reset): what was held before the last one is no longer held. */
  get epoch(): number {
    return this._epoch;
  }

  // --- The callback path ------------------------------------------------------------------

  /**
   * Starts `item` now if capacity is free and nobody waits (an arrival never overtakes a
   * waiting item), queues it if there is room, or refuses it. `weight` is the capacity units
   * it takes (1 unless the model is weighted). Statistics count admitted items only.
   */
  admit(item: T, weight = 1, flow?: string | number): Admission {
    this.account();
    if (this.deadlineOf !== null && this.deadlineOf(item) <= this.owner.nowNs) {
      this.expire(item);
      return EXPIRED;
    }
    const discipline = this.discipline;
    if (this.screensArrivals) {
      const refusal = discipline.refuseAtDoor!(item, this.owner.nowNs);
      if (refusal !== null) {
        this.lastRefusal = refusal;
        this.countDrop(refusal);
        return REJECTED_BY_DISCIPLINE;
      }
    }
    if (discipline.length === 0 && this._inUse + weight <= this._limit) {
      if (this.owner.isPaused) return this.admitWhilePaused(item, weight, flow);
      this.admitted++;
      this.take(weight);
      this.waitTime.record(0);
      this.startItem(item, weight, this.owner.nowNs);
      return STARTED;
    }
    // Against the full capacity: a reduction delays a heavy item, it does not refuse it.
    if (weight > this.fullLimit && this.weights !== null) return REJECTED_TOO_HEAVY;
    if (discipline.length >= this.queueCheckAt) {
      if (this.queueCapacity !== Number.POSITIVE_INFINITY) return REJECTED_FULL;
      queueRanAway(this.owner, this.component, discipline.length, this.queueBoundHint);
    }
    const refusal = discipline.enqueue(item, this.owner.nowNs, flow);
    if (refusal !== null) {
      this.lastRefusal = refusal;
      this.countDrop(refusal);
      return REJECTED_BY_DISCIPLINE;
    }
    // Weight 1 is the default, not stored: the future path pays no map entry for it.
    if (this.weights !== null && weight !== 1) this.weights.set(item, weight);
    this.admitted++;
    this.admittedToQueue++;
    return QUEUED;
  }

  /**
   * Takes `weight` units now for an item that is not queued (the future path's fast case):
   * true if it fit with nobody waiting, false otherwise (then nothing changed).
   */
  tryTake(weight = 1): boolean {
    if (this.discipline.length !== 0 || this._inUse + weight > this._limit) return false;
    // A paused owner grants nothing until it resumes (see `admit`).
    if (this.owner.isPaused) return false;
    this.account();
    this.admitted++;
    this.take(weight);
    this.waitTime.record(0);
    return true;
  }

  /**
   * Frees the capacity of one finished item (`weight` units) and starts waiting items, in
   * queue order, while the next one fits.
   */
  release(weight = 1): void {
    this.account();
    this._active--;
    this._inUse -= weight;
    this.startWaitingNowOrAfterPause();
  }

  /** Removes a waiting item (it gave up or was cancelled); false if it was not waiting. */
  remove(item: T): boolean {
    this.account();
    if (!this.discipline.remove(item, this.owner.nowNs)) return false;
    this.weights?.delete(item);
    // A heavy item that left the head may have been all that blocked the ones behind it.
    if (this.weights !== null && this.owner.isUp) this.startWaitingNowOrAfterPause();
    return true;
  }

  /**
   * An item that would start at once arrived while the owner is paused (from another entity's
   * direct call: `Resource.acquire`, a store's operation): it waits first in line, counted as
   * having waited, and starts when the owner resumes. The queue bound does not refuse it, as
   * there was capacity for it.
   */
  private admitWhilePaused(item: T, weight: number, flow: string | number | undefined): Admission {
    const refusal = this.discipline.enqueue(item, this.owner.nowNs, flow);
    if (refusal !== null) {
      this.lastRefusal = refusal;
      this.countDrop(refusal);
      return REJECTED_BY_DISCIPLINE;
    }
    if (this.weights !== null && weight !== 1) this.weights.set(item, weight);
    this.admitted++;
    this.admittedToQueue++;
    this.owner.after(0, startWaitingOf, this as SlotPool<unknown>);
    return QUEUED;
  }

  /**
   * Empties the queue and frees all capacity; returns what waited, in arrival order. Items in
   * service are the caller's to forget. A crash does this by itself (see `crashed`).
   */
  clear(): T[] {
    this.account();
    this._active = 0;
    this._inUse = 0;
    this.weights?.clear();
    return this.discipline.clear(this.owner.nowNs);
  }

  /** @internal DropSink: the discipline dropped a waiting item. */
  dropped(item: T, reason: string): void {
    this.weights?.delete(item);
    this.countDrop(reason);
    this.onDropped?.(item, reason);
  }

  /** `item`'s deadline has come: count it and hand it back to the owner, unstarted. */
  private expire(item: T): void {
    this._expired++;
    this.onExpired?.(item);
  }

  private countDrop(reason: string): void {
    this.droppedTotal++;
    const counts = this.dropCounts ?? reasonCounts();
    this.dropCounts = counts;
    countReason(counts, reason);
  }

  private take(weight: number): void {
    this._active++;
    this._inUse += weight;
    this._started++;
  }

  /** Starts waiting items in queue order while the next one fits. */
  private startWaiting(): void {
    const discipline = this.discipline;
    while (discipline.length > 0) {
      const nowNs = this.owner.nowNs;
      let weight = 1;
      if (this.weights !== null) {
        const head = discipline.peek(nowNs, this);
        if (head === undefined) return;
        if (this.deadlineOf !== null && this.deadlineOf(head) <= nowNs) {
          // Expired at the head: out of the way, so it holds back nobody behind it.
          discipline.dequeue(nowNs, this);
          this.weights.delete(head);
          this.expire(head);
          continue;
        }
        weight = this.weights.get(head) ?? 1;
        if (this._inUse + weight > this._limit) return;
      } else if (this._inUse + 1 > this._limit) {
        return;
      }
      const next = discipline.dequeue(nowNs, this);
      if (next === undefined) return;
      this.weights?.delete(next);
      if (this.deadlineOf !== null && this.deadlineOf(next) <= nowNs) {
        this.expire(next);
        continue;
      }
      const arrivalNs = discipline.lastArrivalNs;
      this.take(weight);
      this.waitTime.record((nowNs - arrivalNs) / 1e9);
      this.startItem(next, weight, arrivalNs);
    }
  }

  // --- Statistics -------------------------------------------------------------------------

  /** Integrates the levels over time, up to now. */
  account(): void {
    const now = this.owner.nowNs;
    const dt = now - this.lastChangeNs;
    if (dt > 0) {
      this.activeArea += this._active * dt;
      this.queuedArea += this.discipline.length * dt;
      if (this.weights !== null) this.inUseArea += this._inUse * dt;
      if (this.tracksLimit) this.limitArea += this._limit * dt;
      this.lastChangeNs = now;
    }
  }

  /** Nanoseconds the statistics cover: since the owner's creation or last reset. */
  get elapsedNs(): number {
    return this.owner.nowNs - this.owner.statsSinceNs;
  }

  /**
   * Capacity in use over capacity provided, time-averaged: the fraction of slots busy; under
   * a dynamic limit the integral of capacity in use over the integral of the limit; 0 before
   * any time has passed.
   */
  get utilization(): number {
    this.account();
    const elapsed = this.elapsedNs;
    if (elapsed <= 0) return 0;
    if (!this.tracksLimit) return this.inUseAreaNow / elapsed / this._limit;
    return this.limitArea > 0 ? this.inUseAreaNow / this.limitArea : 0;
  }

  /** Time-average capacity in use (units). */
  get meanInUse(): number {
    this.account();
    const elapsed = this.elapsedNs;
    return elapsed > 0 ? this.inUseAreaNow / elapsed : 0;
  }

  /** The integral of capacity in use (see the fields: without weights, that of items in service). */
  private get inUseAreaNow(): number {
    return this.weights === null ? this.activeArea : this.inUseArea;
  }

  /** Time-average number of items in service. */
  get meanActive(): number {
    this.account();
    const elapsed = this.elapsedNs;
    return elapsed > 0 ? this.activeArea / elapsed : 0;
  }

  /** Time-average number of items waiting. */
  get meanQueued(): number {
    this.account();
    const elapsed = this.elapsedNs;
    return elapsed > 0 ? this.queuedArea / elapsed : 0;
  }

  /** Items started (at once or from the queue). */
  get started(): number {
    return this._started;
  }

  /** Fraction of admitted items that had to wait (queued on arrival); 0 before any. */
  get probabilityOfWaiting(): number {
    return this.admitted > 0 ? this.admittedToQueue / this.admitted : 0;
  }

  /** Items in service or waiting when the owner crashed (never started again). */
  get lostToCrash(): number {
    return this._lostToCrash;
  }

  /** Items never started because their deadline had come (see `deadlineOf`). */
  get expired(): number {
    return this._expired;
  }

  /** Items the discipline dropped or refused at the door, in total. */
  get droppedCount(): number {
    return this.droppedTotal;
  }

  /** Items the discipline dropped or refused, by reason (a copy). */
  get drops(): Readonly<Record<string, number>> {
    return { ...this.dropCounts };
  }

  // --- Lifecycle (registered with the owner) ----------------------------------------------

  /** @internal The owner crashed: everything waiting and in service is lost. */
  onCrash(): void {
    this.account();
    this._lostToCrash += this._active + this.discipline.length;
    this._epoch++;
    const lost = this.clear();
    this.onCrashed?.(lost);
  }

  /** @internal Statistics restart now; state is kept. */
  onResetStats(): void {
    this.account();
    this.inUseArea = 0;
    this.activeArea = 0;
    this.queuedArea = 0;
    this.limitArea = 0;
    this.waitTime = new Histogram();
    this.admitted = 0;
    this.admittedToQueue = 0;
    this._started = 0;
    this._lostToCrash = 0;
    this.dropCounts = null;
    this.droppedTotal = 0;
    this._expired = 0;
    this.onStatsReset?.();
  }
}

/**
 * Every check the `SlotPool` constructor makes, with no side effect (nothing is bound), so an
 * entity built on a pool can refuse bad options before it registers with the simulation.
 * Throws the `ConfigError` the constructor would throw.
 */
export function checkSlotPoolOptions<T>(
  component: string,
  options: Omit<SlotPoolOptions<T>, "start">,
): void {
  const capacity = options.capacity;
  const capacityOption = options.capacityOption ?? "capacity";
  if (isConcurrencyModel(capacity)) {
    capacity._checkUnbound(component);
  } else if (typeof capacity !== "number") {
    throw new ConfigError(
      component,
      capacityOption,
      "an integer >= 1 or a concurrency model (concurrency.dynamic(...), ...)",
      capacity,
    );
  } else {
    requireInteger(component, capacityOption, capacity, 1);
  }
  checkDiscipline(
    component,
    options.disciplineOption ?? "queuePolicy",
    options.discipline ?? "fifo",
  );
  requireQueueCapacity(component, options.queueCapacity);
}

function checkDiscipline(component: string, option: string, value: unknown): void {
  if (value === "fifo" || value === "lifo") return;
  if (!isQueueDiscipline(value)) {
    throw new ConfigError(
      component,
      option,
      '"fifo", "lifo" or a QueueDiscipline (fifo(), priority(...), codel(), ..., or your own)',
      value,
    );
  }
  if (boundDisciplines.has(value) || value.length !== 0) {
    throw new ConfigError(
      component,
      option,
      "a queue discipline of its own (this one already serves another resource)",
      value,
    );
  }
}

/**
 * @internal A checked discipline option, bound to one pool for life (a message queue's line
 * binds its discipline here too, so one instance never orders two lines).
 */
export function bindDiscipline<T>(value: QueueDisciplineOption<T>): QueueDiscipline<T> {
  if (value === "fifo") return fifo<T>();
  if (value === "lifo") return lifo<T>();
  boundDisciplines.add(value);
  return value;
}

/** @internal For errors raised by components on a pool's behalf. */
export function poolMisuse(pool: SlotPool<unknown>, message: string): SimulationError {
  return new SimulationError(message, pool.owner.name, pool.owner.nowNs);
}

/** Named, so the trace's timer record says what the timer was for. */
function startWaitingOf(pool: SlotPool<unknown>): void {
  pool._startWaitingAfterPause();
}
