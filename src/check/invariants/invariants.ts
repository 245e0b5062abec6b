/**
 * Invariants checked while a simulation runs: `always(sim, name, predicate)` after every event
 * (or at the first event of each `every` seconds), `eventually(sim, name, predicate, { within })`
 * by a deadline. One monitor per simulation holds them and hangs a single hook after the
 * event loop's events (`Simulation._setAfterEvent`); a simulation without invariants has no
 * hook at all, so its loop, event count and trace hash are those of a run without this module.
 * Checks schedule no events: an interval check runs at the first event at or after each
 * boundary, so registering one does not change the trace hash either.
 */

import type { Simulation } from "../../core/simulation.js";
import { durationToNs } from "../../core/time.js";
import { ConfigError, formatTimeNs } from "../../errors/errors.js";

/**
 * What a predicate answers: `true` when the property holds; `false`, or a message saying what
 * is wrong, when it does not. (A string is always a violation, however it reads.)
 */
export type InvariantPredicate = () => boolean | string;

export type InvariantKind = "always" | "eventually";

/** The first time an invariant was seen failing. */
export interface InvariantViolation {
  readonly name: string;
  readonly kind: InvariantKind;
  /** Simulated time of the failing check, integer ns (for `eventually`, its deadline). */
  readonly timeNs: number;
  /** The same, in seconds. */
  readonly time: number;
  /** `sim.eventsProcessed` at the failing check: the events run before it was seen. */
  readonly event: number;
  readonly message: string;
}

export interface InvariantVerdict {
  readonly name: string;
  readonly kind: InvariantKind;
  /**
   * "pass": `always` never failed, or `eventually` held by its deadline; "violated": see
   * `violation`; "pending": an `eventually` whose deadline the run has not reached yet.
   */
  readonly status: "pass" | "violated" | "pending";
  /** Checks made (the predicate's calls). */
  readonly checks: number;
  readonly violation: InvariantViolation | null;
}

export interface InvariantOptions {
  /** Stop the run at the first violation (its reason is then "invariant"). Default false. */
  readonly stop?: boolean;
}

export interface AlwaysOptions extends InvariantOptions {
  /**
   * Check at the first event at or after every `every` seconds from now instead of after
   * every event: cheaper for a costly predicate, blind to a violation that heals in between.
   */
  readonly every?: number;
}

export interface EventuallyOptions extends InvariantOptions {
  /** Seconds from now by which the predicate must have held once. */
  readonly within: number;
}

/** A registered invariant: its verdict so far, and `cancel()` to stop checking it. */
export interface Invariant {
  readonly name: string;
  readonly kind: InvariantKind;
  verdict(): InvariantVerdict;
  cancel(): void;
}

class Watched implements Invariant {
  checks = 0;
  violation: InvariantViolation | null = null;
  /** `eventually`: the predicate held by the deadline. */
  satisfied = false;
  /** Still checked after events (not decided, not cancelled). */
  active = true;

  constructor(
    private readonly monitor: InvariantMonitor,
    readonly name: string,
    readonly kind: InvariantKind,
    readonly predicate: InvariantPredicate,
    readonly stop: boolean,
    /** `always`: ns between checks (0: every event); next check due at `nextNs`. */
    readonly everyNs: number,
    public nextNs: number,
    /** `eventually`: the deadline, integer ns. */
    readonly deadlineNs: number,
  ) {}

  verdict(): InvariantVerdict {
    this.monitor.settleDeadlines();
    let status: InvariantVerdict["status"];
    if (this.violation !== null) status = "violated";
    else if (this.kind === "always" || this.satisfied) status = "pass";
    else status = "pending";
    return {
      name: this.name,
      kind: this.kind,
      status,
      checks: this.checks,
      violation: this.violation,
    };
  }

  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.monitor.remove(this);
  }
}

/**
 * Each simulation's monitor, in one map shared by every copy of distsim's modules (kept on
 * `globalThis` under a registered symbol, not in a module-level map): `distsim check` runs a
 * model that tsx loaded with its own copy, and the invariants the model registers must be the
 * ones the CLI's copy reads and adds its liveness check to, on the one hook of the loop.
 */
const MONITORS = Symbol.for("distsim.invariantMonitors");
const shared = globalThis as { [MONITORS]?: WeakMap<Simulation, InvariantMonitor> };
const monitors = shared[MONITORS] ?? new WeakMap<Simulation, InvariantMonitor>();
shared[MONITORS] = monitors;

class InvariantMonitor {
  readonly all: Watched[] = [];
  private active: Watched[] = [];
  private readonly hook = (): boolean => this.afterEvent();

  constructor(private readonly sim: Simulation) {}

  add(watched: Watched): void {
    this.all.push(watched);
    this.active.push(watched);
    if (this.active.length === 1) this.sim._setAfterEvent(this.hook);
  }

  remove(watched: Watched): void {
    this.active = this.active.filter((other) => other !== watched);
    if (this.active.length === 0) this.sim._setAfterEvent(null);
  }

  /** After every event: true asks the loop to stop (a `stop` invariant failed). */
  private afterEvent(): boolean {
    const nowNs = this.sim.nowNs;
    let stop = false;
    let decided = false;
    for (const watched of this.active) {
      if (watched.kind === "always") {
        if (nowNs < watched.nextNs) continue;
        if (watched.everyNs > 0) {
          watched.nextNs +=
            Math.ceil((nowNs - watched.nextNs + 1) / watched.everyNs) * watched.everyNs;
        }
        const answer = this.ask(watched);
        if (answer !== true) {
          this.violate(watched, nowNs, answer);
          decided = true;
          stop ||= watched.stop;
        }
      } else if (nowNs > watched.deadlineNs) {
        // Nothing ran at the deadline: the time passed it with the predicate never true.
        this.violate(watched, watched.deadlineNs, "did not hold by its deadline");
        decided = true;
        stop ||= watched.stop;
      } else if (this.ask(watched) === true) {
        watched.satisfied = true;
        watched.active = false;
        decided = true;
      }
    }
    if (decided) this.dropDecided();
    return stop;
  }

  private ask(watched: Watched): true | string {
    watched.checks++;
    const answer = watched.predicate();
    if (answer === true) return true;
    return typeof answer === "string" ? answer : "predicate returned false";
  }

  private violate(watched: Watched, timeNs: number, message: string): void {
    watched.active = false;
    watched.violation = {
      name: watched.name,
      kind: watched.kind,
      timeNs,
      time: timeNs / 1e9,
      event: this.sim.eventsProcessed,
      message,
    };
  }

  private dropDecided(): void {
    this.active = this.active.filter((watched) => watched.active);
    if (this.active.length === 0) this.sim._setAfterEvent(null);
  }

  /**
   * An `eventually` whose deadline the clock has passed or reached (a run ends at its horizon
   * with no event there) is decided now: one last look, then violated if still false.
   */
  settleDeadlines(): void {
    if (this.sim.status === "running") return;
    const nowNs = this.sim.nowNs;
    let decided = false;
    for (const watched of this.active) {
      if (watched.kind !== "eventually" || nowNs < watched.deadlineNs) continue;
      decided = true;
      if (nowNs === watched.deadlineNs && this.ask(watched) === true) {
        watched.satisfied = true;
        watched.active = false;
      } else {
        this.violate(watched, watched.deadlineNs, "did not hold by its deadline");
      }
    }
    if (decided) this.dropDecided();
  }
}

function monitorOf(sim: Simulation): InvariantMonitor {
  let monitor = monitors.get(sim);
  if (monitor === undefined) {
    monitor = new InvariantMonitor(sim);
    monitors.set(sim, monitor);
  }
  return monitor;
}

function checkName(component: string, name: unknown): void {
  if (typeof name !== "string" || name === "") {
    throw new ConfigError(component, "name", "a non-empty string", name);
  }
}

function checkPredicate(component: string, predicate: unknown): void {
  if (typeof predicate !== "function") {
    throw new ConfigError(
      component,
      "predicate",
      "a function returning true, false or a message",
      predicate,
    );
  }
}

/**
 * `predicate` must hold after every event from now on (or, with `every`, at the first event
 * of each interval). The first failure is recorded with its time, event count and message;
 * the invariant is not checked after it.
 */
export function always(
  sim: Simulation,
  name: string,
  predicate: InvariantPredicate,
  options: AlwaysOptions = {},
): Invariant {
  checkName("always", name);
  checkPredicate("always", predicate);
  const everyNs = options.every === undefined ? 0 : durationToNs(options.every, "always", "every");
  if (options.every !== undefined && everyNs === 0) {
    throw new ConfigError("always", "every", "a duration in seconds > 0", options.every);
  }
  const watched = new Watched(
    monitorOf(sim),
    name,
    "always",
    predicate,
    options.stop === true,
    everyNs,
    sim.nowNs,
    Number.POSITIVE_INFINITY,
  );
  monitorOf(sim).add(watched);
  return watched;
}

/**
 * `predicate` must become true after some event within `within` seconds from now (checked
 * after every event until it does). Past the deadline it is violated at the deadline's time;
 * a run that ends before the deadline leaves it "pending".
 */
export function eventually(
  sim: Simulation,
  name: string,
  predicate: InvariantPredicate,
  options: EventuallyOptions,
): Invariant {
  checkName("eventually", name);
  checkPredicate("eventually", predicate);
  if (options?.within === undefined) {
    throw new ConfigError("eventually", "within", "a duration in seconds", options?.within);
  }
  const deadlineNs = sim.nowNs + durationToNs(options.within, "eventually", "within");
  const watched = new Watched(
    monitorOf(sim),
    name,
    "eventually",
    predicate,
    options.stop === true,
    0,
    0,
    deadlineNs,
  );
  monitorOf(sim).add(watched);
  return watched;
}

/** The verdict of every invariant registered on `sim`, in registration order. */
export function invariantVerdicts(sim: Simulation): InvariantVerdict[] {
  const monitor = monitors.get(sim);
  if (monitor === undefined) return [];
  return monitor.all.map((watched) => watched.verdict());
}

/** The violations among `invariantVerdicts(sim)`, earliest first (ties in registration order). */
export function invariantViolations(sim: Simulation): InvariantViolation[] {
  return invariantVerdicts(sim)
    .flatMap((verdict) => (verdict.violation === null ? [] : [verdict.violation]))
    .sort((a, b) => a.timeNs - b.timeNs || a.event - b.event);
}

/** One line per violation: `name (kind) at 1.5s, event 42: message`. */
export function formatViolation(violation: InvariantViolation): string {
  return `${violation.name} (${violation.kind}) violated at ${formatTimeNs(violation.timeNs)}, event ${violation.event}: ${violation.message}`;
}
