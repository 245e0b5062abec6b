/**
 * `Store`: a bounded shelf of items that processes put and get (SimPy's `Store` and
 * `FilterStore`): parts between two machines, jobs in a buffer, messages in a mailbox.
 * `yield* store.put(item)` waits while the store is full; `const item = yield* store.get()`
 * waits while it is empty, and `store.get({ filter })` waits for an item the filter accepts.
 * Items leave in the order they came (FIFO); waiting processes are served in the order they
 * came, except that a filtered getter never blocks one behind it whose filter matches an item
 * (a newly put item goes to the oldest getter that accepts it). Both waits take `maxWait`.
 *
 * It belongs to an owner entity (see `Resource`): the owner's crash fails every waiting
 * process with `RemoteError` and keeps the items (things on a shelf survive the controller's
 * crash); call `store.clear()` in the owner's `onCrash` when they should be lost.
 *
 * @example
 * const buffer = new Store<Part>(line, { name: "buffer", capacity: 10 });
 * producer.start(function* () { yield* buffer.put(part); });
 * consumer.start(function* () { const part = yield* buffer.get({ maxWait: 5 }); });
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import { ConfigError, RemoteError, TimeoutError } from "../../errors/errors.js";
import { queueRanAway } from "../shared/runaway.js";
import { checkOwner, checkWaitOptions, WaitLine, type WaitOptions } from "./waiting.js";

export interface StoreOptions {
  /** Names the store in errors and stats. Default "store". */
  name?: string;
  /**
   * Most items held (integer >= 1, or Infinity). Default unlimited (a run whose store passes
   * `sim.limits.maxQueueLength` items fails with a `RunawayError`).
   */
  capacity?: number;
}

export interface GetOptions<T> extends WaitOptions {
  /** Only an item this accepts; default any item. */
  filter?: (item: T) => boolean;
}

export interface StoreStats {
  /** Items held now. */
  readonly items: number;
  readonly capacity: number;
  /** Items put in (at once or after waiting). */
  readonly puts: number;
  /** Items taken out. */
  readonly gets: number;
  /** Processes waiting to put / to get now. */
  readonly putsWaiting: number;
  readonly getsWaiting: number;
  /** Waits (puts or gets) that gave up after `maxWait`. */
  readonly timedOut: number;
  /** Waits (puts or gets) failed by the owner's crash. */
  readonly lostToCrash: number;
  /** Time-average number of items held. */
  readonly meanItems: number;
}

type Filter<T> = ((item: T) => boolean) | null;

export class Store<T> {
  readonly owner: Entity<never, unknown>;
  readonly name: string;
  readonly capacity: number;
  private readonly component: string;
  private readonly items: T[] = [];
  private readonly putters: WaitLine<void, T>;
  private readonly getters: WaitLine<T, Filter<T>>;
  private puts = 0;
  private gets = 0;
  private timedOutBefore = 0;
  private lostToCrash = 0;
  private itemArea = 0;
  /**
   * Initialised here as well as in the constructor: a field declared without a value starts as
   * `undefined` (ES2022 class fields), so V8 keeps it tagged and every store of a time above
   * 2^31 ns allocates a number (as `SlotPool.lastChangeNs`).
   */
  private lastChangeNs = 0;
  /** Items held at which an unbounded store fails the run (the runaway guard); Infinity when bounded. */
  private readonly runawayAt: number;

  constructor(owner: Entity<never, unknown>, options: StoreOptions = {}) {
    const name = options?.name ?? "store";
    const component = `Store "${name}"`;
    checkOwner(component, owner);
    const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    if (
      capacity !== Number.POSITIVE_INFINITY &&
      (!Number.isSafeInteger(capacity) || capacity < 1)
    ) {
      throw new ConfigError(component, "capacity", "an integer >= 1 (or Infinity)", capacity);
    }
    this.owner = owner;
    this.name = name;
    this.capacity = capacity;
    this.component = component;
    this.runawayAt =
      capacity === Number.POSITIVE_INFINITY
        ? owner.sim.limits.maxQueueLength
        : Number.POSITIVE_INFINITY;
    const timeout = (seconds: number) => new TimeoutError(seconds);
    this.putters = new WaitLine(owner, `put into store "${name}"`, timeout);
    this.getters = new WaitLine(owner, `get from store "${name}"`, timeout);
    this.lastChangeNs = owner.nowNs;
    owner.addLifecycleHook(this);
  }

  /** Items held now. */
  get size(): number {
    return this.items.length;
  }

  /** The items held now, oldest first (a copy). */
  get contents(): T[] {
    return this.items.slice();
  }

  get stats(): StoreStats {
    this.account();
    const elapsed = this.owner.nowNs - this.owner.statsSinceNs;
    return {
      items: this.items.length,
      capacity: this.capacity,
      puts: this.puts,
      gets: this.gets,
      putsWaiting: this.putters.length,
      getsWaiting: this.getters.length,
      timedOut: this.putters.timedOut + this.getters.timedOut - this.timedOutBefore,
      lostToCrash: this.lostToCrash,
      meanItems: elapsed > 0 ? this.itemArea / elapsed : this.items.length,
    };
  }

  /**
   * `yield* store.put(item)`: adds the item at once if there is room (handing it straight to
   * the oldest getter that accepts it), else waits for room. Throws `TimeoutError` after
   * `maxWait`, `RemoteError` if the owner is down or crashes meanwhile.
   */
  *put(item: T, options?: WaitOptions): Generator<SimFuture<void>, void, unknown> {
    const maxWait = checkWaitOptions(this.component, "put", options);
    this.checkUp();
    if (this.tryPut(item)) return;
    yield this.putters.join(item, maxWait);
  }

  /** Adds the item now if there is room and nobody waits to put; false otherwise. */
  tryPut(item: T): boolean {
    if (!this.owner.isUp || this.putters.length > 0 || this.items.length >= this.capacity) {
      return false;
    }
    this.account();
    this.puts++;
    this.place(item);
    return true;
  }

  /**
   * `const item = yield* store.get()`: the oldest item (that `filter` accepts) at once, else
   * waits for one. Throws `TimeoutError` after `maxWait`, `RemoteError` if the owner is down
   * or crashes meanwhile.
   */
  *get(options?: GetOptions<T>): Generator<SimFuture<T>, T, unknown> {
    const maxWait = checkWaitOptions(this.component, "get", options);
    const filter = this.checkFilter(options?.filter);
    this.checkUp();
    const found = this.take(filter);
    if (found !== NOTHING) return found as T;
    const future = this.getters.join(filter, maxWait);
    let received = false;
    try {
      const item = (yield future) as T;
      received = true;
      return item;
    } finally {
      // Handed an item, but cancelled before it could resume: it goes back on the shelf.
      if (!received && future.state === "resolved" && this.owner.isUp) {
        this.giveBack(future.value);
      }
    }
  }

  /** The oldest item `filter` accepts, taken now; undefined if there is none. */
  tryGet(filter?: (item: T) => boolean): T | undefined {
    if (!this.owner.isUp) return undefined;
    const found = this.take(this.checkFilter(filter));
    return found === NOTHING ? undefined : (found as T);
  }

  /** Empties the store and returns what it held, oldest first. Waiters keep waiting. */
  clear(): T[] {
    this.account();
    const left = this.items.splice(0);
    this.admitPutters();
    return left;
  }

  /** @internal The owner crashed: every waiter fails; the items stay. */
  onCrash(): void {
    this.lostToCrash += this.putters.length + this.getters.length;
    const error = () => new RemoteError(`store "${this.name}" lost in a crash`, this.owner.name);
    this.putters.rejectAll(error);
    this.getters.rejectAll(error);
  }

  /** @internal Statistics restart now. */
  onResetStats(): void {
    this.account();
    this.itemArea = 0;
    this.puts = 0;
    this.gets = 0;
    this.timedOutBefore = this.putters.timedOut + this.getters.timedOut;
    this.lostToCrash = 0;
  }

  private take(filter: Filter<T>): T | typeof NOTHING {
    const items = this.items;
    const index = filter === null ? (items.length > 0 ? 0 : -1) : items.findIndex(filter);
    if (index < 0) return NOTHING;
    this.account();
    const item = items.splice(index, 1)[0]!;
    this.gets++;
    this.admitPutters();
    return item;
  }

  /** A new item: to the oldest getter that accepts it, else onto the shelf. */
  private place(item: T): void {
    if (this.serveGetter(item)) return;
    if (this.items.length >= this.runawayAt) {
      queueRanAway(
        this.owner,
        this.component,
        this.items.length,
        "its capacity option makes producers wait for room",
        "items",
      );
    }
    this.items.push(item);
  }

  /** Hands `item` to the oldest getter that accepts it; false if none does. */
  private serveGetter(item: T): boolean {
    const getters = this.getters.waiters;
    for (let i = 0; i < getters.length; i++) {
      const filter = getters[i]!.ask;
      if (filter === null || filter(item)) {
        this.gets++;
        this.getters.serve(i, item);
        return true;
      }
    }
    return false;
  }

  /** Room was made: waiting putters move their items in, oldest first. */
  private admitPutters(): void {
    const putters = this.putters.waiters;
    while (putters.length > 0 && this.items.length < this.capacity) {
      const item = putters[0]!.ask;
      this.puts++;
      this.putters.serve(0, undefined);
      this.place(item);
    }
  }

  /**
   * An item handed to a getter that was cancelled before it resumed: to the next getter that
   * accepts it, else back at the front of the shelf (it may briefly overfill a full store).
   */
  private giveBack(item: T): void {
    this.account();
    this.gets--;
    if (!this.serveGetter(item)) this.items.unshift(item);
  }

  private account(): void {
    const now = this.owner.nowNs;
    this.itemArea += this.items.length * (now - this.lastChangeNs);
    this.lastChangeNs = now;
  }

  private checkUp(): void {
    if (!this.owner.isUp) {
      throw new RemoteError(`store "${this.name}" is down`, this.owner.name);
    }
  }

  private checkFilter(filter: unknown): Filter<T> {
    if (filter === undefined) return null;
    if (typeof filter !== "function") {
      throw new ConfigError(
        `${this.component}.get`,
        "filter",
        "a function (item) => boolean",
        filter,
      );
    }
    return filter as (item: T) => boolean;
  }
}

const NOTHING: unique symbol = Symbol("nothing");
