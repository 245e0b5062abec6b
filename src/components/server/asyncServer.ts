/**
 * `AsyncServer`: an event-loop server in the style of Node.js or asyncio. One CPU thread
 * multiplexes up to `maxConnections` requests: while a request waits for I/O (a database
 * call, a downstream service) the loop runs other requests' CPU work, so thousands of slow
 * I/O waits cost almost nothing. The price is that CPU work is serialized: a request that
 * computes for 200 ms stalls every other request on the loop for 200 ms (the "don't block the
 * event loop" rule). A thread-per-request `Server` has the opposite profile: each waiting
 * request holds a worker, but one slow computation delays nobody else.
 *
 * A request runs as CPU, then (I/O, CPU) `ioCalls` times: parse, query, render. Each CPU
 * phase draws `cpuTime` and waits its turn on the loop (first ready, first run); each I/O wait
 * sleeps `ioTime` and/or calls `downstream`, and does not hold the loop. Beyond
 * `maxConnections` open requests, new ones are refused at once.
 *
 * Loop lag (how long a ready CPU phase waited for the loop) is the number Node.js operators
 * watch: it is the delay every request pays for everyone else's CPU work.
 *
 * @example
 * const api = new AsyncServer(sim, "api", {
 *   cpuTime: dist.exponential(0.002),
 *   downstream: database,
 *   ioCalls: 1,
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { TimeWeightedGauge } from "../../metrics/timeWeightedGauge.js";
import { constant } from "../../random/distributions/closedForm.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import type { Param } from "../../random/profile.js";
import { Forwarder } from "../shared/forwarder.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import {
  optionalFunction,
  requireDistribution,
  requireEntity,
  requireInteger,
} from "../shared/validate.js";

export interface AsyncServerOptions<Req, Res> {
  /** Most requests open at once (integer >= 1); more are refused at once. Default 10,000. */
  maxConnections?: number;
  /** CPU seconds of each CPU phase (there are `ioCalls + 1` per request). Default `dist.constant(0.001)`. */
  cpuTime?: Distribution;
  /** Seconds of each I/O wait, off the loop. Default: none (only `downstream`, if given). */
  ioTime?: Distribution;
  /** Called (with the request's kind and payload) in each I/O wait, off the loop. Default: none. */
  downstream?: Entity<Req, unknown>;
  /**
   * Seconds to wait for `downstream` on each call (> 0); a timeout fails the request. A number
   * or a profile, read when each call is sent. Default: no timeout.
   */
  timeout?: Param;
  /**
   * I/O waits per request (integer >= 0), each followed by a CPU phase. Default 1 when
   * `ioTime` or `downstream` is given, else 0 (a request is one CPU phase).
   */
  ioCalls?: number;
  /** Builds the reply from the request. Default: replies with the request's payload. */
  respond?: (request: Message<Req>) => Res;
}

/** A snapshot of what an async server has done. */
export interface AsyncServerStats {
  /** Requests open now (on the loop, waiting for it, or waiting for I/O). */
  readonly activeConnections: number;
  /** Most requests open at once since the start. */
  readonly peakConnections: number;
  /** Time-average number of open requests. */
  readonly meanConnections: number;
  readonly completed: number;
  /** Refused at once: `maxConnections` were open. */
  readonly rejected: number;
  /** Failed because `downstream` refused a call. */
  readonly failed: number;
  /** Failed because `downstream` did not answer a call within `timeout`. */
  readonly timedOut: number;
  /** Open requests lost because the server crashed. */
  readonly lostToCrash: number;
  /** Time-average fraction of time the loop's CPU was busy. */
  readonly cpuUtilization: number;
  /** CPU phases ready and waiting for the loop now. */
  readonly cpuQueueDepth: number;
  /** Mean seconds a ready CPU phase waited for the loop (0 when none ran). */
  readonly meanLoopLag: number;
  /** 99th percentile of that wait, in seconds (1% relative accuracy; 0 when none ran). */
  readonly p99LoopLag: number;
  /** Longest such wait, in seconds (0 when none ran). */
  readonly maxLoopLag: number;
}

export class AsyncServer<Req = unknown, Res = Req> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "AsyncServer",
    kind: "component",
    role: "flow",
    layer: "local",
    contract:
      "Keeps up to maxConnections requests open at once on one event loop: each request's CPU phases run one at a time in ready order (CPU work of one delays all), its I/O waits (ioTime, downstream calls) overlap freely; replies when its last CPU phase ends; beyond maxConnections refuses at once.",
    requires: ["Queue", "Timer", "Timeout", "Capacity"],
    provides: ["Bounded"],
    inputs: ["requests (call)", "downstream replies, rejections and silence"],
    outputs: [
      "replies",
      "rejections (RemoteError at the caller)",
      "downstream calls",
      "activeConnections, peakConnections, cpuUtilization, loop lag",
    ],
    state: "open requests and the loop's ready queue (volatile)",
    failure_semantics:
      "A crash loses every open request (counted in lostToCrash; callers time out) and abandons its downstream calls. A downstream failure or timeout fails that request only (RemoteError at the caller). Too many connections are refused at once rather than queued.",
    composition_rules: ["LoadBalancer", "Client", "Server", "RateLimiter"],
    operational_knobs: knobs<AsyncServerOptions<unknown, unknown>>()(
      "maxConnections",
      "cpuTime",
      "ioTime",
      "downstream",
      "timeout",
      "ioCalls",
      "respond",
    ),
  };

  readonly maxConnections: number;
  readonly ioCalls: number;
  private readonly cpuTime: Distribution;
  private readonly ioTime: Distribution | null;
  private readonly downstream: Entity<Req, unknown> | null;
  private readonly forwarder: Forwarder<Req, unknown>;
  private readonly respond: ((request: Message<Req>) => Res) | null;
  private readonly cpuDraws = this.random("cpu");
  private readonly ioDraws = this.random("io");
  private connections: TimeWeightedGauge;
  private loopLag = new Histogram();
  /** CPU phases waiting for the loop, oldest first; [head, length) are live. */
  private ready: SimFuture<void>[] = [];
  private readySinceNs: number[] = [];
  private head = 0;
  private cpuBusy = false;
  private cpuBusyNs = 0;
  private cpuSinceNs = 0;
  private counts = { completed: 0, rejected: 0, failed: 0, timedOut: 0, lostToCrash: 0 };

  constructor(sim: Simulation, name: string, options: AsyncServerOptions<Req, Res> = {}) {
    super(sim, name);
    const component = `AsyncServer "${name}"`;
    this.maxConnections = requireInteger(
      component,
      "maxConnections",
      options.maxConnections ?? 10_000,
      1,
    );
    this.cpuTime = requireDistribution(component, "cpuTime", options.cpuTime ?? constant(0.001));
    this.ioTime =
      options.ioTime === undefined
        ? null
        : requireDistribution(component, "ioTime", options.ioTime);
    this.downstream =
      options.downstream === undefined
        ? null
        : (requireEntity(component, "downstream", options.downstream, sim, Entity) as Entity<
            Req,
            unknown
          >);
    const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
    if (timeout !== null && this.downstream === null) {
      throw new ConfigError(
        component,
        "timeout",
        "unset when there is no downstream",
        timeout.param,
      );
    }
    this.forwarder = new Forwarder<Req, unknown>(this, {
      timeout,
      timedOutReason: (seconds) => `downstream timed out (${seconds}s)`,
    });
    const hasIo = this.ioTime !== null || this.downstream !== null;
    this.ioCalls = requireInteger(component, "ioCalls", options.ioCalls ?? (hasIo ? 1 : 0), 0);
    if (this.ioCalls > 0 && !hasIo) {
      throw new ConfigError(
        component,
        "ioCalls",
        "0 when neither ioTime nor downstream is given (an I/O wait needs one of them)",
        this.ioCalls,
      );
    }
    this.respond = optionalFunction(
      component,
      "respond",
      options.respond,
      "a function (request) => reply",
    );
    this.connections = new TimeWeightedGauge(sim, 0);
  }

  get stats(): AsyncServerStats {
    const lag = this.loopLag;
    const elapsed = this.nowNs - this.statsSinceNs;
    const busyNs = this.cpuBusyNs + (this.cpuBusy ? this.nowNs - this.cpuSinceNs : 0);
    return {
      activeConnections: this.connections.value,
      peakConnections: this.connections.max,
      meanConnections: this.connections.mean,
      ...this.counts,
      cpuUtilization: elapsed > 0 ? busyNs / elapsed : 0,
      cpuQueueDepth: this.ready.length - this.head,
      meanLoopLag: lag.count > 0 ? lag.mean : 0,
      p99LoopLag: lag.count > 0 ? lag.p99 : 0,
      maxLoopLag: lag.count > 0 ? lag.max : 0,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  override *handle(request: Message<Req>): Generator<Yieldable, void, unknown> {
    const c = this.counts;
    if (this.connections.value >= this.maxConnections) {
      c.rejected++;
      this.fail(request, `too many connections (${this.maxConnections} open)`);
      return;
    }
    this.connections.add(1);
    try {
      for (let phase = 0; ; phase++) {
        yield* this.runOnLoop();
        if (phase === this.ioCalls) break;
        if (this.ioTime !== null) yield this.ioTime.sample(this.ioDraws, this.now);
        if (this.downstream !== null) {
          const outcome = yield* this.forwarder.forward(this.downstream, request);
          if (outcome.kind !== "answer") {
            // A failed downstream call fails the request, with the downstream's reason.
            if (outcome.kind === "timedOut") c.timedOut++;
            else c.failed++;
            this.forwarder.relay(request, outcome);
            return;
          }
        }
      }
      c.completed++;
      this.reply(
        request,
        this.respond === null ? (request.payload as unknown as Res) : this.respond(request),
      );
    } finally {
      // A crash cancels this process (running this block) before onCrash resets the rest.
      if (this.isUp) this.connections.add(-1);
      else c.lostToCrash++;
    }
  }

  /** One CPU phase: wait for the loop (in ready order), compute, hand the loop on. */
  private *runOnLoop(): Generator<Yieldable, void, unknown> {
    if (this.cpuBusy) {
      const turn = this.future<void>("event loop turn");
      this.ready.push(turn);
      this.readySinceNs.push(this.nowNs);
      yield turn;
    } else {
      this.cpuBusy = true;
      this.cpuSinceNs = this.nowNs;
      this.loopLag.record(0);
    }
    yield this.cpuTime.sample(this.cpuDraws, this.now);
    this.handOver();
  }

  /** The running phase ended: the oldest ready phase gets the loop, or the loop goes idle. */
  private handOver(): void {
    if (this.head === this.ready.length) {
      this.cpuBusy = false;
      this.cpuBusyNs += this.nowNs - this.cpuSinceNs;
      return;
    }
    const next = this.ready[this.head]!;
    this.loopLag.record((this.nowNs - this.readySinceNs[this.head]!) / 1e9);
    this.ready[this.head] = undefined as unknown as SimFuture<void>;
    this.head++;
    if (this.head === this.ready.length) {
      this.ready.length = 0;
      this.readySinceNs.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.ready.length) {
      // Compact once the dead prefix dominates, so memory stays proportional to the queue.
      this.ready = this.ready.slice(this.head);
      this.readySinceNs = this.readySinceNs.slice(this.head);
      this.head = 0;
    }
    next.resolve();
  }

  protected override onCrash(): void {
    // The crash cancelled every request's process (counted in their finally blocks) and the
    // running phase's timer; the loop and its ready queue are gone.
    if (this.cpuBusy) this.cpuBusyNs += this.nowNs - this.cpuSinceNs;
    this.cpuBusy = false;
    this.ready = [];
    this.readySinceNs = [];
    this.head = 0;
    this.connections.set(0);
  }

  protected override onResetStats(): void {
    const c = this.counts;
    c.completed = 0;
    c.rejected = 0;
    c.failed = 0;
    c.timedOut = 0;
    c.lostToCrash = 0;
    this.loopLag = new Histogram();
    // Time averages start now; the connections open and the loop's state are kept.
    this.connections = new TimeWeightedGauge(this.sim, this.connections.value);
    this.cpuBusyNs = 0;
    if (this.cpuBusy) this.cpuSinceNs = this.nowNs;
  }
}
