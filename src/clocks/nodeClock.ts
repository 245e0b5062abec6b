/**
 * `NodeClock`: the physical clock of one node, which is never quite the simulation's true time.
 *
 * Real machines read time from a crystal that runs a few parts per million fast or slow, start
 * off by whatever their last synchronisation left, and are corrected now and then by NTP: a
 * step (the reading jumps, possibly backwards) or a slew (the clock runs slightly fast or slow
 * until the error is worked off). Protocols that compare timestamps from different nodes
 * (last-writer-wins, leases, TTLs) break in exactly these ways, so a node that reads "now" in a
 * model should read it from its own clock:
 *
 *   reading(t) = t + offset + drift(t) + corrections(t)       (t: true time, all in integer ns)
 *
 * where `drift(t)` integrates `driftPpm` (a number or a profile of true time) from the clock's
 * creation, and `corrections(t)` adds every step applied by time t and the part of each slew
 * done by then. The reading is a pure function of true time: a clock schedules no events, so
 * it costs nothing while nobody reads it, survives its owner's crash (the hardware clock keeps
 * running) and moves no trace hash.
 *
 * Two readings, as an operating system offers (CLOCK_REALTIME and CLOCK_MONOTONIC):
 * - `now()` / `nowNs()`: the wall clock, with every correction; a backward step makes it go
 *   back.
 * - `monotonicNs()`: the same oscillator without the steps (drift and slews included), which
 *   never goes back: what a node measures durations with.
 *
 * Timers in local time, built on the owner's `after`:
 * - `at(localTime, cb)` fires at the first true instant, from now on, at which the wall
 *   reading is at least `localTime` (at once if it already is). Corrections scheduled in the
 *   options are known when it is armed; a correction made at run time (`step`, `slew`) re-arms
 *   it: a step forward past its deadline fires it in the step's instant, a step back delays it
 *   until the clock reads the deadline again.
 * - `after(localSeconds, cb)` fires when the monotonic reading has advanced by `localSeconds`:
 *   drift and slews stretch or shrink it, steps never move it (a run-time `slew` re-arms it).
 * Like the owner's own timers, both are cancelled by the owner's crash.
 *
 * Exactness: readings are integer nanoseconds computed from the true time with + - * / and
 * floor only (no engine-dependent math), so a seed gives the same readings everywhere. A drift
 * within ±100,000 ppm and slews at most 100,000 ppm keep the clock's rate between 0.8 and 1.2
 * of true time, which is what makes the monotonic reading monotonic at nanosecond resolution.
 *
 * @example
 * const node = new Entity(sim, "b");
 * const clock = new NodeClock(node, { offset: -0.05, driftPpm: 20 }); // 50 ms behind, 20 ppm fast
 * clock.now();                       // -0.05 at t = 0
 * clock.at(1, () => {});             // fires at true t = 1.05 - (the drift's share)
 * clock.step(0.05);                  // an NTP step forward, now
 */
import type { Entity } from "../core/entity.js";
import { MAX_TIME_NS } from "../core/time.js";
import { ConfigError, formatTimeNs, SimulationError } from "../errors/errors.js";
import { checkParam, type Param } from "../random/profile.js";

/** The largest drift or slew rate a clock accepts, in ppm: its rate stays within [0.8, 1.2]. */
export const MAX_CLOCK_RATE_PPM = 100_000;

/** One NTP-style correction of a clock, at a given true time. */
export interface ClockCorrection {
  /** True simulated time at which it is applied, in seconds (not before the clock exists). */
  readonly at: number;
  /** Seconds added to the reading: positive sets the clock forward, negative back. */
  readonly by: number;
  /**
   * `"step"` (default): the reading jumps by `by` at once (ntpd's step, `settimeofday`).
   * `"slew"`: the clock runs faster or slower by the clock's `slewRatePpm` until `by` is
   * worked off (`adjtime`); a later slew replaces one still in progress, whose remainder is
   * dropped, as `adjtime` does.
   */
  readonly mode?: "step" | "slew";
}

export interface NodeClockOptions {
  /** Seconds the clock reads ahead of true time when created (negative: behind). Default 0. */
  offset?: number;
  /**
   * How fast the clock runs, in parts per million of true time: 20 gains 20 µs per true
   * second, -20 loses it. A number or a `Profile` of true time (a crystal that warms up),
   * within ±100,000 ppm at all times. Default 0.
   */
  driftPpm?: Param;
  /** Corrections at given true times, applied in time order (ties in the order given). */
  corrections?: readonly ClockCorrection[];
  /**
   * The rate at which a slew moves the clock, in ppm of true time, in (0, 100,000]. Default
   * 500 (ntpd's largest slew).
   */
  slewRatePpm?: number;
}

/** A timer armed in local time (see `NodeClock.at` and `after`). */
interface LocalTimer {
  readonly clock: NodeClock;
  readonly id: number;
  /** True for `at` (the wall reading), false for `after` (the monotonic reading). */
  readonly onWall: boolean;
  /** The reading, in ns, at which it fires. */
  readonly targetNs: number;
  readonly callback: (arg: unknown) => void;
  readonly arg: unknown;
  readonly daemon: boolean;
  /** The owner's timer token for the true time it is armed at. */
  token: number;
}

/** Runs a local timer's callback, or re-arms it if the owner's timer rounded it early. */
function fireLocalTimer(timer: LocalTimer): void {
  timer.clock._fire(timer);
}

const STEP = 0;
const SLEW = 1;

/**
 * Where an entity keeps its clocks: a registered symbol, not a module-level map, so a fault
 * schedule from another copy of distsim's modules (the CLI's, applying `--faults` to a model
 * that tsx loaded with its own copy) finds them.
 */
const CLOCKS = Symbol.for("distsim.nodeClocks");

type WithClocks = { [CLOCKS]?: NodeClock[] };

/** The `NodeClock`s of `entity`, in creation order (a node usually has one). */
export function nodeClocksOf(entity: Entity<never, unknown>): readonly NodeClock[] {
  return (entity as unknown as WithClocks)[CLOCKS] ?? [];
}

/** A correction made at run time (`step`, `slew`): how far it has moved the clock so far. */
export interface ClockCorrectionHandle {
  /** Seconds it has moved the wall reading by now (a slew: the part done; cut short by a later slew). */
  readonly movedSeconds: number;
}

/** An extra drift in force (`addDrift`): end it to stop it; what it gained stays. */
export interface ClockDriftHandle {
  readonly ppm: number;
  /** True until `end()`. */
  readonly active: boolean;
  /** Seconds it has moved the wall reading by now (gained, or lost if negative). */
  readonly movedSeconds: number;
  /** Stops the extra drift now (a second call does nothing). */
  end(): void;
}

class RunTimeCorrection implements ClockCorrectionHandle {
  constructor(private readonly clock: NodeClock) {}
  get movedSeconds(): number {
    return this.clock._movedNs(this) / 1e9;
  }
}

class ExtraDrift implements ClockDriftHandle {
  /** True time it ends, in ns (Infinity while in force). */
  endNs = Number.POSITIVE_INFINITY;
  constructor(
    private readonly clock: NodeClock,
    readonly ppm: number,
    readonly startNs: number,
  ) {}
  get active(): boolean {
    return this.endNs === Number.POSITIVE_INFINITY;
  }
  get movedSeconds(): number {
    return this.clock._extraDriftNs(this, this.clock.owner.sim.nowNs) / 1e9;
  }
  end(): void {
    if (this.active) this.clock._endDrift(this);
  }
}

export class NodeClock {
  /** The entity whose clock this is: its timers carry local timers, its crash cancels them. */
  readonly owner: Entity;
  /** Name for messages: `NodeClock "b"`. */
  readonly name: string;

  private readonly createdNs: number;
  private readonly offsetNs: number;
  private readonly drift: Param;
  private readonly slewRatePpm: number;

  // Corrections in time order (ties in the order made), as parallel arrays.
  private readonly correctionAtNs: number[] = [];
  private readonly correctionKind: number[] = [];
  private readonly correctionByNs: number[] = [];
  /** The handle of a run-time correction; null for one given in the options. */
  private readonly correctionHandle: (RunTimeCorrection | null)[] = [];
  /** Extra drifts (`addDrift`), in force or ended, in the order added. */
  private readonly extraDrifts: ExtraDrift[] = [];
  // Derived from the corrections by `rebuild`:
  /** When a slew is done (the whole amount, or cut short by the next slew); a step's at. */
  private correctionEndNs: number[] = [];
  /** What a correction adds once done (a slew cut short adds less than asked). */
  private correctionDoneNs: number[] = [];
  /** Sums of the first k corrections' done amounts: all of them, and the slews only. */
  private sumAllNs: number[] = [0];
  private sumSlewsNs: number[] = [0];
  /** Index of the last slew among the first k corrections, or -1. */
  private lastSlew: number[] = [-1];

  private readonly pending = new Map<number, LocalTimer>();
  private nextTimerId = 1;

  // The last reading, for repeated reads in one instant.
  private cachedTrueNs = -1;
  private cachedWallNs = 0;

  constructor(owner: Entity, options: NodeClockOptions = {}) {
    const name = `NodeClock "${owner?.name}"`;
    if (typeof owner !== "object" || owner === null || typeof owner.after !== "function") {
      throw new ConfigError("NodeClock", "owner", "an entity", owner);
    }
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(name, "options", "an object", options);
    }
    this.owner = owner;
    this.name = name;
    this.createdNs = owner.sim.nowNs;
    this.offsetNs = signedNs(name, "offset", options.offset ?? 0);
    this.drift = checkRatePpm(name, "driftPpm", options.driftPpm ?? 0);
    const slewRate = options.slewRatePpm ?? 500;
    if (
      typeof slewRate !== "number" ||
      !(slewRate > 0 && slewRate <= MAX_CLOCK_RATE_PPM) // NaN fails too
    ) {
      throw new ConfigError(
        name,
        "slewRatePpm",
        `a rate in ppm in (0, ${MAX_CLOCK_RATE_PPM}]`,
        slewRate,
      );
    }
    this.slewRatePpm = slewRate;
    const corrections = options.corrections ?? [];
    if (!Array.isArray(corrections)) {
      throw new ConfigError(name, "corrections", "an array of { at, by, mode? }", corrections);
    }
    const checked = corrections.map((correction, index) =>
      this.checkCorrection(correction, `corrections[${index}]`),
    );
    // A stable sort keeps corrections at the same instant in the order given.
    checked.sort((a, b) => a.atNs - b.atNs);
    for (const correction of checked) {
      this.correctionAtNs.push(correction.atNs);
      this.correctionKind.push(correction.kind);
      this.correctionByNs.push(correction.byNs);
      this.correctionHandle.push(null);
    }
    this.rebuild();
    owner.addLifecycleHook({ onCrash: () => this.pending.clear() });
    const holder = owner as unknown as WithClocks;
    const clocks = holder[CLOCKS] ?? [];
    clocks.push(this);
    holder[CLOCKS] = clocks;
  }

  /** The wall reading now, in seconds of local time. */
  now(): number {
    return this.nowNs() / 1e9;
  }

  /** The wall reading now, in integer nanoseconds of local time. */
  nowNs(): number {
    const trueNs = this.owner.sim.nowNs;
    if (trueNs !== this.cachedTrueNs) {
      this.cachedWallNs = this.readingAtNs(trueNs, true);
      this.cachedTrueNs = trueNs;
    }
    return this.cachedWallNs;
  }

  /** The monotonic reading now (the wall reading without steps), in integer ns. */
  monotonicNs(): number {
    return this.readingAtNs(this.owner.sim.nowNs, false);
  }

  /** How far the wall reading is ahead of true time now, in seconds (negative: behind). */
  offset(): number {
    return (this.nowNs() - this.owner.sim.nowNs) / 1e9;
  }

  /**
   * The wall reading at true time `trueTime` (seconds, not before the clock's creation), with
   * the corrections known now: a past time reads as it did then.
   */
  localTimeAt(trueTime: number): number {
    return this.readingAtNs(this.checkTrueTime(trueTime, "trueTime"), true) / 1e9;
  }

  /**
   * The first true time, from now on, at which the wall reading is at least `localTime`
   * (now, if it already is), with the corrections known now. Infinity if it never is within
   * simulated time's range.
   */
  trueTimeOf(localTime: number): number {
    const targetNs = this.checkLocalTime(localTime, "trueTimeOf", "localTime");
    const trueNs = this.firstTrueNs(targetNs, true);
    return trueNs === Number.POSITIVE_INFINITY ? trueNs : trueNs / 1e9;
  }

  /**
   * Calls `callback(arg)` when the wall reading reaches `localTime` (seconds of local time):
   * at once if it already has (as POSIX absolute timers do). Returns a token for
   * `cancelTimer`. See the class comment for what corrections do to it.
   */
  at<A>(
    localTime: number,
    callback: (arg: A) => void,
    arg?: A,
    options?: { daemon?: boolean },
  ): number {
    const targetNs = this.checkLocalTime(localTime, "at", "localTime");
    return this.arm(true, targetNs, callback as (arg: unknown) => void, arg, options);
  }

  /**
   * Calls `callback(arg)` after `localSeconds` of this clock's monotonic time (drift and slews
   * apply, steps do not). Returns a token for `cancelTimer`.
   */
  after<A>(
    localSeconds: number,
    callback: (arg: A) => void,
    arg?: A,
    options?: { daemon?: boolean },
  ): number {
    if (
      typeof localSeconds !== "number" ||
      !(localSeconds >= 0) ||
      localSeconds > MAX_TIME_NS / 1e9
    ) {
      throw new ConfigError(
        `${this.name}.after`,
        "localSeconds",
        "a finite duration in seconds >= 0",
        localSeconds,
      );
    }
    const targetNs = this.monotonicNs() + Math.round(localSeconds * 1e9);
    return this.arm(false, targetNs, callback as (arg: unknown) => void, arg, options);
  }

  /** Cancels a timer from `at` or `after`. False if it already fired or was cancelled. */
  cancelTimer(token: number): boolean {
    const timer = this.pending.get(token);
    if (timer === undefined) return false;
    this.pending.delete(token);
    this.owner.cancelTimer(timer.token);
    return true;
  }

  /** Local timers armed and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.pending.size;
  }

  /**
   * Steps the clock by `by` seconds now (negative: back), and re-arms pending `at` timers.
   * Returns a handle that says how far it moved the clock (a fault schedule undoes it so).
   */
  step(by: number): ClockCorrectionHandle {
    return this.correctNow(STEP, signedNs(`${this.name}.step`, "by", by));
  }

  /**
   * Starts slewing the clock by `by` seconds now, at `slewRatePpm` (replacing a slew in
   * progress), and re-arms every pending timer. Returns a handle that says how far the slew
   * has moved the clock so far.
   */
  slew(by: number): ClockCorrectionHandle {
    return this.correctNow(SLEW, signedNs(`${this.name}.slew`, "by", by));
  }

  /**
   * Makes the clock run `ppm` parts per million faster (negative: slower) from now on, on top
   * of its `driftPpm`, until the returned handle's `end()`: a crystal going bad, a VM whose
   * clock source misbehaves. What it gained meanwhile stays (until a correction takes it
   * back). Re-arms every pending timer. The clock's whole drift (its own, at its extremes,
   * plus the extra drifts in force) must stay within ±100,000 ppm.
   */
  addDrift(ppm: number): ClockDriftHandle {
    const api = `${this.name}.addDrift`;
    const base = this.drift;
    const low = typeof base === "number" ? base : base.min;
    const high = typeof base === "number" ? base : base.max;
    let extra = 0;
    for (const drift of this.extraDrifts) if (drift.active) extra += drift.ppm;
    if (
      typeof ppm !== "number" ||
      !Number.isFinite(ppm) ||
      Math.abs(low + extra + ppm) > MAX_CLOCK_RATE_PPM ||
      Math.abs(high + extra + ppm) > MAX_CLOCK_RATE_PPM
    ) {
      throw new ConfigError(
        api,
        "ppm",
        `a rate in ppm that keeps the clock's drift (${low === high ? low : `${low} to ${high}`}${extra !== 0 ? `, ${extra} more in force` : ""}) within ±${MAX_CLOCK_RATE_PPM}`,
        ppm,
      );
    }
    const drift = new ExtraDrift(this, ppm, this.owner.sim.nowNs);
    this.extraDrifts.push(drift);
    this.rateChanged();
    return drift;
  }

  /** @internal Ends an extra drift now. */
  _endDrift(drift: ExtraDrift): void {
    drift.endNs = this.owner.sim.nowNs;
    this.rateChanged();
  }

  /** @internal What extra drift `drift` adds to the reading at true time `trueNs`. */
  _extraDriftNs(drift: ExtraDrift, trueNs: number): number {
    if (trueNs <= drift.startNs) return 0;
    return Math.floor(scaledByPpm(drift.ppm, Math.min(trueNs, drift.endNs) - drift.startNs));
  }

  /** @internal How far run-time correction `handle` has moved the wall reading by now. */
  _movedNs(handle: RunTimeCorrection): number {
    const i = this.correctionHandle.indexOf(handle);
    const atNs = this.correctionAtNs[i]!;
    const nowNs = this.owner.sim.nowNs;
    if (nowNs < atNs) return 0;
    const done = this.correctionDoneNs[i]!;
    if (this.correctionKind[i] === STEP || nowNs >= this.correctionEndNs[i]!) return done;
    return Math.sign(done) * Math.min(Math.abs(done), this.slewedNs(nowNs - atNs));
  }

  /** @internal A local timer's owner timer fired. */
  _fire(timer: LocalTimer): void {
    if (this.pending.get(timer.id) !== timer) return;
    const nowNs = this.owner.sim.nowNs;
    // The owner's timers take seconds; past 2^51 ns a delay can round a nanosecond short.
    if (this.readingAtNs(nowNs, timer.onWall) < timer.targetNs) {
      this.schedule(timer);
      return;
    }
    this.pending.delete(timer.id);
    timer.callback(timer.arg);
  }

  private arm(
    onWall: boolean,
    targetNs: number,
    callback: (arg: unknown) => void,
    arg: unknown,
    options: { daemon?: boolean } | undefined,
  ): number {
    if (typeof callback !== "function") {
      throw new ConfigError(
        `${this.name}.${onWall ? "at" : "after"}`,
        "callback",
        "a function",
        callback,
      );
    }
    const timer: LocalTimer = {
      clock: this,
      id: this.nextTimerId++,
      onWall,
      targetNs,
      callback,
      arg,
      daemon: options?.daemon === true,
      token: -1,
    };
    this.schedule(timer);
    this.pending.set(timer.id, timer);
    return timer.id;
  }

  private schedule(timer: LocalTimer): void {
    const nowNs = this.owner.sim.nowNs;
    const trueNs = this.firstTrueNs(timer.targetNs, timer.onWall);
    if (trueNs === Number.POSITIVE_INFINITY) {
      throw new SimulationError(
        `${this.name}: local time ${formatLocalNs(timer.targetNs)} is never read before the end of simulated time's range`,
        this.owner.name,
        nowNs,
      );
    }
    timer.token = this.owner.after((trueNs - nowNs) / 1e9, fireLocalTimer, timer, {
      daemon: timer.daemon,
    });
  }

  private correctNow(kind: number, byNs: number): ClockCorrectionHandle {
    const nowNs = this.owner.sim.nowNs;
    // After every correction made up to now, before any scheduled for later.
    let index = this.correctionAtNs.length;
    while (index > 0 && this.correctionAtNs[index - 1]! > nowNs) index--;
    const handle = new RunTimeCorrection(this);
    this.correctionAtNs.splice(index, 0, nowNs);
    this.correctionKind.splice(index, 0, kind);
    this.correctionByNs.splice(index, 0, byNs);
    this.correctionHandle.splice(index, 0, handle);
    this.rebuild();
    this.cachedTrueNs = -1;
    this.rearm(kind === STEP);
    return handle;
  }

  /** The rate changed now (an extra drift began or ended): every pending timer is re-armed. */
  private rateChanged(): void {
    this.cachedTrueNs = -1;
    this.rearm(false);
  }

  private rearm(wallOnly: boolean): void {
    // Map iteration is insertion order: timers are re-armed in the order they were made.
    for (const timer of this.pending.values()) {
      if (!timer.onWall && wallOnly) continue;
      this.owner.cancelTimer(timer.token);
      this.schedule(timer);
    }
  }

  /** Recomputes what each correction adds and the prefix sums a reading uses. */
  private rebuild(): void {
    const count = this.correctionAtNs.length;
    const endNs: number[] = new Array(count);
    const doneNs: number[] = new Array(count);
    const sumAll = [0];
    const sumSlews = [0];
    const lastSlew = [-1];
    for (let i = 0; i < count; i++) {
      const atNs = this.correctionAtNs[i]!;
      const byNs = this.correctionByNs[i]!;
      if (this.correctionKind[i] === STEP) {
        endNs[i] = atNs;
        doneNs[i] = byNs;
      } else {
        // A whole slew takes |by| / rate of true time; the next slew cuts it short.
        const magnitude = Math.abs(byNs);
        let end = atNs + this.slewDurationNs(magnitude);
        for (let j = i + 1; j < count; j++) {
          if (this.correctionKind[j] === SLEW) {
            end = Math.min(end, this.correctionAtNs[j]!);
            break;
          }
        }
        endNs[i] = end;
        doneNs[i] = Math.sign(byNs) * Math.min(magnitude, this.slewedNs(end - atNs));
      }
      sumAll.push(sumAll[i]! + doneNs[i]!);
      sumSlews.push(sumSlews[i]! + (this.correctionKind[i] === SLEW ? doneNs[i]! : 0));
      lastSlew.push(this.correctionKind[i] === SLEW ? i : lastSlew[i]!);
    }
    this.correctionEndNs = endNs;
    this.correctionDoneNs = doneNs;
    this.sumAllNs = sumAll;
    this.sumSlewsNs = sumSlews;
    this.lastSlew = lastSlew;
  }

  /** True ns a slew of `magnitudeNs` takes: the least elapsed time that slews it all. */
  private slewDurationNs(magnitudeNs: number): number {
    let elapsed = Math.min(MAX_TIME_NS, Math.ceil((magnitudeNs * 1e6) / this.slewRatePpm));
    // The estimate is within a few ns of the answer; settle it on the integer grid.
    while (elapsed < MAX_TIME_NS && this.slewedNs(elapsed) < magnitudeNs) elapsed++;
    while (elapsed > 0 && this.slewedNs(elapsed - 1) >= magnitudeNs) elapsed--;
    return elapsed;
  }

  /** Nanoseconds a slew has moved the clock after `elapsedNs` of true time (unbounded). */
  private slewedNs(elapsedNs: number): number {
    return Math.floor(scaledByPpm(this.slewRatePpm, elapsedNs));
  }

  /** The wall (`withSteps`) or monotonic reading at true time `trueNs`, in integer ns. */
  private readingAtNs(trueNs: number, withSteps: boolean): number {
    return trueNs + this.offsetNs + this.driftNs(trueNs) + this.correctionsNs(trueNs, withSteps);
  }

  private driftNs(trueNs: number): number {
    const drift = this.drift;
    let extra = 0;
    for (const added of this.extraDrifts) extra += this._extraDriftNs(added, trueNs);
    if (typeof drift === "number") {
      return extra + (drift === 0 ? 0 : Math.floor(scaledByPpm(drift, trueNs - this.createdNs)));
    }
    // ppm x seconds of true time, x 1e-6 for seconds of drift, x 1e9 for nanoseconds.
    return extra + Math.floor(drift.integral(this.createdNs / 1e9, trueNs / 1e9) * 1e3);
  }

  private correctionsNs(trueNs: number, withSteps: boolean): number {
    const times = this.correctionAtNs;
    if (times.length === 0 || trueNs < times[0]!) return 0;
    // k: how many corrections are applied by trueNs (the last k with at <= trueNs).
    let low = 0;
    let high = times.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (times[middle]! <= trueNs) low = middle + 1;
      else high = middle;
    }
    const k = low;
    let total = withSteps ? this.sumAllNs[k]! : this.sumSlewsNs[k]!;
    // Slews never overlap (a slew ends where the next begins): only the last can be under way.
    const slew = this.lastSlew[k]!;
    if (slew >= 0 && trueNs < this.correctionEndNs[slew]!) {
      const done = this.correctionDoneNs[slew]!;
      const sofar =
        Math.sign(done) *
        Math.min(Math.abs(done), this.slewedNs(trueNs - this.correctionAtNs[slew]!));
      total += sofar - done;
    }
    return total;
  }

  /**
   * The first true time >= now at which the wall (`onWall`) or monotonic reading is at least
   * `targetNs`, or Infinity. Between two steps the reading never goes back (its rate is at
   * least 0.8), so each stretch between steps is searched by bisection on integer ns.
   */
  private firstTrueNs(targetNs: number, onWall: boolean): number {
    let start = this.owner.sim.nowNs;
    for (;;) {
      if (this.readingAtNs(start, onWall) >= targetNs) return start;
      const nextStep = onWall ? this.nextStepAfter(start) : Number.POSITIVE_INFINITY;
      if (nextStep !== Number.POSITIVE_INFINITY) {
        if (this.readingAtNs(nextStep - 1, onWall) >= targetNs) {
          return this.bisect(start, nextStep - 1, targetNs, onWall);
        }
        start = nextStep;
        continue;
      }
      // The rate is at least 0.8: the target is read within 1.25 x the gap, plus rounding.
      const gap = targetNs - this.readingAtNs(start, onWall);
      let end = start + Math.ceil(gap * 1.25) + 4;
      while (end < MAX_TIME_NS && this.readingAtNs(end, onWall) < targetNs) {
        end = Math.min(MAX_TIME_NS, start + 2 * (end - start));
      }
      if (end >= MAX_TIME_NS) {
        if (this.readingAtNs(MAX_TIME_NS, onWall) < targetNs) return Number.POSITIVE_INFINITY;
        end = MAX_TIME_NS;
      }
      return this.bisect(start, end, targetNs, onWall);
    }
  }

  /** Smallest t in (low, high] reading >= target, given reading(low) < target <= reading(high). */
  private bisect(low: number, high: number, targetNs: number, onWall: boolean): number {
    while (high - low > 1) {
      const middle = low + Math.floor((high - low) / 2);
      if (this.readingAtNs(middle, onWall) >= targetNs) high = middle;
      else low = middle;
    }
    return high;
  }

  /** The time of the first step after `trueNs`, or Infinity. */
  private nextStepAfter(trueNs: number): number {
    const times = this.correctionAtNs;
    for (let i = 0; i < times.length; i++) {
      if (times[i]! > trueNs && this.correctionKind[i] === STEP) return times[i]!;
    }
    return Number.POSITIVE_INFINITY;
  }

  private checkCorrection(
    correction: unknown,
    parameter: string,
  ): { atNs: number; kind: number; byNs: number } {
    const expected = "a correction { at: seconds, by: seconds, mode?: 'step' | 'slew' }";
    if (typeof correction !== "object" || correction === null) {
      throw new ConfigError(this.name, parameter, expected, correction);
    }
    const { at, by, mode } = correction as Partial<ClockCorrection>;
    if (mode !== undefined && mode !== "step" && mode !== "slew") {
      throw new ConfigError(this.name, `${parameter}.mode`, '"step" or "slew"', mode);
    }
    return {
      atNs: this.checkTrueTime(at, `${parameter}.at`),
      kind: mode === "slew" ? SLEW : STEP,
      byNs: signedNs(this.name, `${parameter}.by`, by),
    };
  }

  private checkTrueTime(time: unknown, parameter: string): number {
    const createdNs = this.createdNs;
    if (
      typeof time !== "number" ||
      !(time * 1e9 >= createdNs) ||
      time === Number.POSITIVE_INFINITY ||
      time > MAX_TIME_NS / 1e9
    ) {
      throw new ConfigError(
        this.name,
        parameter,
        `a true time in seconds, from the clock's creation (${formatTimeNs(createdNs)}) to ${formatTimeNs(MAX_TIME_NS)}`,
        time,
      );
    }
    return Math.round(time * 1e9);
  }

  private checkLocalTime(time: unknown, method: string, parameter: string): number {
    if (typeof time !== "number" || !Number.isFinite(time) || Math.abs(time) > MAX_TIME_NS / 1e9) {
      throw new ConfigError(
        `${this.name}.${method}`,
        parameter,
        `a finite local time in seconds within ±${formatTimeNs(MAX_TIME_NS)}`,
        time,
      );
    }
    return Math.round(time * 1e9);
  }
}

/** `ppm` parts per million of `elapsedNs`, split so the product keeps its precision. */
function scaledByPpm(ppm: number, elapsedNs: number): number {
  const millions = Math.floor(elapsedNs / 1e6);
  const rest = elapsedNs - millions * 1e6;
  return ppm * millions + (ppm * rest) / 1e6;
}

/** A signed number of seconds as integer ns (an offset, a correction). */
function signedNs(component: string, parameter: string, seconds: unknown): number {
  if (
    typeof seconds !== "number" ||
    !Number.isFinite(seconds) ||
    Math.abs(seconds) > MAX_TIME_NS / 1e9
  ) {
    throw new ConfigError(
      component,
      parameter,
      `a finite number of seconds within ±${formatTimeNs(MAX_TIME_NS)}`,
      seconds,
    );
  }
  return Math.round(seconds * 1e9);
}

function checkRatePpm(component: string, parameter: string, value: unknown): Param {
  // NaN fails the comparison, so it is refused too.
  return checkParam(
    component,
    parameter,
    value,
    `a rate in ppm within ±${MAX_CLOCK_RATE_PPM}`,
    (ppm) => Math.abs(ppm) <= MAX_CLOCK_RATE_PPM,
  );
}

/** A local reading for messages: like `formatTimeNs`, signed. */
function formatLocalNs(localNs: number): string {
  return localNs < 0 ? `-${formatTimeNs(-localNs)}` : formatTimeNs(localNs);
}
