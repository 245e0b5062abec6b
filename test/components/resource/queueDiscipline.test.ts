/**
 * Goal: the built-in disciplines (behind every server, pool and resource) take items in exact
 * FIFO or LIFO order through any mix of enqueues, dequeues and removals (including past the
 * FIFO compaction point), report each item's arrival time, and a crash's clear() returns what
 * was waiting in arrival order. (Moved from the old WaitingLine's tests.)
 * Method: fast-check operation sequences against a plain-array model.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type DropSink,
  fifo,
  lifo,
  type QueueDiscipline,
} from "../../../src/components/resource/queueDiscipline.js";

const noDrops: DropSink<number> = {
  dropped() {
    throw new Error("FIFO and LIFO never drop");
  },
};

describe("queue disciplines", () => {
  for (const isLifo of [false, true]) {
    it(`${isLifo ? "LIFO" : "FIFO"}: matches an array model through any enqueues, dequeues and removals`, () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 400 }), (ops) => {
          const line: QueueDiscipline<number> = isLifo ? lifo() : fifo();
          const model: number[] = [];
          let next = 0;
          for (const op of ops) {
            if (op === 4 && model.length > 0) {
              const victim = model[Math.floor(model.length / 2)]!;
              expect(line.remove(victim, 0)).toBe(true);
              model.splice(model.indexOf(victim), 1);
              expect(line.remove(victim, 0)).toBe(false);
            } else if (op > 0 || model.length === 0) {
              // Bursts, so the head passes the compaction threshold in long runs.
              for (let i = 0; i < op * 3 + 1; i++) {
                expect(line.enqueue(next, next * 10, undefined)).toBeNull();
                model.push(next++);
              }
            } else {
              const expected = isLifo ? model[model.length - 1] : model[0];
              expect(line.peek(0, noDrops)).toBe(expected);
              expect(line.dequeue(0, noDrops)).toBe(isLifo ? model.pop() : model.shift());
              expect(line.lastArrivalNs).toBe(expected! * 10);
            }
            expect(line.length).toBe(model.length);
          }
          expect(line.clear(0)).toEqual(model);
          expect(line.length).toBe(0);
          expect(line.peek(0, noDrops)).toBeUndefined();
          expect(line.dequeue(0, noDrops)).toBeUndefined();
        }),
      );
    });
  }

  it("stays correct across compaction of a long FIFO line", () => {
    const line = fifo<number>();
    for (let i = 0; i < 5000; i++) line.enqueue(i, i, undefined);
    for (let i = 0; i < 3000; i++) expect(line.dequeue(0, noDrops)).toBe(i);
    expect(line.lastArrivalNs).toBe(2999);
    line.enqueue(5000, 5000, undefined);
    expect(line.length).toBe(2001);
    expect(line.clear(0)).toEqual(Array.from({ length: 2001 }, (_, i) => 3000 + i));
  });
});
