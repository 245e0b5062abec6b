/**
 * Goal: `weightedFairQueue` gives flows that all have work waiting shares of the items served
 * proportional to their weights, within the self-clocked fair queuing bound (items served /
 * weight differ by at most 1/w1 + 1/w2 over any stretch in which both wait); gives a flow that
 * was idle no credit for it; serves equal finish times in arrival order; removes and clears
 * like any discipline; refuses bad options with ConfigErrors naming the option.
 * Method: backlogged flows with random weights (fast-check), every prefix of the service
 * order checked against the bound; scripted arrivals.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DropSink } from "../../../src/components/resource/queueDiscipline.js";
import { weightedFairQueue } from "../../../src/components/resource/weightedFairQueue.js";
import { ConfigError, SimulationError } from "../../../src/errors/errors.js";

const noDrops: DropSink<unknown> = {
  dropped(item) {
    throw new Error(`unexpected drop of ${String(item)}`);
  },
};
const flowOf = (item: string) => item.split(":")[0]!;

function drain(line: ReturnType<typeof weightedFairQueue<string>>): string[] {
  const order: string[] = [];
  for (let item = line.dequeue(0, noDrops); item !== undefined; item = line.dequeue(0, noDrops)) {
    order.push(item);
  }
  return order;
}

describe("weightedFairQueue", () => {
  it('keys a flow once: 1 and "1" are one flow, with one weight; "01" is another', () => {
    // Each item's flow is after its colon; "n" marks a flow given as a number.
    const keyOf = (item: string): string | number => {
      const flow = item.split(":")[1]!;
      return flow.startsWith("n") ? Number(flow.slice(1)) : flow;
    };
    const even = weightedFairQueue<string>({ flowOf: keyOf });
    for (const item of ["a:n1", "b:1", "c:x", "d:01"]) even.enqueue(item, 0, undefined);
    // One flow: a finishes at 1, b after it at 2; x and 01 are flows of their own, at 1.
    expect(drain(even)).toEqual(["a:n1", "c:x", "d:01", "b:1"]);
    const line = weightedFairQueue<string>({ flowOf: keyOf, weights: { 1: 2 } });
    for (const item of ["a:n1", "b:1", "c:x", "e:n1"]) line.enqueue(item, 0, undefined);
    // a, b, e finish at 0.5, 1, 1.5; c at 1 (after b, which came first).
    expect(line.remove("b:1", 0)).toBe(true);
    expect(drain(line)).toEqual(["a:n1", "c:x", "e:n1"]);
    expect(line.length).toBe(0);
  });

  it("serves backlogged flows in proportion to their weights, within the SCFQ bound", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 2, maxLength: 4 }),
        (weightList) => {
          const weights = Object.fromEntries(weightList.map((w, i) => [`f${i}`, w]));
          const line = weightedFairQueue<string>({ flowOf, weights });
          const perFlow = 200;
          for (let n = 0; n < perFlow; n++) {
            for (let i = 0; i < weightList.length; i++) line.enqueue(`f${i}:${n}`, 0, undefined);
          }
          const served = weightList.map(() => 0);
          for (const item of drain(line)) {
            served[Number(flowOf(item).slice(1))]!++;
            // While every flow still has items waiting, compare every pair.
            if (served.some((s) => s === perFlow)) break;
            for (let a = 0; a < weightList.length; a++) {
              for (let b = a + 1; b < weightList.length; b++) {
                const gap = Math.abs(served[a]! / weightList[a]! - served[b]! / weightList[b]!);
                expect(gap).toBeLessThanOrEqual(1 / weightList[a]! + 1 / weightList[b]! + 1e-9);
              }
            }
          }
        },
      ),
    );
  });

  it("serves three gold items for each free one, and a flow with no weight gets defaultWeight", () => {
    const line = weightedFairQueue<string>({ flowOf, weights: { gold: 3 }, defaultWeight: 1 });
    for (let n = 0; n < 30; n++) {
      line.enqueue(`gold:${n}`, 0, undefined);
      line.enqueue(`free:${n}`, 0, undefined);
    }
    const first40 = drain(line).slice(0, 40);
    expect(first40.filter((item) => item.startsWith("gold")).length).toBe(30);
    expect(first40.filter((item) => item.startsWith("free")).length).toBe(10);
  });

  it("gives a flow that was idle no credit: it joins at the current virtual time", () => {
    const line = weightedFairQueue<string>({ flowOf });
    for (let n = 0; n < 100; n++) line.enqueue(`a:${n}`, 0, undefined);
    for (let n = 0; n < 50; n++) line.dequeue(0, noDrops);
    for (let n = 0; n < 6; n++) line.enqueue(`b:${n}`, 0, undefined);
    // Equal weights: b alternates with a rather than taking six turns in a row.
    expect(drain(line).slice(0, 8)).toEqual([
      "a:50",
      "b:0",
      "a:51",
      "b:1",
      "a:52",
      "b:2",
      "a:53",
      "b:3",
    ]);
  });

  it("keeps arrival order among equal finish times, and removes and clears like any discipline", () => {
    const line = weightedFairQueue<string>({ flowOf });
    for (const item of ["x:0", "y:0", "z:0", "x:1"]) line.enqueue(item, 0, undefined);
    expect(line.remove("y:0", 0)).toBe(true);
    expect(line.remove("y:0", 0)).toBe(false);
    expect(line.dequeue(0, noDrops)).toBe("x:0");
    expect(line.length).toBe(2);
    line.enqueue("w:0", 7, undefined);
    expect(line.clear(0)).toEqual(["z:0", "x:1", "w:0"]);
    expect(line.length).toBe(0);
    expect(line.dequeue(0, noDrops)).toBeUndefined();
  });

  it("refuses bad options, naming weightedFairQueue and the option", () => {
    expect(() => weightedFairQueue({} as never)).toThrow(
      /weightedFairQueue: option "flowOf" must be a function/,
    );
    expect(() => weightedFairQueue({ flowOf, weights: { gold: 0 } })).toThrow(
      /option "weights.gold" must be a finite number > 0; given 0/,
    );
    expect(() => weightedFairQueue({ flowOf, weights: 3 as never })).toThrow(ConfigError);
    expect(() => weightedFairQueue({ flowOf, defaultWeight: Number.POSITIVE_INFINITY })).toThrow(
      /option "defaultWeight"/,
    );
    expect(() => weightedFairQueue(null as never)).toThrow(ConfigError);
    const line = weightedFairQueue<number>({ flowOf: () => null as never });
    expect(() => line.enqueue(1, 0, undefined)).toThrow(SimulationError);
  });
});
