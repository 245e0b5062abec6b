import { describe, expect, it } from "vitest";
import { CallTable } from "../../src/core/callTable.js";

/** A small deterministic generator for the operation mix. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

describe("CallTable", () => {
  it("behaves like an insertion-ordered Map under random calls and answers", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = lcg(seed);
      const table = new CallTable<string>();
      const map = new Map<number, string>();
      let nextId = 1;
      for (let step = 0; step < 20_000; step++) {
        const r = next();
        if (r < 0.45 || map.size === 0) {
          const id = nextId;
          nextId += 1 + Math.floor(next() * 3);
          table.set(id, `call ${id}`);
          map.set(id, `call ${id}`);
        } else {
          const keys = [...map.keys()];
          // Mostly the oldest (in-order answers), sometimes any (timeouts, LIFO servers).
          const id =
            r < 0.8 ? keys[0]! : r < 0.95 ? keys[Math.floor(next() * keys.length)]! : nextId + 7;
          expect(table.get(id)).toBe(map.get(id));
          expect(table.has(id)).toBe(map.has(id));
          expect(table.delete(id)).toBe(map.delete(id));
        }
        expect(table.size).toBe(map.size);
        if (step % 997 === 0) expect(table.values()).toEqual([...map.values()]);
      }
      expect(table.values()).toEqual([...map.values()]);
    }
  });

  it("keeps order for an id added out of order", () => {
    const table = new CallTable<number>();
    table.set(5, 5);
    table.set(9, 9);
    table.delete(5);
    table.set(3, 3);
    table.set(7, 7);
    expect(table.values()).toEqual([3, 7, 9]);
    expect(table.get(7)).toBe(7);
    expect(table.size).toBe(3);
  });
});
