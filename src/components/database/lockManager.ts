/**
 * `LockManager`: shared and exclusive row locks for transactions, with FIFO waiting, upgrades,
 * a lock wait timeout and deadlock detection over the wait-for graph. A transaction is a
 * `LockOwner` (`locks.begin()`); its process asks `yield* locks.acquire(owner, key, mode)` and
 * ends with `locks.releaseAll(owner)` (commit or rollback: strict two-phase locking). A
 * `Database` keeps its row locks in one.
 *
 * It exists to show what lock contention costs and how deadlocks end. Two transactions that
 * lock A then B and B then A wait for each other forever; only an abort breaks the cycle. With
 * detection on every block (`deadlockDetection: "onBlock"`, InnoDB's way) the cycle is found
 * the instant it closes; with a periodic detector (`{ interval }`, SQL Server's lock monitor)
 * within one interval; with detection off only the lock wait timeout ends it, after every
 * member sat out its whole wait.
 *
 * Rules: `LockTable` (beside this file) states the compatibility, queueing and upgrade rules
 * and the wait-for graph. Detection: on a block, a depth-first search from the blocked owner
 * (O(waiting owners + edges)), in the same instant; periodically, one search of the whole
 * graph at every multiple of `interval` from time 0 while anyone waits (a timer armed only
 * then, so an idle manager schedules nothing). Each cycle found aborts one victim
 * (`deadlockVictim`): its wait throws `DeadlockError` and every lock it holds is freed at
 * once; it is finished (a retry begins a new owner). The search runs again until no cycle
 * remains. Detection costs no simulated time; the delay from a cycle closing (when its last
 * member began to wait) to its detection is recorded.
 *
 * A lock wait timeout ends only the wait (`LockWaitTimeoutError`): the owner keeps its locks
 * and decides (a `Database` rolls the transaction back). A waiting process that is cancelled
 * leaves the queue. A crash of the manager frees every lock and fails every waiter
 * (`RemoteError`); owners from before it are finished.
 *
 * @example
 * const locks = new LockManager(sim, "locks", { lockWaitTimeout: 5 });
 * worker.start(function* () {
 *   const tx = locks.begin("transfer");
 *   try {
 *     yield* locks.acquire(tx, "account:1", "exclusive");
 *     yield* locks.acquire(tx, "account:2", "exclusive");
 *     yield 0.01;
 *   } finally {
 *     locks.releaseAll(tx);
 *   }
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, SimulationError, TimeoutError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { type Param, valueAt } from "../../random/profile.js";
import { percentiles } from "../resource/statistics.js";
import { requireSeconds, requireSecondsParam } from "../shared/validate.js";
import {
  chooseVictim,
  type DeadlockVictimRule,
  type LockKey,
  type LockMode,
  LockOwner,
  type LockRequest,
  LockTable,
} from "./lockTable.js";

/** When deadlocks are looked for. */
export type DeadlockDetection = "onBlock" | "off" | { readonly interval: number };

export interface LockManagerOptions {
  /**
   * Seconds a request may wait for its lock before it throws `LockWaitTimeoutError` (> 0): a
   * number or a profile, read when the request starts waiting. Default 50 (InnoDB's
   * `innodb_lock_wait_timeout`).
   */
  lockWaitTimeout?: Param;
  /**
   * "onBlock" (default): look for a cycle each time a request blocks. `{ interval: s }`: look
   * for cycles at every multiple of `interval` seconds while anyone waits. "off": never; only
   * the lock wait timeout ends a deadlock.
   */
  deadlockDetection?: DeadlockDetection;
  /**
   * Which member of a cycle to abort: "youngest" (default: the one that began last, which has
   * done the least work) or "fewestLocks" (the one holding the fewest locks; ties go to the
   * youngest).
   */
  deadlockVictim?: DeadlockVictimRule;
}

/** A lock manager's numbers, over its lifetime or since the last statistics reset. */
export interface LockManagerStats {
  /**
   * Lock requests (`acquire` and `tryAcquire` calls that got or waited for a lock, and refused
   * ones). At every instant `requests = granted + rejected + timedOut + deadlocks + aborted +
   * lostToCrash + queued`.
   */
  readonly requests: number;
  /** Granted, at once or after waiting. */
  readonly granted: number;
  /** Refused at once: the manager was down, or `tryAcquire` found the lock taken. */
  readonly rejected: number;
  /** Waits ended by the lock wait timeout. */
  readonly timedOut: number;
  /** Deadlock cycles found; each aborted one victim, whose wait ended. */
  readonly deadlocks: number;
  /** Waits ended otherwise: `abort`, `releaseAll` of a waiting owner, a cancelled process. */
  readonly aborted: number;
  /** Waits the manager's crash ended. */
  readonly lostToCrash: number;
  /** Requests waiting now. */
  readonly queued: number;
  /** Requests that had to wait (however the wait ended). */
  readonly lockWaits: number;
  /** Locks held now. */
  readonly held: number;
  /** Owners open now. */
  readonly owners: number;
  /** Mean seconds a granted wait lasted (0 before the first). */
  readonly meanLockWait: number;
  readonly p99LockWait: number;
  /** Mean seconds a wait that ended without the lock lasted (victim, timeout, abort). */
  readonly meanAbortedWait: number;
  /** Mean seconds from a cycle closing to its detection (0 before the first). */
  readonly meanDetectionDelay: number;
  readonly maxDetectionDelay: number;
}

/** A deadlock victim's wait ends with this; the owner's locks are already freed. */
export class DeadlockError extends RemoteError {
  override name = "DeadlockError";
  constructor(
    manager: string,
    /** Labels of the cycle's owners, the victim first. */
    readonly cycle: readonly string[],
  ) {
    super(`deadlock victim (cycle ${cycle.join(" -> ")})`, manager);
  }
}

/** A lock wait ran out of time; the owner keeps the locks it holds. */
export class LockWaitTimeoutError extends TimeoutError {
  override name = "LockWaitTimeoutError";
  constructor(
    seconds: number,
    readonly key: LockKey,
  ) {
    super(seconds);
    this.message = `no lock on ${JSON.stringify(key)} within ${seconds}s`;
  }
}

export class LockManager extends Entity<never> {
  static readonly catalog: CatalogEntry = {
    name: "LockManager",
    kind: "component",
    role: "coordination",
    layer: "local",
    contract:
      "Grants shared and exclusive locks on keys to owners: shared with shared only, FIFO among waiters (an arrival never overtakes one; upgrades go ahead of other waiters). Waits end with the lock, a LockWaitTimeoutError after lockWaitTimeout, or a DeadlockError for the victim of a wait-for cycle, found on every block or periodically, whose locks are freed at once.",
    requires: ["Queue", "Timeout", "Graph"],
    provides: ["Exclusive", "Ordered", "Reserve", "Release"],
    inputs: ["acquire(owner, key, mode), release(owner, key), releaseAll(owner) from processes"],
    outputs: [
      "grants, DeadlockError, LockWaitTimeoutError",
      "requests, granted, rejected, timedOut, deadlocks, aborted, lostToCrash, queued, lockWaits, lock wait and detection delay",
    ],
    state: "holders and waiting queues per key, owners (volatile)",
    failure_semantics:
      "A deadlock aborts one victim (youngest or fewest locks) and frees its locks; a lock wait timeout ends only the wait. A crash frees every lock, fails every waiter with RemoteError and finishes every owner.",
    composition_rules: ["Database"],
    operational_knobs: knobs<LockManagerOptions>()(
      "lockWaitTimeout",
      "deadlockDetection",
      "deadlockVictim",
    ),
  };

  /** As given: seconds, or a profile read when a request starts waiting. */
  readonly lockWaitTimeout: Param;
  readonly deadlockDetection: DeadlockDetection;
  readonly deadlockVictim: DeadlockVictimRule;
  /** Seconds each granted wait lasted. */
  readonly waitTime = new Histogram();
  /** Seconds each wait that ended without the lock lasted. */
  readonly abortedWaitTime = new Histogram();
  /** Seconds from a cycle closing to its detection. */
  readonly detectionDelay = new Histogram();
  private readonly table = new LockTable();
  /** Open owners, in begin order. */
  private readonly owners = new Set<LockOwner>();
  private readonly intervalNs: number;
  private nextOwnerId = 0;
  private tickToken = -1;
  private counts = zeroCounts();

  constructor(sim: Simulation, name: string, options: LockManagerOptions = {}) {
    const checked = checkLockManagerOptions(`LockManager "${name}"`, options);
    super(sim, name);
    this.lockWaitTimeout = checked.lockWaitTimeout;
    this.deadlockDetection = checked.deadlockDetection;
    this.deadlockVictim = checked.deadlockVictim;
    const detection = this.deadlockDetection;
    this.intervalNs = typeof detection === "object" ? Math.round(detection.interval * 1e9) : 0;
  }

  get stats(): LockManagerStats {
    const c = this.counts;
    const wait = this.waitTime;
    const delay = this.detectionDelay;
    return {
      ...c,
      queued: this.table.waiting,
      held: this.table.held,
      owners: this.owners.size,
      meanLockWait: wait.count > 0 ? wait.mean : 0,
      p99LockWait: percentiles("", wait).p99!,
      meanAbortedWait: this.abortedWaitTime.count > 0 ? this.abortedWaitTime.mean : 0,
      meanDetectionDelay: delay.count > 0 ? delay.mean : 0,
      maxDetectionDelay: delay.count > 0 ? delay.max : 0,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  /** A new owner (a transaction), younger than every owner before it. */
  begin(label?: string): LockOwner {
    if (!this.isUp) throw new RemoteError("lock manager down", this.name);
    const id = ++this.nextOwnerId;
    const owner = new LockOwner(this, id, label ?? `owner ${id}`, this.nowNs);
    this.owners.add(owner);
    return owner;
  }

  /**
   * `yield* locks.acquire(owner, key, mode)`: the lock at once if `LockTable`'s rules allow,
   * else waits its turn. Asking exclusive while holding shared upgrades. Throws `DeadlockError`
   * if the owner is chosen as a deadlock victim (its locks are freed), `LockWaitTimeoutError`
   * after `lockWaitTimeout`, `RemoteError` if the manager is down, crashes meanwhile or lost
   * the owner in a crash. An owner waits for one lock at a time. Returns whether it waited.
   */
  *acquire(
    owner: LockOwner,
    key: LockKey,
    mode: LockMode,
  ): Generator<SimFuture<void>, boolean, unknown> {
    this.checkRequest(owner, key, mode, "acquire");
    const c = this.counts;
    c.requests++;
    if (!this.isUp || owner._status === "lost") {
      c.rejected++;
      throw new RemoteError(this.isUp ? "owner lost in a crash" : "lock manager down", this.name);
    }
    const request = this.table.request(owner, key, mode, this.nowNs);
    if (request === null) {
      c.granted++;
      return false;
    }
    c.lockWaits++;
    const future = this.future<void>(`lock ${String(key)}`);
    request._future = future;
    // A waiter whose process is cancelled (its entity crashed, it lost a race) leaves the queue
    // (`_waitCancelled`); the request itself is the hook, so no closure per wait.
    request._onCancel = this;
    future._privateToWaiter = true;
    future._onCancelHook(request);
    const timeout = valueAt(this.lockWaitTimeout, this.now);
    request._timerToken = this.after(timeout, this.expire, request);
    if (this.deadlockDetection === "onBlock") this.resolveDeadlocks([owner]);
    else if (this.intervalNs > 0) this.armTick();
    yield future;
    return true;
  }

  /** The lock now if `acquire` would grant it at once, else false (nothing waits). For handlers. */
  tryAcquire(owner: LockOwner, key: LockKey, mode: LockMode): boolean {
    this.checkRequest(owner, key, mode, "tryAcquire");
    const c = this.counts;
    c.requests++;
    if (!this.isUp || owner._status === "lost" || !this.table.grantable(owner, key, mode)) {
      c.rejected++;
      return false;
    }
    this.table.request(owner, key, mode, this.nowNs);
    c.granted++;
    return true;
  }

  /** Frees `owner`'s lock on `key` early (a shared lock under read committed); waiters go in. */
  release(owner: LockOwner, key: LockKey): void {
    if (!this.usable(owner, "release")) return;
    if (owner._waiting !== null) throw this.misuse(`release(): ${owner.label} is waiting`);
    this.granted(this.table.release(owner, key));
  }

  /**
   * Ends `owner` (commit or rollback): frees every lock it holds, ends its wait if it waits
   * (counted in `aborted`), and finishes it. An owner already finished by a deadlock, an
   * `abort` or a crash is left alone, so a `finally` may always call it.
   */
  releaseAll(owner: LockOwner): void {
    this.end(owner, null, "releaseAll");
  }

  /**
   * Ends `owner` from outside its process (its transaction was killed): a wait it is in throws
   * `error` (default a `RemoteError` "aborted"), its locks are freed and it is finished.
   */
  abort(owner: LockOwner, error?: Error): void {
    this.end(owner, error ?? new RemoteError("aborted", this.name), "abort");
  }

  /** Ends an open owner: its wait (if any) throws `error`, its locks are freed. */
  private end(owner: LockOwner, error: Error | null, api: string): void {
    if (!this.usable(owner, api)) return;
    const request = owner._waiting;
    if (request !== null) {
      this.endWait(request, error ?? new RemoteError("released while waiting", this.name));
      this.counts.aborted++;
    }
    owner._status = "finished";
    this.owners.delete(owner);
    this.granted(this.table.releaseAll(owner));
  }

  /** Owners holding `key`, with their modes, in grant order. */
  holders(key: LockKey): ReadonlyMap<LockOwner, LockMode> {
    return this.table.holdersOf(key);
  }

  /** Owners waiting for `key`, head of the queue first. */
  waiters(key: LockKey): LockOwner[] {
    return this.table.queueOf(key).map((request) => request.owner);
  }

  /** The owners `owner` waits for now (the wait-for graph's edges from it). */
  waitsFor(owner: LockOwner): LockOwner[] {
    return this.table.waitsFor(owner);
  }

  /**
   * Looks for deadlocks now, whatever `deadlockDetection` says, and aborts a victim of each
   * cycle found; returns how many.
   */
  detectDeadlocks(): number {
    return this.resolveDeadlocks(null);
  }

  /**
   * Aborts a victim of each cycle reachable from `from` (every waiting owner when null) until
   * none is left; returns how many.
   */
  private resolveDeadlocks(from: readonly LockOwner[] | null): number {
    let found = 0;
    const table = this.table;
    for (;;) {
      const cycle = from === null ? table.findCycle() : table.findCycle(from);
      if (cycle === null) return found;
      found++;
      let closedNs = 0;
      for (const member of cycle) closedNs = Math.max(closedNs, member._waiting!.sinceNs);
      this.detectionDelay.record((this.nowNs - closedNs) / 1e9);
      const victim = chooseVictim(cycle, this.deadlockVictim);
      const members = cycle.map((member) => member.label);
      const at = cycle.indexOf(victim);
      const error = new DeadlockError(this.name, [...members.slice(at), ...members.slice(0, at)]);
      this.endWait(victim._waiting!, error);
      this.counts.deadlocks++;
      victim._status = "finished";
      this.owners.delete(victim);
      this.granted(table.releaseAll(victim));
      if (from !== null && !from.some((owner) => owner._waiting !== null)) return found;
    }
  }

  /** @internal A waiting request's process gave up: it leaves the queue. */
  _waitCancelled(request: LockRequest): void {
    if (request.owner._waiting !== request) return;
    request._future = null;
    this.endWait(request, CANCELLED);
    this.counts.aborted++;
    this.granted(this.table.withdraw(request));
  }

  /** Stops a wait's timer, records how long it lasted, and settles it with `error`. */
  private endWait(request: LockRequest, error: Error | null): void {
    if (request._timerToken >= 0) this.cancelTimer(request._timerToken);
    request._timerToken = -1;
    const waited = (this.nowNs - request.sinceNs) / 1e9;
    if (error === null) this.waitTime.record(waited);
    else this.abortedWaitTime.record(waited);
    const future = request._future;
    request._future = null;
    request._onCancel = null;
    if (future === null) return;
    if (error === null) future.resolve();
    else future.reject(error);
  }

  /** Wakes the requests a release or a withdrawal granted, in grant order. */
  private granted(requests: readonly LockRequest[]): void {
    for (const request of requests) {
      this.counts.granted++;
      this.endWait(request, null);
    }
  }

  /**
   * The lock wait timeout ran out. The request leaves the queue here, in the timer's event: a
   * lock freed later in this instant is not handed to it (one freed earlier already was).
   */
  private readonly expire = (request: LockRequest): void => {
    if (request.owner._waiting !== request) return;
    request._timerToken = -1;
    const timeout = new LockWaitTimeoutError((this.nowNs - request.sinceNs) / 1e9, request.key);
    const granted = this.table.withdraw(request);
    this.endWait(request, timeout);
    this.counts.timedOut++;
    this.granted(granted);
  };

  /** Arms the periodic detector at the next multiple of the interval (while anyone waits). */
  private armTick(): void {
    if (this.tickToken >= 0) return;
    const dueNs = (Math.floor(this.nowNs / this.intervalNs) + 1) * this.intervalNs;
    this.tickToken = this.after((dueNs - this.nowNs) / 1e9, this.tick);
  }

  private readonly tick = (): void => {
    this.tickToken = -1;
    this.resolveDeadlocks(null);
    if (this.table.waiting > 0) this.armTick();
  };

  private checkRequest(owner: LockOwner, key: LockKey, mode: LockMode, api: string): void {
    if (mode !== "shared" && mode !== "exclusive") {
      throw new ConfigError(
        `LockManager "${this.name}".${api}`,
        "mode",
        '"shared" or "exclusive"',
        mode,
      );
    }
    if (typeof key !== "string" && (typeof key !== "number" || !Number.isFinite(key))) {
      throw new ConfigError(
        `LockManager "${this.name}".${api}`,
        "key",
        "a string or a finite number",
        key,
      );
    }
    if (!(owner instanceof LockOwner) || !this.isOwn(owner)) {
      throw this.misuse(`${api}(): not an owner of this lock manager`);
    }
    if (owner._status === "finished") {
      throw this.misuse(
        `${api}(): ${owner.label} is finished (released, aborted or a deadlock victim)`,
      );
    }
    if (owner._waiting !== null) {
      throw this.misuse(`${api}(): ${owner.label} is already waiting for a lock`);
    }
  }

  /** False for an owner with nothing to free (finished or lost); throws for a foreign one. */
  private usable(owner: LockOwner, api: string): boolean {
    if (!(owner instanceof LockOwner) || !this.isOwn(owner)) {
      throw this.misuse(`${api}(): not an owner of this lock manager`);
    }
    return owner._status === "open";
  }

  private isOwn(owner: LockOwner): boolean {
    return owner._manager === this;
  }

  private misuse(message: string): SimulationError {
    return new SimulationError(`LockManager "${this.name}" ${message}`, this.name, this.nowNs);
  }

  protected override onCrash(): void {
    // The crash cancelled the deadline and detector timers. Every waiter fails, every owner is lost.
    this.tickToken = -1;
    const waiting = [...this.table.waiters()].map((owner) => owner._waiting!);
    for (const owner of this.owners) {
      owner._status = "lost";
      owner._held.clear();
      owner._waiting = null;
    }
    this.owners.clear();
    this.table.clear();
    for (const request of waiting) {
      request._timerToken = -1;
      this.counts.lostToCrash++;
      this.endWait(request, new RemoteError("lock manager crashed", this.name));
    }
  }

  protected override onResetStats(): void {
    this.counts = zeroCounts();
    // Waiters are counted again, as if they had just asked.
    this.counts.requests = this.table.waiting;
    this.waitTime.reset();
    this.abortedWaitTime.reset();
    this.detectionDelay.reset();
  }
}

/** Ends a cancelled wait's bookkeeping: nobody is left to tell. */
const CANCELLED = new Error("cancelled");

function zeroCounts() {
  return {
    requests: 0,
    granted: 0,
    rejected: 0,
    timedOut: 0,
    deadlocks: 0,
    aborted: 0,
    lostToCrash: 0,
    lockWaits: 0,
  };
}

/** The options of a lock manager, checked and defaulted before it registers. */
function checkLockManagerOptions(component: string, options: LockManagerOptions) {
  const lockWaitTimeout = requireSecondsParam(
    component,
    "lockWaitTimeout",
    options?.lockWaitTimeout ?? 50,
  );
  const given = options.deadlockDetection;
  const detection = given === undefined ? "onBlock" : given;
  if (detection !== "onBlock" && detection !== "off") {
    if (typeof detection !== "object" || detection === null) {
      throw new ConfigError(
        component,
        "deadlockDetection",
        '"onBlock", "off" or { interval: seconds }',
        detection,
      );
    }
    requireSeconds(component, "deadlockDetection.interval", detection.interval);
    // Time is whole nanoseconds: an interval that rounds to none would turn detection off.
    if (Math.round(detection.interval * 1e9) < 1) {
      throw new ConfigError(
        component,
        "deadlockDetection.interval",
        "a duration in seconds of at least 1 ns",
        detection.interval,
      );
    }
  }
  const deadlockVictim = options.deadlockVictim ?? "youngest";
  if (deadlockVictim !== "youngest" && deadlockVictim !== "fewestLocks") {
    throw new ConfigError(
      component,
      "deadlockVictim",
      '"youngest" or "fewestLocks"',
      deadlockVictim,
    );
  }
  return { lockWaitTimeout, deadlockDetection: detection, deadlockVictim };
}
