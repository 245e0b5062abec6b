/**
 * `Entity`: the base of every actor in a model (a server, a client, a Raft node, a link).
 *
 * An entity has a unique name, sees the simulated clock (`now`), owns named random streams,
 * receives messages in `handle`, and runs processes. `handle` may be a plain method or a
 * generator method; a generator becomes a process per message, so a server reads as
 * straight-line code:
 *
 * @example
 * class Server extends Entity<{ work: number }, string> {
 *   private readonly service = this.random("service");
 *   *handle(request: Message<{ work: number }>) {
 *     yield this.service.exponential(request.payload.work);
 *     this.reply(request, "done");
 *   }
 * }
 *
 * `In` is the payload type the entity accepts and `Out` the payload its replies carry, so
 * `send`, `call` and `reply` are checked by the compiler.
 *
 * Crash and recover: `crash()` cancels the entity's processes (their `finally` blocks run), its
 * timers and its outstanding calls, drops messages that arrive while it is down, and calls
 * `onCrash()` so a subclass can forget its volatile state; `recover()` calls `onRecover()`
 * to rebuild from what it kept as durable. A crash is a host crash (silence: callers learn by
 * their timeouts) or, with `{ kind: "process" }`, a process crash on a live host (callers'
 * open calls fail at once with `ConnectionResetError`).
 *
 * Node faults, for the fault layer and for models: `restart` (crash, then recover after a
 * downtime), `pause` (a GC or VM stall: nothing of the entity runs, its events wait), `slowDown`
 * (service times x k) and `reduceCapacity` (fewer slots in its stations). Each writes `fault`
 * trace records and returns a `NodeFault` whose `heal()` ends it.
 */

import {
  ConfigError,
  ConnectionResetError,
  describeValue,
  FailureReply,
  formatTimeNs,
  RemoteError,
  SimulationError,
  TimeoutError,
} from "../errors/errors.js";
import type { RandomStream } from "../random/randomStream.js";
import { CallTable } from "./callTable.js";
import { EventType } from "./eventQueue.js";
import type { FaultHandle } from "./faultHandle.js";
import { type CancelHook, SimFuture } from "./future.js";
import type { Message } from "./message.js";
import { Process, type ProcessGenerator, type ProcessOptions } from "./process.js";
import type { Simulation } from "./simulation.js";
import { durationToNs, timeToNs } from "./time.js";
import type { CallOutcome, DropReason } from "./trace.js";

/** Lifecycle of an entity. A paused entity is up (see `Entity.isPaused`). */
export type EntityStatus = "up" | "crashed";

/**
 * How an entity crashes:
 * - `"host"`: the machine dies or loses power. Nothing answers for it: callers with open calls
 *   learn only by their own timeouts (a call without one waits forever). The default.
 * - `"process"`: the process dies on a live host. The operating system resets its connections:
 *   every open call to it fails with `ConnectionResetError`, and calls that reach it while it
 *   is down fail the same way (connection refused) instead of waiting. With direct delivery
 *   the caller hears at once; across a `Network` the reset travels back along the call's path
 *   (its latency; a partition, loss or clog takes it as any message, leaving the timeout).
 */
export type CrashKind = "host" | "process";

export interface CrashOptions {
  /** Default "host" (silence). */
  kind?: CrashKind;
}

export interface RestartOptions extends CrashOptions {
  /**
   * Seconds down before `recover()` (>= 0). Default: down until the fault's `heal()` (a crash
   * the fault layer repairs later, or never).
   */
  downtime?: number;
}

/** What a node fault did to its entity; the `fault` field of its trace records. */
export type NodeFaultKind = "host-crash" | "process-crash" | "pause" | "slow" | "capacity";

/**
 * A node fault in force (from `restart`, `pause`, `slowDown`, `reduceCapacity`): the handle a
 * fault schedule keeps to end it. Its `fault` trace records (activated, then healed) share
 * `faultId`.
 */
export interface NodeFault extends FaultHandle {
  /** Shared by this fault's trace records (`sim.nextFaultId()`). */
  readonly faultId: number;
  readonly fault: NodeFaultKind;
  /** The same as `fault` (the name every `FaultHandle` has). */
  readonly kind: NodeFaultKind;
  /** The entity it applies to. */
  readonly entity: Entity<unknown, unknown>;
  /** The entity's name, alone (the `FaultHandle` view). */
  readonly targets: readonly string[];
  /**
   * What it did, named in the statistics vocabulary: a process crash's `callsReset`; a pause's
   * `eventsHeld` and `messagesHeld` (run late when it ended; counted on the pause whose end let
   * them run, when pauses overlap) or `messagesDropped` (a crash ended it and lost them).
   */
  readonly counts: Readonly<Record<string, number>>;
  /** True until it heals (by its duration, `heal()`, or, for a pause, a crash of its entity). */
  readonly active: boolean;
  /**
   * Ends it now: recovers a crashed entity, resumes a paused one, restores its speed or its
   * capacity. Returns false if it had already ended.
   */
  heal(): boolean;
}

export interface SendOptions {
  /** Delay before delivery, in seconds, on top of whatever the transport adds. Default 0. */
  delay?: number;
  /** Size on the wire, in bytes (integer >= 0). Default 0. */
  sizeBytes?: number;
  /**
   * The message this one continues: its causal parent and the origin of its chain (for
   * end-to-end latency). Default: the message being handled, if any. Give it when one
   * process or timer works through queued messages, so each forward is attributed to the
   * message it really continues.
   */
  causedBy?: Message<unknown>;
  /**
   * Whether the message inherits the deadline of the message it continues (the one being
   * handled, or `causedBy`), as gRPC propagates a call's deadline into the calls its handler
   * makes. Default true. False detaches it: a call then carries only its own `timeout`'s
   * deadline, a send none (work meant to outlive the request: replication, a cache fill).
   */
  propagateDeadline?: boolean;
}

export interface CallOptions extends SendOptions {
  /**
   * Seconds to wait for the reply before the call rejects with `TimeoutError`. Default: no
   * timeout (wait forever; the call is still cancelled if the caller crashes). The request
   * carries the instant it runs out as its deadline (`Message.deadline`), or the deadline it
   * inherited if that is earlier (see `propagateDeadline`).
   */
  timeout?: number;
}

export interface TimerOptions {
  /** A daemon timer never keeps a run alive by itself. Default false. */
  daemon?: boolean;
}

/** Counts the engine keeps for every entity. */
export interface EntityCounters {
  /** Messages delivered to `handle` (replies to pending calls are not counted here). */
  received: number;
  /** Messages that arrived while the entity was crashed, and were dropped. */
  droppedWhileDown: number;
  /** Replies that arrived after their call had timed out or been cancelled. */
  lateReplies: number;
  /** Times the entity crashed. */
  crashes: number;
  /** Times the entity was paused (`pause`). */
  pauses: number;
  /**
   * Open calls to this entity its process crashes reset, and calls that reached it while down
   * after one (refused): each a `ConnectionResetError` at its caller, at once with direct
   * delivery; over a `Network` each is a reset sent back along the call's path, counted when
   * sent (a partition or loss may still take it, leaving the caller to its timeout).
   */
  callsReset: number;
}

/**
 * An entity's headline numbers (a server's completed and utilization, a client's timeouts), as
 * flat name -> value pairs so every run summary, table and CSV can carry them unchanged.
 */
export type EntityMetrics = Readonly<Record<string, number | string>>;

/** One entity in a run summary: what the engine counted and what the entity reports. */
export interface EntitySummary {
  readonly name: string;
  /** The component's catalog name, or the class name of a hand-written entity. */
  readonly type: string;
  readonly status: EntityStatus;
  readonly counters: Readonly<EntityCounters>;
  readonly liveProcesses: number;
  readonly metrics: EntityMetrics;
}

/** A series of [time in seconds, value] points an entity recorded, for charts and exports. */
export interface RecordedSeries {
  readonly name: string;
  /** Unit of the values ("s", "requests", "per second"); "" if none. */
  readonly unit: string;
  readonly points: readonly (readonly [number, number])[];
}

/**
 * An outstanding `call`: its future and its timeout timer. One object per call serves as the
 * entry in `pendingCalls`, the future's cancel hook and the timeout event's payload.
 */
class PendingCall implements CancelHook {
  /** Queue token of the timeout event, or -1. */
  timerToken = -1;
  /**
   * A reset for it is on its way over the network: it is reset once, however many crashes or
   * refused retransmissions come before the reset arrives.
   */
  resetSent = false;

  constructor(
    readonly entity: Entity<unknown, unknown>,
    /** The callee: a process crash resets the calls whose target it is. */
    readonly target: Entity<unknown, unknown>,
    readonly messageId: number,
    readonly future: SimFuture<unknown>,
    /** The timeout in seconds (for its error), or -1 for none. */
    readonly seconds: number,
  ) {}

  /** The caller cancelled the future: abandon the call. */
  _futureCancelled(): void {
    this.entity._abandonCall(this);
  }
}

const NO_METRICS: EntityMetrics = Object.freeze({});

/**
 * The payload of a connection reset crossing a network (a TCP RST): a failure reply that the
 * caller's `settleCall` turns into a `ConnectionResetError`, so a reset costs the ordinary
 * reply path nothing beyond the failure branch it already has.
 */
class ResetReply extends FailureReply {
  constructor(readonly refused: boolean) {
    super(refused ? "connection refused" : "connection reset");
  }
}

/**
 * Something a component is built from (a request ledger, a waiting line, a gauge) that must
 * hear about its owner's crash and statistics resets. Registered once with
 * `Entity.addLifecycleHook`, so a component composed of shared parts never forgets to reset
 * one of them.
 */
export interface LifecycleHook {
  /** The owner crashed (its processes, timers and calls are already cancelled). */
  onCrash?(): void;
  /** The owner recovered. */
  onRecover?(): void;
  /** Statistics restart now (`sim.resetStats()`): forget counts, keep state. */
  onResetStats?(): void;
  /**
   * The owner's capacity is reduced to `fraction` (in [0, 1]) of what it would be, or restored
   * (1): a station scales its slots (`SlotPool`: rounded down) and, when they grow, starts what
   * waits. A part that implements it makes its owner's `reduceCapacity` possible.
   */
  onCapacityFraction?(fraction: number): void;
}

export class Entity<In = unknown, Out = unknown> {
  readonly sim: Simulation;
  readonly name: string;
  /** Small integer, unique in the simulation, in creation order. */
  readonly id: number;
  readonly counters: EntityCounters = {
    received: 0,
    droppedWhileDown: 0,
    lateReplies: 0,
    crashes: 0,
    pauses: 0,
    callsReset: 0,
  };

  private _status: EntityStatus = "up";
  private _crashKind: CrashKind | null = null;
  /**
   * @internal Pauses in force (overlapping pauses nest): while > 0 the loop holds every event of
   * this entity (see `Simulation.holdIfPaused`).
   */
  _pauseDepth = 0;
  /**
   * @internal Crashes so far, never reset (unlike `counters.crashes`): a restart fault recovers
   * only the crash it made, not a later one after something else recovered the entity.
   */
  _crashSerial = 0;
  /** Queue slots of the events held by the pause in force, in the order they were due. */
  private _heldSlots: number[] = [];
  private _heldMessages = 0;
  /** The faults in force on this entity (pauses, slowdowns, capacity cuts), oldest first. */
  private _nodeFaults: ActiveFault[] | null = null;
  private _slowdown = 1;
  private streams: Map<string, RandomStream> | null = null;
  private pendingCalls: CallTable<PendingCall> | null = null;
  private firstProcess: Process<unknown> | null = null;
  private hooks: LifecycleHook[] | null = null;
  private _statsSinceNs: number;

  constructor(sim: Simulation, name: string) {
    if (typeof name !== "string" || name.length === 0) {
      throw new ConfigError("Entity", "name", "a non-empty string", name);
    }
    this.sim = sim;
    this.name = name;
    this._statsSinceNs = sim.nowNs;
    this.id = sim._register(this as Entity<unknown, unknown>);
  }

  /**
   * Start of the period this entity's statistics cover, in integer ns: its creation, or the
   * last `sim.resetStats()`. Time averages divide by `nowNs - statsSinceNs`, so a component
   * added at run time, or measured after a warm-up, is not diluted by time it did not see.
   */
  get statsSinceNs(): number {
    return this._statsSinceNs;
  }

  /** Seconds covered by this entity's statistics (see `statsSinceNs`). */
  get statsSeconds(): number {
    return (this.sim.nowNs - this._statsSinceNs) / 1e9;
  }

  /**
   * Registers a part this entity is built from, to be told of crashes, recoveries and
   * statistics resets (before the entity's own `onCrash`/`onRecover`/`onResetStats`). Parts
   * register themselves when built with their owner (`new RequestLedger(this)`,
   * `new Store(owner)`), so no component can forget to.
   */
  addLifecycleHook<H extends LifecycleHook>(hook: H): H {
    if (this.hooks === null) this.hooks = [];
    this.hooks.push(hook);
    return hook;
  }

  /**
   * Unregisters a part that is gone while its owner lives on (a log segment deleted from its
   * disk): from the next crash, recovery or reset on it hears nothing. Returns whether it was
   * registered.
   */
  removeLifecycleHook(hook: LifecycleHook): boolean {
    const hooks = this.hooks;
    if (hooks === null || !hooks.includes(hook)) return false;
    // A new array, not a splice: a removal by a hook while the hooks run (a recovery that drops
    // a segment) would shift the array under that loop and skip the hook after it.
    this.hooks = hooks.filter((registered) => registered !== hook);
    return true;
  }

  /**
   * Restarts this entity's statistics now: counts and histograms start empty, time averages
   * start at this instant; state (queues, work in flight, circuit states) is kept. Called for
   * every entity by `sim.resetStats()` (a warm-up's end).
   */
  resetStats(): void {
    this._statsSinceNs = this.sim.nowNs;
    const counters = this.counters;
    counters.received = 0;
    counters.droppedWhileDown = 0;
    counters.lateReplies = 0;
    counters.crashes = 0;
    counters.pauses = 0;
    counters.callsReset = 0;
    const hooks = this.hooks;
    if (hooks !== null) for (const hook of hooks) hook.onResetStats?.();
    this.onResetStats();
  }

  /** Called by `resetStats()`: restart the component's own statistics here. */
  protected onResetStats(): void {}

  /** Current simulated time, in seconds. */
  get now(): number {
    return this.sim.nowNs / 1e9;
  }

  /** Current simulated time, in exact integer nanoseconds. */
  get nowNs(): number {
    return this.sim.nowNs;
  }

  get status(): EntityStatus {
    return this._status;
  }

  /** True unless crashed: a paused entity is up (alive, its events waiting). */
  get isUp(): boolean {
    return this._status === "up";
  }

  /** How the entity last crashed while it is down; null while up. */
  get crashKind(): CrashKind | null {
    return this._crashKind;
  }

  /** True while a `pause` is in force: nothing of the entity runs, its events wait. */
  get isPaused(): boolean {
    return this._pauseDepth > 0;
  }

  /**
   * The factor service times are multiplied by now: 1, or the product of the `slowDown`s in
   * force. Components apply it through `workTime`.
   */
  get slowdown(): number {
    return this._slowdown;
  }

  /**
   * Seconds that `seconds` of this entity's own work (a service time, a query's execution, a
   * store's read) take now: `seconds` times `slowdown`. Every component draws its service times
   * through here, so a `slowDown` fault reaches them all with no code of their own; a model's
   * own entity does the same (`yield this.workTime(this.service.exponential(0.1))`). With no
   * slowdown it returns `seconds` exactly (x 1).
   */
  workTime(seconds: number): number {
    return seconds * this._slowdown;
  }

  /**
   * Receives a message. Override it, as a plain method or a generator method (which becomes a
   * process per message). Replies never arrive here: they settle the caller's `call`, or are
   * dropped and counted in `counters.lateReplies` if the call has timed out (a reply to a plain
   * `send`, which nobody awaits, is dropped uncounted). The default fails
   * the run, so a message sent to an entity that does not expect it is never silently lost.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a plain handler returns nothing (void), a generator handler a generator
  handle(message: Message<In>): void | ProcessGenerator<unknown> {
    throw new SimulationError(
      `received a "${message.kind}" message but does not implement handle()`,
      this.name,
      this.sim.nowNs,
    );
  }

  /**
   * The random stream `stream` of this entity, derived from (root seed, entity name, stream
   * name). The same name returns the same stream; take it once (in a field) and draw from it.
   */
  random(stream = "default"): RandomStream {
    let streams = this.streams;
    if (streams === null) {
      streams = new Map();
      this.streams = streams;
    }
    let found = streams.get(stream);
    if (found === undefined) {
      found = this.sim._createStream(this.name, stream);
      streams.set(stream, found);
    }
    return found;
  }

  /** Sends a message to `target`; it arrives after `delay` plus whatever the transport adds. */
  send<P>(target: Entity<P, unknown>, kind: string, payload: P, options?: SendOptions): Message<P> {
    return this.sim._send(this as Entity<unknown, unknown>, target, kind, payload, 0, options);
  }

  /**
   * Answers `request`: sends `payload` back to its source, correlated with it, so that the
   * caller's `call` returns it. A request sent from outside any entity (`sim.send`) has no one
   * to answer: the reply is dropped, as a reply to a plain `send` is, and null returned.
   */
  reply(
    request: Message<In>,
    payload: Out,
    options?: SendOptions & { kind?: string },
  ): Message<Out> | null {
    const source = request.source;
    if (source === null) return null;
    const reply = this.sim._send(
      this as Entity<unknown, unknown>,
      source as Entity<Out, unknown>,
      options?.kind ?? "reply",
      payload,
      request.id,
      options,
      request.originNs,
    );
    reply.awaited = request.awaited;
    reply.deadlineNs = request.deadlineNs;
    return reply;
  }

  /**
   * Answers `request` with a failure instead of a reply: the caller's `call` throws
   * `RemoteError(reason)` (an overload rejection, a 503, a validation failure). It is a
   * modelled outcome, delivered like a reply (same delay, same network). A request with no
   * source (`sim.send`) has no one to tell: the failure is dropped and null returned.
   */
  fail(request: Message<In>, reason: string, options?: SendOptions): Message<unknown> | null {
    const source = request.source;
    if (source === null) return null;
    const failure = this.sim._send(
      this as Entity<unknown, unknown>,
      source as Entity<unknown, unknown>,
      "error",
      new FailureReply(reason),
      request.id,
      options,
      request.originNs,
    );
    failure.awaited = request.awaited;
    failure.deadlineNs = request.deadlineNs;
    return failure;
  }

  /**
   * Sends a request and returns a future of the reply's payload. It rejects with
   * `RemoteError` if the callee fails the request, with `TimeoutError` after
   * `options.timeout` seconds; cancelling it abandons the call (a late
   * reply is then counted in `counters.lateReplies`).
   */
  request<P, R>(
    target: Entity<P, R>,
    kind: string,
    payload: P,
    options?: CallOptions,
  ): SimFuture<R> {
    const sim = this.sim;
    const timeoutSeconds = options?.timeout;
    // Checked before anything is sent; -1 for no timeout.
    const timeoutAtNs =
      timeoutSeconds === undefined
        ? -1
        : sim._checkedTime(
            sim.nowNs + durationToNs(timeoutSeconds, this.name, "timeout"),
            this.name,
          );
    const message = this.send(target as Entity<P, unknown>, kind, payload, options);
    message.awaited = true;
    // The call's own expiry, unless the deadline it inherited comes first (gRPC's rule: time
    // already spent upstream is subtracted by itself). Delivery is a later event, so nothing
    // has read the message yet.
    if (timeoutAtNs >= 0 && timeoutAtNs < message.deadlineNs) message.deadlineNs = timeoutAtNs;
    const future = new SimFuture<R>(sim, this as Entity<unknown, unknown>, kind);
    const pending = new PendingCall(
      this as Entity<unknown, unknown>,
      target as Entity<unknown, unknown>,
      message.id,
      future as SimFuture<unknown>,
      timeoutAtNs >= 0 ? timeoutSeconds! : -1,
    );
    let calls = this.pendingCalls;
    if (calls === null) {
      calls = new CallTable();
      this.pendingCalls = calls;
    }
    calls.set(message.id, pending);
    if (timeoutAtNs >= 0) {
      pending.timerToken = sim.queue.push(
        timeoutAtNs,
        EventType.Callback,
        callTimedOut,
        pending,
        this as Entity<unknown, unknown>,
        false,
      );
    }
    future._onCancelHook(pending);
    return future;
  }

  /** @internal A call's future was cancelled: forget the call and its timeout. */
  _abandonCall(pending: PendingCall): void {
    // After a crash the table is gone (or new, without this id): nothing to delete.
    this.pendingCalls?.delete(pending.messageId);
    if (pending.timerToken >= 0) this.sim.queue.cancel(pending.timerToken);
    if (this.sim._tracing) this.traceCall(pending.messageId, "cancelled");
  }

  private traceCall(messageId: number, outcome: CallOutcome): void {
    this.sim._trace({
      type: "call-settled",
      timeNs: this.sim.nowNs,
      entity: this.name,
      messageId,
      outcome,
    });
  }

  /**
   * Tells trace listeners that a state of this entity changed (a circuit breaker's circuit
   * from "closed" to "open"). Costs one branch when nobody listens.
   */
  protected traceStateChange(subject: string, from: string, to: string, reason = ""): void {
    const sim = this.sim;
    if (sim._tracing) {
      sim._trace({
        type: "state-changed",
        timeNs: sim.nowNs,
        entity: this.name,
        subject,
        from,
        to,
        reason,
      });
    }
  }

  /**
   * Tells trace listeners that `message` was dropped on its way, and why (a network's loss or
   * partition), so a drop is never silent in the trace. Costs one branch when nobody listens.
   */
  protected traceMessageDropped(message: Message<unknown>, reason: DropReason): void {
    if (this.sim._tracing) traceMessage(message, reason);
  }

  /**
   * `const answer = yield* this.call(target, kind, payload, { timeout })`: sends a request
   * and waits for the reply's payload, typed from the target's `Out`. Throws `TimeoutError`
   * at this point if no reply comes in time.
   */
  *call<P, R>(
    target: Entity<P, R>,
    kind: string,
    payload: P,
    options?: CallOptions,
  ): Generator<SimFuture<R>, R, unknown> {
    const future = this.request(target, kind, payload, options);
    future._privateToWaiter = true;
    return (yield future) as R;
  }

  /**
   * Starts a process owned by this entity. Its first step runs in an event at the current
   * time. Pass a generator function (called with this entity as `this`) or a generator.
   */
  start<R>(
    body: ProcessGenerator<R> | ((this: this) => ProcessGenerator<R>),
    options?: ProcessOptions,
  ): Process<R> {
    const generator = typeof body === "function" ? body.call(this) : body;
    if (
      generator === null ||
      typeof generator !== "object" ||
      typeof generator.next !== "function"
    ) {
      throw new ConfigError(
        `${this.name}.start`,
        "body",
        "a generator or generator function",
        body,
      );
    }
    const name = options?.name ?? (typeof body === "function" && body.name ? body.name : "process");
    const process = new Process<R>(
      this as Entity<unknown, unknown>,
      generator,
      name,
      options?.daemon === true,
      typeof body === "function" ? body : null,
    );
    this.linkProcess(process as Process<unknown>);
    process._schedule();
    return process;
  }

  /**
   * Calls `callback(arg)` after `delay` seconds. Returns a token for `cancelTimer`. The timer
   * belongs to this entity: it is cancelled if the entity crashes.
   */
  after<A>(delay: number, callback: (arg: A) => void, arg?: A, options?: TimerOptions): number {
    const sim = this.sim;
    return sim.queue.push(
      sim._checkedTime(sim.nowNs + durationToNs(delay, this.name, "delay"), this.name),
      EventType.Callback,
      callback,
      arg,
      this as Entity<unknown, unknown>,
      options?.daemon === true,
    );
  }

  /**
   * Calls `callback(arg)` at absolute simulated time `time` (seconds, not before now),
   * rounded once to the nanosecond: periodic schedules computed as `start + k * period` this
   * way never drift. Like `after`, the timer is cancelled if the entity crashes.
   */
  at<A>(time: number, callback: (arg: A) => void, arg?: A, options?: TimerOptions): number {
    const sim = this.sim;
    const timeNs = timeToNs(time, this.name, "time");
    if (timeNs < sim.nowNs) {
      throw new SimulationError(`at(${time}) is in the past`, this.name, sim.nowNs);
    }
    return sim.queue.push(
      timeNs,
      EventType.Callback,
      callback,
      arg,
      this as Entity<unknown, unknown>,
      options?.daemon === true,
    );
  }

  /** Cancels a timer from `after` or `at`. Returns false if it already fired or was cancelled. */
  cancelTimer(token: number): boolean {
    return this.sim.queue.cancel(token);
  }

  /** A future that resolves after `seconds`; cancelling it cancels the timer. */
  sleep(seconds: number): SimFuture<void> {
    return this.sim.sleep(seconds, this as Entity<unknown, unknown>);
  }

  /** A new pending future owned by this entity (for components that settle it themselves). */
  future<T>(label = "future"): SimFuture<T> {
    return new SimFuture<T>(this.sim, this as Entity<unknown, unknown>, label);
  }

  /**
   * Crashes the entity: cancels its processes (their `finally` blocks run), timers and
   * outstanding calls, ends a pause in force (the events it held are lost: its messages are
   * counted in `droppedWhileDown`), then calls the lifecycle hooks' and its own `onCrash()`.
   * Messages that arrive while it is down are dropped and counted. A process cannot crash its
   * own entity (it would still be running).
   *
   * `kind` (default "host"): a host crash is silent, so callers with open calls to it learn
   * only by their timeouts; a process crash fails them with `ConnectionResetError` (after the
   * hooks ran, in entity then call order: at once with direct delivery, by a reset sent over
   * the network otherwise, or to a paused caller, which gets it when its pause ends), and refuses calls that reach it while down the same way. See
   * `CrashKind`.
   */
  crash(options?: CrashOptions): void {
    this.crashNow(crashKindOf(options, `${this.name}.crash`));
  }

  /** The crash; returns how many callers' calls it reset. */
  private crashNow(kind: CrashKind): number {
    const sim = this.sim;
    if (this._status === "crashed") {
      throw new SimulationError(
        "crash() called on an entity that is already crashed",
        this.name,
        sim.nowNs,
      );
    }
    if (
      sim._currentProcess !== null &&
      sim._currentProcess.entity === (this as Entity<unknown, unknown>)
    ) {
      throw new SimulationError(
        "a process cannot crash its own entity; schedule the crash from a timer or another entity",
        this.name,
        sim.nowNs,
      );
    }
    this._status = "crashed";
    this._crashKind = kind;
    this._crashSerial++;
    this.counters.crashes++;
    // Before the cancellations, so the trace reads: the crash, then what it ended.
    this.traceStateChange("status", "up", "crashed", kind === "host" ? "crash" : "process-crash");
    while (this.firstProcess !== null) this.firstProcess.cancel("entity crashed");
    const calls = this.pendingCalls;
    if (calls !== null) {
      this.pendingCalls = null;
      for (const pending of calls.values()) pending.future.cancel("entity crashed");
    }
    sim.queue.cancelOwnedBy(this as Entity<unknown, unknown>);
    if (this._pauseDepth > 0) this.endPausesByCrash();
    const hooks = this.hooks;
    if (hooks !== null) for (const hook of hooks) hook.onCrash?.();
    this.onCrash();
    return kind === "process" ? this.resetCallers() : 0;
  }

  /**
   * Brings a crashed entity back up, then calls the lifecycle hooks' `onRecover()` and its own,
   * in that order: parts (a waiting line, a durable store) are whole again before the entity
   * rebuilds from them and restarts its timers.
   */
  recover(): void {
    if (this._status !== "crashed") {
      throw new SimulationError(
        "recover() called on an entity that is not crashed",
        this.name,
        this.sim.nowNs,
      );
    }
    this._status = "up";
    this._crashKind = null;
    this.traceStateChange("status", "crashed", "up", "recover");
    const hooks = this.hooks;
    if (hooks !== null) for (const hook of hooks) hook.onRecover?.();
    this.onRecover();
  }

  /**
   * Crashes the entity now (as `crash`, of `kind`) and recovers it after `downtime` seconds,
   * or when the returned fault's `heal()` is called (without a downtime, only then). Writes a
   * `fault` record ("host-crash" or "process-crash") when it crashes and when it recovers, beside
   * the crash's and the recovery's `state-changed` records. Recovery goes through `recover()`,
   * so the entity rebuilds from its durable state in `onRecover()`. If something else recovers
   * the entity first, the fault ends there (healing it then does nothing).
   */
  restart(options: RestartOptions = {}): NodeFault {
    const api = `${this.name}.restart`;
    if (options === null || typeof options !== "object") {
      throw new ConfigError(api, "options", "an object { kind?, downtime? }", options);
    }
    const kind = crashKindOf(options, api, ["kind", "downtime"]);
    const downtimeNs =
      options.downtime === undefined ? -1 : durationToNs(options.downtime, api, "downtime");
    const reset = this.crashNow(kind);
    const fault = new ActiveFault(
      this as Entity<unknown, unknown>,
      kind === "host" ? "host-crash" : "process-crash",
      1,
    );
    if (reset > 0) fault._count("callsReset", reset);
    fault.activate(
      `${kind} crash${kind === "process" ? `, ${reset} open call${reset === 1 ? "" : "s"} reset` : ""}${downtimeNs >= 0 ? `, down for ${formatTimeNs(downtimeNs)}` : ""}`,
      downtimeNs,
    );
    return fault;
  }

  /**
   * Pauses the entity for `duration` seconds (a GC pause, a VM stall, SIGSTOP), or until the
   * returned fault's `heal()` (without a duration, only then). Nothing of it runs meanwhile:
   * its timers, process wake-ups and call timeouts that fall due wait, and so do messages that
   * arrive (as a kernel buffers them). When the pause ends they run at that instant, before
   * anything else due then, in the order they fell due; the entity goes on with time having
   * moved on. It stays up (`isUp`, `status` "up"; `isPaused` true), so other entities' calls
   * to it are open, waiting, and may time out. Pauses may overlap: the entity runs again when
   * the last ends. A crash ends a pause (what it held is lost). Counted in `counters.pauses`.
   * Direct calls from other entities that would run its code wait for the end too (a process
   * of it cancelled, work its stations would start); a paused `Network` carries nothing.
   *
   * Costs an entity that is never paused nothing: the loop looks for paused entities only while
   * one is.
   */
  pause(duration?: number): NodeFault {
    const api = `${this.name}.pause`;
    const durationNs = duration === undefined ? -1 : durationToNs(duration, api, "duration");
    if (this._status === "crashed") {
      throw new SimulationError("pause() called on a crashed entity", this.name, this.sim.nowNs);
    }
    const fault = new ActiveFault(this as Entity<unknown, unknown>, "pause", 1);
    if (this._pauseDepth++ === 0) {
      this._heldMessages = 0;
      this.sim._pausesChanged(1);
    }
    this.counters.pauses++;
    this.addFault(fault);
    fault.activate(
      durationNs >= 0 ? `paused for ${formatTimeNs(durationNs)}` : "paused until healed",
      durationNs,
    );
    return fault;
  }

  /**
   * Slows the entity down: every service time it draws through `workTime` (every component's)
   * is multiplied by `factor` (> 0; 3 makes work take three times as long, 0.5 twice as fast)
   * for `duration` seconds, or until the returned fault's `heal()`. It applies to work drawn
   * while it is in force: work already started ends when it was due. Slowdowns in force
   * multiply. A crash does not end it (a slow machine stays slow).
   */
  slowDown(factor: number, duration?: number): NodeFault {
    const api = `${this.name}.slowDown`;
    if (typeof factor !== "number" || !(factor > 0) || factor === Number.POSITIVE_INFINITY) {
      throw new ConfigError(api, "factor", "a finite number > 0", factor);
    }
    const durationNs = duration === undefined ? -1 : durationToNs(duration, api, "duration");
    const fault = new ActiveFault(this as Entity<unknown, unknown>, "slow", factor);
    this.addFault(fault);
    this.applyFaultLevels();
    fault.activate(
      `service times x${factor}${durationNs >= 0 ? ` for ${formatTimeNs(durationNs)}` : ""}`,
      durationNs,
    );
    return fault;
  }

  /**
   * Reduces the capacity of the entity's stations (every `SlotPool` it is built on: a
   * `Server`'s workers, a `ThreadPool`'s threads, a `Database`'s connections, ...) to
   * `fraction` (in [0, 1]) of what it is, rounded down, for `duration` seconds or until the
   * returned fault's `heal()`: a lost core, a noisy neighbour, a pool shrunk by a bad config.
   * Work in service finishes (nothing is pre-empted); no new work starts until it fits; when the
   * capacity comes back, waiting work starts at once. Reductions in force multiply. An entity
   * without a station cannot have its capacity reduced (a `SimulationError`).
   */
  reduceCapacity(fraction: number, duration?: number): NodeFault {
    const api = `${this.name}.reduceCapacity`;
    if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) {
      throw new ConfigError(api, "fraction", "a number in [0, 1]", fraction);
    }
    const durationNs = duration === undefined ? -1 : durationToNs(duration, api, "duration");
    if (!this.hasCapacity) {
      throw new SimulationError(
        "reduceCapacity(): this entity has no capacity to reduce (no station: a Server, ThreadPool, Resource, ... built on a SlotPool)",
        this.name,
        this.sim.nowNs,
      );
    }
    const fault = new ActiveFault(this as Entity<unknown, unknown>, "capacity", fraction);
    this.addFault(fault);
    this.applyFaultLevels();
    fault.activate(
      `capacity x${fraction}${durationNs >= 0 ? ` for ${formatTimeNs(durationNs)}` : ""}`,
      durationNs,
    );
    return fault;
  }

  /** Whether `reduceCapacity` can work on it: it is built on a station (a `SlotPool`). */
  get hasCapacity(): boolean {
    return this.hooks?.some((hook) => hook.onCapacityFraction !== undefined) ?? false;
  }

  private addFault(fault: ActiveFault): void {
    if (this._nodeFaults === null) this._nodeFaults = [];
    this._nodeFaults.push(fault);
  }

  /** Recomputes the slowdown and the capacity fraction from the faults in force. */
  private applyFaultLevels(): void {
    let slowdown = 1;
    let capacity = 1;
    for (const fault of this._nodeFaults ?? []) {
      if (fault.fault === "slow") slowdown *= fault.level;
      else if (fault.fault === "capacity") capacity *= fault.level;
    }
    this._slowdown = slowdown;
    for (const hook of this.hooks ?? []) hook.onCapacityFraction?.(capacity);
  }

  /** @internal A fault in force on this entity ended (not a crash's: those end by `recover`). */
  _faultEnded(fault: ActiveFault): string {
    const faults = this._nodeFaults!;
    faults.splice(faults.indexOf(fault), 1);
    if (fault.fault === "pause") return this.unpause(fault);
    this.applyFaultLevels();
    return fault.fault === "slow" ? "speed restored" : "capacity restored";
  }

  /** One pause ended: if it was the last, the held events run now, in the order they fell due. */
  private unpause(fault: ActiveFault): string {
    if (--this._pauseDepth > 0) return "another pause is still in force";
    const sim = this.sim;
    sim._pausesChanged(-1);
    const held = this._heldSlots;
    fault._count("eventsHeld", held.length);
    fault._count("messagesHeld", this._heldMessages);
    this._heldSlots = [];
    const queue = sim.queue;
    const nowNs = sim.nowNs;
    for (const slot of held) queue.reinsert(slot, nowNs, sim._nextHeldSeq());
    return `resumed: ${held.length} held event${held.length === 1 ? "" : "s"} (${this._heldMessages} message${this._heldMessages === 1 ? "" : "s"}) run now`;
  }

  /** The entity crashed while paused: its pauses end and what they held is lost. */
  private endPausesByCrash(): void {
    const sim = this.sim;
    this._pauseDepth = 0;
    sim._pausesChanged(-1);
    const held = this._heldSlots;
    this._heldSlots = [];
    const queue = sim.queue;
    let dropped = 0;
    for (const slot of held) {
      // A held message was in the entity's buffers, which the crash loses; everything else it
      // held is its own (timers, wake-ups), cancelled with the rest, or was already cancelled.
      if (!queue.isCancelled(slot) && queue.slotType[slot] === EventType.Deliver) {
        const message = queue.slotPayload[slot] as Message<unknown>;
        dropped++;
        if (message.target === this) {
          this.counters.droppedWhileDown++;
          if (sim._tracing) traceMessage(message, "target-down");
        } else {
          // A message to someone else was crossing this entity (a paused network), already
          // carried: lost from its buffers, which is not a message it refused while down.
          this._carriedMessageLost();
          if (sim._tracing) traceMessage(message, this._carriedLossReason());
        }
      }
      queue.discard(slot);
    }
    dropped += this._dropKeptMessages();
    const faults = this._nodeFaults;
    if (faults === null) return;
    const pauses = faults.filter((fault) => fault.fault === "pause");
    this._nodeFaults = faults.filter((fault) => fault.fault !== "pause");
    pauses[0]?._count("messagesDropped", dropped);
    for (const pause of pauses) {
      pause._endedBy(`ended by a crash; ${dropped} held message${dropped === 1 ? "" : "s"} lost`);
    }
  }

  /**
   * @internal Messages this entity keeps itself while paused, to pass on when it resumes (a
   * paused network's new sends): counted with the messages its pause held (a negative count:
   * kept ones something else took away before the pause ended).
   */
  _countHeldMessage(count: number): void {
    this._heldMessages += count;
  }

  /**
   * @internal The crash of a paused entity loses the messages it kept itself to pass on at the
   * resume (a paused network's new sends, see `_countHeldMessage`): it drops and counts them,
   * and says how many, so the pause's record counts them with the held ones.
   */
  _dropKeptMessages(): number {
    return 0;
  }

  /**
   * @internal A message crossing this entity (a paused carrier, a `Network`), already carried,
   * was lost when it crashed; the carrier counts it (an entity that carries nothing never is).
   */
  _carriedMessageLost(): void {}

  /** @internal The trace's reason for a carried message lost in this entity's crash. */
  _carriedLossReason(): DropReason {
    return "network-down";
  }

  /** @internal The loop holds one of this entity's events (popped, its slot kept) while paused. */
  _hold(slot: number, isMessage: boolean): void {
    this._heldSlots.push(slot);
    if (isMessage) this._heldMessages++;
  }

  /**
   * A process crash: every other entity's open call to this one is reset, at once for a direct
   * call, or by a reset sent back over the network the call used (see `resetCall`).
   */
  private resetCallers(): number {
    let reset = 0;
    for (const caller of this.sim.entities) {
      const calls = caller.pendingCalls;
      if (calls === null || caller === (this as Entity<unknown, unknown>)) continue;
      for (const pending of calls.values()) {
        // A reset settles the caller's future at once, and whoever waits on it may cancel the
        // caller's other calls (a race's losers): those are settled already, not reset.
        if (
          pending.target === (this as Entity<unknown, unknown>) &&
          pending.future.isPending &&
          !pending.resetSent
        ) {
          this.resetCall(caller, pending, false);
          reset++;
        }
      }
    }
    this.counters.callsReset += reset;
    return reset;
  }

  /**
   * Resets (or refuses) `caller`'s open call `pending` to this entity. Without a network (the
   * direct transport) the call fails now. Over a network the reset is a packet like any other
   * (a TCP RST): it is sent back to the caller through the transport, so it arrives after the
   * path's latency, or never if a partition, a loss or a clog takes it (the caller then learns
   * by its timeout, as after a host crash). A paused caller runs nothing, so it gets the reset
   * as a packet too, even without a network: its pause holds it, and the call fails (and whoever
   * listens on it, a stage relaying the answer, runs) when the pause ends.
   */
  private resetCall(caller: Entity<unknown, unknown>, pending: PendingCall, refused: boolean) {
    const sim = this.sim;
    if (sim._directDelivery && caller._pauseDepth === 0) {
      caller._resetCall(pending, this.name, refused);
      return;
    }
    pending.resetSent = true;
    const reset = sim._send(
      this as Entity<unknown, unknown>,
      caller,
      "reset",
      new ResetReply(refused),
      pending.messageId,
      undefined,
    );
    // A reset that finds its call over (timed out, cancelled) is dropped uncounted: it was
    // never a reply anyone waited for.
    reset.awaited = false;
  }

  /** @internal Fails the open call `pending` with a connection reset (or refusal) by `by`. */
  _resetCall(pending: PendingCall, by: string, refused: boolean): void {
    this.pendingCalls!.delete(pending.messageId);
    if (pending.timerToken >= 0) this.sim.queue.cancel(pending.timerToken);
    if (this.sim._tracing) this.traceCall(pending.messageId, "reset");
    pending.future.reject(new ConnectionResetError(by, refused));
  }

  /** Called by `crash()` after everything is cancelled: forget volatile state here. */
  protected onCrash(): void {}

  /** Called by `recover()`: rebuild from durable state here. */
  protected onRecover(): void {}

  /**
   * This entity's headline numbers for run summaries and exports; components override it
   * (usually with the numbers of their `stats`). Default: none.
   */
  metrics(): EntityMetrics {
    return NO_METRICS;
  }

  /**
   * Series this entity recorded over the run (a probe's samples, a sink's latency per window),
   * which reports chart and exports write. Default: none.
   */
  recordedSeries(): readonly RecordedSeries[] {
    return [];
  }

  /** @internal A snapshot for the run summary. */
  _summary(): EntitySummary {
    const type = this.constructor as { name: string; catalog?: { name?: unknown } };
    return {
      name: this.name,
      type: typeof type.catalog?.name === "string" ? type.catalog.name : type.name,
      status: this._status,
      counters: { ...this.counters },
      liveProcesses: this.liveProcessCount,
      metrics: this.metrics(),
    };
  }

  /** Number of this entity's processes that have not finished. */
  get liveProcessCount(): number {
    let count = 0;
    for (let p = this.firstProcess; p !== null; p = p.nextInEntity) count++;
    return count;
  }

  /** Whether this entity has a call outstanding for the request message `messageId`. */
  isAwaitingReply(messageId: number): boolean {
    return this.pendingCalls?.has(messageId) ?? false;
  }

  /** Number of calls still waiting for a reply. */
  get pendingCallCount(): number {
    return this.pendingCalls?.size ?? 0;
  }

  /**
   * @internal The loop delivers a message here. Kept small so V8 inlines it into the loop:
   * the common case (an entity that is up, nobody tracing) is here, everything else out of
   * line.
   */
  _receive(message: Message<In>): void {
    if (this._status !== "up" || this.sim._tracing) {
      this.receiveRare(message);
      return;
    }
    const correlationId = message.correlationId;
    if (correlationId !== 0) {
      this.settleCall(message, correlationId, false);
      return;
    }
    this.counters.received++;
    const result = this.handle(message);
    if (result !== undefined) this.startHandler(message, result);
  }

  /** `_receive` for an entity that is down, or while someone listens to the trace. */
  private receiveRare(message: Message<In>): void {
    const tracing = this.sim._tracing;
    if (this._status !== "up") {
      this.counters.droppedWhileDown++;
      if (tracing) traceMessage(message, "target-down");
      // A dead process on a live host: its host refuses the connection, so the caller hears
      // at once instead of waiting for its timeout.
      if (this._crashKind === "process" && message.awaited && message.correlationId === 0) {
        this.refuseCall(message);
      }
      return;
    }
    const correlationId = message.correlationId;
    if (correlationId !== 0) {
      this.settleCall(message, correlationId, tracing);
      return;
    }
    this.counters.received++;
    if (tracing) traceMessage(message, null);
    const result = this.handle(message);
    if (result !== undefined) this.startHandler(message, result);
  }

  /** A reply arrived: it settles its call, or is dropped (and counted) if the call is over. */
  private settleCall(message: Message<In>, correlationId: number, tracing: boolean): void {
    // Replies only ever settle calls. One whose call timed out or was cancelled is dropped
    // and counted: handing it to handle() would make it look like a new request (a proxy
    // would forward it, or fail it back to the server as work).
    const pending = this.pendingCalls?.get(correlationId);
    if (pending === undefined) {
      if (message.awaited) this.counters.lateReplies++;
      if (tracing) traceMessage(message, message.awaited ? "late-reply" : "unawaited-reply");
      return;
    }
    this.pendingCalls!.delete(correlationId);
    if (pending.timerToken >= 0) this.sim.queue.cancel(pending.timerToken);
    const payload = message.payload;
    const refused = payload instanceof FailureReply;
    if (tracing) {
      traceMessage(message, null);
      this.traceCall(
        correlationId,
        refused ? (payload instanceof ResetReply ? "reset" : "refused") : "ok",
      );
    }
    if (refused) {
      const from = message.source?.name ?? "simulation";
      pending.future.reject(
        payload instanceof ResetReply
          ? new ConnectionResetError(from, payload.refused)
          : new RemoteError(payload.reason, from),
      );
    } else {
      pending.future.resolve(payload);
    }
  }

  /** `handle` returned something: a generator runs as a process; anything else is a mistake. */
  private startHandler(message: Message<In>, result: unknown): void {
    if (typeof (result as { next?: unknown }).next !== "function") {
      // An async handle() would run on the JavaScript event loop, outside simulated time.
      throw new SimulationError(
        `handle("${message.kind}") returned ${typeof (result as { then?: unknown }).then === "function" ? "a Promise (an async method)" : describeValue(result)}: a handler is a plain method returning nothing, or a generator method (*handle) that yields sleeps and futures; async/await runs outside simulated time`,
        this.name,
        this.sim.nowNs,
      );
    }
    // A generator method: run it as a process, first step now, inside this event.
    const process = new Process<unknown>(
      this as Entity<unknown, unknown>,
      result as ProcessGenerator<unknown>,
      message.kind,
      false,
    );
    this.linkProcess(process);
    process._startNow();
  }

  /** A request reached this entity while its process was down: its caller's call fails. */
  private refuseCall(request: Message<In>): void {
    const caller = request.source;
    const pending = caller?.pendingCalls?.get(request.id);
    if (caller === null || pending === undefined || pending.resetSent) return;
    this.counters.callsReset++;
    this.resetCall(caller, pending, true);
  }

  /** @internal A call timed out (from the timer event). */
  _callTimedOut(requestId: number, seconds: number): void {
    const pending = this.pendingCalls?.get(requestId);
    if (pending === undefined) return;
    this.pendingCalls!.delete(requestId);
    pending.timerToken = -1;
    if (this.sim._tracing) this.traceCall(requestId, "timed-out");
    pending.future.reject(new TimeoutError(seconds));
  }

  private linkProcess(process: Process<unknown>): void {
    const first = this.firstProcess;
    process.nextInEntity = first;
    process.prevInEntity = null;
    if (first !== null) first.prevInEntity = process;
    this.firstProcess = process;
  }

  /** @internal Removes a finished process from the live list; safe to call twice. */
  _unlinkProcess(process: Process<unknown>): void {
    const prev = process.prevInEntity;
    const next = process.nextInEntity;
    if (prev !== null) prev.nextInEntity = next;
    else if (this.firstProcess === process) this.firstProcess = next;
    else return;
    if (next !== null) next.prevInEntity = prev;
    process.prevInEntity = null;
    process.nextInEntity = null;
  }
}

/** A delivery (`reason` null) or a drop of `message`, for trace listeners. */
function traceMessage(message: Message<unknown>, reason: DropReason | null): void {
  const fields = {
    timeNs: message.target.sim.nowNs,
    messageId: message.id,
    kind: message.kind,
    source: message.source === null ? null : message.source.name,
    target: message.target.name,
  };
  message.target.sim._trace(
    reason === null
      ? { type: "message-delivered", ...fields }
      : { type: "message-dropped", ...fields, reason },
  );
}

function callTimedOut(pending: PendingCall): void {
  pending.entity._callTimedOut(pending.messageId, pending.seconds);
}

/** A node fault in force: the handle `restart`, `pause`, `slowDown` and `reduceCapacity` return. */
class ActiveFault implements NodeFault {
  readonly faultId: number;
  active = true;
  private readonly _counts: Record<string, number> = {};
  /** Queue token of the event that heals it after its duration, or -1. */
  private endToken = -1;
  /** For a crash: the entity's crash it made, the only one its heal recovers. */
  private readonly crashSerial: number;

  constructor(
    readonly entity: Entity<unknown, unknown>,
    readonly fault: NodeFaultKind,
    /** A slowdown's factor or a capacity cut's fraction (1 otherwise). */
    readonly level: number,
  ) {
    this.faultId = entity.sim.nextFaultId();
    this.crashSerial = entity._crashSerial;
  }

  get kind(): NodeFaultKind {
    return this.fault;
  }

  get targets(): readonly string[] {
    return [this.entity.name];
  }

  get counts(): Readonly<Record<string, number>> {
    return { ...this._counts };
  }

  /** @internal Adds `amount` (> 0) to count `key`. */
  _count(key: string, amount: number): void {
    if (amount > 0) this._counts[key] = (this._counts[key] ?? 0) + amount;
  }

  /** Writes the activation and schedules the end after `durationNs` (-1: none). */
  activate(detail: string, durationNs: number): void {
    this.record("activated", detail);
    if (durationNs >= 0) {
      const sim = this.entity.sim;
      // Owned by the simulation, not the entity: its crash or pause must not stop the healing.
      this.endToken = sim.queue.push(
        sim._checkedTime(sim.nowNs + durationNs, this.entity.name),
        EventType.Callback,
        healFault,
        this,
        null,
        false,
      );
    }
  }

  heal(): boolean {
    if (!this.active) return false;
    this.active = false;
    if (this.endToken >= 0) this.entity.sim.queue.cancel(this.endToken);
    this.endToken = -1;
    const entity = this.entity;
    let detail: string;
    if (this.fault === "host-crash" || this.fault === "process-crash") {
      if (entity.status === "crashed" && entity._crashSerial === this.crashSerial) {
        entity.recover();
        detail = "recovered";
      } else {
        detail = "already recovered";
      }
    } else {
      detail = entity._faultEnded(this);
    }
    this.record("healed", detail);
    return true;
  }

  /** @internal Ended by something else (a crash ends a pause). */
  _endedBy(detail: string): void {
    this.active = false;
    if (this.endToken >= 0) this.entity.sim.queue.cancel(this.endToken);
    this.endToken = -1;
    this.record("healed", detail);
  }

  private record(phase: "activated" | "healed", detail: string): void {
    const sim = this.entity.sim;
    if (sim._tracing) sim.traceFault(this.faultId, this.fault, phase, [this.entity.name], detail);
  }
}

function healFault(fault: ActiveFault): void {
  fault.heal();
}

/** The crash kind of `options` (default "host"), checked. */
function crashKindOf(
  options: CrashOptions | undefined,
  api: string,
  known: readonly string[] = ["kind"],
): CrashKind {
  // A misspelt option (`restart({ for: 1 })`) would otherwise crash the node for good.
  if (options !== undefined && options !== null && typeof options === "object") {
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) {
        throw new ConfigError(
          api,
          key,
          `a known option (${known.join(", ")})`,
          (options as Record<string, unknown>)[key],
        );
      }
    }
  }
  const kind = options?.kind ?? "host";
  if (kind !== "host" && kind !== "process") {
    throw new ConfigError(api, "kind", '"host" or "process"', kind);
  }
  return kind;
}
