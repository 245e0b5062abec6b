/**
 * Checks and orderings every CRDT here shares. Node ids are compared by UTF-16 code units
 * (never by locale) so every replica, in Node or a browser, sorts them the same way, and a
 * state serializes identically wherever it was built.
 */
import { ConfigError } from "../../errors/errors.js";

/** Sorts strings by UTF-16 code units. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function checkNodeId(component: string, parameter: string, node: unknown): string {
  if (typeof node !== "string" || node.length === 0) {
    throw new ConfigError(component, parameter, "a node id (a non-empty string)", node);
  }
  return node;
}

export function checkAmount(component: string, amount: unknown): number {
  if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount < 1) {
    throw new ConfigError(component, "amount", "a safe integer >= 1", amount);
  }
  return amount;
}

/**
 * Reads `[node, count]` pairs (a counter's serialized entries) into a map; zeros are dropped,
 * so an empty entry and a missing one are the same state.
 */
export function readCounts(
  component: string,
  parameter: string,
  pairs: unknown,
): Map<string, number> {
  if (!Array.isArray(pairs)) {
    throw new ConfigError(component, parameter, "an array of [node, count] pairs", pairs);
  }
  const counts = new Map<string, number>();
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new ConfigError(component, parameter, "[node, count] pairs", pair);
    }
    const node = checkNodeId(component, parameter, pair[0]);
    const count: unknown = pair[1];
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
      throw new ConfigError(
        component,
        `${parameter}[${JSON.stringify(node)}]`,
        "a safe integer >= 0",
        count,
      );
    }
    if (counts.has(node)) {
      throw new ConfigError(component, parameter, "each node at most once", pair);
    }
    if (count > 0) counts.set(node, count);
  }
  return counts;
}

/** A map's entries as pairs in sorted key order: the serialized form. */
export function sortedPairs(counts: ReadonlyMap<string, number>): [string, number][] {
  return [...counts.keys()].sort(byCodeUnits).map((node) => [node, counts.get(node)!]);
}
