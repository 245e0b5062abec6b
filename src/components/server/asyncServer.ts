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
 * The loop is a `Resource` of capacity 1 (src/components/resource): a CPU phase acquires it,
 * waiting its turn in FIFO order, and releases it to the next ready phase.
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
import type { Message } from "../../core/message.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { TimeWeightedGauge } from "../../metrics/timeWeightedGauge.js";
import { constant } from "../../random/distributions/closedForm.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import type { Param } from "../../random/profile.js";
import { Resource } from "../resource/resource.js";
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

/**
 * A snapshot of what an async server has done. At every instant (crashes and
 * `sim.resetStats()` included): `requests = completed + rejected + failed + timedOut +
 * lostToCrash + active`. Time averages and histograms cover the server's lifetime: since its creation or
 * the last reset.
 */
export interface AsyncServerStats {
  /** Requests received. */
  readonly requests: number;
  /** Requests open now (on the loop, waiting for it, or waiting for I/O). */
  readonly active: number;
  /** Most requests open at once. */
  readonly peakConnections: number;
  /** Time-average number of open requests (the number in the system). */
  readonly meanInSystem: number;
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
  readonly cpuQueued: number;
  /** Fraction of CPU phases that found the loop busy and had to wait. */
  readonly probabilityOfWaiting: number;
  /** Mean seconds a ready CPU phase waited for the loop (0 when none ran). */
  readonly meanLoopLag: number;
  /** 99th percentile of that wait, in seconds (1% relative accuracy; 0 when none ran). */
  readonly p99LoopLag: number;
  /** Longest such wait, in seconds (0 when none ran). */
  readonly maxLoopLag: number;
  /** Mean seconds from arrival to the reply, over completed requests (0 when none). */
  readonly meanSojourn: number;
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
      "requests, active, peakConnections, cpuUtilization, loop lag, sojourn time",
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
  /** The loop: one CPU, handed from phase to phase in ready order. */
  private readonly loop: Resource;
  private _sojournTime = new Histogram();
  private readonly counts = {
    requests: 0,
    completed: 0,
    rejected: 0,
    failed: 0,
    timedOut: 0,
    lostToCrash: 0,
  };

  constructor(sim: Simulation, name: string, options: AsyncServerOptions<Req, Res> = {}) {
    // Checked before registering: a refused server leaves no entity behind.
    const config = checkAsyncServerOptions(sim, name, options);
    super(sim, name);
    this.maxConnections = config.maxConnections;
    this.cpuTime = config.cpuTime;
    this.ioTime = config.ioTime;
    this.downstream = config.downstream;
    this.forwarder = new Forwarder<Req, unknown>(this, {
      timeout: config.timeout,
      timedOutReason: (seconds) => `downstream timed out (${seconds}s)`,
    });
    this.ioCalls = config.ioCalls;
    this.respond = config.respond;
    this.connections = new TimeWeightedGauge(sim, 0);
    this.loop = new Resource(this as Entity<never, unknown>, { name: "event loop" });
  }

  /** Seconds a ready CPU phase waited for the loop (the loop lag), per phase run. */
  get loopLag(): Histogram {
    return this.loop.waitTime;
  }

  /** Seconds from arrival to the reply, per completed request. */
  get sojournTime(): Histogram {
    return this._sojournTime;
  }

  get stats(): AsyncServerStats {
    const lag = this.loop.waitTime;
    const loop = this.loop.stats;
    const sojourn = this._sojournTime;
    return {
      requests: this.counts.requests,
      active: this.connections.value,
      peakConnections: this.connections.max,
      meanInSystem: this.connections.mean,
      completed: this.counts.completed,
      rejected: this.counts.rejected,
      failed: this.counts.failed,
      timedOut: this.counts.timedOut,
      lostToCrash: this.counts.lostToCrash,
      cpuUtilization: loop.utilization,
      cpuQueued: loop.queued,
      probabilityOfWaiting: loop.probabilityOfWaiting,
      meanLoopLag: lag.count > 0 ? lag.mean : 0,
      p99LoopLag: lag.count > 0 ? lag.p99 : 0,
      maxLoopLag: lag.count > 0 ? lag.max : 0,
      meanSojourn: sojourn.count > 0 ? sojourn.mean : 0,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  override *handle(request: Message<Req>): Generator<Yieldable, void, unknown> {
    const c = this.counts;
    c.requests++;
    if (this.connections.value >= this.maxConnections) {
      c.rejected++;
      this.fail(request, `too many connections (${this.maxConnections} open)`);
      return;
    }
    this.connections.add(1);
    const arrivalNs = this.nowNs;
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
      this._sojournTime.record((this.nowNs - arrivalNs) / 1e9);
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
    // Acquired at once when the loop is idle (no yield); else its turn comes from release.
    const turn = yield* this.loop.acquire();
    yield this.workTime(this.cpuTime.sample(this.cpuDraws, this.now));
    // Not in a finally: a crash cancels this process mid-phase, and the crash (through the
    // loop's lifecycle hook) has already taken the loop back.
    this.loop.release(turn);
  }

  protected override onCrash(): void {
    // The crash cancelled every request's process (counted in their finally blocks) and the
    // running phase's timer; the loop and its ready queue were emptied by the loop's hook.
    this.connections.set(0);
  }

  protected override onResetStats(): void {
    // Open requests are counted again as received, so the identity keeps holding. The counts
    // are reset in place: each open request's process holds this object and counts its end in it.
    const open = this.connections.value;
    const c = this.counts;
    c.requests = open;
    c.completed = 0;
    c.rejected = 0;
    c.failed = 0;
    c.timedOut = 0;
    c.lostToCrash = 0;
    this.connections.reset();
    this._sojournTime.reset();
  }
}

/** An async server's options, checked and defaulted, before the server registers. */
function checkAsyncServerOptions<Req, Res>(
  sim: Simulation,
  name: string,
  options: AsyncServerOptions<Req, Res>,
) {
  const component = `AsyncServer "${name}"`;
  const maxConnections = requireInteger(
    component,
    "maxConnections",
    options.maxConnections ?? 10_000,
    1,
  );
  const cpuTime = requireDistribution(component, "cpuTime", options.cpuTime ?? constant(0.001));
  const ioTime =
    options.ioTime === undefined ? null : requireDistribution(component, "ioTime", options.ioTime);
  const downstream =
    options.downstream === undefined
      ? null
      : (requireEntity(component, "downstream", options.downstream, sim, Entity) as Entity<
          Req,
          unknown
        >);
  const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
  if (timeout !== null && downstream === null) {
    throw new ConfigError(component, "timeout", "unset when there is no downstream", timeout.param);
  }
  const hasIo = ioTime !== null || downstream !== null;
  const ioCalls = requireInteger(component, "ioCalls", options.ioCalls ?? (hasIo ? 1 : 0), 0);
  if (ioCalls > 0 && !hasIo) {
    throw new ConfigError(
      component,
      "ioCalls",
      "0 when neither ioTime nor downstream is given (an I/O wait needs one of them)",
      ioCalls,
    );
  }
  const respond = optionalFunction(
    component,
    "respond",
    options.respond,
    "a function (request) => reply",
  );
  return { maxConnections, cpuTime, ioTime, downstream, timeout, ioCalls, respond };
}
