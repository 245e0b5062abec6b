/**
 * `MerkleTree`: a hash tree over key ranges, for anti-entropy (Dynamo, Cassandra's repair,
 * Riak's active anti-entropy). Two replicas that each build one over their data find the key
 * ranges where they differ by comparing hashes from the root down, exchanging only the hashes
 * of subtrees that differ, instead of every key.
 *
 * Keys are placed on a 32-bit token ring by the project's one string hash (MurmurHash3 of
 * src/random/hash.ts, with the consistent-hash ring's seed, so a tree's ranges are the ring's
 * token ranges). The ring is cut into 2^`depth` equal leaf ranges; a leaf's hash covers its
 * (key, value) pairs in key order, so it does not depend on the order they were given in; an
 * inner node hashes its two children. `MerkleTree.diff(a, b)` walks both trees together,
 * descending only where the hashes differ, and reports the divergent leaf ranges and the
 * number of hash pairs it compared: 1 for equal trees, 1 + 2 x (differing inner nodes)
 * otherwise, against 2^depth leaves (or every key) for a flat comparison.
 *
 * Hashes are 32 bits, so two different leaves collide with probability about 2^-32 per
 * comparison: a simulated repair can miss a range that rarely, as a real 32-bit one would.
 */

import { ConfigError } from "../errors/errors.js";
import { fmix32, hashString, mixWord } from "../random/hash.js";
import { requireIntegerAtLeast } from "./optionChecks.js";

const COMPONENT = "MerkleTree";
const MAX_DEPTH = 24;
/** The consistent-hash ring's seed (src/components/shared/hashRing.ts), so tokens agree with it. */
const TOKEN_SEED = 0x5eed1b;
/** Seed of the (key, value) pair hashes, apart from the token seed. */
const ENTRY_SEED = 0x4d65726b;
const TOKENS = 2 ** 32;

export interface MerkleTreeOptions {
  /** Levels below the root: the ring is cut into 2^depth leaf ranges. 0 to 24; default 10. */
  readonly depth?: number;
}

/** One leaf's range of tokens, [startToken, endToken). */
export interface MerkleRange {
  readonly leaf: number;
  readonly startToken: number;
  readonly endToken: number;
}

export interface MerkleDiff {
  /** The leaf ranges whose contents differ, in token order. */
  readonly ranges: readonly MerkleRange[];
  /** Hash pairs compared to find them (the messages' worth of hashes an exchange sends). */
  readonly hashesCompared: number;
}

/** The token of `key` on the 32-bit ring. */
export function merkleToken(key: string): number {
  return hashString(key, TOKEN_SEED);
}

export class MerkleTree {
  readonly depth: number;
  readonly leaves: number;
  /** Keys the tree was built over. */
  readonly size: number;
  // Heap layout: node i has children 2i + 1 and 2i + 2; the leaves are the last 2^depth.
  private readonly nodes: Uint32Array;

  constructor(entries: Iterable<readonly [string, string]>, options: MerkleTreeOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(COMPONENT, "options", "an options object", options);
    }
    const depth = requireIntegerAtLeast(COMPONENT, "depth", options.depth ?? 10, 0);
    if (depth > MAX_DEPTH) {
      throw new ConfigError(COMPONENT, "depth", `an integer in [0, ${MAX_DEPTH}]`, depth);
    }
    if (entries === null || typeof entries !== "object" || !(Symbol.iterator in entries)) {
      throw new ConfigError(
        COMPONENT,
        "entries",
        "an iterable of [key, value] string pairs",
        entries,
      );
    }
    this.depth = depth;
    this.leaves = 1 << depth;
    const byLeaf = new Map<number, [string, string][]>();
    const seen = new Set<string>();
    for (const entry of entries) {
      if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "string") {
        throw new ConfigError(COMPONENT, "entries", "[key, value] string pairs", entry);
      }
      const [key, value] = entry as readonly [string, string];
      if (seen.has(key)) throw new ConfigError(COMPONENT, "entries", "unique keys", key);
      seen.add(key);
      const leaf = this.leafOf(key);
      const list = byLeaf.get(leaf);
      if (list === undefined) byLeaf.set(leaf, [[key, value]]);
      else list.push([key, value]);
    }
    this.size = seen.size;
    const nodes = new Uint32Array(2 * this.leaves - 1);
    const firstLeaf = this.leaves - 1;
    for (let leaf = 0; leaf < this.leaves; leaf++) {
      nodes[firstLeaf + leaf] = leafHash(byLeaf.get(leaf));
    }
    for (let i = firstLeaf - 1; i >= 0; i--) {
      nodes[i] = fmix32(mixWord(mixWord(0, nodes[2 * i + 1]!), nodes[2 * i + 2]!));
    }
    this.nodes = nodes;
  }

  /** The leaf whose range holds `key`'s token. */
  leafOf(key: string): number {
    if (typeof key !== "string") throw new ConfigError(COMPONENT, "key", "a string", key);
    // A shift by 32 would be a shift by 0 in JavaScript, hence depth 0 apart.
    return this.depth === 0 ? 0 : merkleToken(key) >>> (32 - this.depth);
  }

  /** Leaf `leaf`'s token range. */
  rangeOf(leaf: number): MerkleRange {
    if (!Number.isSafeInteger(leaf) || leaf < 0 || leaf >= this.leaves) {
      throw new ConfigError(COMPONENT, "leaf", `an integer in [0, ${this.leaves - 1}]`, leaf);
    }
    const width = TOKENS / this.leaves;
    return { leaf, startToken: leaf * width, endToken: (leaf + 1) * width };
  }

  /** The root hash: equal roots mean (up to a 2^-32 collision) equal contents. */
  get rootHash(): number {
    return this.nodes[0]!;
  }

  /** The ranges where `a` and `b` differ, found top-down, and the hash pairs compared. */
  static diff(a: MerkleTree, b: MerkleTree): MerkleDiff {
    if (!(a instanceof MerkleTree)) throw new ConfigError(COMPONENT, "a", "a MerkleTree", a);
    if (!(b instanceof MerkleTree)) throw new ConfigError(COMPONENT, "b", "a MerkleTree", b);
    if (a.depth !== b.depth) {
      throw new ConfigError(
        COMPONENT,
        "b",
        `a tree of the same depth (${a.depth})`,
        `depth ${b.depth}`,
      );
    }
    const ranges: MerkleRange[] = [];
    const firstLeaf = a.leaves - 1;
    let hashesCompared = 0;
    // Depth-first, left child first, so the ranges come out in token order.
    const pending = [0];
    while (pending.length > 0) {
      const node = pending.pop()!;
      hashesCompared++;
      if (a.nodes[node] === b.nodes[node]) continue;
      if (node >= firstLeaf) ranges.push(a.rangeOf(node - firstLeaf));
      else pending.push(2 * node + 2, 2 * node + 1);
    }
    return { ranges, hashesCompared };
  }
}

function leafHash(entries: [string, string][] | undefined): number {
  if (entries === undefined) return 0;
  entries.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  let h = entries.length;
  for (const [key, value] of entries) {
    h = mixWord(h, hashString(key, ENTRY_SEED));
    h = mixWord(h, hashString(value, ENTRY_SEED));
  }
  return fmix32(h);
}
