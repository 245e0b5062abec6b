/**
 * Replication seeds, derived from one root seed: writing down the root seed (and the count)
 * is enough to repeat a whole sweep, and any single run is repeated from its own seed.
 */
import { ConfigError } from "../errors/errors.js";
import { fmix32, mixWord } from "../random/hash.js";

const TWO_POW_32 = 4_294_967_296;

/**
 * Seed of replication `index` under `rootSeed`: an integer in [0, 2^53) built from two
 * MurmurHash3 words of (root seed, index), so neighbouring replications get unrelated seeds
 * and the same (root, index) gives the same seed on every platform.
 */
export function replicationSeed(rootSeed: number, index: number): number {
  const low = rootSeed >>> 0;
  const high = Math.floor(rootSeed / TWO_POW_32) >>> 0;
  const first = fmix32(mixWord(mixWord(mixWord(0x5eed5eed, low), high), index));
  const second = fmix32(mixWord(first, index ^ 0x9e3779b9));
  return (first & 0x1f_ffff) * TWO_POW_32 + second;
}

/**
 * The seeds of `count` replications under `rootSeed`. A repeated seed (about one chance in
 * 10^8 for 10,000 replications) is skipped, so every replication is a different run.
 */
export function replicationSeeds(rootSeed: number, count: number): number[] {
  if (!Number.isSafeInteger(rootSeed) || rootSeed < 0) {
    throw new ConfigError("sweep", "rootSeed", "an integer in [0, 2^53)", rootSeed);
  }
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ConfigError("sweep", "replications", "an integer >= 1", count);
  }
  const seeds: number[] = [];
  const seen = new Set<number>();
  for (let index = 0; seeds.length < count; index++) {
    const seed = replicationSeed(rootSeed, index);
    if (seen.has(seed)) continue;
    seen.add(seed);
    seeds.push(seed);
  }
  return seeds;
}
