/**
 * Goal: the store's sorted key index (chunked, so large key sets stay cheap) always agrees with
 * a plain sorted array: same keys, same ranges, after any mix of insertions and removals.
 * Method: fast-check traces over a small alphabet (many collisions, removals of absent keys)
 * and a large one (enough keys to split chunks many times).
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { SortedKeys } from "../../../src/components/store/sortedKeys.js";

const step = (keys: fc.Arbitrary<string>) =>
  fc.record({ insert: fc.boolean(), key: keys, to: fc.option(keys, { nil: undefined }) });

function check(trace: readonly { insert: boolean; key: string; to: string | undefined }[]) {
  const sorted = new SortedKeys();
  const model: string[] = [];
  for (const { insert, key, to } of trace) {
    const at = model.indexOf(key);
    if (insert) {
      if (at < 0) {
        sorted.insert(key);
        model.push(key);
        model.sort();
      }
    } else {
      expect(sorted.remove(key)).toBe(at >= 0);
      if (at >= 0) model.splice(at, 1);
    }
    expect(sorted.length).toBe(model.length);
    const expected = model.filter((k) => k >= key && (to === undefined || k < to));
    expect(sorted.range(key, to, 7)).toEqual(expected.slice(0, 7));
  }
  expect(sorted.range("", undefined, Number.MAX_SAFE_INTEGER)).toEqual(model);
}

it("agrees with a sorted array on small key sets with many collisions", () => {
  fc.assert(
    fc.property(
      fc.array(step(fc.string({ maxLength: 2, unit: fc.constantFrom("a", "b", "c", "é") })), {
        maxLength: 200,
      }),
      check,
    ),
    { numRuns: 200, seed: 5 },
  );
});

it("agrees with a sorted array across many chunk splits and merges", () => {
  fc.assert(
    fc.property(
      fc.array(step(fc.integer({ min: 0, max: 3000 }).map((n) => `k${n}`)), {
        minLength: 1500,
        maxLength: 3000,
      }),
      check,
    ),
    { numRuns: 5, seed: 6 },
  );
});

it("keeps 200,000 keys written in random order in order", () => {
  const sorted = new SortedKeys();
  for (let i = 0; i < 200_000; i++) sorted.insert(`k${(i * 7919) % 200_000}`);
  expect(sorted.length).toBe(200_000);
  expect(sorted.range("k199997", undefined, 10)).toEqual([
    "k199997",
    "k199998",
    "k199999",
    "k2",
    "k20",
    "k200",
    "k2000",
    "k20000",
    "k20001",
    "k20002",
  ]);
});
