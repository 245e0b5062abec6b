/**
 * `ORSet`: an observed-remove set of strings, add-wins (Shapiro et al., 2011), in its optimized
 * form without tombstones (Bieniusa et al., 2012, "An optimized conflict-free replicated set").
 *
 * Every add gets a unique tag, a dot (node, sequence number), and the set keeps, per element,
 * the dots of the adds it has seen and not removed; the element is present while it has one.
 * A remove drops the dots this replica has observed, and only those: an add concurrent with
 * the remove (a dot the remover had not seen) survives the merge, so add wins over a
 * concurrent remove and a remove never cancels an add it did not know of. (A last-writer-wins
 * set decides the same race by timestamp, and so silently drops one side.)
 *
 * Instead of keeping removed dots as tombstones, each replica keeps its causal context: a
 * `VectorClock` of every dot it has seen (dots of one node are numbered 1, 2, 3, ..., so a
 * count per node says exactly which it has seen). A merge keeps a dot both sides hold, or one
 * that a side holds and the other has never seen; a dot one side has seen and no longer holds
 * was removed there.
 *
 * Mutable: `add`, `remove` and `merge` change this replica and return it; `copy()` gives an
 * independent one; `toJSON()` is the plain-JSON state (elements and nodes in sorted order).
 *
 * @example
 * const a = new ORSet("a").add("x");
 * const b = new ORSet("b").merge(a);
 * a.remove("x");         // a removes the x it saw...
 * b.add("x");            // ...while b adds it again, concurrently
 * a.merge(b).has("x");   // true: the concurrent add wins
 */
import { VectorClock } from "../../clocks/vectorClock.js";
import { ConfigError } from "../../errors/errors.js";
import { byCodeUnits, checkNodeId, readCounts, sortedPairs } from "./validate.js";

/** An `ORSet`'s state as plain JSON: each element's dots, and the causal context. */
export interface ORSetState {
  /** [element, [node, sequence][]] pairs, sorted by element, dots sorted by node. */
  readonly elements: readonly (readonly [string, readonly (readonly [string, number])[]])[];
  /** The dots seen: [node, highest sequence] pairs (a `VectorClock`'s `toJSON()`). */
  readonly context: readonly (readonly [string, number])[];
}

/** Per element: node -> the sequence of its live add (one per node; a later add replaces). */
type Dots = Map<string, number>;

export class ORSet {
  readonly node: string;
  private readonly entries = new Map<string, Dots>();
  private readonly context = new VectorClock();

  constructor(node: string, state?: ORSetState) {
    this.node = checkNodeId("ORSet", "node", node);
    if (state !== undefined) {
      const read = readState(`ORSet "${node}"`, state);
      for (const [element, dots] of read.entries) this.entries.set(element, dots);
      this.context.merge(read.context);
    }
  }

  /** Reads a serialized state (`toJSON()`) into a replica owned by `node`. */
  static fromJSON(node: string, state: ORSetState): ORSet {
    return new ORSet(node, state);
  }

  /** The elements present, sorted. */
  get value(): string[] {
    return [...this.entries.keys()].sort(byCodeUnits);
  }

  get size(): number {
    return this.entries.size;
  }

  has(element: string): boolean {
    return this.entries.has(element);
  }

  /** Adds `element` with a new dot; the dots it replaces were observed, so they go. */
  add(element: string): this {
    checkElement(`ORSet "${this.node}".add`, element);
    this.context.increment(this.node);
    this.entries.set(element, new Map([[this.node, this.context.get(this.node)]]));
    return this;
  }

  /** Removes `element`'s observed adds (a no-op if it is absent here). */
  remove(element: string): this {
    checkElement(`ORSet "${this.node}".remove`, element);
    this.entries.delete(element);
    return this;
  }

  /** Joins `other` (a replica or a state) into this replica. Returns this replica. */
  merge(other: ORSet | ORSetState): this {
    const theirs: { entries: ReadonlyMap<string, Dots>; context: VectorClock } =
      other instanceof ORSet
        ? { entries: other.entries, context: other.context }
        : readState(`ORSet "${this.node}".merge`, other);
    const elements = new Set([...this.entries.keys(), ...theirs.entries.keys()]);
    for (const element of elements) {
      const mine = this.entries.get(element);
      const their = theirs.entries.get(element);
      const kept: Dots = new Map();
      if (mine !== undefined) {
        for (const [node, seq] of mine) {
          if (their?.get(node) === seq || seq > theirs.context.get(node)) kept.set(node, seq);
        }
      }
      if (their !== undefined) {
        for (const [node, seq] of their) {
          if (seq > this.context.get(node) && seq > (kept.get(node) ?? 0)) kept.set(node, seq);
        }
      }
      if (kept.size > 0) this.entries.set(element, kept);
      else this.entries.delete(element);
    }
    this.context.merge(theirs.context);
    return this;
  }

  /** An independent copy, owned by `node` (default: this replica's node). */
  copy(node: string = this.node): ORSet {
    return new ORSet(node, this.toJSON());
  }

  /** The state as plain JSON (JSON.stringify uses it). */
  toJSON(): ORSetState {
    return {
      elements: this.value.map((element) => [element, sortedPairs(this.entries.get(element)!)]),
      context: this.context.toJSON(),
    };
  }
}

function checkElement(component: string, element: unknown): void {
  if (typeof element !== "string") {
    throw new ConfigError(component, "element", "a string", element);
  }
}

function readState(
  component: string,
  state: unknown,
): { entries: Map<string, Dots>; context: VectorClock } {
  const s = state as Partial<ORSetState> | null;
  if (typeof s !== "object" || s === null || !Array.isArray(s.elements)) {
    throw new ConfigError(
      component,
      "state",
      "an ORSet state { elements: [element, dots][], context: [node, count][] }",
      state,
    );
  }
  const context = new VectorClock(readCounts(component, "state.context", s.context));
  const entries = new Map<string, Dots>();
  for (const entry of s.elements) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string") {
      throw new ConfigError(component, "state.elements", "[element, dots] pairs", entry);
    }
    const [element, pairs] = entry as [string, unknown];
    if (entries.has(element)) {
      throw new ConfigError(component, "state.elements", "each element at most once", element);
    }
    const dots = readCounts(component, `state.elements[${JSON.stringify(element)}]`, pairs);
    for (const [node, seq] of dots) {
      if (seq > context.get(node)) {
        throw new ConfigError(
          component,
          `state.elements[${JSON.stringify(element)}]`,
          `dots the context has seen (${node}'s seen up to ${context.get(node)})`,
          [node, seq],
        );
      }
    }
    if (dots.size > 0) entries.set(element, dots);
  }
  return { entries, context };
}
