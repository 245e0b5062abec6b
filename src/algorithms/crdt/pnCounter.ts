/**
 * `PNCounter`: a counter that goes both ways, as two grow-only counters (Shapiro et al., 2011):
 * `increments` and `decrements`, each a `GCounter`; the value is their difference and may be
 * negative. A single counter with entrywise maximum cannot go down (a decrement would look like
 * a stale entry and lose the merge), which is why the two halves are kept apart.
 *
 * Mutable, like `GCounter`: `increment`, `decrement` and `merge` change this replica and return
 * it; `copy()` gives an independent one; `toJSON()` is the plain-JSON state (entries sorted by
 * node id); `merge` takes a replica or a state.
 *
 * @example
 * const a = new PNCounter("a").increment(5);
 * const b = new PNCounter("b").decrement(7);
 * a.merge(b.toJSON()).value; // -2
 */
import { ConfigError } from "../../errors/errors.js";
import { GCounter, type GCounterState } from "./gCounter.js";
import { checkNodeId } from "./validate.js";

/** A `PNCounter`'s state as plain JSON: its two grow-only halves. */
export interface PNCounterState {
  readonly increments: GCounterState;
  readonly decrements: GCounterState;
}

export class PNCounter {
  readonly node: string;
  private readonly increments: GCounter;
  private readonly decrements: GCounter;

  constructor(node: string, state?: PNCounterState) {
    this.node = checkNodeId("PNCounter", "node", node);
    if (state !== undefined) checkState(`PNCounter "${node}"`, state);
    this.increments = new GCounter(node, state?.increments);
    this.decrements = new GCounter(node, state?.decrements);
  }

  /** Reads a serialized state (`toJSON()`) into a replica owned by `node`. */
  static fromJSON(node: string, state: PNCounterState): PNCounter {
    return new PNCounter(node, state);
  }

  /** Increments minus decrements, over every node: may be negative. */
  get value(): number {
    return this.increments.value - this.decrements.value;
  }

  /** Adds `amount` (an integer >= 1, default 1). */
  increment(amount = 1): this {
    this.increments.increment(amount);
    return this;
  }

  /** Subtracts `amount` (an integer >= 1, default 1). */
  decrement(amount = 1): this {
    this.decrements.increment(amount);
    return this;
  }

  /** Merges each half with `other`'s (a replica or a state). Returns this replica. */
  merge(other: PNCounter | PNCounterState): this {
    if (other instanceof PNCounter) {
      this.increments.merge(other.increments);
      this.decrements.merge(other.decrements);
    } else {
      // Both halves are read before either is merged, so a bad state changes nothing.
      checkState(`PNCounter "${this.node}".merge`, other);
      const increments = new GCounter(this.node, other.increments);
      const decrements = new GCounter(this.node, other.decrements);
      this.increments.merge(increments);
      this.decrements.merge(decrements);
    }
    return this;
  }

  /** An independent copy, owned by `node` (default: this replica's node). */
  copy(node: string = this.node): PNCounter {
    return new PNCounter(node, this.toJSON());
  }

  /** The state as plain JSON (JSON.stringify uses it). */
  toJSON(): PNCounterState {
    return { increments: this.increments.toJSON(), decrements: this.decrements.toJSON() };
  }
}

function checkState(component: string, state: unknown): void {
  const halves = state as Partial<PNCounterState> | null;
  if (
    typeof halves !== "object" ||
    halves === null ||
    typeof halves.increments !== "object" ||
    typeof halves.decrements !== "object"
  ) {
    throw new ConfigError(
      component,
      "state",
      "a PNCounter state { increments: GCounterState, decrements: GCounterState }",
      state,
    );
  }
}
