/**
 * Goal: `GCounter` counts every increment of every replica once, whatever order states arrive
 * in (the CRDT laws), serializes in sorted node order, and refuses bad input with ConfigError.
 * Method: scripted cases; the shared fast-check law suite (laws.ts) over random programs on
 * three replicas, plus the total: converged replicas hold exactly the sum of all increments.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GCounter } from "../../../src/algorithms/crdt/gCounter.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { crdtLaws } from "./laws.js";

describe("GCounter", () => {
  it("sums increments across replicas and merges by entrywise maximum", () => {
    const a = new GCounter("a").increment(2);
    const b = new GCounter("b").increment();
    a.merge(b.toJSON());
    expect(a.value).toBe(3);
    a.merge(b).merge(b);
    expect(a.value).toBe(3);
    b.increment(4);
    a.merge(b);
    expect(a.value).toBe(7);
    expect(a.get("b")).toBe(5);
    expect(a.get("c")).toBe(0);
  });

  it("serializes as plain JSON in sorted node order, and reads it back", () => {
    const z = new GCounter("z").increment(3);
    const a = new GCounter("a").increment();
    z.merge(a);
    expect(JSON.stringify(z)).toBe('{"counts":[["a",1],["z",3]]}');
    const back = GCounter.fromJSON("q", JSON.parse(JSON.stringify(z)));
    expect(back.value).toBe(4);
    expect(back.node).toBe("q");
    const copy = back.copy();
    copy.increment();
    expect(back.value).toBe(4);
    expect(copy.value).toBe(5);
  });

  it("converged replicas hold the sum of every increment", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 9 }))),
        (increments) => {
          const replicas = ["a", "b", "c"].map((node) => new GCounter(node));
          for (const [at, amount] of increments) replicas[at]!.increment(amount);
          for (const r of replicas) for (const other of replicas) r.merge(other);
          const total = increments.reduce((sum, [, amount]) => sum + amount, 0);
          for (const r of replicas) expect(r.value).toBe(total);
        },
      ),
      { seed: 1801, numRuns: 200 },
    );
  });

  it("refuses bad input with ConfigError", () => {
    expect(() => new GCounter("")).toThrow(ConfigError);
    expect(() => new GCounter(3 as unknown as string)).toThrow(/node id/);
    const a = new GCounter("a");
    expect(() => a.increment(0)).toThrow(/amount/);
    expect(() => a.increment(-1)).toThrow(ConfigError);
    expect(() => a.increment(1.5)).toThrow(ConfigError);
    expect(() => a.increment(Number.MAX_SAFE_INTEGER).increment()).toThrow(/2\^53/);
    expect(() => a.merge({ counts: [["b", -1]] })).toThrow(/a safe integer >= 0/);
    expect(() =>
      a.merge({
        counts: [
          ["b", 1],
          ["b", 2],
        ],
      }),
    ).toThrow(/at most once/);
    expect(() => a.merge({} as never)).toThrow(ConfigError);
    expect(() => GCounter.fromJSON("a", null as never)).toThrow(ConfigError);
  });

  describe("laws", () => {
    crdtLaws<GCounter, number>(
      {
        replica: (node) => new GCounter(node),
        op: fc.integer({ min: 1, max: 5 }),
        apply: (r, amount) => void r.increment(amount),
        copy: (r) => r.copy(),
        merge: (into, from) => void into.merge(from),
        state: (r) => r.toJSON(),
      },
      1810,
    );
  });
});
