/**
 * Concurrency models: how a `Server` decides whether it may start one more request. A plain
 * number (`concurrency: 8`) is a fixed count of workers and stays the fast path; a model
 * replaces it when the limit is not a constant:
 *
 * - `concurrency.fixed(n)`: n slots, exactly like `concurrency: n` (for code that wants every
 *   server to hold a model).
 * - `concurrency.dynamic({ initial, min, max })`: a slot count changed at run time with
 *   `setLimit(n)` (an autoscaler adding instances, an adaptive limiter). Raising it starts
 *   waiting requests at once; lowering it below the number in service lets those finish but
 *   starts no new one until the count is below the new limit (nothing is pre-empted).
 * - `concurrency.weighted({ capacity, weight })`: a pool of capacity units (memory, licences,
 *   CPU shares) from which each request takes `weight(request)` units for its whole service.
 *   A request heavier than the whole capacity could never start, so it is rejected at once.
 *
 * Waiting requests start strictly in queue order: a heavy request at the head of the queue is
 * not overtaken by lighter ones behind it, so it cannot starve (the price is head-of-line
 * blocking, the same trade a fair semaphore makes).
 *
 * A model holds the state of one server (its current limit) and is bound to it when the server
 * is built: give each server its own.
 *
 * @example
 * const limit = concurrency.dynamic({ initial: 4, min: 1, max: 32 });
 * const api = new Server(sim, "api", { concurrency: limit, serviceTime: dist.exponential(0.05) });
 * sim.at(60, () => limit.setLimit(16)); // the autoscaler adds capacity
 */

import type { Message } from "../../core/message.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { requireInteger } from "../shared/validate.js";
import type { ConcurrencyModel, ConcurrencyOwner } from "./concurrencyModel.js";

// The model's contract lives with the pool that uses it (the resource family), so the
// resource family does not import this one (no folder cycle).
export type { ConcurrencyModel, ConcurrencyOwner } from "./concurrencyModel.js";
export { isConcurrencyModel } from "./concurrencyModel.js";

/** Binding shared by every model: one owner, for life. */
abstract class BoundModel {
  readonly kind = "concurrency" as const;
  protected owner: ConcurrencyOwner | null = null;

  _bind(owner: ConcurrencyOwner, component: string): void {
    if (this.owner !== owner) this._checkUnbound(component);
    this.owner = owner;
  }

  _checkUnbound(component: string): void {
    if (this.owner !== null) {
      throw new ConfigError(
        component,
        "concurrency",
        `a concurrency model of its own (this one already serves "${this.owner.name}")`,
        this,
      );
    }
  }

  protected misuse(message: string): SimulationError {
    return new SimulationError(message, this.owner?.name ?? null, this.owner?.nowNs ?? 0);
  }
}

/** `limit` slots, one per request, for the whole run. */
export class FixedConcurrency<Req = unknown> extends BoundModel implements ConcurrencyModel<Req> {
  readonly weighted = false;
  readonly limit: number;

  constructor(limit: number) {
    super();
    this.limit = requireInteger("concurrency.fixed", "limit", limit, 1);
  }

  get description(): string {
    return `fixed(${this.limit})`;
  }

  weightOf(): number {
    return 1;
  }
}

export interface DynamicConcurrencyOptions {
  /** Slots at the start (integer in [min, max]). */
  initial: number;
  /** Lowest limit `setLimit` accepts (integer >= 1). Default 1. */
  min?: number;
  /** Highest limit `setLimit` accepts (integer >= min, and >= initial). */
  max: number;
}

/** A slot count that changes at run time with `setLimit(n)`, within [min, max]. */
export class DynamicConcurrency<Req = unknown> extends BoundModel implements ConcurrencyModel<Req> {
  readonly weighted = false;
  readonly min: number;
  readonly max: number;
  private current: number;
  private changes = 0;

  constructor(options: DynamicConcurrencyOptions) {
    super();
    const api = "concurrency.dynamic";
    const min = requireInteger(api, "min", options?.min ?? 1, 1);
    const max = requireInteger(api, "max", options?.max, min);
    const initial = requireInteger(api, "initial", options.initial, 1);
    if (initial < min || initial > max) {
      throw new ConfigError(api, "initial", `an integer in [min, max] = [${min}, ${max}]`, initial);
    }
    this.min = min;
    this.max = max;
    this.current = initial;
  }

  get limit(): number {
    return this.current;
  }

  /** Times `setLimit` changed the limit. */
  get limitChanges(): number {
    return this.changes;
  }

  get description(): string {
    return `dynamic(${this.current} in [${this.min}, ${this.max}])`;
  }

  weightOf(): number {
    return 1;
  }

  /**
   * Sets the limit (an integer in [min, max]) from now on. Raising it starts waiting requests
   * at once; lowering it pre-empts nothing: requests in service finish, and no new one starts
   * until fewer than `n` are in service. Throws `SimulationError` outside [min, max].
   */
  setLimit(n: number): void {
    if (!Number.isSafeInteger(n) || n < this.min || n > this.max) {
      throw this.misuse(
        `concurrency.dynamic setLimit(${n}): the limit must be an integer in [${this.min}, ${this.max}]`,
      );
    }
    if (n === this.current) return;
    this.current = n;
    this.changes++;
    this.owner?._capacityChanged();
  }
}

export interface WeightedConcurrencyOptions<Req> {
  /** Capacity units in total (integer >= 1): memory in MB, licences, CPU shares. */
  capacity: number;
  /**
   * Units a request takes for its whole service (must return an integer >= 1). Called once,
   * when the request arrives. Default: 1 for every request.
   */
  weight?: (request: Message<Req>) => number;
}

/** A capacity pool from which each request takes `weight(request)` units while in service. */
export class WeightedConcurrency<Req = unknown>
  extends BoundModel
  implements ConcurrencyModel<Req>
{
  readonly weighted = true;
  readonly limit: number;
  private readonly weight: ((request: Message<Req>) => number) | null;

  constructor(options: WeightedConcurrencyOptions<Req>) {
    super();
    const api = "concurrency.weighted";
    this.limit = requireInteger(api, "capacity", options?.capacity, 1);
    const weight = options.weight;
    if (weight !== undefined && typeof weight !== "function") {
      throw new ConfigError(api, "weight", "a function (request) => integer >= 1", weight);
    }
    this.weight = weight ?? null;
  }

  get description(): string {
    return `weighted(capacity ${this.limit})`;
  }

  weightOf(request: Message<Req>): number {
    if (this.weight === null) return 1;
    const units = this.weight(request);
    if (!Number.isSafeInteger(units) || units < 1) {
      throw this.misuse(
        `concurrency.weighted weight() returned ${String(units)} for "${request.kind}" message ${request.id}; expected an integer >= 1`,
      );
    }
    return units;
  }
}

/** `limit` slots for the whole run; the same as `concurrency: limit`, held as a model. */
export function fixed<Req = unknown>(limit: number): FixedConcurrency<Req> {
  return new FixedConcurrency<Req>(limit);
}

/** A slot count changed at run time with `setLimit(n)`, within [min, max]. */
export function dynamic<Req = unknown>(
  options: DynamicConcurrencyOptions,
): DynamicConcurrency<Req> {
  return new DynamicConcurrency<Req>(options);
}

/** A pool of `capacity` units from which each request takes `weight(request)`. */
export function weighted<Req = unknown>(
  options: WeightedConcurrencyOptions<Req>,
): WeightedConcurrency<Req> {
  return new WeightedConcurrency<Req>(options);
}
