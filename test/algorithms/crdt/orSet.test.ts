/**
 * Goal: `ORSet` is add-wins: a remove drops only the adds its replica had observed, so an add
 * concurrent with a remove survives, and an observed remove sticks; it obeys the CRDT laws,
 * serializes in sorted order, and refuses bad input with ConfigError.
 * Method: scripted races; the shared fast-check law suite over random add/remove programs on
 * three replicas over a four-element universe (so elements are re-added and removed often);
 * plus an oracle property: after all replicas converge, an element is present iff some add of
 * it was not observed by any remove of it (tracked outside the set, per add tag).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ORSet } from "../../../src/algorithms/crdt/orSet.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { crdtLaws } from "./laws.js";

type Op = { add: string } | { remove: string };
const element = fc.constantFrom("w", "x", "y", "z");
const op: fc.Arbitrary<Op> = fc.oneof(fc.record({ add: element }), fc.record({ remove: element }));

describe("ORSet", () => {
  it("a concurrent add wins over a remove", () => {
    const a = new ORSet("a").add("x");
    const b = new ORSet("b").merge(a);
    a.remove("x");
    b.add("x");
    expect(a.copy().merge(b).has("x")).toBe(true);
    expect(b.copy().merge(a).has("x")).toBe(true);
  });

  it("an observed remove sticks, and a remove does not cancel an unseen add", () => {
    const a = new ORSet("a").add("x");
    const b = new ORSet("b").merge(a.toJSON());
    b.remove("x");
    expect(a.merge(b).value).toEqual([]);
    const c = new ORSet("c").add("y"); // b never saw this add of y
    b.remove("y");
    expect(b.merge(c).value).toEqual(["y"]);
    expect(b.size).toBe(1);
  });

  it("serializes as plain JSON in sorted order, and reads it back", () => {
    const b = new ORSet("b").add("q").add("p");
    const a = new ORSet("a").add("q").merge(b);
    const text = JSON.stringify(a);
    expect(text).toBe(
      '{"elements":[["p",[["b",2]]],["q",[["a",1],["b",1]]]],"context":[["a",1],["b",2]]}',
    );
    const back = ORSet.fromJSON("c", JSON.parse(text));
    expect(back.value).toEqual(["p", "q"]);
    back.remove("q");
    expect(a.value).toEqual(["p", "q"]);
  });

  it("converges to the elements some add of which no remove observed", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ at: fc.integer({ min: 0, max: 2 }), op }),
            fc.record({ at: fc.integer({ min: 0, max: 2 }), from: fc.integer({ min: 0, max: 2 }) }),
          ),
          { maxLength: 40 },
        ),
        (steps) => {
          const replicas = ["a", "b", "c"].map((node) => new ORSet(node));
          // Outside the set: per replica, the add tags it has observed for each element.
          const observed = replicas.map(() => new Map<string, Set<number>>());
          const removed = new Set<number>();
          let tag = 0;
          for (const step of steps) {
            if ("from" in step) {
              replicas[step.at]!.merge(replicas[step.from]!);
              for (const [e, tags] of observed[step.from]!) {
                const mine = observed[step.at]!.get(e) ?? new Set();
                for (const t of tags) if (!removed.has(t)) mine.add(t);
                observed[step.at]!.set(e, mine);
              }
            } else if ("add" in step.op) {
              // An add supersedes the adds of the element its replica has observed: a later
              // remove that sees the new add removes those too.
              replicas[step.at]!.add(step.op.add);
              for (const t of observed[step.at]!.get(step.op.add) ?? []) removed.add(t);
              observed[step.at]!.set(step.op.add, new Set([++tag]));
            } else {
              replicas[step.at]!.remove(step.op.remove);
              for (const t of observed[step.at]!.get(step.op.remove) ?? []) removed.add(t);
              observed[step.at]!.delete(step.op.remove);
            }
          }
          const live = new Set<string>();
          for (const perReplica of observed) {
            for (const [e, tags] of perReplica) {
              for (const t of tags) if (!removed.has(t)) live.add(e);
            }
          }
          for (const r of replicas) for (const other of replicas) r.merge(other);
          for (const r of replicas) expect(r.value).toEqual([...live].sort());
        },
      ),
      { seed: 1840, numRuns: 300 },
    );
  });

  it("refuses bad input with ConfigError", () => {
    expect(() => new ORSet("")).toThrow(ConfigError);
    const a = new ORSet("a");
    expect(() => a.add(3 as never)).toThrow(/a string/);
    expect(() => a.remove(undefined as never)).toThrow(ConfigError);
    expect(() => a.merge({} as never)).toThrow(/ORSet state/);
    expect(() => a.merge({ elements: [["x", [["b", 2]]]], context: [["b", 1]] })).toThrow(
      /the context has seen/,
    );
    expect(() =>
      a.merge({
        elements: [
          ["x", [["b", 1]]],
          ["x", [["b", 1]]],
        ],
        context: [["b", 1]],
      }),
    ).toThrow(/at most once/);
    expect(() => a.merge({ elements: [["x", 1]], context: [] } as never)).toThrow(ConfigError);
    expect(a.value).toEqual([]);
  });

  describe("laws", () => {
    crdtLaws<ORSet, Op>(
      {
        replica: (node) => new ORSet(node),
        op,
        apply: (r, o) => void ("add" in o ? r.add(o.add) : r.remove(o.remove)),
        copy: (r) => r.copy(),
        merge: (into, from) => void into.merge(from),
        state: (r) => r.toJSON(),
      },
      1841,
    );
  });
});
