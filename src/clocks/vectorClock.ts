/**
 * `VectorClock`: one counter per node (Fidge and Mattern, 1988), which decides causality
 * exactly where a Lamport clock only orders: event a happened before event b if and only if
 * a's vector is below b's (every entry <=, one <); two events whose vectors are not ordered
 * either way are concurrent. Last-writer-wins stores, Dynamo's siblings and causal broadcast
 * all rest on that test.
 *
 * The protocol, for node n: every event increments n's entry; a send puts a copy of the
 * vector on the message; a receive merges the message's vector (entrywise maximum) and then
 * increments n's entry.
 *
 * A missing entry is 0, so vectors over different node sets compare as expected. Nothing
 * depends on the order of a hash table: `nodes()`, `toString()` and `toJSON()` list node ids in
 * sorted order (by UTF-16 code units, never by locale), so two equal clocks always serialize
 * the same.
 *
 * @example
 * const a = new VectorClock();
 * a.increment("a");                  // a's send
 * const onTheWire = a.copy();
 * const b = new VectorClock();
 * b.increment("b");                  // a local event at b
 * b.merge(onTheWire).increment("b"); // b's receive
 * onTheWire.compare(b);              // "before"
 * String(b);                         // "{a: 1, b: 2}"
 */
import { ConfigError } from "../errors/errors.js";

/** How two vector clocks relate. */
export type VectorOrder = "before" | "after" | "equal" | "concurrent";

export class VectorClock {
  private readonly counts = new Map<string, number>();

  /** A clock with the given entries (zeros are dropped), or empty: every entry 0. */
  constructor(entries?: Readonly<Record<string, number>> | Iterable<readonly [string, number]>) {
    if (entries === undefined) return;
    if (typeof entries !== "object" || entries === null) {
      throw new ConfigError("VectorClock", "entries", "an object or [node, count] pairs", entries);
    }
    const pairs =
      Symbol.iterator in entries
        ? (entries as Iterable<readonly [string, number]>)
        : Object.entries(entries);
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new ConfigError("VectorClock", "entries", "[node, count] pairs", pair);
      }
      const [node, count] = pair as readonly [unknown, unknown];
      checkNode("VectorClock", "entries", node);
      if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
        throw new ConfigError(
          "VectorClock",
          `entries[${JSON.stringify(node)}]`,
          "a safe integer >= 0",
          count,
        );
      }
      if (count > 0) this.counts.set(node as string, count);
    }
  }

  /** Reads a serialized clock back (`toJSON()`'s pairs). */
  static fromJSON(pairs: readonly (readonly [string, number])[]): VectorClock {
    if (!Array.isArray(pairs)) {
      throw new ConfigError(
        "VectorClock.fromJSON",
        "pairs",
        "an array of [node, count] pairs",
        pairs,
      );
    }
    return new VectorClock(pairs);
  }

  /** `node`'s entry (0 if it has none). */
  get(node: string): number {
    return this.counts.get(node) ?? 0;
  }

  /** An event at `node`: its entry goes up by one. Returns this clock, for chaining. */
  increment(node: string): this {
    checkNode("VectorClock.increment", "node", node);
    this.counts.set(node, (this.counts.get(node) ?? 0) + 1);
    return this;
  }

  /** Takes the entrywise maximum with `other` (a received vector). Returns this clock. */
  merge(other: VectorClock): this {
    checkClock("VectorClock.merge", other);
    for (const [node, count] of other.counts) {
      if (count > (this.counts.get(node) ?? 0)) this.counts.set(node, count);
    }
    return this;
  }

  /** An independent copy (what a send puts on the message). */
  copy(): VectorClock {
    const copy = new VectorClock();
    for (const [node, count] of this.counts) copy.counts.set(node, count);
    return copy;
  }

  /**
   * How this clock's event relates to `other`'s: "before" (happened before it), "after",
   * "equal" or "concurrent".
   */
  compare(other: VectorClock): VectorOrder {
    checkClock("VectorClock.compare", other);
    let below = false; // some entry of this < other's
    let above = false; // some entry of this > other's
    for (const [node, count] of this.counts) {
      const theirs = other.counts.get(node) ?? 0;
      if (count < theirs) below = true;
      else if (count > theirs) above = true;
    }
    for (const [node, count] of other.counts) {
      if (!this.counts.has(node) && count > 0) below = true;
    }
    if (below && above) return "concurrent";
    if (below) return "before";
    if (above) return "after";
    return "equal";
  }

  /** True if this clock's event happened before `other`'s. */
  happenedBefore(other: VectorClock): boolean {
    return this.compare(other) === "before";
  }

  /** True if neither event happened before the other (and they are not the same). */
  concurrentWith(other: VectorClock): boolean {
    return this.compare(other) === "concurrent";
  }

  /** The nodes with a non-zero entry, sorted. */
  nodes(): string[] {
    return [...this.counts.keys()].sort(byCodeUnits);
  }

  /** The entries as [node, count] pairs in sorted node order (JSON.stringify uses it). */
  toJSON(): [string, number][] {
    return this.nodes().map((node) => [node, this.counts.get(node)!]);
  }

  /** `{a: 1, b: 2}`, nodes sorted. */
  toString(): string {
    return `{${this.nodes()
      .map((node) => `${node}: ${this.counts.get(node)}`)
      .join(", ")}}`;
  }
}

/** Sorts strings by UTF-16 code units: the same everywhere, unlike `localeCompare`. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkNode(component: string, parameter: string, node: unknown): void {
  if (typeof node !== "string" || node.length === 0) {
    throw new ConfigError(component, parameter, "a node id (a non-empty string)", node);
  }
}

function checkClock(component: string, clock: unknown): void {
  if (!(clock instanceof VectorClock)) {
    throw new ConfigError(component, "other", "a VectorClock", clock);
  }
}
