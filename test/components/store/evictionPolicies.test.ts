/**
 * Goal: each eviction policy picks the victim its definition names, with the bookkeeping kept
 * in the entries (an access moves pointers, allocates nothing). Method: small scripted
 * sequences on the policies alone (the cache's own tests cover them in use: capacity,
 * equality with a naive LRU, scan resistance).
 */
import { describe, expect, it } from "vitest";
import {
  type EvictionPolicy,
  type EvictionPolicyName,
  evictionPolicy,
  PolicyNode,
} from "../../../src/components/store/evictionPolicies.js";
import { Entity, Simulation } from "../../../src/index.js";

class Node extends PolicyNode {
  constructor(readonly key: string) {
    super();
  }
}

function policy(name: EvictionPolicyName, capacity = 10): EvictionPolicy<Node> {
  const sim = new Simulation({ seed: 1 });
  return evictionPolicy<Node>(name, capacity, new Entity(sim, "cache").random("eviction"));
}

/** Inserts the keys in order; returns the nodes by key. */
function fill(p: EvictionPolicy<Node>, keys: readonly string[]): Map<string, Node> {
  const nodes = new Map<string, Node>();
  for (const key of keys) {
    const node = new Node(key);
    nodes.set(key, node);
    p.inserted(node);
  }
  return nodes;
}

/** Evicts `count` victims; returns their keys in order. */
function evict(p: EvictionPolicy<Node>, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const victim = p.victim()!;
    p.removed(victim);
    out.push(victim.key);
  }
  return out;
}

describe("eviction policies", () => {
  it("lru evicts the least recently used; fifo the first inserted, whatever was read", () => {
    for (const [name, expected] of [
      ["lru", ["b", "d", "a"]],
      ["fifo", ["a", "b", "c"]],
    ] as const) {
      const p = policy(name);
      const n = fill(p, ["a", "b", "c", "d"]);
      p.accessed(n.get("a")!);
      p.accessed(n.get("c")!);
      expect(evict(p, 3), name).toEqual(expected);
      expect(p.size).toBe(1);
    }
  });

  it("lfu evicts the least frequently used, the least recent among equals", () => {
    const p = policy("lfu");
    const n = fill(p, ["a", "b", "c", "d"]);
    for (const key of ["a", "a", "b", "c", "c", "c", "b"]) p.accessed(n.get(key)!);
    // Counts: a 3, b 3 (read last), c 4, d 1.
    expect(evict(p, 4)).toEqual(["d", "a", "b", "c"]);
  });

  it("ttl evicts the entry expiring soonest, and follows an expiry moved by a write", () => {
    const p = policy("ttl");
    const nodes = ["a", "b", "c"].map((key, i) => {
      const node = new Node(key);
      node.expiresAtNs = [30, 10, 20][i]!;
      p.inserted(node);
      return node;
    });
    nodes[1]!.expiresAtNs = 40; // b rewritten: it now expires last
    p.accessed(nodes[1]!);
    expect(evict(p, 3)).toEqual(["c", "a", "b"]);
  });

  it("clock gives a read entry a second chance, once", () => {
    const p = policy("clock");
    const n = fill(p, ["a", "b", "c"]);
    p.accessed(n.get("a")!);
    p.accessed(n.get("b")!);
    // The hand clears a and b and takes c; then a (its bit cleared on the way).
    expect(evict(p, 2)).toEqual(["c", "a"]);
  });

  it("slru evicts from probation first and protects entries read twice", () => {
    const p = policy("slru", 5); // protected segment: 4 entries
    const n = fill(p, ["a", "b", "c", "d", "e"]);
    for (const key of ["a", "b", "c", "d", "e"]) p.accessed(n.get(key)!);
    // Five promotions into four protected places: a, the least recent, is demoted.
    expect(evict(p, 2)).toEqual(["a", "b"]);
  });

  it("random draws its victim from the seeded stream: the same seed, the same victims", () => {
    const victims = () => {
      const p = policy("random");
      fill(
        p,
        Array.from({ length: 20 }, (_, i) => `k${i}`),
      );
      return evict(p, 20);
    };
    const first = victims();
    expect(victims()).toEqual(first);
    expect([...first].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
    expect(first).not.toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
  });

  it("forget every entry on clear, leaving nodes unlinked", () => {
    for (const name of ["lru", "lfu", "fifo", "random", "ttl", "slru", "clock"] as const) {
      const p = policy(name);
      const n = fill(p, ["a", "b", "c"]);
      p.clear();
      expect(p.size, name).toBe(0);
      expect(p.victim(), name).toBeUndefined();
      for (const node of n.values()) expect([node.prev, node.next], name).toEqual([null, null]);
    }
  });
});
