/**
 * Goal: the event queue pops in exact (time, seq) order whatever the sequence of pushes, pops
 * and cancels, keeps its live-event bookkeeping right, and never lets a stale token cancel a
 * newer event that reuses a slot.
 * Method: fast-check drives random operation sequences (with many equal times, and far past
 * the initial capacity) against a sorted-array model; plain tests pin the edge cases.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventQueue, EventType } from "../../src/core/eventQueue.js";

type Op =
  | { kind: "push"; time: number; daemon: boolean }
  | { kind: "pop" }
  | { kind: "cancel"; pick: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("push" as const),
      time: fc.integer({ min: 0, max: 20 }),
      daemon: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: "pop" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
);

interface ModelEvent {
  time: number;
  seq: number;
  token: number;
  daemon: boolean;
  cancelled: boolean;
  id: number;
}

describe("EventQueue against a sorted-array model", () => {
  it("pops in (time, seq) order, skipping cancelled events, with exact live counts", () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 400 }), (ops) => {
        const queue = new EventQueue(16);
        const model: ModelEvent[] = [];
        const issued: ModelEvent[] = [];
        let seq = 0;
        let nextId = 0;
        const popLive = (): number | null => {
          while (queue.size > 0) {
            const slot = queue.pop();
            const cancelled = queue.isCancelled(slot);
            const id = queue.slotPayload[slot] as number | null;
            if (!cancelled && !queue.isDaemon(slot)) queue.liveNonDaemon--;
            queue.release(slot);
            if (!cancelled) return id;
          }
          return null;
        };
        for (const op of ops) {
          if (op.kind === "push") {
            const id = nextId++;
            const token = queue.push(op.time, EventType.Callback, null, id, null, op.daemon);
            const event = {
              time: op.time,
              seq: seq++,
              token,
              daemon: op.daemon,
              cancelled: false,
              id,
            };
            model.push(event);
            issued.push(event);
          } else if (op.kind === "pop") {
            model.sort((a, b) => a.time - b.time || a.seq - b.seq);
            const expected = model.shift();
            expect(popLive()).toBe(expected === undefined ? null : expected.id);
          } else if (issued.length > 0) {
            const target = issued[op.pick % issued.length]!;
            const pending = model.includes(target);
            expect(queue.cancel(target.token)).toBe(pending);
            if (pending) model.splice(model.indexOf(target), 1);
          }
          expect(queue.liveNonDaemon).toBe(model.filter((e) => !e.daemon).length);
        }
        model.sort((a, b) => a.time - b.time || a.seq - b.seq);
        for (const expected of model) expect(popLive()).toBe(expected.id);
        expect(popLive()).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

describe("EventQueue", () => {
  it("orders equal times first-in first-out", () => {
    const queue = new EventQueue(16);
    for (let i = 0; i < 100; i++) queue.push(5, EventType.Callback, null, i, null, false);
    const order: number[] = [];
    while (queue.size > 0) {
      const slot = queue.pop();
      order.push(queue.slotPayload[slot] as number);
      queue.release(slot);
    }
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("grows past its initial capacity without losing or reordering events", () => {
    const queue = new EventQueue(16);
    const times = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1009);
    for (const time of times) queue.push(time, EventType.Callback, null, time, null, false);
    const popped: number[] = [];
    while (queue.size > 0) {
      const slot = queue.pop();
      popped.push(queue.slotPayload[slot] as number);
      queue.release(slot);
    }
    expect(popped).toEqual([...times].sort((a, b) => a - b));
  });

  it("a stale token does not cancel the newer event that reuses its slot", () => {
    const queue = new EventQueue(16);
    const old = queue.push(1, EventType.Callback, null, "old", null, false);
    const slot = queue.pop();
    queue.release(slot);
    queue.liveNonDaemon--;
    const fresh = queue.push(2, EventType.Callback, null, "new", null, false);
    expect(fresh).not.toBe(old);
    expect(queue.cancel(old)).toBe(false);
    expect(queue.isPending(fresh)).toBe(true);
    expect(queue.cancel(fresh)).toBe(true);
    expect(queue.cancel(fresh)).toBe(false);
  });

  it("rejects garbage tokens", () => {
    const queue = new EventQueue(16);
    for (const token of [-1, Number.NaN, 1e15, 123456]) expect(queue.cancel(token)).toBe(false);
  });

  it("cancelOwnedBy cancels timers and process wakes of one owner, never its deliveries", () => {
    const queue = new EventQueue(16);
    const owner = { name: "a" } as never;
    const other = { name: "b" } as never;
    queue.push(1, EventType.Callback, null, null, owner, false);
    queue.push(1, EventType.Resume, null, null, owner, true);
    queue.push(1, EventType.Deliver, null, null, owner, false);
    queue.push(1, EventType.Callback, null, null, other, false);
    expect(queue.cancelOwnedBy(owner)).toBe(2);
    expect(queue.liveNonDaemon).toBe(2);
  });
});
