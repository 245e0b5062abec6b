/**
 * `Simulation`: the clock, the pending events, the entities, and the loop that runs them.
 *
 * The step is the heart of the engine and is kept to one short loop: pop the earliest event,
 * set the clock, dispatch on the event's type, fold it into the trace hash. Everything that is
 * not needed on every event (pause requests, unobserved rejections) hangs off one flag, so an
 * unused feature costs one predictable branch.
 *
 * @example
 * const sim = new Simulation({ seed: 42 });
 * const server = new Server(sim, "server");
 * const summary = sim.run({ until: 60 });
 * console.log(summary.eventsProcessed, summary.traceHash);
 */

import {
  ConfigError,
  describeValue,
  formatTimeNs,
  groupDigits,
  RunawayError,
  SimulationError,
} from "../errors/errors.js";
import { fmix32 } from "../random/hash.js";
import { RandomStream } from "../random/randomStream.js";
import type { Entity, EntitySummary } from "./entity.js";
import { EventQueue, EventType, MAX_PENDING_EVENTS } from "./eventQueue.js";
import { SimFuture } from "./future.js";
import type { Message } from "./message.js";
import { directTransport, type SendOptions, sendMessage, type Transport } from "./messaging.js";
import type { Process } from "./process.js";
import { ProcessTable } from "./processTable.js";
import { durationToNs, MAX_TIME_NS, timeToNs } from "./time.js";
import type { FaultRecord, TraceListener, TraceRecord } from "./trace.js";
import { wallMilliseconds } from "./wallClock.js";

export type { Transport } from "./messaging.js";

export interface SimulationOptions {
  /**
   * Root seed: an integer in [0, 2^53). Every random draw in the run comes from a stream
   * derived from it, so the same seed and model give the same run, event for event.
   */
  seed: number;
  /**
   * Runaway guards: a run that passes one fails with a `RunawayError` naming what grew, its
   * size and the simulated time, instead of running on until the process is out of memory.
   * Each is an integer >= 1, or `Infinity` to disable it. Defaults: `DEFAULT_LIMITS`.
   */
  limits?: SimulationLimits;
}

/**
 * Limits on what a run may hold at once. They are guards against a model that runs away (a
 * queue growing without bound under overload), not capacities that shape a model: a model
 * that should refuse work bounds its queues with the components' own options
 * (`queueCapacity`, `maxWaiting`, a store's `capacity`).
 */
export interface SimulationLimits {
  /**
   * Most items one unbounded waiting queue may hold: a Server's, ThreadPool's or Resource's
   * waiting line (one with no `queueCapacity`), a Store's items (no `capacity`), the
   * processes waiting on a Store or Container. A queue bounded by its own option is not
   * checked (it cannot run away). Default 1,000,000.
   */
  maxQueueLength?: number;
  /**
   * Most events pending at once (timers, messages in flight, sleeping processes; cancelled
   * events count until their time comes). Default 10,000,000; `Infinity` leaves only the
   * event queue's own ceiling, `MAX_PENDING_EVENTS` (2^26).
   */
  maxPendingEvents?: number;
}

/** The runaway guards' defaults: far above what a stable model holds, well below a full heap. */
export const DEFAULT_LIMITS: Readonly<Required<SimulationLimits>> = Object.freeze({
  maxQueueLength: 1_000_000,
  maxPendingEvents: 10_000_000,
});

export interface RunOptions {
  /**
   * Horizon in seconds: every event at or before it runs, daemon or not, none after it, and
   * the clock ends exactly at `until`. Without it the run ends when only daemon events remain.
   */
  until?: number;
  /** Stop after this many events (a guard against a model that never quiets down). */
  maxEvents?: number;
  /**
   * Seconds of warm-up, counted from the start of this call (>= 0, and the warm-up must end by
   * `until`, which it needs): every entity's statistics are reset (`resetStats()`) once every
   * event at or before its end has run, so they cover only (now + warmup, until]. Exactly
   * `run({ until: now + warmup }); sim.resetStats(); run({ until })`, in one call: the trace
   * is the same as without it. Each call resets at most once; a later call without `warmup`
   * does not reset again.
   */
  warmup?: number;
}

/** Why a run returned. */
export type StopReason =
  /** No non-daemon events remain (runs without `until`), or no events at all. */
  | "drained"
  /** The horizon `until` was reached. */
  | "until"
  /** A handler called `sim.pause()`; `resume()` continues. */
  | "paused"
  /** The predicate of `runUntil` became true. */
  | "predicate"
  /** An invariant registered with `stop: true` was violated (`always`, `eventually` in distsim/check). */
  | "invariant"
  /** `maxEvents` (or the count given to `step`) events ran. */
  | "event-limit";

/** Lifecycle of a simulation. */
export type SimulationStatus = "idle" | "running" | "paused" | "failed";

export interface RunSummary {
  readonly reason: StopReason;
  readonly seed: number;
  /** Events processed by this call. */
  readonly eventsProcessed: number;
  /** Events processed since the simulation was created. */
  readonly totalEvents: number;
  /** Simulated time at the end of this call, in seconds. */
  readonly time: number;
  /** Simulated time at the end of this call, in integer nanoseconds. */
  readonly timeNs: number;
  /** Simulated seconds covered by this call. */
  readonly simulatedSeconds: number;
  /** Wall-clock seconds this call took. */
  readonly wallSeconds: number;
  /** Events per wall-clock second in this call. */
  readonly eventsPerWallSecond: number;
  /**
   * Non-daemon events still pending (cancelled and daemon ones not counted): what would keep
   * a run without `until` going.
   */
  readonly pendingEvents: number;
  /** Hash of every event processed since creation: equal hashes mean equal runs. */
  readonly traceHash: string;
  /**
   * Every entity at the end of this call, in creation order, with its counters and metrics.
   * Built when first read (then kept): read it before the simulation runs on or resets its
   * statistics, or the read throws rather than show later numbers.
   */
  readonly entities: readonly EntitySummary[];
}

const NO_HORIZON = Number.POSITIVE_INFINITY;

export class Simulation {
  readonly seed: number;
  /** The runaway guards of this simulation (see `SimulationLimits`), defaults filled in. */
  readonly limits: Readonly<Required<SimulationLimits>>;
  /** Current simulated time, in integer nanoseconds. */
  nowNs = 0;
  /** @internal The pending events. */
  readonly queue = new EventQueue();
  /** Where `send` hands messages; by default they are delivered after their delay, exactly. */
  transport: Transport;
  /** The default transport, kept to tell whether a network has replaced it. */
  private readonly direct: Transport;

  /**
   * @internal Pid of the process whose step is running, or -1. A pid, not the `Process`: the
   * simulation is long-lived and a process usually young, so storing the object (twice per
   * step) paid a write barrier each time; a small integer pays none.
   */
  _currentPid = -1;
  /** @internal A process being cancelled (its pid already released) while `finally` blocks run. */
  _closingProcess: Process<unknown> | null = null;

  /** @internal The process whose step is running (or that is being closed), if any. */
  get _currentProcess(): Process<unknown> | null {
    const pid = this._currentPid;
    return pid >= 0 ? this._procs.obj[pid]! : this._closingProcess;
  }
  /** @internal Id of the message whose handling is running (causal parent of new messages). */
  _currentCauseId = 0;
  /** @internal Origin (ns) of the causal chain being handled; -1 outside any chain. */
  _currentOriginNs = -1;
  /** @internal Deadline (ns) of the chain being handled; Infinity (`NO_DEADLINE`) if none. */
  _currentDeadlineNs = Number.POSITIVE_INFINITY;

  /** @internal True while anyone listens to the trace stream: the one branch at each emission point. */
  _tracing = false;
  /** @internal Id of the next process started. */
  _nextProcessId = 1;

  /** @internal Hot per-process state for the loop's fast path (see processTable.ts). */
  readonly _procs = new ProcessTable();

  private _status: SimulationStatus = "idle";
  private readonly entityList: Entity<unknown, unknown>[] = [];
  private readonly entityByName = new Map<string, Entity<unknown, unknown>>();
  private readonly streams = new Map<string, RandomStream>();
  /** @internal Id of the next message sent. */
  _nextMessageId = 1;
  private totalEvents = 0;
  private hashA = 0x243f6a88;
  private hashB = 0x85a308d3;
  /** Set when the loop must look at something after the current event. */
  private attention = false;
  private pauseRequested = false;
  private unobserved: SimFuture<unknown>[] = [];
  private failure: SimulationError | null = null;
  private pausedOptions: RunOptions | null = null;
  /** When the warm-up of the current run call ends (integer ns), or -1 for none pending. */
  private warmupEndNs = -1;
  private traceListeners: readonly TraceListener[] = [];
  /** A runaway guard tripped: thrown again after the event, should model code catch it. */
  private runaway: SimulationError | null = null;
  /**
   * Called after every event when set (the invariant monitor of distsim/check); true stops the
   * run. It rides in the loop's predicate slot, so with none set the loop runs as before.
   */
  private afterEvent: (() => boolean) | null = null;
  /** The predicate of the current `runUntil` call, or null. */
  private runPredicate: (() => boolean) | null = null;
  /** The predicate the loop calls after every event: `runPredicate` and `afterEvent` together. */
  private loopPredicate: (() => boolean) | null = null;
  /** The after-event hook asked to stop: the loop's "predicate" stop is reported as "invariant". */
  private stopForAfterEvent = false;
  /** Changes when entities' state may have moved on since a run summary was returned. */
  private summaryVersion = 0;

  constructor(options: SimulationOptions) {
    const seed = options?.seed;
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new ConfigError("Simulation", "seed", "an integer in [0, 2^53)", seed);
    }
    this.seed = seed;
    this.limits = checkLimits(options.limits);
    this.queue.setPendingLimit(this.limits.maxPendingEvents);
    this.queue.onLimit = (pending) => this.pendingEventsRanAway(pending);
    this.direct = directTransport(this.queue);
    this.transport = this.direct;
  }

  /**
   * @internal True while messages are delivered directly (no `Network` or other transport has
   * replaced the default): a process crash's resets then reach callers at once.
   */
  get _directDelivery(): boolean {
    return this.transport === this.direct;
  }

  /** Current simulated time, in seconds. */
  get now(): number {
    return this.nowNs / 1e9;
  }

  get status(): SimulationStatus {
    return this._status;
  }

  /** Events processed since the simulation was created. */
  get eventsProcessed(): number {
    return this.totalEvents;
  }

  /** Hash of every event processed so far (time, type, target), as 16 hex digits. */
  get traceHash(): string {
    return hex32(fmix32(this.hashA)) + hex32(fmix32(this.hashB ^ this.totalEvents));
  }

  /**
   * Calls `listener` with every trace record from now on (messages sent, delivered and dropped,
   * calls settled, processes started and ended, timers fired, component state changes; see
   * docs/core/tracing.md). Returns the function that unsubscribes it. With no listener,
   * tracing costs one branch per emission point and builds nothing.
   */
  onTrace(listener: TraceListener): () => void {
    if (typeof listener !== "function") {
      throw new ConfigError("Simulation.onTrace", "listener", "a function", listener);
    }
    // Copy on write: a listener that unsubscribes during an emission does not disturb it.
    this.traceListeners = [...this.traceListeners, listener];
    this._tracing = true;
    return () => {
      this.traceListeners = this.traceListeners.filter((other) => other !== listener);
      this._tracing = this.traceListeners.length > 0;
    };
  }

  private faultIds = 0;
  /** The driven fault acting now (`_asPartOfFault`), or 0. */
  private actingFault = 0;
  /** Ids of faults whose records their drivers write (`_asPartOfFault`); null until one. */
  private drivenFaults: Set<number> | null = null;
  /** Entities paused now: while > 0 the loop looks at each event's entity (`holdIfPaused`). */
  private pausedEntities = 0;
  /** Sequence numbers for held events put back: below every number the queue gives out. */
  private heldSeq = -Number.MAX_SAFE_INTEGER;

  /** @internal An entity's first pause began (+1) or its last ended (-1). */
  _pausesChanged(delta: number): void {
    this.pausedEntities += delta;
    // The loop reads the count into a local when it attends, after the current event.
    this.attention = true;
  }

  /** @internal The sequence number of the next held event put back into the queue. */
  _nextHeldSeq(): number {
    return this.heldSeq++;
  }

  /**
   * @internal Sets (or with null removes) the one hook called after every event, even one set
   * while running (the loop picks it up after the current event); true from it stops the run
   * with reason "invariant". Used by the invariant monitor (src/check/invariants).
   */
  _setAfterEvent(hook: (() => boolean) | null): void {
    this.afterEvent = hook;
    this.loopPredicate = this.combinedPredicate(this.runPredicate);
    this.attention = true;
  }

  private combinedPredicate(predicate: (() => boolean) | null): (() => boolean) | null {
    const hook = this.afterEvent;
    if (hook === null) return predicate;
    return () => {
      if (hook()) {
        this.stopForAfterEvent = true;
        return true;
      }
      return predicate?.() === true;
    };
  }

  /**
   * A new id for a fault's trace records (`FaultRecord.faultId`), unique per simulation; while
   * a driven fault acts (`_asPartOfFault`), that fault's id: what it opens is part of it.
   */
  nextFaultId(): number {
    return this.actingFault !== 0 ? this.actingFault : ++this.faultIds;
  }

  /**
   * Writes a `fault` trace record, when anyone listens: the one way the fault layer, node,
   * network and disk faults report theirs, so the records have one shape. Records under a
   * driven fault's id are its driver's to write (`_traceDrivenFault`), so this skips them: a
   * fault is one pair of records however many handles it opens.
   */
  traceFault(
    faultId: number,
    fault: string,
    phase: FaultRecord["phase"],
    targets: readonly string[],
    detail: string,
  ): void {
    if (this._tracing && (this.drivenFaults === null || !this.drivenFaults.has(faultId))) {
      this._trace({ type: "fault", timeNs: this.nowNs, faultId, fault, phase, targets, detail });
    }
  }

  /**
   * @internal Runs `body` as part of fault `faultId`, which a driver (a `FaultSchedule` entry,
   * a swizzle-clog) drives: every fault opened meanwhile (an entity's pause, a network's
   * partition, a disk's power loss) takes `faultId` as its own and writes no records, ever;
   * the driver writes the fault's one pair with `_traceDrivenFault`.
   */
  _asPartOfFault<T>(faultId: number, body: () => T): T {
    if (this.drivenFaults === null) this.drivenFaults = new Set();
    this.drivenFaults.add(faultId);
    const outer = this.actingFault;
    this.actingFault = faultId;
    try {
      return body();
    } finally {
      this.actingFault = outer;
    }
  }

  /** @internal Whether fault `faultId`'s records are a driver's to write (see `_asPartOfFault`). */
  _faultDriven(faultId: number): boolean {
    return this.drivenFaults?.has(faultId) === true;
  }

  /** @internal A driver's record of the fault it drives (see `_asPartOfFault`). */
  _traceDrivenFault(
    faultId: number,
    fault: string,
    phase: FaultRecord["phase"],
    targets: readonly string[],
    detail: string,
  ): void {
    if (this._tracing) {
      this._trace({ type: "fault", timeNs: this.nowNs, faultId, fault, phase, targets, detail });
    }
  }

  /** @internal Hands a record to every listener; call it only when `_tracing`. */
  _trace(record: TraceRecord): void {
    for (const listener of this.traceListeners) listener(record);
  }

  /** Every entity, in creation order. */
  get entities(): readonly Entity<unknown, unknown>[] {
    return this.entityList;
  }

  /** The entity named `name`, or undefined. */
  entity(name: string): Entity<unknown, unknown> | undefined {
    return this.entityByName.get(name);
  }

  /** A random stream owned by the simulation itself (not by any entity). */
  random(stream = "default"): RandomStream {
    let found = this.streams.get(stream);
    if (found === undefined) {
      found = this._createStream("", stream);
      this.streams.set(stream, found);
    }
    return found;
  }

  /**
   * Runs events in (time, seq) order until the horizon, until only daemon events remain, or
   * until `maxEvents`. May be called again to continue (for example with a later `until`).
   */
  run(options: RunOptions = {}): RunSummary {
    return this.execute(options, null);
  }

  /** Continues a paused run with the options it was started with. */
  resume(): RunSummary {
    if (this._status !== "paused" || this.pausedOptions === null) {
      throw new SimulationError(`resume() called while ${this._status}`, null, this.nowNs);
    }
    return this.execute(this.pausedOptions, null, false, true);
  }

  /**
   * Runs until `predicate()` is true after an event (checked after every event), or until the
   * run would otherwise stop.
   */
  runUntil(predicate: () => boolean, options: RunOptions = {}): RunSummary {
    if (typeof predicate !== "function") {
      throw new ConfigError("Simulation.runUntil", "predicate", "a function", predicate);
    }
    return this.execute(options, predicate);
  }

  /**
   * Processes at most `count` events, daemon ones included, so stepping walks through a model
   * driven only by probes and open-loop sources (cancelled events do not count).
   */
  step(count = 1): RunSummary {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new ConfigError("Simulation.step", "count", "an integer >= 1", count);
    }
    return this.execute({ maxEvents: count }, null, true);
  }

  /** Asks the running loop to return after the current event, with reason "paused". */
  pause(): void {
    if (this._status !== "running") {
      throw new SimulationError(
        "pause() called while the simulation is not running",
        null,
        this.nowNs,
      );
    }
    this.pauseRequested = true;
    this.attention = true;
  }

  /** Calls `callback(arg)` at absolute simulated time `time` (seconds). Returns a token. */
  at<A>(time: number, callback: (arg: A) => void, arg?: A, options?: { daemon?: boolean }): number {
    const timeNs = timeToNs(time, "Simulation.at", "time");
    if (timeNs < this.nowNs) {
      throw new SimulationError(
        `at(${time}) is in the past (now is ${formatTimeNs(this.nowNs)})`,
        null,
        this.nowNs,
      );
    }
    return this.queue.push(
      timeNs,
      EventType.Callback,
      callback,
      arg,
      null,
      options?.daemon === true,
    );
  }

  /** Calls `callback(arg)` after `delay` seconds. Returns a token for `cancel`. */
  after<A>(
    delay: number,
    callback: (arg: A) => void,
    arg?: A,
    options?: { daemon?: boolean },
  ): number {
    return this.queue.push(
      this._checkedTime(this.nowNs + durationToNs(delay, "Simulation.after", "delay")),
      EventType.Callback,
      callback,
      arg,
      null,
      options?.daemon === true,
    );
  }

  /**
   * Restarts every entity's statistics now (the end of a warm-up): counters, histograms and
   * time series start empty, time averages start at this instant. State is kept: queues,
   * work in flight, open circuits. Identities such as `forwarded = succeeded + failed + ... +
   * inFlight` keep holding: work still in flight is counted as forwarded again.
   */
  resetStats(): void {
    this.summaryVersion++;
    for (const entity of this.entityList) entity.resetStats();
  }

  /** Cancels an event scheduled with `at` or `after`. False if it already ran or was cancelled. */
  cancel(token: number): boolean {
    return this.queue.cancel(token);
  }

  /**
   * A future that resolves (with undefined) after `seconds`; cancelling it cancels its timer,
   * which is owned by `owner` (and cancelled if that entity crashes).
   */
  sleep(seconds: number, owner: Entity<unknown, unknown> | null = null): SimFuture<void> {
    const delayNs = durationToNs(seconds, owner?.name ?? "Simulation", "seconds");
    const future = new SimFuture<void>(this, owner, `sleep ${seconds}s`);
    const token = this.queue.push(
      this._checkedTime(this.nowNs + delayNs),
      EventType.Callback,
      resolveSleep,
      future,
      owner,
      false,
    );
    future.onCancel(() => this.queue.cancel(token));
    return future;
  }

  /** A new pending future owned by the simulation. */
  future<T>(label = "future"): SimFuture<T> {
    return new SimFuture<T>(this, null, label);
  }

  /** Sends a message from outside any entity (from a setup script); its source is null. */
  send<P>(
    target: Entity<P, unknown>,
    kind: string,
    payload: P,
    options?: { delay?: number; sizeBytes?: number },
  ): Message<P> {
    return this._send(null, target, kind, payload, 0, options);
  }

  /**
   * Delivers an already-sent message to its target at absolute time `atNs` (integer
   * nanoseconds, >= now). This is how a transport hands over a message once it has decided
   * when it arrives: a `Network` delivers through it after its links' delays, and the fault
   * layer will use it to duplicate and reorder messages (the same message delivered twice, or
   * later than one sent after it). Delivery is an ordinary event, so the target handles the
   * message (or drops it, if crashed) exactly as if it had come straight from `send`.
   */
  deliver(message: Message<unknown>, atNs: number): void {
    if (!Number.isInteger(atNs) || atNs < this.nowNs) {
      throw new SimulationError(
        `deliver(${message.kind} #${message.id}) at ${describeValue(atNs)} ns: expected an integer time >= now (${formatTimeNs(this.nowNs)})`,
        message.source?.name ?? null,
        this.nowNs,
      );
    }
    this.queue.push(
      this._checkedTime(atNs, message.source?.name ?? null),
      EventType.Deliver,
      message.target,
      message,
      null,
      false,
    );
  }

  /** @internal Builds a message and hands it to the transport (see messaging.ts). */
  _send<P>(
    source: Entity<unknown, unknown> | null,
    target: Entity<P, unknown>,
    kind: string,
    payload: P,
    correlationId: number,
    options: SendOptions | undefined,
    originNs = this._currentOriginNs,
  ): Message<P> {
    return sendMessage(this, source, target, kind, payload, correlationId, options, originNs);
  }

  /** @internal One step of a process in a numeric sleep, touching only its generator. */
  private resumeFast(pid: number, generator: Generator<unknown>, owner: Entity<unknown, unknown>) {
    const procs = this._procs;
    const previous = this._currentPid;
    this._currentPid = pid;
    procs.wake[pid] = -1;
    let step: IteratorResult<unknown>;
    try {
      step = generator.next(undefined);
    } catch (error) {
      this._currentPid = previous;
      procs.obj[pid]!._fastThrew(error);
      return;
    }
    this._currentPid = previous;
    if (step.done !== true && procs.flags[pid] === 0) {
      const yielded = step.value;
      if (typeof yielded === "number" && yielded >= 0) {
        const wakeNs = this.nowNs + Math.round(yielded * 1e9);
        // Past the exact range of integer ns (or infinite): the slow path fails the process.
        if (wakeNs <= MAX_TIME_NS) {
          procs.wake[pid] = this.queue.push(
            wakeNs,
            EventType.ResumeFast,
            generator,
            pid,
            owner,
            false,
          );
          return;
        }
      }
    }
    procs.obj[pid]!._fastStepped(step as IteratorResult<never>);
  }

  /** @internal Entities register themselves on construction; names are unique. */
  _register(entity: Entity<unknown, unknown>): number {
    if (this.entityByName.has(entity.name)) {
      throw new ConfigError("Entity", "name", "a name unique in the simulation", entity.name);
    }
    this.entityByName.set(entity.name, entity);
    this.entityList.push(entity);
    return this.entityList.length;
  }

  /** @internal */
  _createStream(owner: string, stream: string): RandomStream {
    return new RandomStream(this.seed, owner, stream);
  }

  /**
   * @internal A future was rejected with nobody waiting: checked once the clock is about to
   * move on (or the run returns), so anything started at this same instant can still wait on
   * it.
   */
  _noteUnobservedRejection(future: SimFuture<unknown>): void {
    this.unobserved.push(future);
    this.attention = true;
  }

  /**
   * @internal Fails the run with `error` (a runaway guard tripped): throws it now, and again
   * once the current event is over, so model code that catches every error cannot swallow it.
   */
  _stop(error: SimulationError): never {
    this.runaway ??= error;
    this.attention = true;
    throw error;
  }

  /** The event queue is full up to `limits.maxPendingEvents`: names who the events are for. */
  private pendingEventsRanAway(pending: number): never {
    const byEntity = new Map<Entity<unknown, unknown> | null, number>();
    this.queue.forEachPending((type, target, payload, owner) => {
      const entity = entityOfEvent(type, target, payload, owner);
      byEntity.set(entity, (byEntity.get(entity) ?? 0) + 1);
    });
    // Largest first; ties in creation order (ids), so the message is the same every run.
    const top = [...byEntity]
      .sort(([a, m], [b, n]) => n - m || (a?.id ?? 0) - (b?.id ?? 0))
      .slice(0, 3);
    const owners = top
      .map(
        ([entity, count]) =>
          `${entity === null ? "the simulation" : `"${entity.name}"`} ${groupDigits(count)}`,
      )
      .join(", ");
    const limit = this.limits.maxPendingEvents;
    const ceiling = limit >= MAX_PENDING_EVENTS;
    const first = top[0]?.[0] ?? null;
    this._stop(
      new RunawayError(
        `runaway event queue: ${groupDigits(pending)} events pending at once (${
          ceiling
            ? `the event queue's ceiling, MAX_PENDING_EVENTS`
            : `the limit is maxPendingEvents = ${groupDigits(limit)}`
        }); by entity: ${owners}. Events are scheduled faster than they run (timers, messages or calls piling up). Lower the load, bound what piles up (a timeout on calls, a bounded queue), or ${
          ceiling
            ? "split the model"
            : "raise the limit: new Simulation({ seed, limits: { maxPendingEvents } }) (Infinity disables it)"
        }.`,
        first?.name ?? null,
        this.nowNs,
        "the event queue",
        pending,
        "maxPendingEvents",
      ),
    );
  }

  /** @internal Returns `timeNs` if it is in the exact range of integer ns, else throws. */
  _checkedTime(timeNs: number, entity: string | null = null): number {
    if (timeNs > MAX_TIME_NS) {
      throw new SimulationError(
        `cannot schedule past ${formatTimeNs(MAX_TIME_NS)} (the exact range of integer nanoseconds)`,
        entity,
        this.nowNs,
      );
    }
    return timeNs;
  }

  /** `stepping`: daemon events count too (step() walks through whatever is next). */
  private execute(
    options: RunOptions,
    predicate: (() => boolean) | null,
    stepping = false,
    resuming = false,
  ): RunSummary {
    if (this._status === "running") {
      throw new SimulationError("run() called from inside a running simulation", null, this.nowNs);
    }
    if (this._status === "failed") {
      throw new SimulationError(
        `the simulation failed earlier and cannot continue: ${this.failure?.message}`,
        null,
        this.nowNs,
      );
    }
    let untilNs = NO_HORIZON;
    if (options.until !== undefined) {
      untilNs = timeToNs(options.until, "Simulation.run", "until");
      if (untilNs < this.nowNs) {
        throw new ConfigError(
          "Simulation.run",
          "until",
          `a time >= now (${this.now}s)`,
          options.until,
        );
      }
    }
    const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
    if (!(maxEvents >= 1)) {
      throw new ConfigError("Simulation.run", "maxEvents", "a number >= 1", options.maxEvents);
    }
    // A resumed call keeps its warm-up's end (it was counted from the call's start).
    if (!resuming) this.warmupEndNs = this.warmupEnd(options.warmup, untilNs);
    const startNs = this.nowNs;
    const startEvents = this.totalEvents;
    this.summaryVersion++;
    const wallStart = wallMilliseconds();
    this._status = "running";
    this.pausedOptions = null;
    this.runPredicate = predicate;
    this.loopPredicate = this.combinedPredicate(predicate);
    this.stopForAfterEvent = false;
    predicate = this.loopPredicate;
    let reason: StopReason;
    try {
      const warmupEndNs = this.warmupEndNs;
      if (warmupEndNs >= 0) {
        reason = this.loop(warmupEndNs, maxEvents, predicate, stepping);
        if (reason === "until" || reason === "drained") {
          this.checkUnobserved();
          this.warmupEndNs = -1;
          this.nowNs = warmupEndNs;
          this.resetStats();
          reason = this.loop(
            untilNs,
            maxEvents - (this.totalEvents - startEvents),
            this.loopPredicate,
            stepping,
          );
        }
      } else {
        reason = this.loop(untilNs, maxEvents, predicate, stepping);
      }
      if (reason !== "paused") {
        this.warmupEndNs = -1;
        this.checkUnobserved();
      }
    } catch (error) {
      this._status = "failed";
      this._currentPid = -1;
      this._closingProcess = null;
      this.failure = this.runaway ?? this.asSimulationError(error);
      throw this.failure;
    }
    if (reason === "predicate" && this.stopForAfterEvent) reason = "invariant";
    this.stopForAfterEvent = false;
    this.runPredicate = null;
    if (reason === "paused") {
      this._status = "paused";
      this.pausedOptions = options;
    } else {
      this._status = "idle";
    }
    if ((reason === "until" || reason === "drained") && untilNs !== NO_HORIZON) {
      // The horizon was reached (or nothing is left before it): the clock ends exactly there.
      this.nowNs = untilNs;
      reason = "until";
    }
    const wallSeconds = (wallMilliseconds() - wallStart) / 1000;
    const eventsProcessed = this.totalEvents - startEvents;
    const sim = this;
    const version = this.summaryVersion;
    // A debugger stepping one event at a time rarely looks at the entities: `step` builds them
    // on first read (and refuses a read once the simulation has moved on). Every other call
    // returns a snapshot, valid however long it is kept.
    let entities: readonly EntitySummary[] | null = stepping ? null : this.entitySummaries(version);
    return {
      reason,
      seed: this.seed,
      eventsProcessed,
      totalEvents: this.totalEvents,
      time: this.nowNs / 1e9,
      timeNs: this.nowNs,
      simulatedSeconds: (this.nowNs - startNs) / 1e9,
      wallSeconds,
      eventsPerWallSecond: wallSeconds > 0 ? eventsProcessed / wallSeconds : 0,
      pendingEvents: this.queue.liveNonDaemon,
      traceHash: this.traceHash,
      get entities() {
        if (entities === null) entities = sim.entitySummaries(version);
        return entities;
      },
    };
  }

  /** End of the warm-up `warmup` (seconds from now) in integer ns, or -1 without one. */
  private warmupEnd(warmup: number | undefined, untilNs: number): number {
    if (warmup === undefined) return -1;
    if (untilNs === NO_HORIZON) {
      throw new ConfigError(
        "Simulation.run",
        "warmup",
        "a run with `until` (the warm-up must end inside the measured run)",
        warmup,
      );
    }
    const endNs = this.nowNs + durationToNs(warmup, "Simulation.run", "warmup");
    if (endNs > untilNs) {
      throw new ConfigError(
        "Simulation.run",
        "warmup",
        `a duration in seconds >= 0 ending by until (at most ${(untilNs - this.nowNs) / 1e9}s from now, ${this.now}s)`,
        warmup,
      );
    }
    return endNs;
  }

  /** The entities' summaries for a `RunSummary`, unless the simulation has moved on since. */
  private entitySummaries(version: number): EntitySummary[] {
    if (version !== this.summaryVersion) {
      throw new SimulationError(
        "RunSummary.entities is built when first read, and this summary's run has been continued (or its statistics reset) since: read it before the next run, step or resetStats()",
        null,
        this.nowNs,
      );
    }
    return this.entityList.map((entity) => entity._summary());
  }

  /** The event loop. Hot path: see the file comment and bench/ before changing it. */
  private loop(
    untilNs: number,
    maxEvents: number,
    predicate: (() => boolean) | null,
    stepping: boolean,
  ): StopReason {
    const queue = this.queue;
    const drainable = untilNs === NO_HORIZON && !stepping;
    let processed = 0;
    let hashA = this.hashA;
    let hashB = this.hashB;
    // The event being dispatched, kept outside the loop body so a failure can name its entity.
    let type: number = EventType.Callback;
    let target: unknown = null;
    let payload: unknown = null;
    let owner: Entity<unknown, unknown> | null = null;
    // Whether any entity is paused: read again whenever the loop attends (a pause flags it).
    let holding = this.pausedEntities > 0;
    try {
      // Anything flagged before this call (a rejection during set-up) is looked at first.
      if (this.attention) {
        const reason = this.attend();
        if (reason !== null) return reason;
        holding = this.pausedEntities > 0;
      }
      for (;;) {
        if (queue.size === 0 || (drainable && queue.liveNonDaemon === 0)) return "drained";
        const timeNs = queue.peekTime();
        if (timeNs > untilNs) return "until";
        if (processed >= maxEvents) return "event-limit";
        if (holding && this.holdIfPaused()) continue;
        const slot = queue.pop();
        if (queue.isCancelled(slot)) {
          queue.release(slot);
          continue;
        }
        // Read the event and free its slot before dispatch, so the handler can reuse it.
        type = queue.slotType[slot]!;
        target = queue.slotTarget[slot];
        payload = queue.slotPayload[slot];
        owner = queue.slotOwner[slot]!;
        if (!queue.isDaemon(slot)) queue.liveNonDaemon--;
        queue.release(slot);
        this.nowNs = timeNs;
        processed++;

        // Trace hash: two 32-bit MurmurHash3-style lanes over (time, type, entity).
        const low = timeNs >>> 0;
        const high = (timeNs / 4294967296) >>> 0;
        let who: number;
        switch (type) {
          case EventType.Deliver: {
            const message = payload as Message<unknown>;
            who = message.target.id;
            this._currentCauseId = message.id;
            this._currentOriginNs = message.originNs;
            this._currentDeadlineNs = message.deadlineNs;
            (target as Entity<unknown, unknown>)._receive(message);
            break;
          }
          case EventType.Resume: {
            const process = target as Process<unknown>;
            who = process.entity.id;
            this._currentCauseId = process.causeId;
            this._currentOriginNs = process.originNs;
            this._currentDeadlineNs = process.deadlineNs;
            process._resume(payload);
            break;
          }
          case EventType.Throw: {
            const process = target as Process<unknown>;
            who = process.entity.id;
            this._currentCauseId = process.causeId;
            this._currentOriginNs = process.originNs;
            this._currentDeadlineNs = process.deadlineNs;
            process._throw(payload);
            break;
          }
          case EventType.ResumeFast: {
            const pid = payload as number;
            who = owner!.id;
            this._currentCauseId = this._procs.cause[pid]!;
            this._currentOriginNs = this._procs.origin[pid]!;
            this._currentDeadlineNs = this._procs.deadline[pid]!;
            this.resumeFast(pid, target as Generator<unknown>, owner!);
            break;
          }
          default: {
            who = owner === null ? 0 : owner.id;
            if (this._tracing) {
              this._trace({
                type: "timer-fired",
                timeNs,
                entity: owner === null ? null : owner.name,
                callback: (target as (arg: unknown) => void).name,
              });
            }
            this._currentCauseId = 0;
            this._currentOriginNs = -1;
            this._currentDeadlineNs = Number.POSITIVE_INFINITY;
            (target as (arg: unknown) => void)(payload);
            break;
          }
        }
        const word = (who << 2) | (type === EventType.ResumeFast ? EventType.Resume : type);
        hashA = Math.imul(hashA ^ low, 0xcc9e2d51);
        hashA = Math.imul((hashA << 15) | (hashA >>> 17), 0x1b873593) ^ word;
        hashB = Math.imul(hashB ^ high ^ word, 0x85ebca6b);
        hashB = Math.imul((hashB << 13) | (hashB >>> 19), 0xc2b2ae35) ^ low;
        this.totalEvents++;

        if (this.attention) {
          this.hashA = hashA;
          this.hashB = hashB;
          const reason = this.attend();
          if (reason !== null) return reason;
          holding = this.pausedEntities > 0;
          // An after-event hook set by the event just run (see _setAfterEvent) applies from now.
          predicate = this.loopPredicate;
        }
        if (predicate?.()) return "predicate";
      }
    } catch (error) {
      // A runaway guard that tripped is the cause, however the model passed its error on.
      throw (
        this.runaway ?? this.asSimulationError(error, entityOfEvent(type, target, payload, owner))
      );
    } finally {
      this.hashA = hashA;
      this.hashB = hashB;
      this._currentCauseId = 0;
      this._currentOriginNs = -1;
      this._currentDeadlineNs = Number.POSITIVE_INFINITY;
    }
  }

  /**
   * If the earliest event belongs to a paused entity (a message to it, or its own timer or
   * process wake-up, or a message crossing a paused network or link), takes it out of the queue and
   * hands its slot to the entity, which puts it back when the pause ends: not run, not counted,
   * not hashed. Only called while some entity is paused.
   */
  private holdIfPaused(): boolean {
    const queue = this.queue;
    const slot = queue.peekSlot();
    if (queue.isCancelled(slot)) return false;
    const isMessage = queue.slotType[slot] === EventType.Deliver;
    let entity: Entity<unknown, unknown> | null = isMessage
      ? (queue.slotPayload[slot] as Message<unknown>).target
      : queue.slotOwner[slot]!;
    if (entity === null || entity._pauseDepth === 0) {
      if (!isMessage) return false;
      entity = this.pausedCarrierOf(queue.slotPayload[slot] as Message<unknown>);
      if (entity === null) return false;
    }
    queue.pop();
    entity._hold(slot, isMessage);
    return true;
  }

  /**
   * The paused entity that carried `message` (a paused `Network`, or a paused link of it, for a
   * message between two entities, which is what crosses them), or null.
   */
  private pausedCarrierOf(message: Message<unknown>): Entity<unknown, unknown> | null {
    const transport = this.transport;
    return transport.pausedCarrierOf === undefined ? null : transport.pausedCarrierOf(message);
  }

  /** Looks at what the loop was flagged for; returns a stop reason or null to go on. */
  private attend(): StopReason | null {
    if (this.runaway !== null) throw this.runaway;
    this.attention = false;
    if (this.unobserved.length > 0) {
      if (this.queue.size > 0 && this.queue.peekTime() === this.nowNs) {
        this.attention = true; // more events at this instant: look again after them
      } else {
        this.checkUnobserved();
      }
    }
    if (this.pauseRequested) {
      this.pauseRequested = false;
      return "paused";
    }
    return null;
  }

  /** Fails the run if a future rejected with nobody waiting is still not waited on. */
  private checkUnobserved(): void {
    if (this.unobserved.length > 0) {
      const pending = this.unobserved;
      this.unobserved = [];
      for (const future of pending) {
        if (!future.isObserved) {
          const error = future.error;
          throw new SimulationError(
            `unhandled rejection of ${future.label}: ${error instanceof Error ? error.message : describeValue(error)} (wait on the future, or defuse() it)`,
            future.owner?.name ?? null,
            this.nowNs,
            { cause: error },
          );
        }
      }
    }
  }

  private asSimulationError(
    error: unknown,
    entity: Entity<unknown, unknown> | null = null,
  ): SimulationError {
    if (error instanceof SimulationError) return error;
    const message = error instanceof Error ? error.message : describeValue(error);
    return new SimulationError(`handler threw: ${message}`, entity?.name ?? null, this.nowNs, {
      cause: error,
    });
  }
}

/** The limits option with defaults filled in; each an integer >= 1 or Infinity. */
function checkLimits(limits: SimulationLimits | undefined): Readonly<Required<SimulationLimits>> {
  if (limits === undefined) return DEFAULT_LIMITS;
  if (typeof limits !== "object" || limits === null) {
    throw new ConfigError(
      "Simulation",
      "limits",
      "an object { maxQueueLength?, maxPendingEvents? }",
      limits,
    );
  }
  const checked = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(limits)) {
    if (!(key in DEFAULT_LIMITS)) {
      throw new ConfigError(
        "Simulation",
        `limits.${key}`,
        "one of maxQueueLength, maxPendingEvents (no such limit)",
        (limits as Record<string, unknown>)[key],
      );
    }
    const value = (limits as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (
      value !== Number.POSITIVE_INFINITY &&
      (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1)
    ) {
      throw new ConfigError("Simulation", `limits.${key}`, "an integer >= 1, or Infinity", value);
    }
    checked[key as keyof SimulationLimits] = value as number;
  }
  return Object.freeze(checked);
}

/** The entity an event belongs to, for error messages. */
function entityOfEvent(
  type: number,
  target: unknown,
  payload: unknown,
  owner: Entity<unknown, unknown> | null,
): Entity<unknown, unknown> | null {
  if (type === EventType.Deliver) return (payload as Message<unknown>).target;
  if (type === EventType.Resume || type === EventType.Throw)
    return (target as Process<unknown>).entity;
  if (type === EventType.ResumeFast) return owner;
  return owner;
}

function resolveSleep(future: SimFuture<void>): void {
  future.resolve(undefined);
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}
