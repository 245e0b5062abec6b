/**
 * Goal: histogram percentiles are within the stated relative accuracy of the exact
 * nearest-rank percentile for any data, merging equals recording everything in one, and memory
 * stays bounded with upper percentiles still accurate after collapsing.
 * Method: fast-check over arrays spanning twelve orders of magnitude against a sorted copy.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/errors.js";
import { Histogram } from "../../src/metrics/histogram.js";

const exact = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
};
const values = fc.array(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), {
  minLength: 1,
  maxLength: 300,
});

describe("Histogram", () => {
  it("reset() forgets every value and reads like a new histogram, without growing", () => {
    const h = new Histogram({ maxBuckets: 16 });
    for (let i = 1; i <= 10_000; i++) h.record(i * 1e-4);
    h.record(0);
    const capacity = h._bucketCapacity;
    h.reset();
    // The buckets are reused, not reallocated: resetting often costs no memory.
    expect(h._bucketCapacity).toBe(capacity);
    expect([h.count, h.mean, h.min, h.max, h.p50]).toEqual([
      0,
      Number.NaN,
      Number.NaN,
      Number.NaN,
      Number.NaN,
    ]);
    const fresh = new Histogram({ maxBuckets: 16 });
    for (const v of [0.5, 0.002, 3, 0, 0.07]) {
      h.record(v);
      fresh.record(v);
    }
    for (const q of [0, 0.2, 0.5, 0.8, 1]) expect(h.percentile(q)).toBe(fresh.percentile(q));
    expect([h.count, h.mean, h.min, h.max]).toEqual([
      fresh.count,
      fresh.mean,
      fresh.min,
      fresh.max,
    ]);
  });

  it("percentiles are within relativeAccuracy of the exact nearest-rank ones", () => {
    fc.assert(
      fc.property(values, fc.double({ min: 0, max: 1, noNaN: true }), (data, q) => {
        const h = new Histogram({ relativeAccuracy: 0.01 });
        for (const v of data) h.record(v);
        const truth = exact(data, q);
        expect(Math.abs(h.percentile(q) - truth)).toBeLessThanOrEqual(0.01 * truth * (1 + 1e-9));
      }),
      { numRuns: 300 },
    );
  });

  it("merge equals recording everything in one histogram", () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const left = new Histogram();
        const right = new Histogram();
        const both = new Histogram();
        for (const v of a) {
          left.record(v);
          both.record(v);
        }
        for (const v of b) {
          right.record(v);
          both.record(v);
        }
        left.merge(right);
        for (const q of [0, 0.5, 0.9, 0.99, 1]) expect(left.percentile(q)).toBe(both.percentile(q));
        expect([left.count, left.min, left.max]).toEqual([both.count, both.min, both.max]);
        expect(left.mean).toBeCloseTo(both.mean, 6);
      }),
      { numRuns: 100 },
    );
  });

  it("stays bounded; upper percentiles stay accurate after the lowest buckets collapse", () => {
    const h = new Histogram({ relativeAccuracy: 0.01, maxBuckets: 64 });
    const data: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = 1e-9 * 1.002 ** i; // spans many more than 64 buckets
      data.push(v);
      h.record(v);
    }
    expect((h as unknown as { used: number }).used).toBeLessThanOrEqual(64);
    for (const q of [0.99, 0.999, 1]) {
      const truth = exact(data, q);
      expect(Math.abs(h.percentile(q) - truth) / truth).toBeLessThanOrEqual(0.01 + 1e-9);
    }
  });

  it("handles zeros, reports exact min, max and mean, and p-getters", () => {
    const h = new Histogram();
    for (const v of [0, 0, 5, 10]) h.record(v);
    expect([h.count, h.min, h.max, h.mean]).toEqual([4, 0, 10, 3.75]);
    expect(h.p50).toBe(0);
    expect(Math.abs(h.p99 - 10) / 10).toBeLessThanOrEqual(0.01);
    expect(h.p90).toBeCloseTo(h.percentile(0.9), 12);
    expect(h.p999).toBeCloseTo(h.percentile(0.999), 12);
    expect(Number.isNaN(new Histogram().p50)).toBe(true);
  });

  it("refuses bad input", () => {
    const h = new Histogram();
    expect(() => h.record(-1)).toThrow(ConfigError);
    expect(() => h.record(Number.NaN)).toThrow(/Histogram.record/);
    expect(() => h.percentile(1.5)).toThrow(/"q"/);
    expect(() => new Histogram({ relativeAccuracy: 0 })).toThrow(/relativeAccuracy/);
    expect(() => new Histogram({ maxBuckets: 2 })).toThrow(/maxBuckets/);
    expect(() => h.merge(new Histogram({ relativeAccuracy: 0.02 }))).toThrow(/relative accuracy/);
  });
});
