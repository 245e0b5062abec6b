import { describe, expect, it } from "vitest";
import { BloomFilter, optimalBloomSizes } from "../../src/algorithms/index.js";
import { ConfigError } from "../../src/errors/errors.js";

/** Measured false-positive rate of one filter: `items` keys in, `probes` other keys asked. */
function measuredRate(
  filter: BloomFilter,
  items: number,
  probes: number,
  replication: number,
): number {
  for (let i = 0; i < items; i++) filter.add(`r${replication}-in-${i}`);
  let falsePositives = 0;
  for (let i = 0; i < probes; i++)
    if (filter.mightContain(`r${replication}-out-${i}`)) falsePositives++;
  return falsePositives / probes;
}

describe("BloomFilter", () => {
  it("never forgets a key it was given", () => {
    const filter = new BloomFilter({ expectedItems: 500, falsePositiveRate: 0.05 });
    const keys = Array.from({ length: 800 }, (_, i) => `key-${i * 7919}`);
    for (const key of keys) filter.add(key);
    expect(keys.every((key) => filter.mightContain(key))).toBe(true);
    expect(filter.itemsAdded).toBe(800);
    expect(new BloomFilter({ bits: 64, hashes: 3 }).mightContain("anything")).toBe(false);
  });

  it("sizes itself from (n, p): m = ceil(-n ln p / ln2^2), k = round(m/n ln 2)", () => {
    expect(optimalBloomSizes(1000, 0.01)).toEqual({ bits: 9586, hashes: 7 });
    expect(optimalBloomSizes(1_000_000, 0.001)).toEqual({ bits: 14_377_588, hashes: 10 });
    expect(optimalBloomSizes(10, 0.5)).toEqual({ bits: 15, hashes: 1 });
    const filter = new BloomFilter({ expectedItems: 1000, falsePositiveRate: 0.01 });
    expect([filter.bits, filter.hashes]).toEqual([9586, 7]);
    // At capacity, the formula gives back about the rate asked for.
    expect(filter.expectedFalsePositiveRate(1000)).toBeCloseTo(0.01, 3);
  });

  // Stated tolerance: the mean measured rate over 20 seeded replications is within 10% (relative)
  // of (1 - e^(-kn/m))^k; at these sizes one standard error is about 2.5%, so 10% is 4 of them.
  for (const [items, rate] of [
    [2000, 0.01],
    [5000, 0.05],
    [1000, 0.2],
  ] as const) {
    it(`measures within 10% of the formula's rate at n = ${items}, p = ${rate} (20 seeded replications)`, () => {
      const replications = 20;
      const probes = 10_000;
      let total = 0;
      let formula = 0;
      for (let r = 0; r < replications; r++) {
        const filter = new BloomFilter({ expectedItems: items, falsePositiveRate: rate, seed: r });
        total += measuredRate(filter, items, probes, r);
        formula = filter.expectedFalsePositiveRate();
      }
      const mean = total / replications;
      expect(
        Math.abs(mean - formula) / formula,
        `measured ${mean}, formula ${formula}`,
      ).toBeLessThan(0.1);
    });
  }

  it("overfilled, its rate rises as the formula says", () => {
    const filter = new BloomFilter({ expectedItems: 1000, falsePositiveRate: 0.01, seed: 3 });
    const rate = measuredRate(filter, 3000, 20_000, 0);
    const formula = filter.expectedFalsePositiveRate();
    expect(formula).toBeGreaterThan(0.3);
    expect(Math.abs(rate - formula) / formula).toBeLessThan(0.05);
  });

  it("sets the same bits for the same seed, different ones for another seed", () => {
    const fill = (seed: number) => {
      const filter = new BloomFilter({ bits: 4096, hashes: 4, seed });
      for (let i = 0; i < 300; i++) filter.add(`k${i}`);
      return filter;
    };
    expect(fill(1).bitsSet).toBe(fill(1).bitsSet);
    const a = fill(1);
    const b = fill(2);
    const disagreements = Array.from({ length: 2000 }, (_, i) => `probe${i}`).filter(
      (key) => a.mightContain(key) !== b.mightContain(key),
    ).length;
    expect(disagreements).toBeGreaterThan(0);
    // Pinned, so a change of hash or positions shows: a filter's bits are part of its meaning.
    expect(fill(0).bitsSet).toMatchInlineSnapshot(`1049`);
  });

  it("rejects bad options and keys, naming what is wrong", () => {
    const bad: [unknown, string][] = [
      [{ bits: 0, hashes: 3 }, 'option "bits" must be an integer >= 1; given 0'],
      [{ bits: 2 ** 32 + 1, hashes: 3 }, 'option "bits" must be an integer in [1, 2^32]'],
      [{ bits: 100, hashes: 0 }, 'option "hashes" must be an integer >= 1; given 0'],
      [{ bits: 100, hashes: 65 }, 'option "hashes" must be an integer in [1, 64]; given 65'],
      [{ bits: 100 }, 'option "hashes" must be an integer >= 1; given undefined'],
      [
        { expectedItems: 0, falsePositiveRate: 0.1 },
        'option "expectedItems" must be an integer >= 1; given 0',
      ],
      [
        { expectedItems: 10, falsePositiveRate: 1 },
        'option "falsePositiveRate" must be a rate in (0, 1); given 1',
      ],
      [{ expectedItems: 10, falsePositiveRate: 0 }, "falsePositiveRate"],
      [{ expectedItems: 1e9, falsePositiveRate: 1e-9 }, "a capacity that fits 2^32 bits"],
      [{ bits: 100, hashes: 3, seed: 0.5 }, 'option "seed" must be a safe integer; given 0.5'],
      [null, 'option "options" must be { bits, hashes } or { expectedItems, falsePositiveRate }'],
    ];
    for (const [options, message] of bad) {
      expect(() => new BloomFilter(options as never), JSON.stringify(options)).toThrow(ConfigError);
      expect(() => new BloomFilter(options as never)).toThrow(message);
    }
    const filter = new BloomFilter({ bits: 100, hashes: 3 });
    expect(() => filter.add(7 as never)).toThrow(
      'BloomFilter: option "key" must be a string; given 7',
    );
    expect(() => filter.mightContain(undefined as never)).toThrow(ConfigError);
    expect(() => filter.expectedFalsePositiveRate(-1)).toThrow(ConfigError);
  });
});
