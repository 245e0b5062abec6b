/**
 * `Container`: a continuous level between 0 and a capacity that processes put amounts into and
 * get amounts from (SimPy's `Container`): fuel in a tank, money in an account, tokens in a
 * bucket. `yield* tank.get(30)` waits until 30 is there; `yield* tank.put(50)` waits until 50
 * fits. Waiting processes are served strictly in the order they came, each line on its own: a
 * large get at the head is not overtaken by smaller ones behind it (so it cannot starve).
 * Both waits take `maxWait`.
 *
 * It belongs to an owner entity (see `Resource`): the owner's crash fails every waiting
 * process with `RemoteError` and keeps the level (fuel stays in the tank).
 *
 * @example
 * const tank = new Container(station, { name: "fuel", capacity: 10_000, initial: 4_000 });
 * car.start(function* () { yield* tank.get(40, { maxWait: 600 }); });
 * tanker.start(function* () { yield* tank.put(6_000); });
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import { ConfigError, RemoteError, TimeoutError } from "../../errors/errors.js";
import { checkOwner, checkWaitOptions, WaitLine, type WaitOptions } from "./waiting.js";

export interface ContainerOptions {
  /** Names the container in errors and stats. Default "container". */
  name?: string;
  /** Highest level (a number > 0, or Infinity). Default unlimited. */
  capacity?: number;
  /** Level at the start (in [0, capacity]). Default 0. */
  initial?: number;
}

export interface ContainerStats {
  /** Level now. */
  readonly level: number;
  readonly capacity: number;
  /** Total amount put in / taken out. */
  readonly amountPut: number;
  readonly amountTaken: number;
  /** Processes waiting to put / to get now. */
  readonly putsWaiting: number;
  readonly getsWaiting: number;
  /** Waits that gave up after `maxWait`. */
  readonly timedOut: number;
  /** Waits (puts or gets) failed by the owner's crash. */
  readonly lostToCrash: number;
  /** Time-average level. */
  readonly meanLevel: number;
}

export class Container {
  readonly owner: Entity<never, unknown>;
  readonly name: string;
  readonly capacity: number;
  private readonly component: string;
  // Numeric fields start with a number, not `undefined` (a field declared without a value is
  // defined as undefined first), so V8 stores doubles in place instead of allocating a number on
  // every change; the constructor then sets the real values.
  private _level = 0;
  private readonly putters: WaitLine<void, number>;
  private readonly getters: WaitLine<void, number>;
  private amountPut = 0;
  private amountTaken = 0;
  private timedOutBefore = 0;
  private lostToCrash = 0;
  private levelArea = 0;
  private lastChangeNs = 0;

  constructor(owner: Entity<never, unknown>, options: ContainerOptions = {}) {
    const name = options?.name ?? "container";
    const component = `Container "${name}"`;
    checkOwner(component, owner);
    const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    if (typeof capacity !== "number" || Number.isNaN(capacity) || !(capacity > 0)) {
      throw new ConfigError(component, "capacity", "a number > 0 (or Infinity)", capacity);
    }
    const initial = options.initial ?? 0;
    if (
      typeof initial !== "number" ||
      !Number.isFinite(initial) ||
      initial < 0 ||
      initial > capacity
    ) {
      throw new ConfigError(component, "initial", `a finite number in [0, ${capacity}]`, initial);
    }
    this.owner = owner;
    this.name = name;
    this.capacity = capacity;
    this.component = component;
    this._level = initial;
    const timeout = (seconds: number) => new TimeoutError(seconds);
    const settle = () => {
      this.account();
      this.settle();
    };
    this.putters = new WaitLine(owner, `put into container "${name}"`, timeout, settle);
    this.getters = new WaitLine(owner, `get from container "${name}"`, timeout, settle);
    this.lastChangeNs = owner.nowNs;
    owner.addLifecycleHook(this);
  }

  /** Level now. */
  get level(): number {
    return this._level;
  }

  get stats(): ContainerStats {
    this.account();
    const elapsed = this.owner.nowNs - this.owner.statsSinceNs;
    return {
      level: this._level,
      capacity: this.capacity,
      amountPut: this.amountPut,
      amountTaken: this.amountTaken,
      putsWaiting: this.putters.length,
      getsWaiting: this.getters.length,
      timedOut: this.putters.timedOut + this.getters.timedOut - this.timedOutBefore,
      lostToCrash: this.lostToCrash,
      meanLevel: elapsed > 0 ? this.levelArea / elapsed : this._level,
    };
  }

  /**
   * `yield* container.put(amount)`: adds `amount` (> 0, at most the capacity) at once if it
   * fits and nobody waits to put, else waits. Throws `TimeoutError` after `maxWait`,
   * `RemoteError` if the owner is down or crashes meanwhile.
   */
  *put(amount: number, options?: WaitOptions): Generator<SimFuture<void>, void, unknown> {
    this.checkAmount("put", amount);
    const maxWait = checkWaitOptions(this.component, "put", options);
    this.checkUp();
    if (this.tryPut(amount)) return;
    yield this.putters.join(amount, maxWait);
  }

  /**
   * `yield* container.get(amount)`: takes `amount` (> 0, at most the capacity) at once if it
   * is there and nobody waits to get, else waits. Throws like `put`.
   */
  *get(amount: number, options?: WaitOptions): Generator<SimFuture<void>, void, unknown> {
    this.checkAmount("get", amount);
    const maxWait = checkWaitOptions(this.component, "get", options);
    this.checkUp();
    if (this.tryGet(amount)) return;
    const future = this.getters.join(amount, maxWait);
    let received = false;
    try {
      yield future;
      received = true;
    } finally {
      // Served, but cancelled before it could resume: the amount goes back.
      if (!received && future.state === "resolved" && this.owner.isUp) {
        this.account();
        this._level += amount;
        this.amountTaken -= amount;
        this.settle();
      }
    }
  }

  /** Adds `amount` now if it fits and nobody waits to put; false otherwise. */
  tryPut(amount: number): boolean {
    this.checkAmount("tryPut", amount);
    if (!this.owner.isUp || this.putters.length > 0 || this._level + amount > this.capacity) {
      return false;
    }
    this.account();
    this._level += amount;
    this.amountPut += amount;
    this.settle();
    return true;
  }

  /** Takes `amount` now if it is there and nobody waits to get; false otherwise. */
  tryGet(amount: number): boolean {
    this.checkAmount("tryGet", amount);
    if (!this.owner.isUp || this.getters.length > 0 || this._level < amount) return false;
    this.account();
    this._level -= amount;
    this.amountTaken += amount;
    this.settle();
    return true;
  }

  /** @internal The owner crashed: every waiter fails; the level stays. */
  onCrash(): void {
    this.lostToCrash += this.putters.length + this.getters.length;
    const error = () =>
      new RemoteError(`container "${this.name}" lost in a crash`, this.owner.name);
    this.putters.rejectAll(error);
    this.getters.rejectAll(error);
  }

  /** @internal Statistics restart now. */
  onResetStats(): void {
    this.account();
    this.levelArea = 0;
    this.amountPut = 0;
    this.amountTaken = 0;
    this.timedOutBefore = this.putters.timedOut + this.getters.timedOut;
    this.lostToCrash = 0;
  }

  /** Serves the head of each line, in turn, while it fits. */
  private settle(): void {
    for (let progress = true; progress; ) {
      progress = false;
      const getter = this.getters.waiters[0];
      if (getter !== undefined && getter.ask <= this._level) {
        this._level -= getter.ask;
        this.amountTaken += getter.ask;
        this.getters.serve(0, undefined);
        progress = true;
      }
      const putter = this.putters.waiters[0];
      if (putter !== undefined && this._level + putter.ask <= this.capacity) {
        this._level += putter.ask;
        this.amountPut += putter.ask;
        this.putters.serve(0, undefined);
        progress = true;
      }
    }
  }

  private account(): void {
    const now = this.owner.nowNs;
    this.levelArea += this._level * (now - this.lastChangeNs);
    this.lastChangeNs = now;
  }

  private checkUp(): void {
    if (!this.owner.isUp) {
      throw new RemoteError(`container "${this.name}" is down`, this.owner.name);
    }
  }

  private checkAmount(api: string, amount: unknown): void {
    if (
      typeof amount !== "number" ||
      !Number.isFinite(amount) ||
      amount <= 0 ||
      amount > this.capacity
    ) {
      throw new ConfigError(
        `${this.component}.${api}`,
        "amount",
        `a finite number in (0, ${this.capacity}]`,
        amount,
      );
    }
  }
}
