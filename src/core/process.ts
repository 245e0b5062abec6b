/**
 * A process: a generator function run on the simulation's clock. It yields to wait:
 * - a number: sleep that many simulated seconds;
 * - a `SimFuture`: suspend until it settles; resume with its value or have its error thrown;
 * - another `Process`: wait for it to finish (its result, or its error).
 *
 * Processes are what make models readable: a request handler is straight-line code with
 * `yield serviceTime` in the middle, not a state machine spread over callbacks.
 *
 * A process belongs to an entity. When the entity crashes its processes are cancelled, and a
 * cancelled generator is closed with `return()`, so its `finally` blocks run.
 */

import {
  CancelledError,
  describeValue,
  formatTimeNs,
  InterruptError,
  SimulationError,
} from "../errors/errors.js";
import type { Entity } from "./entity.js";
import { EventType } from "./eventQueue.js";
import { type FutureListener, SimFuture } from "./future.js";
import { PROC_INTERRUPTED } from "./processTable.js";
import type { Simulation } from "./simulation.js";
import { locateGenerator } from "./sourceLocation.js";
import { MAX_TIME_NS } from "./time.js";

/** What a process may yield. */
export type Yieldable = number | SimFuture<unknown> | Process<unknown>;

/** The generator type of a process body returning `R`. */
export type ProcessGenerator<R = unknown> = Generator<Yieldable, R, unknown>;

/**
 * Lifecycle of a process:
 * `scheduled` (started, first step pending) -> `running` (inside its step) <-> `suspended`
 * (waiting) -> one of `done`, `failed`, `interrupted` (an uncaught interrupt ended it),
 * `cancelled`.
 */
export type ProcessStatus =
  | "scheduled"
  | "running"
  | "suspended"
  | "done"
  | "failed"
  | "interrupted"
  | "cancelled";

export interface ProcessOptions {
  /** A daemon process never keeps a run alive by itself (probes, heartbeats). Default false. */
  daemon?: boolean;
  /** Name used in errors and traces. Default: the generator function's name, or "process". */
  name?: string;
}

export class Process<R = unknown> implements FutureListener {
  private _status: ProcessStatus = "scheduled";
  /** Queue token of the event that will next resume this process, or -1 (in the sim's table). */
  private get wakeToken(): number {
    return this.entity.sim._procs.wake[this.pid]!;
  }
  private set wakeToken(token: number) {
    this.entity.sim._procs.wake[this.pid] = token;
  }
  /** @internal Index in the simulation's process table. */
  readonly pid: number;
  /** The future this process is waiting on, or null. */
  private waitingOn: SimFuture<unknown> | null = null;
  private _result: SimFuture<R> | null = null;
  private _returned: R | undefined = undefined;
  private _error: unknown = undefined;
  /** Interrupts not yet delivered, oldest first. */
  private interrupts: InterruptError[] | null = null;
  /** True while the event resuming this process is an interrupt delivery. */
  private interruptScheduled = false;

  /** @internal Intrusive list of the owning entity's live processes (O(1) add and remove). */
  prevInEntity: Process<unknown> | null = null;
  /** @internal */
  nextInEntity: Process<unknown> | null = null;

  /** @internal Id of the message whose handling started this process (causality); 0 if none. */
  readonly causeId: number;
  /** @internal Origin (ns) of the causal chain that started this process; -1 if none. */
  readonly originNs: number;
  /** @internal Deadline (ns) of the chain that started this process; Infinity if none. */
  readonly deadlineNs: number;

  /** Unique per simulation, in start order (trace records name processes by it). */
  readonly id: number;

  /** @internal Use `entity.start(...)`. */
  constructor(
    readonly entity: Entity,
    private readonly generator: ProcessGenerator<R>,
    readonly name: string,
    readonly daemon: boolean,
    /** The generator function given to `start`, if any: named in errors. */
    private readonly body: ((...args: never[]) => unknown) | null = null,
  ) {
    const sim = entity.sim;
    this.id = sim._nextProcessId++;
    this.causeId = sim._currentCauseId;
    this.originNs = sim._currentOriginNs;
    this.deadlineNs = sim._currentDeadlineNs;
    this.pid = sim._procs.register(
      this as Process<unknown>,
      this.causeId,
      this.originNs,
      this.deadlineNs,
      daemon,
    );
    if (sim._tracing) {
      sim._trace({
        type: "process-started",
        timeNs: sim.nowNs,
        entity: entity.name,
        process: name,
        processId: this.id,
      });
    }
  }

  /** Tells trace listeners this process ended. */
  private traceEnd(status: "done" | "failed" | "interrupted" | "cancelled"): void {
    this.sim._trace({
      type: "process-ended",
      timeNs: this.sim.nowNs,
      entity: this.entity.name,
      process: this.name,
      processId: this.id,
      status,
    });
  }

  /**
   * True while this process's step is on the stack, even below another process's (whose
   * `finally` blocks run inside it when it cancels that process). Outside its step a live
   * process always has a wake-up event pending or a future it waits on.
   */
  private get inStep(): boolean {
    return this.isAlive && this.wakeToken < 0 && this.waitingOn === null;
  }

  /** @internal The fast path in the loop ran a step; handle whatever it did not. */
  _fastStepped(step: IteratorResult<Yieldable, R>): void {
    this.afterStep(step);
  }

  /** @internal The fast path's step threw. */
  _fastThrew(error: unknown): void {
    this.finish(error instanceof InterruptError ? "interrupted" : "failed", undefined, error);
  }

  get sim(): Simulation {
    return this.entity.sim;
  }

  get status(): ProcessStatus {
    // The loop's fast path resumes numeric sleeps without touching this object.
    return this.sim._currentProcess === (this as Process<unknown>) ? "running" : this._status;
  }

  /** True until the process has finished, one way or another. */
  get isAlive(): boolean {
    const status = this._status;
    return status === "scheduled" || status === "running" || status === "suspended";
  }

  /**
   * A future of the process's return value, which rejects with its error (or
   * `CancelledError`, `InterruptError`). Ask for it before the process can fail: a process
   * that fails while nobody holds its result fails the run.
   */
  get result(): SimFuture<R> {
    let result = this._result;
    if (result === null) {
      result = new SimFuture<R>(this.entity.sim, this.entity, `process ${this.name}`);
      this._result = result;
      result.onCancel((reason) => this.cancel(reason));
      this.settleResult();
    }
    return result;
  }

  /**
   * Throws `InterruptError(reason)` into the process at its current `yield`, at the current
   * simulated time (as an event, after the running handler). What it was waiting for is
   * abandoned (a sleep's timer is cancelled; a future is no longer waited on, and the call of
   * a `yield* call(...)` is cancelled, since nobody else can receive its answer; other futures
   * are left as they are, since others may hold them). The process may catch it and go on; if it does not, the process ends with
   * status `interrupted`, which does not fail the run. Several interrupts are delivered one at a
   * time, in order. Returns false if the process has already finished.
   */
  interrupt(reason: unknown = "interrupted"): boolean {
    if (!this.isAlive) return false;
    if (this.sim._currentProcess === this) {
      throw new SimulationError(
        `process "${this.name}" tried to interrupt itself; throw instead`,
        this.entity.name,
        this.sim.nowNs,
      );
    }
    const error = new InterruptError(reason);
    if (this.interrupts === null) this.interrupts = [error];
    else this.interrupts.push(error);
    this.sim._procs.flags[this.pid]! |= PROC_INTERRUPTED;
    // Mid-step (a process it cancelled interrupts it from a finally block), the interrupt
    // waits for the step's yield: afterStep schedules it then.
    if (!this.interruptScheduled && !this.inStep) this.scheduleInterrupt();
    return true;
  }

  /**
   * Ends the process now: closes its generator with `return()`, so `finally` blocks run
   * (they must not yield), abandons what it was waiting for as `interrupt` does, and cancels
   * its `result`. A process of a paused entity (`Entity.pause`) is cancelled when the pause
   * ends instead, in order with the entity's other held events, since a paused entity runs
   * nothing, its `finally` blocks included; it is alive until then (a crash cancels it at once).
   * Returns false if it had already finished.
   */
  cancel(reason = "cancelled"): boolean {
    if (!this.isAlive) return false;
    const sim = this.sim;
    if (sim._currentProcess === this) {
      throw new SimulationError(
        `process "${this.name}" tried to cancel itself; return instead`,
        this.entity.name,
        sim.nowNs,
      );
    }
    const entity = this.entity;
    if (entity._pauseDepth !== 0 && entity.isUp) {
      // A paused entity runs nothing, its finally blocks included: the cancel takes effect when
      // it resumes, through a timer of its own that the pause holds, in order with its other
      // held events. (A crash cancels at once: it ends the pause first by marking it down.)
      entity.after(0, cancelAfterPause, { process: this as Process<unknown>, reason });
      return true;
    }
    if (this.inStep) {
      // A generator cannot be closed while it is executing (a process it cancelled, or an
      // entity it crashed, reached back to it from a finally block).
      throw new SimulationError(
        `process "${this.name}" cannot be cancelled while its step is running`,
        this.entity.name,
        sim.nowNs,
      );
    }
    this.detach();
    this._status = "cancelled";
    this._error = new CancelledError(reason);
    this.entity._unlinkProcess(this);
    sim._procs.release(this.pid);
    if (sim._tracing) this.traceEnd("cancelled");
    // Its pid is released: it is named as the process being closed while `finally` runs.
    const previousPid = sim._currentPid;
    const previousClosing = sim._closingProcess;
    sim._currentPid = -1;
    sim._closingProcess = this;
    try {
      const step = this.generator.return(undefined as R);
      if (!step.done) {
        throw new SimulationError(
          `process "${this.name}" yielded from a finally block while being cancelled`,
          this.entity.name,
          sim.nowNs,
        );
      }
    } finally {
      sim._currentPid = previousPid;
      sim._closingProcess = previousClosing;
    }
    this._result?.cancel(reason);
    return true;
  }

  /** @internal Starts the process: its first step runs in an event at the current time. */
  _schedule(): void {
    this.wakeAt(this.sim.nowNs, EventType.Resume, undefined);
  }

  /** @internal Runs the first step now, inside the current event (a handler's process). */
  _startNow(): void {
    this.advance(undefined, false);
  }

  /** @internal Called by the loop for a Resume event. */
  _resume(value: unknown): void {
    this.wakeToken = -1;
    this.advance(value, false);
  }

  /** @internal Called by the loop for a Throw event. */
  _throw(error: unknown): void {
    this.wakeToken = -1;
    this.interruptScheduled = false;
    this.advance(error, true);
  }

  /** @internal A future this process waits on has settled: resume it at the current time. */
  futureSettled(future: SimFuture<unknown>): void {
    this.waitingOn = null;
    if (future.state === "resolved") this.wakeAt(this.sim.nowNs, EventType.Resume, future.value);
    else this.wakeAt(this.sim.nowNs, EventType.Throw, future.error);
  }

  /** Schedules the event that next resumes (or throws into) this process. */
  private wakeAt(timeNs: number, type: EventType, payload: unknown): void {
    this.wakeToken = this.sim.queue.push(timeNs, type, this, payload, this.entity, this.daemon);
  }

  private advance(input: unknown, isThrow: boolean): void {
    const sim = this.sim;
    const previous = sim._currentPid;
    sim._currentPid = this.pid;
    this._status = "running";
    let step: IteratorResult<Yieldable, R>;
    try {
      step = isThrow ? this.generator.throw(input) : this.generator.next(input);
    } catch (error) {
      sim._currentPid = previous;
      this.finish(error instanceof InterruptError ? "interrupted" : "failed", undefined, error);
      return;
    }
    sim._currentPid = previous;
    this.afterStep(step);
  }

  private afterStep(step: IteratorResult<Yieldable, R>): void {
    const sim = this.sim;
    if (step.done === true) {
      this.finish("done", step.value, undefined);
      return;
    }
    this._status = "suspended";
    const yielded = step.value;
    if (typeof yielded === "number") {
      // Inlined durationToNs: this is the hot path of every process that sleeps. The wake-up
      // must fall in the exact range of integer ns (written so that NaN fails too).
      const wakeNs = sim.nowNs + Math.round(yielded * 1e9);
      if (!(yielded >= 0 && wakeNs <= MAX_TIME_NS)) this.badYield(yielded);
      this.wakeToken = sim.queue.push(
        wakeNs,
        EventType.ResumeFast,
        this.generator,
        this.pid,
        this.entity,
        this.daemon,
      );
    } else if (yielded instanceof SimFuture) {
      this.waitFor(yielded);
    } else if (yielded instanceof Process) {
      this.waitFor(yielded.result as SimFuture<unknown>);
    } else {
      this.badYield(yielded);
    }
    if (this.interrupts !== null && !this.interruptScheduled) this.scheduleInterrupt();
  }

  private waitFor(future: SimFuture<unknown>): void {
    // If the future has settled already, addListener calls futureSettled at once, which
    // schedules the wake-up and clears waitingOn again.
    this.waitingOn = future;
    future.addListener(this);
  }

  /** Abandons what the process is waiting for. */
  private detach(): void {
    if (this.wakeToken >= 0) {
      this.sim.queue.cancel(this.wakeToken);
      this.wakeToken = -1;
    }
    const future = this.waitingOn;
    if (future !== null) {
      future.removeListener(this);
      this.waitingOn = null;
      if (future._privateToWaiter) future.cancel("abandoned by its process");
    }
  }

  private scheduleInterrupt(): void {
    const error = this.interrupts!.shift()!;
    if (this.interrupts!.length === 0) {
      this.interrupts = null;
      this.sim._procs.flags[this.pid]! &= ~PROC_INTERRUPTED;
    }
    this.detach();
    this.interruptScheduled = true;
    this.wakeAt(this.sim.nowNs, EventType.Throw, error);
  }

  private finish(status: ProcessStatus, value: R | undefined, error: unknown): void {
    this._status = status;
    this._returned = value;
    this._error = error;
    this.interrupts = null;
    this.sim._procs.flags[this.pid]! &= ~PROC_INTERRUPTED;
    this.entity._unlinkProcess(this);
    this.sim._procs.release(this.pid);
    if (this.sim._tracing) this.traceEnd(status as "done" | "failed" | "interrupted");
    if (this._result !== null) {
      this.settleResult();
    } else if (status === "failed") {
      // Nobody holds the result, so nobody can handle the error: fail the run here, at the
      // simulated time it happened, rather than lose it.
      throw new SimulationError(
        `process "${this.name}" failed: ${error instanceof Error ? error.message : describeValue(error)}`,
        this.entity.name,
        this.sim.nowNs,
        { cause: error },
      );
    }
  }

  private settleResult(): void {
    const result = this._result!;
    switch (this._status) {
      case "done":
        result.resolve(this._returned as R);
        break;
      case "failed":
        result.reject(this._error);
        break;
      case "interrupted":
        // A modelled outcome, like cancellation: it fails nothing by itself, but a waiter
        // still gets the InterruptError at its yield.
        result.defuse();
        result.reject(this._error);
        break;
      case "cancelled":
        result.cancel((this._error as CancelledError).reason);
        break;
      default:
        break;
    }
  }

  /**
   * The code this process runs, for errors: its entity's generator method (found by the
   * generator's prototype, so nothing is kept per process for it) or the function given to
   * `start`, with the first line of its source, and the message whose handling started it.
   */
  private whereDefined(withSource = true): string {
    const made = Object.getPrototypeOf(this.generator) as object | null;
    let where: string | null = null;
    for (
      let o: object | null = this.entity;
      o !== null && where === null;
      o = Object.getPrototypeOf(o)
    ) {
      for (const key of Object.getOwnPropertyNames(o)) {
        const value = Object.getOwnPropertyDescriptor(o, key)?.value as { prototype?: unknown };
        if (typeof value === "function" && value.prototype === made) {
          where = `${this.entity.constructor.name}.${key}${withSource ? `: ${sourceHead(value)}` : ""}`;
          break;
        }
      }
    }
    if (where === null) {
      where =
        this.body === null || !withSource
          ? `a generator named "${this.name}"`
          : sourceHead(this.body);
    }
    return this.causeId > 0 ? `${where}, started while handling message ${this.causeId}` : where;
  }

  /**
   * " at file:line:column" where the generator stopped, when a locator is installed (Node).
   * Inside a `yield*`, that is the delegating line: the value came from the generator it calls.
   */
  private yieldSite(): string {
    const site = locateGenerator(this.generator);
    return site === null ? "" : ` at ${site}`;
  }

  private badYield(yielded: unknown): never {
    const sim = this.sim;
    this._status = "failed";
    this.detach();
    this.entity._unlinkProcess(this);
    sim._procs.release(this.pid);
    if (sim._tracing) this.traceEnd("failed");
    const site = this.yieldSite();
    // The source's first line helps only where no file:line does (and under tsx it is the
    // compiled text, a minified one-liner).
    const runs = this.whereDefined(site === "");
    let what: string;
    if (isGenerator(yielded)) {
      what = `yielded a generator object${site}: did you mean yield* (yield* this.call(...), yield* this.method())? A generator runs only when delegated to with yield*`;
    } else if (typeof yielded === "number" && yielded >= 0) {
      what = `yielded ${describeValue(yielded)}${site}: too far; a wait must wake by t=${formatTimeNs(MAX_TIME_NS)}`;
    } else {
      what = `yielded ${describeValue(yielded)}${site}; a process may yield a number of seconds (>= 0), a SimFuture or a Process`;
    }
    throw new SimulationError(
      `process "${this.name}" ${what}. The process runs ${runs}`,
      this.entity.name,
      sim.nowNs,
    );
  }
}

/** A generator object (what calling a generator function returns), not yet delegated to. */
function isGenerator(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const g = value as { next?: unknown; throw?: unknown; return?: unknown };
  return (
    typeof g.next === "function" && typeof g.throw === "function" && typeof g.return === "function"
  );
}

/** The first line of a function's source text (engines keep it exactly), shortened. */
function sourceHead(fn: { toString(): string }): string {
  const head = Function.prototype.toString.call(fn).split("\n", 1)[0]!.trim();
  return head.length > 80 ? `${head.slice(0, 77)}...` : head;
}

/** Named, so the trace's timer record says what the timer was for. */
function cancelAfterPause(deferred: { process: Process<unknown>; reason: string }): void {
  deferred.process.cancel(deferred.reason);
}
