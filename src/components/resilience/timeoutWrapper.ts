/**
 * `TimeoutWrapper`: puts a deadline on every request to a target. A caller that waits
 * without one waits as long as the slowest dependency takes (forever, if it hangs), holding
 * whatever the request holds (a worker, a connection, a user). The wrapper fails the request
 * once `timeout` seconds pass ("timed out"), so the caller gets an answer it can act on
 * (retry elsewhere, fall back, give up) in bounded time. The target is not told: it may
 * still finish the work, and its late answer is dropped.
 *
 * @example
 * const bounded = new TimeoutWrapper(sim, "deadline", { target: inventory, timeout: 0.25 });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { RemoteError, TimeoutError } from "../../errors/errors.js";
import type { Param } from "../../random/profile.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity } from "../shared/validate.js";

export interface TimeoutWrapperOptions<Req, Res> {
  /** What the deadline applies to. */
  target: Entity<Req, Res>;
  /**
   * Seconds each request may take before the caller is answered "timed out" (> 0): a number or
   * a profile, read when each request is forwarded.
   */
  timeout: Param;
}

/**
 * What a wrapper did with its requests (it forwards every one). At all times, crashes or not,
 * `forwarded = succeeded + timeouts + rejections + lostToCrash + inFlight`.
 */
export interface TimeoutWrapperStats {
  /** Requests received, each forwarded at once. */
  readonly forwarded: number;
  readonly succeeded: number;
  /** Requests failed because the deadline passed. */
  readonly timeouts: number;
  /** Requests the target itself refused (passed on as they came). */
  readonly rejections: number;
  /** Forwarded requests not answered yet. */
  readonly inFlight: number;
  /** Requests in flight when the wrapper crashed: never answered. */
  readonly lostToCrash: number;
}

export class TimeoutWrapper<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "TimeoutWrapper",
    kind: "component",
    role: "timing",
    layer: "local",
    contract:
      "Forwards each request and answers with the target's reply, or fails it with \"timed out\" once timeout seconds pass; the target's own rejections pass through.",
    requires: ["Timeout", "Deadline", "Timer"],
    provides: ["Bounded"],
    inputs: ["requests", "the target's replies, rejections and silence"],
    outputs: [
      "replies",
      "timeouts (RemoteError at the caller)",
      "forwarded, timeouts, inFlight, lostToCrash",
    ],
    state: "requests in flight (volatile)",
    failure_semantics:
      "A timed-out request may still be executed by the target (its late answer is dropped): the deadline bounds the caller's wait, not the work. A crash abandons requests in flight (counted in lostToCrash; callers time out).",
    composition_rules: ["Client", "Server", "Fallback", "CircuitBreaker"],
    operational_knobs: knobs<TimeoutWrapperOptions<unknown, unknown>>()("target", "timeout"),
  };

  /** The deadline as given: seconds, or a profile of seconds. */
  readonly timeout: Param;
  private readonly target: Entity<Req, Res>;
  private readonly deadline: TimeoutParam;
  /**
   * Requests forwarded and not answered yet. A request leaves it where its outcome is counted,
   * so the ones a crash cancels are still here when `onCrash` counts them lost.
   */
  private inFlight = 0;
  private counts = { forwarded: 0, succeeded: 0, timeouts: 0, rejections: 0, lostToCrash: 0 };

  constructor(sim: Simulation, name: string, options: TimeoutWrapperOptions<Req, Res>) {
    super(sim, name);
    const component = `TimeoutWrapper "${name}"`;
    this.target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
      Req,
      Res
    >;
    this.deadline = TimeoutParam.from(component, "timeout", options.timeout);
    this.timeout = this.deadline.param;
  }

  get stats(): TimeoutWrapperStats {
    return { ...this.counts, inFlight: this.inFlight };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  override *handle(request: Message<Req>) {
    const c = this.counts;
    c.forwarded++;
    this.inFlight++;
    try {
      const answer = (yield this.request(
        this.target,
        request.kind,
        request.payload,
        this.deadline.callOptionsAt(this.now),
      )) as Res;
      c.succeeded++;
      this.inFlight--;
      this.reply(request, answer);
    } catch (error) {
      if (error instanceof TimeoutError) {
        c.timeouts++;
        this.inFlight--;
        this.fail(request, `timed out after ${error.seconds}s`);
      } else if (error instanceof RemoteError) {
        c.rejections++;
        this.inFlight--;
        this.fail(request, error.reason);
      } else {
        throw error;
      }
    }
  }

  protected override onCrash(): void {
    // The crash cancelled the processes of the requests in flight (they count nothing when
    // cancelled): those requests are lost.
    this.counts.lostToCrash += this.inFlight;
    this.inFlight = 0;
  }
}
