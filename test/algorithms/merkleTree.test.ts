import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MerkleTree, merkleToken } from "../../src/algorithms/index.js";
import { ringHash } from "../../src/components/shared/hashRing.js";
import { ConfigError } from "../../src/errors/errors.js";

/** The leaves whose (key, value) sets differ, by looking at every key of both sides. */
function bruteForceDiff(
  a: Map<string, string>,
  b: Map<string, string>,
  tree: MerkleTree,
): number[] {
  const divergent = new Set<number>();
  for (const [key, value] of a) if (b.get(key) !== value) divergent.add(tree.leafOf(key));
  for (const [key, value] of b) if (a.get(key) !== value) divergent.add(tree.leafOf(key));
  return [...divergent].sort((x, y) => x - y);
}

const replica = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 4, unit: fc.constantFrom("a", "b", "c", "d", "e") }),
  fc.constantFrom("1", "2", "3"),
  { maxKeys: 40 },
);

describe("MerkleTree", () => {
  it("diff finds exactly the divergent ranges of a brute-force comparison (property)", () => {
    fc.assert(
      fc.property(
        replica,
        replica,
        fc.integer({ min: 0, max: 8 }),
        fc.constantFrom("aa", "b", "z"),
        (x, y, depth, dropped) => {
          const a = new Map(Object.entries(x));
          // b is mostly a copy of a (so the trees share most ranges): up to 3 keys added or
          // changed, and the keys starting with `dropped` removed.
          const b = new Map([
            ...[...a].filter(([key]) => !key.startsWith(dropped)),
            ...Object.entries(y).slice(0, 3),
          ]);
          const treeA = new MerkleTree(a, { depth });
          const treeB = new MerkleTree([...b].reverse(), { depth });
          const diff = MerkleTree.diff(treeA, treeB);
          expect(diff.ranges.map((range) => range.leaf)).toEqual(bruteForceDiff(a, b, treeA));
          expect(MerkleTree.diff(treeB, treeA)).toEqual(diff);
          // Every pair compared is the root or a child of a differing inner node.
          expect(diff.hashesCompared % 2).toBe(1);
          expect(diff.hashesCompared).toBeLessThanOrEqual(1 + 2 * depth * diff.ranges.length);
          if (diff.ranges.length === 0) expect(diff.hashesCompared).toBe(1);
        },
      ),
      { seed: 18, numRuns: 300 },
    );
  });

  it("costs a path per divergent range, not a look at every range", () => {
    const entries = Array.from(
      { length: 100_000 },
      (_, i) => [`key${i}`, `v${i}`] as [string, string],
    );
    const a = new MerkleTree(entries, { depth: 16 });
    const changed = entries.map(
      ([k, v], i) => [k, i % 10_000 === 0 ? `${v}'` : v] as [string, string],
    );
    const b = new MerkleTree(changed, { depth: 16 });
    const diff = MerkleTree.diff(a, b);
    expect(diff.ranges).toHaveLength(10);
    expect(diff.ranges.map((r) => r.leaf)).toEqual(
      [...new Set(entries.filter((_, i) => i % 10_000 === 0).map(([k]) => a.leafOf(k)))].sort(
        (x, y) => x - y,
      ),
    );
    // 10 paths of 16 levels, sharing their top: far below the 65,536 leaves.
    expect(diff.hashesCompared).toBeLessThanOrEqual(1 + 2 * 16 * 10);
    expect(diff.hashesCompared).toMatchInlineSnapshot(`247`);
    expect(MerkleTree.diff(a, new MerkleTree(entries, { depth: 16 }))).toEqual({
      ranges: [],
      hashesCompared: 1,
    });
  });

  it("cuts the consistent-hash ring's token space into equal ranges", () => {
    const tree = new MerkleTree([["alpha", "1"]], { depth: 3 });
    expect(merkleToken("alpha")).toBe(ringHash("alpha"));
    expect(tree.leaves).toBe(8);
    expect(tree.rangeOf(0)).toEqual({ leaf: 0, startToken: 0, endToken: 2 ** 29 });
    expect(tree.rangeOf(7).endToken).toBe(2 ** 32);
    const range = tree.rangeOf(tree.leafOf("alpha"));
    expect(merkleToken("alpha")).toBeGreaterThanOrEqual(range.startToken);
    expect(merkleToken("alpha")).toBeLessThan(range.endToken);
    const flat = new MerkleTree([["alpha", "1"]], { depth: 0 });
    expect(flat.leafOf("alpha")).toBe(0);
    expect(MerkleTree.diff(flat, new MerkleTree([], { depth: 0 }))).toEqual({
      ranges: [{ leaf: 0, startToken: 0, endToken: 2 ** 32 }],
      hashesCompared: 1,
    });
  });

  it("does not depend on the order entries are given in, and pins its root hash", () => {
    const entries: [string, string][] = [
      ["x", "1"],
      ["y", "2"],
      ["z", "3"],
      ["w", "4"],
    ];
    const forward = new MerkleTree(entries, { depth: 0 });
    expect(new MerkleTree([...entries].reverse(), { depth: 0 }).rootHash).toBe(forward.rootHash);
    expect(new MerkleTree(entries).rootHash).toMatchInlineSnapshot(`67437316`);
  });

  it("rejects bad options and input, naming what is wrong", () => {
    expect(() => new MerkleTree([], { depth: -1 })).toThrow(
      'MerkleTree: option "depth" must be an integer >= 0; given -1',
    );
    expect(() => new MerkleTree([], { depth: 25 })).toThrow(
      'option "depth" must be an integer in [0, 24]; given 25',
    );
    expect(() => new MerkleTree(5 as never)).toThrow(
      'option "entries" must be an iterable of [key, value] string pairs',
    );
    expect(() => new MerkleTree([["a", 1]] as never)).toThrow(
      'option "entries" must be [key, value] string pairs',
    );
    expect(
      () =>
        new MerkleTree([
          ["a", "1"],
          ["a", "2"],
        ]),
    ).toThrow('option "entries" must be unique keys; given "a"');
    const tree = new MerkleTree([], { depth: 2 });
    expect(() => tree.rangeOf(4)).toThrow('option "leaf" must be an integer in [0, 3]; given 4');
    expect(() => MerkleTree.diff(tree, new MerkleTree([], { depth: 3 }))).toThrow(ConfigError);
    expect(() => MerkleTree.diff(tree, {} as never)).toThrow('option "b" must be a MerkleTree');
  });
});
