/**
 * `Probe`: samples any value of a model at a fixed interval of simulated time (a queue's
 * depth, a breaker's state, a link's utilization) into a series of points. Its timer is a
 * daemon, so probing never keeps a run alive, and sample k is taken at exactly
 * start + k x interval (no drift). `distsim run --report` charts every probe of a model.
 *
 * A probe samples state rather than accumulating it, so `sim.resetStats()` (a warm-up's end)
 * only forgets the samples taken before the reset instant (one taken at that instant is kept),
 * so its series covers the measured window like every other statistic; sampling goes on on
 * the same grid, and restarts if it had stopped at `maxPoints`.
 *
 * @example
 * new Probe(sim, "queue depth", { read: () => server.queued, interval: 0.5, unit: "requests" });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { requireInteger } from "../shared/validate.js";

export interface ProbeOptions {
  /** What to sample; called at each sample time. */
  read: () => number;
  /** Seconds between samples. Default 1. */
  interval?: number;
  /** Unit of the values, for charts ("requests", "ms"). Default "". */
  unit?: string;
  /** Most points kept; sampling stops (and `truncated` is set) beyond it. Default 1,000,000. */
  maxPoints?: number;
}

export class Probe extends Entity {
  static readonly catalog: CatalogEntry = {
    name: "Probe",
    kind: "component",
    role: "observability",
    layer: "local",
    contract:
      "Samples a value at start + k x interval of simulated time into a series of [time, value] points, without keeping the run alive.",
    requires: ["Timer", "Sampler", "MetricSample"],
    provides: ["Observable", "Bounded"],
    inputs: ["a read function"],
    outputs: ["points [time in seconds, value]"],
    state: "the points sampled so far",
    failure_semantics:
      "A crash stops sampling until recover(); stops at maxPoints with truncated = true rather than grow without bound.",
    composition_rules: ["Server", "Network", "CircuitBreaker"],
    operational_knobs: knobs<ProbeOptions>()("read", "interval", "unit", "maxPoints"),
  };

  readonly unit: string;
  readonly interval: number;
  /** The samples: [time in seconds, value], since creation or the last statistics reset. */
  readonly points: [number, number][] = [];
  /** True if sampling stopped at maxPoints. */
  truncated = false;
  private readonly read: () => number;
  private readonly maxPoints: number;
  private readonly startTime: number;
  private k = 0;

  constructor(sim: Simulation, name: string, options: ProbeOptions) {
    // Validated before registering: a refused probe leaves its name free and schedules nothing.
    const valid = validateProbeOptions(name, options);
    super(sim, name);
    this.read = valid.read;
    this.interval = valid.interval;
    this.unit = valid.unit;
    this.maxPoints = valid.maxPoints;
    this.startTime = sim.now;
    this.at(this.startTime, this.sample, undefined, { daemon: true });
  }

  override recordedSeries(): readonly RecordedSeries[] {
    return [{ name: this.name, unit: this.unit, points: this.points }];
  }

  override metrics(): EntityMetrics {
    return { points: this.points.length, last: this.points.at(-1)?.[1] ?? Number.NaN };
  }

  private readonly sample = (): void => {
    const value = this.read();
    if (!Number.isFinite(value)) {
      throw new ConfigError(
        `Probe "${this.name}"`,
        "read",
        "a function returning finite numbers",
        value,
      );
    }
    this.points.push([this.now, value]);
    this.k++;
    if (this.points.length >= this.maxPoints) {
      this.truncated = true;
      return;
    }
    // A sample taken late (the probe was paused) skips the grid times already past.
    if (this.startTime + this.k * this.interval < this.now) this.resumeSampling();
    else this.at(this.startTime + this.k * this.interval, this.sample, undefined, { daemon: true });
  };

  protected override onRecover(): void {
    if (!this.truncated) this.resumeSampling();
  }

  protected override onResetStats(): void {
    const now = this.now;
    const points = this.points;
    let kept = 0;
    while (kept < points.length && points[kept]![0] < now) kept++;
    points.splice(0, kept);
    if (this.truncated) {
      this.truncated = false;
      if (this.isUp) this.resumeSampling();
    }
  }

  /** Schedules the next sample on the original grid, at the first sample time not in the past. */
  private resumeSampling(): void {
    this.k = Math.max(this.k, Math.ceil((this.now - this.startTime) / this.interval));
    this.at(this.startTime + this.k * this.interval, this.sample, undefined, { daemon: true });
  }
}

function validateProbeOptions(name: string, options: ProbeOptions) {
  const component = `Probe "${name}"`;
  if (typeof options?.read !== "function")
    throw new ConfigError(component, "read", "a function () => number", options?.read);
  const interval = options.interval ?? 1;
  if (typeof interval !== "number" || !(interval > 0) || !Number.isFinite(interval)) {
    throw new ConfigError(component, "interval", "a duration in seconds > 0", interval);
  }
  const unit = options.unit ?? "";
  if (typeof unit !== "string") throw new ConfigError(component, "unit", "a string", unit);
  const maxPoints = requireInteger(component, "maxPoints", options.maxPoints ?? 1_000_000, 1);
  return { read: options.read, interval, unit, maxPoints };
}
