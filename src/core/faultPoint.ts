/**
 * Fault points inside components (FoundationDB's BUGGIFY): a component declares a named place
 * where something may go wrong (an error path taken, a delay added), and a fault schedule
 * switches it on with a probability for an interval.
 *
 * Off, a point costs one branch (`probability !== 0`) and no draw, so declaring points moves no
 * golden output and no trace hash. On, it draws from its own stream (owner, `fault-point:<name>`),
 * so switching one point on never shifts another's draws or the component's own.
 *
 * ```ts
 * class Wal extends Entity {
 *   private readonly fsyncError = declareFaultPoint(this, "wal.fsync-error");
 *   sync() {
 *     if (this.fsyncError.fires()) throw new Error("fsync failed");
 *   }
 * }
 * ```
 */

import { ConfigError, SimulationError } from "../errors/errors.js";
import type { RandomStream } from "../random/randomStream.js";
import type { Entity } from "./entity.js";

export class FaultPoint {
  /** Chance each pass takes the point: 0 when off (the one branch a component pays). */
  private _probability = 0;
  private _delaySeconds = 0;
  private _taken = 0;
  private stream: RandomStream | null = null;

  /** @internal Declared with `declareFaultPoint`. */
  constructor(
    readonly owner: Entity<never, unknown>,
    readonly name: string,
  ) {}

  get probability(): number {
    return this._probability;
  }

  /** True while a schedule has it switched on. */
  get enabled(): boolean {
    return this._probability !== 0;
  }

  /** Times the point was taken since its owner was created. */
  get taken(): number {
    return this._taken;
  }

  /**
   * Whether to take the error path now: false, without a draw, while the point is off; while on,
   * true with its probability.
   */
  fires(): boolean {
    return this._probability !== 0 && this.draw();
  }

  /**
   * Seconds to add here: 0, without a draw, while the point is off; while on, its delay with its
   * probability (0 otherwise).
   */
  delay(): number {
    return this._probability !== 0 && this.draw() ? this._delaySeconds : 0;
  }

  /**
   * Switches the point on: taken with `probability` (in (0, 1]), adding `delaySeconds` where the
   * component asks for a delay. A fault schedule calls it; tests may too.
   */
  enable(probability: number, delaySeconds = 0): void {
    if (typeof probability !== "number" || !(probability > 0 && probability <= 1)) {
      throw new ConfigError(
        `fault point "${this.name}"`,
        "probability",
        "a number in (0, 1]",
        probability,
      );
    }
    if (typeof delaySeconds !== "number" || !Number.isFinite(delaySeconds) || delaySeconds < 0) {
      throw new ConfigError(
        `fault point "${this.name}"`,
        "delaySeconds",
        "a finite number >= 0",
        delaySeconds,
      );
    }
    this._probability = probability;
    this._delaySeconds = delaySeconds;
  }

  /** Switches the point off. */
  disable(): void {
    this._probability = 0;
    this._delaySeconds = 0;
  }

  private draw(): boolean {
    // The stream is made on first use, so a point never switched on creates nothing.
    let stream = this.stream;
    if (stream === null) {
      stream = this.owner.random(`fault-point:${this.name}`);
      this.stream = stream;
    }
    if (this._probability < 1 && !stream.bernoulli(this._probability)) return false;
    this._taken++;
    return true;
  }
}

/**
 * Where an entity keeps its points: a registered symbol, not a module-level map, so a fault
 * schedule from another copy of distsim's modules (the CLI's, applying `--faults` to a model
 * that tsx loaded with its own copy) finds them.
 */
const POINTS = Symbol.for("distsim.faultPoints");

type WithPoints = { [POINTS]?: Map<string, FaultPoint> };

/**
 * Declares the fault point `name` of `owner` (once per name), off. A component keeps it in a
 * field and asks it `fires()` or `delay()` where the fault would happen.
 */
export function declareFaultPoint(owner: Entity<never, unknown>, name: string): FaultPoint {
  if (typeof name !== "string" || name.length === 0) {
    throw new ConfigError(`${owner.name}`, "fault point name", "a non-empty string", name);
  }
  const holder = owner as unknown as WithPoints;
  let points = holder[POINTS];
  if (points === undefined) {
    points = new Map();
    holder[POINTS] = points;
  }
  if (points.has(name)) {
    throw new SimulationError(
      `fault point "${name}" is declared twice`,
      owner.name,
      owner.sim.nowNs,
    );
  }
  const point = new FaultPoint(owner, name);
  points.set(name, point);
  return point;
}

/** The fault points `entity` declared, by name, in declaration order. */
export function faultPointsOf(entity: Entity<never, unknown>): ReadonlyMap<string, FaultPoint> {
  return (entity as unknown as WithPoints)[POINTS] ?? new Map();
}
