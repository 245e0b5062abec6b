/**
 * `Source`: open-loop load. It sends a message to its target at every arrival of an arrival
 * process, whatever the target is doing, which is how real independent users behave (and why a
 * slow server builds a queue instead of slowing its callers down).
 *
 * @example
 * new Source(sim, "load", {
 *   target: server,
 *   arrivals: arrivals.poisson(profile.spike({ base: 8, peak: 16, start: 60, duration: 10 })),
 *   stopAfter: { time: 180 },
 * });
 *
 * A source without `stopAfter` is a daemon: it never keeps a run alive by itself, so give the
 * run a horizon (`run({ until })`). With `stopAfter` it keeps the run going until it stops, so
 * a plain `run()` ends when the last request has been served.
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import type { ArrivalIterator, ArrivalProcess } from "../../load/arrivals.js";
import { requireEntity, requireInteger } from "../shared/validate.js";

export interface SourceOptions<P> {
  /** Who receives the generated messages. */
  target: Entity<P, unknown>;
  /** When messages are generated (`arrivals.poisson(8)`, `arrivals.constant(profile)`, ...). */
  arrivals: ArrivalProcess;
  /** Kind of each message. Default "request". */
  kind?: string;
  /** Builds the payload of the index-th message (from 0) at `time` seconds. Default: the index. */
  payload?: (index: number, time: number) => P;
  /** Size of each message in bytes. Default 0. */
  sizeBytes?: number;
  /** When the arrival process starts, in seconds. Default 0 (or now, if later). */
  start?: number;
  /** Stop after this many messages, or at this time (seconds), whichever comes first. */
  stopAfter?: { count?: number; time?: number };
}

export class Source<P = number> extends Entity {
  static readonly catalog: CatalogEntry = {
    name: "Source",
    kind: "component",
    role: "load",
    layer: "application",
    contract:
      "Sends one message to its target at every arrival of its arrival process, whatever the target is doing (open loop), until stopAfter.",
    requires: ["Clock", "Timer", "SequenceCounter"],
    provides: ["Deterministic"],
    inputs: [
      "an arrival process (constant, Poisson, non-homogeneous, bursts, replay)",
      "a payload builder",
    ],
    outputs: ["request messages to the target"],
    state: "the arrival process's position and the count of messages sent",
    failure_semantics:
      "A crash cancels the pending arrival; arrivals that fall while it is down are lost, and recover() resumes from then. It never retries: a lost or failed request is the target's problem.",
    composition_rules: ["LoadBalancer", "RateLimiter", "Queue"],
    operational_knobs: knobs<SourceOptions<unknown>>()(
      "target",
      "arrivals",
      "kind",
      "payload",
      "sizeBytes",
      "start",
      "stopAfter",
    ),
  };

  /** Messages sent since creation or the last statistics reset. */
  generated = 0;
  /** Messages sent since creation: payload indexes and `stopAfter.count` (never reset). */
  private sentTotal = 0;
  private readonly target: Entity<P, unknown>;
  private readonly kind: string;
  private readonly makePayload: ((index: number, time: number) => P) | null;
  /** Send options of every message, built once; undefined for size 0. */
  private readonly sendOptions: { readonly sizeBytes: number } | undefined;
  private readonly maxCount: number;
  private readonly stopTime: number;
  /** Timer options of every arrival, built once (no allocation per arrival). */
  private readonly timerOptions: { readonly daemon: boolean };
  private readonly nextArrival: ArrivalIterator;
  private timer = -1;

  constructor(sim: Simulation, name: string, options: SourceOptions<P>) {
    // Validated before registering: a refused source leaves its name free and schedules nothing.
    const valid = validateSourceOptions(sim, name, options);
    super(sim, name);
    this.target = valid.target;
    this.kind = valid.kind;
    this.makePayload = valid.makePayload;
    this.sendOptions = valid.sizeBytes === 0 ? undefined : { sizeBytes: valid.sizeBytes };
    this.maxCount = valid.maxCount;
    this.stopTime = valid.stopTime;
    this.timerOptions = { daemon: valid.daemon };
    this.nextArrival = valid.arrivals.begin(this.random("arrivals"), valid.start);
    this.scheduleNext();
  }

  override metrics(): EntityMetrics {
    return { generated: this.generated };
  }

  /** True once the source has stopped for good (count or time reached, or arrivals ended). */
  get stopped(): boolean {
    return this.timer < 0;
  }

  private scheduleNext(): void {
    this.timer = -1;
    if (this.sentTotal >= this.maxCount) return;
    let time = this.nextArrival();
    // After a crash, arrivals that fell while the source was down are lost, not replayed.
    while (time !== null && time < this.now) time = this.nextArrival();
    if (time === null || time > this.stopTime) return;
    this.timer = this.at(time, this.fire, undefined, this.timerOptions);
  }

  private readonly fire = (): void => {
    const index = this.sentTotal++;
    this.generated++;
    const payload = this.makePayload === null ? (index as P) : this.makePayload(index, this.now);
    this.send(this.target, this.kind, payload, this.sendOptions);
    this.scheduleNext();
  };

  protected override onResetStats(): void {
    this.generated = 0;
  }

  protected override onRecover(): void {
    // A crash cancelled the pending arrival; resume the process from now on.
    this.scheduleNext();
  }
}

function validateSourceOptions<P>(sim: Simulation, name: string, options: SourceOptions<P>) {
  const component = `Source "${name}"`;
  const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
    P,
    unknown
  >;
  if (options.arrivals?.kind !== "arrivals") {
    throw new ConfigError(
      component,
      "arrivals",
      "an ArrivalProcess (arrivals.poisson(...), ...)",
      options.arrivals,
    );
  }
  const start = options.start ?? sim.now;
  if (typeof start !== "number" || !(start >= sim.now) || !Number.isFinite(start)) {
    throw new ConfigError(component, "start", `a time in seconds >= now (${sim.now})`, start);
  }
  const sizeBytes = requireInteger(component, "sizeBytes", options.sizeBytes ?? 0, 0);
  const count =
    options.stopAfter?.count === undefined
      ? undefined
      : requireInteger(component, "stopAfter.count", options.stopAfter.count, 0);
  const time = options.stopAfter?.time;
  if (time !== undefined && (typeof time !== "number" || !(time >= start))) {
    throw new ConfigError(
      component,
      "stopAfter.time",
      `a time in seconds >= start (${start})`,
      time,
    );
  }
  if (options.payload !== undefined && typeof options.payload !== "function") {
    throw new ConfigError(
      component,
      "payload",
      "a function (index, time) => payload",
      options.payload,
    );
  }
  const kind = options.kind ?? "request";
  if (typeof kind !== "string") throw new ConfigError(component, "kind", "a string", kind);
  return {
    target,
    arrivals: options.arrivals,
    start,
    kind,
    makePayload: options.payload ?? null,
    sizeBytes,
    maxCount: count ?? Number.POSITIVE_INFINITY,
    stopTime: time ?? Number.POSITIVE_INFINITY,
    daemon: options.stopAfter === undefined,
  };
}
