/**
 * Goal: the waiting line behind Server and ThreadPool takes entries in exact FIFO or LIFO
 * order through any mix of pushes and takes (including past its compaction point), and a
 * crash's clear() returns what was waiting in arrival order.
 * Method: fast-check operation sequences against a plain-array model.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WaitingLine } from "../../../src/components/server/waitingLine.js";

describe("WaitingLine", () => {
  for (const lifo of [false, true]) {
    it(`${lifo ? "LIFO" : "FIFO"}: matches an array model through any pushes and takes`, () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 400 }), (ops) => {
          const line = new WaitingLine<number>(lifo);
          const model: number[] = [];
          let next = 0;
          for (const op of ops) {
            if (op > 0 || model.length === 0) {
              // Pushes in bursts, so the head passes the compaction threshold in long runs.
              for (let i = 0; i < op * 3 + 1; i++) {
                line.push(next);
                model.push(next++);
              }
            } else {
              expect(line.peek()).toBe(lifo ? model[model.length - 1] : model[0]);
              expect(line.take()).toBe(lifo ? model.pop() : model.shift());
            }
            expect(line.length).toBe(model.length);
          }
          expect(line.clear()).toEqual(model);
          expect(line.length).toBe(0);
          expect(line.peek()).toBeUndefined();
        }),
      );
    });
  }

  it("stays correct across compaction of a long FIFO line", () => {
    const line = new WaitingLine<number>(false);
    for (let i = 0; i < 5000; i++) line.push(i);
    for (let i = 0; i < 3000; i++) expect(line.take()).toBe(i);
    line.push(5000);
    expect(line.length).toBe(2001);
    expect(line.clear()).toEqual(Array.from({ length: 2001 }, (_, i) => 3000 + i));
  });
});
