/**
 * `BloomFilter`: a set that answers "definitely not present" or "maybe present" in `bits` bits,
 * whatever the keys' size (Bloom, 1970). An SSTable keeps one per file so a read skips the
 * files that cannot hold its key; a gossip digest uses one to say what a node already has.
 *
 * Each key sets `hashes` bits; a lookup checks them all. With n keys in m bits and k hashes the
 * chance that a key never added finds all its bits set is
 *
 *   p = (1 - e^(-k n / m))^k
 *
 * (`expectedFalsePositiveRate()`). Built from a capacity and a target rate instead, the filter
 * takes the sizes that minimise memory for that rate: m = ceil(-n ln p / (ln 2)^2) and
 * k = round(m / n * ln 2) (at least 1).
 *
 * The k positions come from two hashes by double hashing (Kirsch and Mitzenmacher, "Less
 * hashing, same performance", 2006): position i is (h1 + i h2) mod m, which keeps the rate of k
 * independent hashes. h1 and h2 are the project's one string hash (MurmurHash3 in
 * src/random/hash.ts, also the consistent-hash ring's) under two seeds derived from `seed`, so
 * a filter holds the same bits on every engine and every run, and filters with different seeds
 * make independent mistakes.
 */

import { ConfigError } from "../errors/errors.js";
import { fmix32, hashString } from "../random/hash.js";
import { exp, log, pow } from "../random/portableMath.js";
import { requireIntegerAtLeast } from "./optionChecks.js";

const COMPONENT = "BloomFilter";
/** 2^32: positions come from 32-bit hashes, so more bits could never be reached. */
const MAX_BITS = 2 ** 32;
const MAX_HASHES = 64;
/** The golden-ratio constant, to draw the second hash's seed far from the first's. */
const SECOND_SEED_OFFSET = 0x9e3779b9;

/** Sizes given directly. */
export interface BloomFilterSizes {
  /** Bits in the filter (m), 1 to 2^32. */
  readonly bits: number;
  /** Bits set per key (k), 1 to 64. */
  readonly hashes: number;
  /** Chooses the hash family; default 0. */
  readonly seed?: number;
}

/** Sizes chosen for a capacity and a target false-positive rate. */
export interface BloomFilterTarget {
  /** How many keys the filter is sized for (n), >= 1. */
  readonly expectedItems: number;
  /** The false-positive rate wanted at `expectedItems` keys (p), in (0, 1). */
  readonly falsePositiveRate: number;
  /** Chooses the hash family; default 0. */
  readonly seed?: number;
}

export type BloomFilterOptions = BloomFilterSizes | BloomFilterTarget;

/** The memory-optimal sizes for `expectedItems` keys at `falsePositiveRate`. */
export function optimalBloomSizes(
  expectedItems: number,
  falsePositiveRate: number,
): { bits: number; hashes: number } {
  requireIntegerAtLeast(COMPONENT, "expectedItems", expectedItems, 1);
  if (typeof falsePositiveRate !== "number" || !(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    throw new ConfigError(COMPONENT, "falsePositiveRate", "a rate in (0, 1)", falsePositiveRate);
  }
  const ln2 = Math.LN2;
  const bits = Math.ceil((-expectedItems * log(falsePositiveRate)) / (ln2 * ln2));
  if (bits > MAX_BITS) {
    throw new ConfigError(
      COMPONENT,
      "expectedItems",
      `a capacity that fits 2^32 bits at this rate (it needs ${bits})`,
      expectedItems,
    );
  }
  const hashes = Math.min(MAX_HASHES, Math.max(1, Math.round((bits / expectedItems) * ln2)));
  return { bits, hashes };
}

export class BloomFilter {
  readonly bits: number;
  readonly hashes: number;
  readonly seed: number;
  private readonly words: Uint32Array;
  private readonly firstSeed: number;
  private readonly secondSeed: number;
  private added = 0;

  constructor(options: BloomFilterOptions) {
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(
        COMPONENT,
        "options",
        "{ bits, hashes } or { expectedItems, falsePositiveRate }",
        options,
      );
    }
    const sized = "bits" in options || "hashes" in options;
    const { bits, hashes } = sized
      ? (options as BloomFilterSizes)
      : optimalBloomSizes(
          (options as BloomFilterTarget).expectedItems,
          (options as BloomFilterTarget).falsePositiveRate,
        );
    requireIntegerAtLeast(COMPONENT, "bits", bits, 1);
    if (bits > MAX_BITS) throw new ConfigError(COMPONENT, "bits", "an integer in [1, 2^32]", bits);
    requireIntegerAtLeast(COMPONENT, "hashes", hashes, 1);
    if (hashes > MAX_HASHES) {
      throw new ConfigError(COMPONENT, "hashes", `an integer in [1, ${MAX_HASHES}]`, hashes);
    }
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) {
      throw new ConfigError(COMPONENT, "seed", "a safe integer", seed);
    }
    this.bits = bits;
    this.hashes = hashes;
    this.seed = seed;
    this.words = new Uint32Array(Math.ceil(bits / 32));
    this.firstSeed = fmix32(seed >>> 0) ^ fmix32(Math.floor(seed / MAX_BITS) >>> 0);
    this.secondSeed = fmix32((this.firstSeed + SECOND_SEED_OFFSET) >>> 0);
  }

  /** Adds `key`. */
  add(key: string): void {
    requireKey(key);
    const h1 = hashString(key, this.firstSeed);
    const h2 = hashString(key, this.secondSeed);
    const m = this.bits;
    const words = this.words;
    for (let i = 0; i < this.hashes; i++) {
      const position = (h1 + i * h2) % m;
      words[position >>> 5]! |= 1 << (position & 31);
    }
    this.added++;
  }

  /** False when `key` was certainly never added; true when it maybe was. */
  mightContain(key: string): boolean {
    requireKey(key);
    const h1 = hashString(key, this.firstSeed);
    const h2 = hashString(key, this.secondSeed);
    const m = this.bits;
    const words = this.words;
    for (let i = 0; i < this.hashes; i++) {
      const position = (h1 + i * h2) % m;
      if ((words[position >>> 5]! & (1 << (position & 31))) === 0) return false;
    }
    return true;
  }

  /** How many times `add` was called (a key added twice counts twice). */
  get itemsAdded(): number {
    return this.added;
  }

  /** How many bits are set. */
  get bitsSet(): number {
    let count = 0;
    for (const word of this.words) {
      let w = word - ((word >>> 1) & 0x55555555);
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      count += (Math.imul((w + (w >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) >>> 0;
    }
    return count;
  }

  /** (1 - e^(-k n / m))^k for `items` keys (default: the keys added so far). */
  expectedFalsePositiveRate(items: number = this.added): number {
    if (typeof items !== "number" || !Number.isFinite(items) || items < 0) {
      throw new ConfigError(COMPONENT, "items", "a number of keys >= 0", items);
    }
    return pow(1 - exp((-this.hashes * items) / this.bits), this.hashes);
  }
}

function requireKey(key: unknown): void {
  if (typeof key !== "string") throw new ConfigError(COMPONENT, "key", "a string", key);
}
