/**
 * Goal: `VectorClock` increments, merges and compares as Fidge and Mattern's clocks do, so it
 * decides happened-before and concurrency exactly; its serialization lists nodes in sorted
 * order whatever order they were added in; bad input fails with ConfigError.
 * Method: scripted cases; fast-check replays random message histories (messages reordered)
 * and checks, for every pair of events, that the vectors' comparison is exactly the relation
 * computed from the history's graph: "before" iff happened-before, "after" iff the reverse,
 * "concurrent" iff neither, "equal" only for an event with itself.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VectorClock } from "../../src/clocks/vectorClock.js";
import { ConfigError } from "../../src/errors/errors.js";
import { type History, happenedBefore, histories } from "./messageHistory.js";

describe("VectorClock", () => {
  it("increments, copies, merges and compares", () => {
    const a = new VectorClock().increment("a");
    const onTheWire = a.copy();
    a.increment("a");
    const b = new VectorClock().increment("b");
    expect(onTheWire.compare(b)).toBe("concurrent");
    b.merge(onTheWire).increment("b");
    expect(b.get("a")).toBe(1);
    expect(b.get("b")).toBe(2);
    expect(b.get("c")).toBe(0);
    expect(onTheWire.compare(b)).toBe("before");
    expect(b.compare(onTheWire)).toBe("after");
    expect(onTheWire.happenedBefore(b)).toBe(true);
    expect(b.happenedBefore(onTheWire)).toBe(false);
    expect(a.concurrentWith(b)).toBe(true); // a moved on after sending
    expect(b.compare(b.copy())).toBe("equal");
  });

  it("treats a missing entry as 0", () => {
    const empty = new VectorClock();
    expect(empty.compare(new VectorClock())).toBe("equal");
    expect(empty.compare(new VectorClock({ x: 1 }))).toBe("before");
    expect(new VectorClock({ x: 0, y: 2 }).compare(new VectorClock({ y: 2 }))).toBe("equal");
    expect(new VectorClock({ x: 0, y: 2 }).nodes()).toEqual(["y"]);
  });

  it("serializes with node ids in sorted order, whatever order they were added in", () => {
    const clock = new VectorClock();
    for (const node of ["zeta", "10", "alpha", "2", "Beta"]) clock.increment(node);
    clock.increment("alpha");
    // Code-unit order: digits, then upper case, then lower case; "10" before "2".
    expect(clock.nodes()).toEqual(["10", "2", "Beta", "alpha", "zeta"]);
    expect(String(clock)).toBe("{10: 1, 2: 1, Beta: 1, alpha: 2, zeta: 1}");
    const json = JSON.stringify(clock);
    expect(json).toBe('[["10",1],["2",1],["Beta",1],["alpha",2],["zeta",1]]');
    const back = VectorClock.fromJSON(JSON.parse(json));
    expect(back.compare(clock)).toBe("equal");
    expect(JSON.stringify(back)).toBe(json);
    // The same clock built in another order serializes the same.
    const other = new VectorClock([
      ["zeta", 1],
      ["alpha", 2],
      ["Beta", 1],
      ["2", 1],
      ["10", 1],
    ]);
    expect(JSON.stringify(other)).toBe(json);
  });

  it("refuses bad input with ConfigError", () => {
    expect(() => new VectorClock({ a: -1 })).toThrow(ConfigError);
    expect(() => new VectorClock({ a: 1.5 })).toThrow(ConfigError);
    expect(() => new VectorClock([["", 1]])).toThrow(ConfigError);
    expect(() => new VectorClock([["a"] as never])).toThrow(ConfigError);
    expect(() => new VectorClock(5 as never)).toThrow(ConfigError);
    expect(() => new VectorClock().increment("")).toThrow(
      'VectorClock.increment: option "node" must be a node id (a non-empty string); given ""',
    );
    expect(() => new VectorClock().merge({} as VectorClock)).toThrow(ConfigError);
    expect(() => new VectorClock().compare(null as never)).toThrow(ConfigError);
    expect(() => VectorClock.fromJSON({} as never)).toThrow(ConfigError);
  });
});

/** The vector of every event of a history, one clock per node. */
function vectors(history: History): VectorClock[] {
  const clocks = Array.from({ length: history.nodes }, () => new VectorClock());
  const onTheWire = new Map<number, VectorClock>();
  return history.events.map((event) => {
    const clock = clocks[event.node]!;
    const id = `n${event.node}`;
    if (event.kind === "receive") clock.merge(onTheWire.get(event.message)!);
    clock.increment(id);
    if (event.kind === "send") onTheWire.set(event.message, clock.copy());
    return clock.copy();
  });
}

describe("VectorClock properties", () => {
  it("decides happened-before and concurrency exactly on random message histories", () => {
    let concurrentPairs = 0;
    let orderedPairs = 0;
    fc.assert(
      fc.property(histories(), (history) => {
        const stamps = vectors(history);
        const before = happenedBefore(history);
        for (let a = 0; a < stamps.length; a++) {
          for (let b = 0; b < stamps.length; b++) {
            const expected =
              a === b ? "equal" : before[a]![b] ? "before" : before[b]![a] ? "after" : "concurrent";
            expect(stamps[a]!.compare(stamps[b]!)).toBe(expected);
            if (expected === "concurrent") concurrentPairs++;
            if (expected === "before") orderedPairs++;
          }
        }
      }),
      { seed: 15, numRuns: 300 },
    );
    // The histories exercise both answers, many times over.
    expect(concurrentPairs).toBeGreaterThan(1000);
    expect(orderedPairs).toBeGreaterThan(1000);
  });

  it("merge is the entrywise maximum: commutative, associative, idempotent", () => {
    const vector = fc
      .dictionary(fc.constantFrom("a", "b", "c", "d"), fc.nat({ max: 5 }))
      .map((entries) => new VectorClock(entries));
    fc.assert(
      fc.property(vector, vector, vector, (x, y, z) => {
        const xy = x.copy().merge(y);
        expect(xy.compare(y.copy().merge(x))).toBe("equal");
        expect(
          xy
            .copy()
            .merge(z)
            .compare(x.copy().merge(y.copy().merge(z))),
        ).toBe("equal");
        expect(x.copy().merge(x).compare(x)).toBe("equal");
        // The merge is an upper bound of both.
        expect(["before", "equal"]).toContain(x.compare(xy));
        expect(["before", "equal"]).toContain(y.compare(xy));
      }),
      { seed: 15, numRuns: 200 },
    );
  });
});
