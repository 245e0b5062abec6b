/**
 * xoshiro128** (Blackman and Vigna, 2018): 128 bits of state, period 2^128 - 1, passes BigCrush,
 * and needs only 32-bit integer operations, which JS engines do natively (`Math.imul`, `>>>`).
 * Doubles take 53 bits from two outputs, so every representable multiple of 2^-53 in [0, 1)
 * can occur and exponential tails are not cut short.
 *
 * Hand-written rather than taken from a library because it is on the hot path (one or two calls
 * per simulated event) and because the stream must be seeded from our own stable hash; it is
 * checked against output of the reference C implementation in test/random/prng.test.ts.
 */
import { fmix32, hashString, mixWord } from "./hash.js";

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Starts from four 32-bit words; all-zero is the one forbidden state and is replaced. */
  constructor(a: number, b: number, c: number, d: number) {
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 0x9e3779b9 | 0;
  }

  /** The next 32-bit output as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  /** A double uniformly distributed on [0, 1), with 53 random bits. */
  nextDouble(): number {
    // Inlined twice rather than calling nextUint32: this is the hottest function in most runs.
    let s1 = this.s1;
    let m = Math.imul(s1, 5);
    const high = Math.imul((m << 7) | (m >>> 25), 9) >>> 5;
    let t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    s1 = this.s1;
    m = Math.imul(s1, 5);
    const low = Math.imul((m << 7) | (m >>> 25), 9) >>> 6;
    t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  /** The current state, for tests and for snapshotting a run. */
  state(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }
}

/**
 * Derives the generator for stream `stream` of owner `owner` under root seed `seed` (an
 * integer in [0, 2^53)). Each of the four state words hashes the same key under a different
 * lane seed built from both halves of the root seed, so streams of different names, owners or
 * roots are unrelated, and adding a stream never shifts the draws of another.
 */
export function deriveGenerator(seed: number, owner: string, stream: string): Xoshiro128 {
  const low = seed >>> 0;
  const high = Math.floor(seed / 4294967296) >>> 0;
  // Length-prefixed so ("ab", "c") and ("a", "bc") are different keys.
  const key = `${owner.length}:${owner}/${stream}`;
  const words = [0, 0, 0, 0];
  for (let lane = 0; lane < 4; lane++) {
    const laneSeed = fmix32(mixWord(mixWord(lane * 0x9e3779b9, low), high));
    words[lane] = hashString(key, laneSeed);
  }
  return new Xoshiro128(words[0]!, words[1]!, words[2]!, words[3]!);
}
