/**
 * Goal: the one recency list that PageCache and the store's lru, fifo and slru policies share
 * keeps exactly the order an array model keeps, under any sequence of pushes, moves, unlinks
 * and clears, and leaves no stale links on the nodes it lets go of.
 * Method: fast-check against a plain array (front = most recent), checked after every step.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ListNode, RecencyList } from "../../../src/components/shared/recencyList.js";

class Entry extends ListNode {
  constructor(readonly id: number) {
    super();
  }
}

function order(list: RecencyList<Entry>): number[] {
  // Walk from the back by repeatedly reading back() after moving it to the front, n times:
  // the list's own API only, and it restores the order it started with.
  const ids: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const oldest = list.back()!;
    ids.push(oldest.id);
    list.moveToFront(oldest);
  }
  return ids.reverse();
}

describe("RecencyList", () => {
  it("is empty at first and after clear, and clear leaves no stale links", () => {
    const list = new RecencyList<Entry>();
    expect(list.back()).toBeUndefined();
    const a = new Entry(1);
    const b = new Entry(2);
    list.pushFront(a);
    list.pushFront(b);
    expect(list.back()).toBe(a);
    list.clear();
    expect(list.length).toBe(0);
    expect(list.back()).toBeUndefined();
    expect([a.prev, a.next, b.prev, b.next]).toEqual([null, null, null, null]);
    list.pushFront(a);
    expect(list.back()).toBe(a);
  });

  it("keeps the order of an array model under random operations", () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant("push" as const) }),
      fc.record({ op: fc.constant("move" as const), pick: fc.nat() }),
      fc.record({ op: fc.constant("unlink" as const), pick: fc.nat() }),
      fc.record({ op: fc.constant("evict" as const) }),
      fc.record({ op: fc.constant("clear" as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: "max" }), (steps) => {
        const list = new RecencyList<Entry>();
        let model: Entry[] = []; // front first
        let next = 0;
        for (const s of steps) {
          if (s.op === "push") {
            const entry = new Entry(next++);
            list.pushFront(entry);
            model.unshift(entry);
          } else if (s.op === "clear") {
            list.clear();
            for (const entry of model) expect([entry.prev, entry.next]).toEqual([null, null]);
            model = [];
          } else if (s.op === "evict") {
            const oldest = list.back();
            expect(oldest).toBe(model[model.length - 1]);
            if (oldest !== undefined) {
              list.unlink(oldest);
              model.pop();
              expect([oldest.prev, oldest.next]).toEqual([null, null]);
            }
          } else if (model.length > 0) {
            const entry = model[s.pick % model.length]!;
            model = model.filter((e) => e !== entry);
            if (s.op === "move") {
              list.moveToFront(entry);
              model.unshift(entry);
            } else {
              list.unlink(entry);
            }
          }
          expect(list.length).toBe(model.length);
          expect(order(list)).toEqual(model.map((e) => e.id));
        }
      }),
      { numRuns: 300, seed: 25 },
    );
  });
});
