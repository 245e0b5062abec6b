/**
 * `Barrier`: a meeting point for a fixed number of processes (`parties`): each calls
 * `yield* barrier.wait()` and sleeps until the last one arrives, then all go on together, in
 * the same instant. It then starts over for the next round; `generation` counts the rounds
 * completed. Phased computations use it: every worker finishes step k before any starts
 * step k + 1, and the slowest worker sets the pace.
 *
 * A barrier breaks when a party leaves without arriving: a waiting party whose `maxWait` runs
 * out (it gets `TimeoutError`) or whose process is cancelled. Since the round can no longer
 * complete, every other waiting party fails with `BrokenBarrierError`, and so does every
 * `wait` after it, until `reset()`. (Waiting forever for a party that will never come is the
 * deadlock the error replaces.) `reset()` fails the parties waiting with `BrokenBarrierError`
 * too and starts a fresh round.
 *
 * It belongs to an owner entity: the owner's crash fails the waiting parties with
 * `RemoteError` (counted in `lostToCrash`) and starts a fresh round, not a broken one (the
 * round's state went down with the owner).
 *
 * @example
 * const step = new Barrier(coordinator, { name: "step", parties: 4 });
 * worker.start(function* () {
 *   for (let k = 0; k < 10; k++) {
 *     yield computeSeconds();
 *     yield* step.wait({ maxWait: 30 });
 *   }
 * });
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import { BrokenBarrierError, ConfigError, RemoteError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { percentiles } from "./statistics.js";
import { checkOwner, checkWaitOptions, WaitLine, type WaitOptions } from "./waiting.js";

export interface BarrierOptions {
  /** Names it in errors and stats. Default "barrier". */
  name?: string;
  /** Processes that meet each round (integer >= 1). Required. */
  parties: number;
}

/** A snapshot of a barrier, over its owner's lifetime. */
export interface BarrierStats {
  readonly parties: number;
  /** Parties waiting now. */
  readonly waiting: number;
  /** Rounds completed (all parties met). */
  readonly trips: number;
  /** Times it broke. */
  readonly broken: number;
  /** Parties that gave up after `maxWait` (each broke it). */
  readonly timedOut: number;
  /** Parties the owner's crash failed. */
  readonly lostToCrash: number;
  /** Mean seconds a party waited for its round (the last to arrive: 0). */
  readonly meanWait: number;
  readonly p99Wait: number;
}

export class Barrier {
  readonly owner: Entity<never, unknown>;
  readonly name: string;
  readonly parties: number;
  private readonly component: string;
  private readonly line: WaitLine<number, null>;
  /** Seconds each party waited for its round to complete. */
  readonly waitTime = new Histogram();
  private _generation = 0;
  /** Why it is broken, or null while it is not. */
  private brokenBy: string | null = null;
  private trips = 0;
  private broken = 0;
  private timedOutBefore = 0;
  private lostToCrash = 0;

  constructor(owner: Entity<never, unknown>, options: BarrierOptions) {
    const name = options?.name ?? "barrier";
    const component = `Barrier "${name}"`;
    checkOwner(component, owner);
    const parties = options?.parties;
    if (!Number.isSafeInteger(parties) || parties < 1) {
      throw new ConfigError(component, "parties", "an integer >= 1", parties);
    }
    this.owner = owner;
    this.name = name;
    this.parties = parties;
    this.component = component;
    this.line = new WaitLine(
      owner,
      `barrier "${name}"`,
      (s) => new TimeoutError(s),
      // A waiting party gave up or was cancelled: the round cannot complete.
      () => this.breakWith("a waiting party gave up or was cancelled"),
    );
    owner.addLifecycleHook(this);
  }

  /** Rounds completed since the barrier was made (never reset). */
  get generation(): number {
    return this._generation;
  }

  /** True once a party left without arriving, until `reset()`. */
  get isBroken(): boolean {
    return this.brokenBy !== null;
  }

  /** Parties waiting now. */
  get waiting(): number {
    return this.line.length;
  }

  get stats(): BarrierStats {
    const wait = this.waitTime;
    return {
      parties: this.parties,
      waiting: this.line.length,
      trips: this.trips,
      broken: this.broken,
      timedOut: this.line.timedOut - this.timedOutBefore,
      lostToCrash: this.lostToCrash,
      meanWait: wait.count > 0 ? wait.mean : 0,
      p99Wait: percentiles("", wait).p99!,
    };
  }

  /**
   * `const index = yield* barrier.wait()`: sleeps until `parties` processes have arrived,
   * then returns this party's arrival index in its round (0 for the first, `parties - 1` for
   * the last, which does not sleep). Throws `BrokenBarrierError` if the barrier is or becomes
   * broken, `TimeoutError` after `maxWait` seconds (breaking it), `RemoteError` if the owner is
   * down or crashes meanwhile.
   */
  *wait(options?: WaitOptions): Generator<SimFuture<number>, number, unknown> {
    const maxWait = checkWaitOptions(this.component, "wait", options);
    const owner = this.owner;
    if (!owner.isUp) throw new RemoteError(`barrier "${this.name}" is down`, owner.name);
    if (this.brokenBy !== null) throw new BrokenBarrierError(this.name, this.brokenBy);
    const index = this.line.length;
    if (index + 1 === this.parties) {
      this.trip();
      return index;
    }
    const sinceNs = owner.nowNs;
    yield this.line.join(null, maxWait);
    this.waitTime.record((owner.nowNs - sinceNs) / 1e9);
    return index;
  }

  /**
   * Starts a fresh round: the parties waiting now fail with `BrokenBarrierError`, and a broken
   * barrier can be used again.
   */
  reset(): void {
    if (this.line.length > 0) this.breakWith("reset");
    this.brokenBy = null;
  }

  /** @internal The owner crashed: the waiting parties fail; a fresh round starts. */
  onCrash(): void {
    this.lostToCrash += this.line.length;
    const error = () => new RemoteError(`barrier "${this.name}" lost in a crash`, this.owner.name);
    this.line.rejectAll(error);
    this.brokenBy = null;
  }

  /** @internal Statistics restart now. */
  onResetStats(): void {
    this.waitTime.reset();
    this.trips = 0;
    this.broken = 0;
    this.timedOutBefore = this.line.timedOut;
    this.lostToCrash = 0;
  }

  /** The last party arrived: everyone goes on, now. */
  private trip(): void {
    this.waitTime.record(0);
    const waiters = this.line.length;
    for (let i = 0; i < waiters; i++) this.line.serve(0, i);
    this._generation++;
    this.trips++;
  }

  private breakWith(reason: string): void {
    if (this.brokenBy === null) this.broken++;
    this.brokenBy = reason;
    this.line.failAll(() => new BrokenBarrierError(this.name, reason));
  }
}
