/**
 * Goal: the hand-written xoshiro128** generator is bit-exact with the published algorithm, and
 * stream derivation is stable across versions (seeds are written down and must replay).
 * Method: compare against outputs of the reference C implementation (xoshiro128** 1.1,
 * compiled with gcc from the authors' published code, states {1,2,3,4} and
 * {0xdeadbeef, 0x01234567, 0x89abcdef, 0xfeedface}), and pin golden derived values.
 */
import { describe, expect, it } from "vitest";
import { deriveGenerator, Xoshiro128 } from "../../src/random/prng.js";

describe("Xoshiro128", () => {
  it("matches the reference C implementation, 32-bit outputs", () => {
    const a = new Xoshiro128(1, 2, 3, 4);
    expect(Array.from({ length: 8 }, () => a.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849,
    ]);
    const b = new Xoshiro128(0xdeadbeef, 0x01234567, 0x89abcdef, 0xfeedface);
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual([
      2576977298, 1162350735, 3441682048, 1347432117, 3370940770, 2425394401, 2995947402,
      4086362962,
    ]);
  });

  it("matches the reference C implementation, 53-bit doubles", () => {
    const a = new Xoshiro128(1, 2, 3, 4);
    expect(Array.from({ length: 4 }, () => a.nextDouble())).toEqual([
      2.6822090148925781e-6, 0.0013799966610139602, 0.47304711029826541, 0.29970869324795935,
    ]);
  });

  it("replaces the forbidden all-zero state", () => {
    const zero = new Xoshiro128(0, 0, 0, 0);
    expect(zero.state()).not.toEqual([0, 0, 0, 0]);
    expect(zero.nextUint32()).not.toBe(zero.nextUint32());
  });
});

describe("deriveGenerator", () => {
  it("is stable: golden first draws for fixed (seed, owner, stream)", () => {
    // Pinned when written. If this fails, every recorded seed in the world replays differently:
    // change it only with a major version and a migration note.
    const g = deriveGenerator(42, "server", "service");
    expect(g.state()).toEqual(GOLDEN_STATE);
  });

  it("separates owners, streams, and both halves of the seed", () => {
    const states = [
      deriveGenerator(1, "a", "b").state(),
      deriveGenerator(1, "ab", "").state(),
      deriveGenerator(1, "a", "c").state(),
      deriveGenerator(2, "a", "b").state(),
      deriveGenerator(1 + 2 ** 32, "a", "b").state(),
    ];
    const keys = new Set(states.map((s) => s.join(",")));
    expect(keys.size).toBe(states.length);
  });
});

const GOLDEN_STATE: [number, number, number, number] = [
  3969885826, 1508296184, 2358916158, 1614698492,
];
