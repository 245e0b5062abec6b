/**
 * A named stream of random numbers. Every draw in a simulation comes from one of these, and
 * each is derived from (root seed, owner name, stream name), so the draws of one stream never
 * depend on how many other streams exist or how often they are used.
 *
 * Get one from an entity (`this.random("service")`) or from the simulation
 * (`sim.random("arrivals")`); the same name on the same owner returns the same stream.
 */
import { ConfigError } from "../errors/errors.js";
import { log } from "./portableMath.js";
import { deriveGenerator, type Xoshiro128 } from "./prng.js";

export class RandomStream {
  private readonly generator: Xoshiro128;

  /**
   * @param seed root seed of the simulation, an integer in [0, 2^53)
   * @param owner the owning entity's name ("" for streams owned by the simulation itself)
   * @param name the stream's name
   */
  constructor(
    seed: number,
    readonly owner: string,
    readonly name: string,
  ) {
    this.generator = deriveGenerator(seed, owner, name);
  }

  /** A double uniformly distributed on [0, 1). */
  next(): number {
    return this.generator.nextDouble();
  }

  /** An unsigned 32-bit integer, uniformly distributed. */
  nextUint32(): number {
    return this.generator.nextUint32();
  }

  /** A double uniformly distributed on [low, high). */
  uniform(low: number, high: number): number {
    if (!(low <= high) || !Number.isFinite(high - low)) {
      throw new ConfigError(
        "RandomStream.uniform",
        "high",
        `a finite number >= low (${low})`,
        high,
      );
    }
    return low + (high - low) * this.generator.nextDouble();
  }

  /**
   * An integer uniformly distributed on [0, bound), from one 53-bit double: each value's
   * probability is within bound / 2^53 of 1 / bound. `bound` must be an integer in [1, 2^53].
   */
  integer(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 53) {
      throw new ConfigError("RandomStream.integer", "bound", "an integer in [1, 2^53]", bound);
    }
    return Math.floor(this.generator.nextDouble() * bound);
  }

  /**
   * An exponentially distributed duration with the given mean (for example a service time in
   * seconds, or the gap between Poisson arrivals: mean = 1 / rate).
   */
  exponential(mean: number): number {
    if (!(mean > 0) || mean === Number.POSITIVE_INFINITY) {
      throw new ConfigError("RandomStream.exponential", "mean", "a finite number > 0", mean);
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    return -log(1 - this.generator.nextDouble()) * mean;
  }

  /** True with probability `probability`. */
  bernoulli(probability: number): boolean {
    if (!(probability >= 0 && probability <= 1)) {
      throw new ConfigError(
        "RandomStream.bernoulli",
        "probability",
        "a number in [0, 1]",
        probability,
      );
    }
    return this.generator.nextDouble() < probability;
  }

  /** One element of a non-empty array, each equally likely. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) {
      throw new ConfigError("RandomStream.pick", "items", "a non-empty array", items);
    }
    return items[Math.floor(this.generator.nextDouble() * items.length)]!;
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.generator.nextDouble() * (i + 1));
      const held = items[i]!;
      items[i] = items[j]!;
      items[j] = held;
    }
    return items;
  }
}
