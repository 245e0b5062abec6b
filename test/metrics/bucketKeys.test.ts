/**
 * The table-driven bucket key must equal the computed one, `ceil(log(v) / log(gamma))`, for
 * every value: random doubles over the whole positive range, the values on either side of
 * every bucket boundary in the range latencies live in, subnormals, and the ends of slices.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BucketKeys, computedKey } from "../../src/metrics/bucketKeys.js";
import { fromWords, highWord, log, pow } from "../../src/random/portableMath.js";

const accuracies = [0.01, 0.02, 0.001, 0.05, 1e-8];

/** The next double above a positive finite x. */
function nextUp(x: number): number {
  const f = new Float64Array([x]);
  const u = new BigUint64Array(f.buffer);
  u[0]! += 1n;
  return f[0]!;
}
function nextDown(x: number): number {
  const f = new Float64Array([x]);
  const u = new BigUint64Array(f.buffer);
  u[0]! -= 1n;
  return f[0]!;
}

describe("BucketKeys", () => {
  for (const accuracy of accuracies) {
    const logGamma = log((1 + accuracy) / (1 - accuracy));
    it(`matches the computed key for any positive double (accuracy ${accuracy})`, () => {
      const keys = new BucketKeys(logGamma);
      fc.assert(
        fc.property(fc.double({ min: Number.MIN_VALUE, max: 1e300, noNaN: true }), (value) => {
          expect(keys.keyOf(value) | 0).toBe(computedKey(value, logGamma) | 0);
        }),
        { numRuns: 20_000 },
      );
    });

    it.skipIf(accuracy < 1e-4)(
      `matches it on both sides of every bucket boundary from 1 ns to 1e6 s (accuracy ${accuracy})`,
      () => {
        const keys = new BucketKeys(logGamma);
        const gamma = (1 + accuracy) / (1 - accuracy);
        const from = Math.floor(log(1e-9) / logGamma);
        const to = Math.ceil(log(1e6) / logGamma);
        for (let k = from; k <= to; k++) {
          const boundary = pow(gamma, k);
          let v = boundary;
          for (let i = 0; i < 3; i++) v = nextDown(v);
          for (let i = 0; i < 7; i++, v = nextUp(v)) {
            expect(keys.keyOf(v) | 0, `${v}`).toBe(computedKey(v, logGamma) | 0);
          }
        }
      },
    );
  }

  it("matches it at the first and last value of slices, and for subnormals", () => {
    const logGamma = log(1.01 / 0.99);
    const keys = new BucketKeys(logGamma);
    for (const exponent of [1, 1000, 1023, 1030, 2046]) {
      for (let slice = 0; slice < 1024; slice += 7) {
        const head = (exponent << 20) | (slice << 10);
        for (const v of [fromWords(head, 0), fromWords(head | 1023, 0xffffffff)]) {
          expect(keys.keyOf(v) | 0).toBe(computedKey(v, logGamma) | 0);
        }
      }
    }
    for (const v of [Number.MIN_VALUE, 1e-310, 2.2e-308]) {
      expect(highWord(v) >>> 20).toBe(0);
      expect(keys.keyOf(v) | 0).toBe(computedKey(v, logGamma) | 0);
    }
  });
});
