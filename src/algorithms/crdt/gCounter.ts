/**
 * `GCounter`: a grow-only counter, the simplest state-based CRDT (Shapiro et al., 2011). Each
 * replica counts its own increments in its own entry; the value is the sum of the entries;
 * merging takes the entrywise maximum. So replicas that exchange states in any order, with
 * messages lost, duplicated or reordered, converge to the same total, and no increment is
 * ever lost to a concurrent one (which a register holding "the count" would do: two replicas
 * that read 5 and both write 6 lose an increment).
 *
 * Mutable: `increment` and `merge` change this replica and return it (for chaining); `copy()`
 * gives an independent one. `toJSON()` is the state as plain JSON (entries sorted by node id),
 * what a replica sends; `GCounter.fromJSON(node, state)` reads one back, and `merge` takes
 * either a replica or a state.
 *
 * @example
 * const a = new GCounter("a").increment(2);
 * const b = new GCounter("b").increment();
 * a.merge(b.toJSON()).value; // 3
 */
import { ConfigError } from "../../errors/errors.js";
import { checkAmount, checkNodeId, readCounts, sortedPairs } from "./validate.js";

/** A `GCounter`'s state as plain JSON: [node, count] pairs, sorted by node id. */
export interface GCounterState {
  readonly counts: readonly (readonly [string, number])[];
}

export class GCounter {
  /** This replica's node id: the entry its increments go to. */
  readonly node: string;
  private readonly counts: Map<string, number>;

  constructor(node: string, state?: GCounterState) {
    this.node = checkNodeId("GCounter", "node", node);
    this.counts = state === undefined ? new Map() : readState(`GCounter "${node}"`, state);
  }

  /** Reads a serialized state (`toJSON()`) into a replica owned by `node`. */
  static fromJSON(node: string, state: GCounterState): GCounter {
    return new GCounter(node, state);
  }

  /** The total: the sum of every node's entry. */
  get value(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  /** `node`'s entry (0 if none). */
  get(node: string): number {
    return this.counts.get(node) ?? 0;
  }

  /** Adds `amount` (an integer >= 1, default 1) to this replica's entry. */
  increment(amount = 1): this {
    checkAmount(`GCounter "${this.node}".increment`, amount);
    const next = (this.counts.get(this.node) ?? 0) + amount;
    if (!Number.isSafeInteger(next)) {
      throw new ConfigError(
        `GCounter "${this.node}".increment`,
        "amount",
        `at most ${Number.MAX_SAFE_INTEGER - (next - amount)} (the entry would pass 2^53 - 1)`,
        amount,
      );
    }
    this.counts.set(this.node, next);
    return this;
  }

  /** Takes the entrywise maximum with `other` (a replica or a state). Returns this replica. */
  merge(other: GCounter | GCounterState): this {
    const theirs =
      other instanceof GCounter ? other.counts : readState(`GCounter "${this.node}".merge`, other);
    for (const [node, count] of theirs) {
      if (count > (this.counts.get(node) ?? 0)) this.counts.set(node, count);
    }
    return this;
  }

  /** An independent copy, owned by `node` (default: this replica's node). */
  copy(node: string = this.node): GCounter {
    const copy = new GCounter(node);
    for (const [entry, count] of this.counts) copy.counts.set(entry, count);
    return copy;
  }

  /** The state as plain JSON, entries sorted by node id (JSON.stringify uses it). */
  toJSON(): GCounterState {
    return { counts: sortedPairs(this.counts) };
  }
}

function readState(component: string, state: unknown): Map<string, number> {
  if (typeof state !== "object" || state === null) {
    throw new ConfigError(
      component,
      "state",
      "a GCounter state { counts: [node, count][] }",
      state,
    );
  }
  return readCounts(component, "state.counts", (state as { counts?: unknown }).counts);
}
