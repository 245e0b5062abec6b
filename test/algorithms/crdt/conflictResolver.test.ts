/**
 * Goal: each `ConflictResolver` settles a key's versions as documented, whatever order they
 * come in: lastWriterWins keeps the latest HLC timestamp (ties by node id) and its clock takes
 * the winner in; vectorClockMerge drops causally overwritten versions and keeps or merges the
 * concurrent ones; custom sees the versions sorted; bad input fails with ConfigError.
 * Method: scripted cases; a fast-check property that every permutation resolves the same.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConflictResolver, type Version } from "../../../src/algorithms/crdt/conflictResolver.js";
import { HybridLogicalClock } from "../../../src/clocks/hybridLogicalClock.js";
import { VectorClock } from "../../../src/clocks/vectorClock.js";
import { ConfigError } from "../../../src/errors/errors.js";

const source = { nowNs: () => 100 };
const at = (wallNs: number, logical = 0) => ({ wallNs, logical });

describe("ConflictResolver", () => {
  it("lastWriterWins keeps the latest timestamp, ties by node id, and advances its clock", () => {
    const clock = new HybridLogicalClock(source, { name: "r" });
    const resolver = ConflictResolver.lastWriterWins<string>(clock);
    const versions: Version<string>[] = [
      { value: "old", node: "c", timestamp: at(50) },
      { value: "tie-a", node: "a", timestamp: at(200, 1) },
      { value: "tie-b", node: "b", timestamp: at(200, 1) },
    ];
    expect(resolver.resolve(versions).map((v) => v.value)).toEqual(["tie-b"]);
    expect(HybridLogicalClock.compare(clock.tick(), at(200, 1))).toBeGreaterThan(0);
    expect(resolver.name).toBe("lastWriterWins");
  });

  it("vectorClockMerge drops overwritten versions and keeps or merges concurrent ones", () => {
    const base = new VectorClock({ a: 1 });
    const fromA = new VectorClock({ a: 2 });
    const fromB = new VectorClock({ a: 1, b: 1 });
    const versions: Version<string[]>[] = [
      { value: ["x", "y"], node: "b", clock: fromB },
      { value: ["x"], node: "a", clock: base },
      { value: ["x", "z"], node: "a", clock: fromA },
    ];
    const siblings = ConflictResolver.vectorClockMerge<string[]>().resolve(versions);
    expect(siblings.map((v) => v.value)).toEqual([
      ["x", "z"],
      ["x", "y"],
    ]);
    const union = (values: string[][]) => [...new Set(values.flat())].sort();
    const [merged] = ConflictResolver.vectorClockMerge(union).resolve(versions);
    expect(merged!.value).toEqual(["x", "y", "z"]);
    expect(merged!.clock!.toString()).toBe("{a: 2, b: 1}");
    expect(ConflictResolver.vectorClockMerge(union).resolve(versions.slice(1))[0]!.value).toEqual([
      "x",
      "z",
    ]);
  });

  it("custom sees the versions sorted by node", () => {
    const seen: string[] = [];
    const resolver = ConflictResolver.custom<number>((versions) => {
      seen.push(...versions.map((v) => v.node));
      return [{ value: versions.reduce((s, v) => s + v.value, 0), node: versions[0]!.node }];
    });
    expect(
      resolver.resolve([
        { value: 1, node: "b" },
        { value: 2, node: "a" },
      ])[0]!.value,
    ).toBe(3);
    expect(seen).toEqual(["a", "b"]);
  });

  it("resolves the same whatever order the versions come in", () => {
    const versions: Version<string>[] = ["a", "b", "c", "d"].map((node, i) => ({
      value: node,
      node,
      timestamp: at(10 + (i % 2), 0),
      clock: new VectorClock({ [node]: 1, ...(i > 1 ? { a: 1 } : {}) }),
    }));
    const lww = () => ConflictResolver.lastWriterWins<string>(new HybridLogicalClock(source));
    const merge = ConflictResolver.vectorClockMerge<string>((values) => values.join("+"));
    fc.assert(
      fc.property(fc.shuffledSubarray(versions, { minLength: 4 }), (order) => {
        expect(lww().resolve(order)[0]!.value).toBe("d");
        expect(merge.resolve(order)[0]!.value).toBe("b+c+d");
      }),
      { seed: 1850, numRuns: 50 },
    );
  });

  it("refuses bad input with ConfigError", () => {
    expect(() => ConflictResolver.lastWriterWins({} as never)).toThrow(/HybridLogicalClock/);
    expect(() => ConflictResolver.vectorClockMerge(3 as never)).toThrow(ConfigError);
    expect(() => ConflictResolver.custom(null as never)).toThrow(ConfigError);
    const lww = ConflictResolver.lastWriterWins(new HybridLogicalClock(source));
    expect(() => lww.resolve([])).toThrow(/non-empty/);
    expect(() => lww.resolve([{ value: 1, node: "a" }])).toThrow(/HLC timestamp/);
    expect(() =>
      ConflictResolver.vectorClockMerge().resolve([{ value: 1, node: "a", timestamp: at(1) }]),
    ).toThrow(/VectorClock/);
    expect(() => ConflictResolver.custom((v) => v).resolve([{ value: 1, node: "" }])).toThrow(
      /node id/,
    );
  });
});
