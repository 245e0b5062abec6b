/**
 * Goal: `PNCounter` counts increments and decrements of every replica once (its value may go
 * negative), obeys the CRDT laws, and refuses bad input with ConfigError.
 * Method: scripted cases; the shared fast-check law suite (laws.ts); converged replicas hold
 * exactly the sum of all signed operations.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PNCounter } from "../../../src/algorithms/crdt/pnCounter.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { crdtLaws } from "./laws.js";

describe("PNCounter", () => {
  it("goes both ways, and below zero", () => {
    const a = new PNCounter("a").increment(5);
    const b = new PNCounter("b").decrement(7);
    expect(a.merge(b.toJSON()).value).toBe(-2);
    expect(a.merge(b).value).toBe(-2);
    a.decrement().increment(2);
    expect(a.value).toBe(-1);
    expect(b.merge(a).value).toBe(-1);
    expect(JSON.stringify(new PNCounter("x").decrement(3))).toBe(
      '{"increments":{"counts":[]},"decrements":{"counts":[["x",3]]}}',
    );
    const copy = PNCounter.fromJSON("c", JSON.parse(JSON.stringify(b)));
    expect(copy.value).toBe(-1);
    expect(copy.copy().decrement().value).toBe(-2);
    expect(copy.value).toBe(-1);
  });

  it("converged replicas hold the signed sum of every operation", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: -9, max: 9 }))),
        (ops) => {
          const replicas = ["a", "b", "c"].map((node) => new PNCounter(node));
          for (const [at, amount] of ops) {
            if (amount > 0) replicas[at]!.increment(amount);
            else if (amount < 0) replicas[at]!.decrement(-amount);
          }
          for (const r of replicas) for (const other of replicas) r.merge(other);
          const total = ops.reduce((sum, [, amount]) => sum + amount, 0);
          for (const r of replicas) expect(r.value).toBe(total);
        },
      ),
      { seed: 1820, numRuns: 200 },
    );
  });

  it("refuses bad input with ConfigError", () => {
    expect(() => new PNCounter("")).toThrow(ConfigError);
    const a = new PNCounter("a");
    expect(() => a.decrement(0)).toThrow(/amount/);
    expect(() => a.increment(-2)).toThrow(ConfigError);
    expect(() => a.merge(null as never)).toThrow(/PNCounter state/);
    a.increment();
    expect(() =>
      a.merge({ increments: { counts: [["b", 4]] }, decrements: { counts: [["b", -1]] } }),
    ).toThrow(ConfigError);
    expect(a.value).toBe(1); // the bad state changed nothing
    expect(() => a.merge({ increments: { counts: [] } } as never)).toThrow(ConfigError);
    expect(() => PNCounter.fromJSON("a", { increments: 1, decrements: 2 } as never)).toThrow(
      ConfigError,
    );
  });

  describe("laws", () => {
    crdtLaws<PNCounter, number>(
      {
        replica: (node) => new PNCounter(node),
        op: fc.integer({ min: -5, max: 5 }).filter((n) => n !== 0),
        apply: (r, n) => void (n > 0 ? r.increment(n) : r.decrement(-n)),
        copy: (r) => r.copy(),
        merge: (into, from) => void into.merge(from),
        state: (r) => r.toJSON(),
      },
      1821,
    );
  });
});
