/**
 * Goal: the event queue pops in exact (time, seq) order whatever the sequence of pushes, pops
 * and cancels; keeps its live non-daemon count right (a run ends on it); grows past its initial
 * capacity without losing or reordering anything; and never lets a stale token cancel a newer
 * event that reuses a slot.
 * Method: fast-check drives random operation sequences (integer times from a small range, so
 * many are equal, and long enough to grow far past the initial capacity of 16) against a
 * sorted-array model: the model sorts by (time, push order) and drops cancelled events. Plain
 * tests pin the edge cases. `pop` leaves the live count to its caller (the simulation loop), so
 * the helper `popLive` does what the loop does.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Entity } from "../../src/core/entity.js";
import { EventQueue, EventType, MAX_PENDING_EVENTS } from "../../src/core/eventQueue.js";

/** Pops the next live event's payload, as the simulation loop does; null when none is left. */
function popLive(queue: EventQueue): unknown {
  while (queue.size > 0) {
    const slot = queue.pop();
    const cancelled = queue.isCancelled(slot);
    const payload = queue.slotPayload[slot];
    if (!cancelled && !queue.isDaemon(slot)) queue.liveNonDaemon--;
    queue.release(slot);
    if (!cancelled) return payload;
  }
  return null;
}

function drain(queue: EventQueue): unknown[] {
  const out: unknown[] = [];
  for (let next = popLive(queue); next !== null; next = popLive(queue)) out.push(next);
  return out;
}

const push = (queue: EventQueue, time: number, payload: unknown, daemon = false) =>
  queue.push(time, EventType.Callback, null, payload, null, daemon);

type Op =
  | { kind: "push"; time: number; daemon: boolean }
  | { kind: "pop" }
  | { kind: "cancel"; pick: number };

/** Operations with times in [0, maxTime]: a small maxTime makes equal times the rule. */
const ops = (maxTime: number, maxLength: number) =>
  fc.array(
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant("push" as const),
          time: fc.integer({ min: 0, max: maxTime }),
          daemon: fc.boolean(),
        }),
      },
      { weight: 3, arbitrary: fc.constant({ kind: "pop" as const }) },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }),
      },
    ),
    // size "max": without it fast-check keeps arrays to about ten elements.
    { maxLength, size: "max" },
  );

interface ModelEvent {
  readonly id: number;
  readonly time: number;
  readonly seq: number;
  readonly token: number;
  readonly daemon: boolean;
}

/** Runs `operations` on a real queue and on the model, checking each step with `check`. */
function runAgainstModel(
  operations: readonly Op[],
  check: (queue: EventQueue, pending: readonly ModelEvent[]) => void,
): void {
  const queue = new EventQueue(16);
  let pending: ModelEvent[] = [];
  const issued: ModelEvent[] = [];
  const byOrder = (a: ModelEvent, b: ModelEvent) => a.time - b.time || a.seq - b.seq;
  for (const op of operations) {
    if (op.kind === "push") {
      const id = issued.length;
      const token = push(queue, op.time, id, op.daemon);
      const event = { id, time: op.time, seq: id, token, daemon: op.daemon };
      pending.push(event);
      issued.push(event);
    } else if (op.kind === "pop") {
      pending.sort(byOrder);
      const expected = pending.shift();
      expect(popLive(queue)).toBe(expected === undefined ? null : expected.id);
    } else if (issued.length > 0) {
      // Any token ever issued: pending, already popped (stale), or already cancelled.
      const target = issued[op.pick % issued.length]!;
      const isPending = pending.includes(target);
      expect(queue.isPending(target.token)).toBe(isPending);
      expect(queue.cancel(target.token)).toBe(isPending);
      if (isPending) pending = pending.filter((event) => event !== target);
    }
    check(queue, pending);
  }
  expect(drain(queue)).toEqual(pending.sort(byOrder).map((event) => event.id));
  expect(queue.liveNonDaemon).toBe(0);
}

describe("EventQueue against a sorted-array model (fast-check)", () => {
  it("pops in (time, seq) order, skipping cancelled events, with many equal times", () => {
    fc.assert(
      fc.property(ops(3, 300), (operations) => runAgainstModel(operations, () => {})),
      { numRuns: 300 },
    );
  });

  it("pops in (time, seq) order over a wide range of times", () => {
    fc.assert(
      fc.property(ops(1_000_000, 300), (operations) => runAgainstModel(operations, () => {})),
      { numRuns: 200 },
    );
  });

  it("liveNonDaemon always equals the model's pending non-daemon events", () => {
    fc.assert(
      fc.property(ops(20, 300), (operations) =>
        runAgainstModel(operations, (queue, pending) => {
          expect(queue.liveNonDaemon).toBe(pending.filter((event) => !event.daemon).length);
        }),
      ),
      { numRuns: 300 },
    );
  });

  it("grows past the initial capacity of 16 without losing or reordering events", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 17, maxLength: 600, size: "max" }),
        (times) => {
          const queue = new EventQueue(16);
          for (const [i, time] of times.entries()) push(queue, time, i);
          expect(queue.size).toBe(times.length);
          const expected = times
            .map((time, i) => ({ time, i }))
            .sort((a, b) => a.time - b.time || a.i - b.i)
            .map((event) => event.i);
          expect(drain(queue)).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("keeps every token valid across growth: cancelling after growth hits the right event", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 17, maxLength: 200, size: "max" }),
        fc.array(fc.nat(), { maxLength: 50, size: "max" }),
        (times, picks) => {
          const queue = new EventQueue(16);
          const tokens = times.map((time, i) => push(queue, time, i));
          const cancelled = new Set<number>();
          for (const pick of picks) {
            const i = pick % times.length;
            expect(queue.cancel(tokens[i]!)).toBe(!cancelled.has(i));
            cancelled.add(i);
          }
          const expected = times
            .map((time, i) => ({ time, i }))
            .filter((event) => !cancelled.has(event.i))
            .sort((a, b) => a.time - b.time || a.i - b.i)
            .map((event) => event.i);
          expect(drain(queue)).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("EventQueue: ordering", () => {
  it("orders equal times first-in first-out, stably across 10,000 events", () => {
    const queue = new EventQueue(16);
    for (let i = 0; i < 10_000; i++) push(queue, 5, i);
    expect(drain(queue)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it("an event pushed at the current top's time, after it, runs after it", () => {
    const queue = new EventQueue(16);
    push(queue, 1, "first");
    push(queue, 2, "later");
    expect(popLive(queue)).toBe("first");
    push(queue, 2, "pushed while running");
    expect(drain(queue)).toEqual(["later", "pushed while running"]);
  });

  it("peekTime is the earliest time, cancelled or not", () => {
    const queue = new EventQueue(16);
    push(queue, 9, "b");
    const token = push(queue, 3, "a");
    expect(queue.peekTime()).toBe(3);
    queue.cancel(token);
    expect(queue.peekTime()).toBe(3);
  });

  it("counts every push in pushed (the next sequence number)", () => {
    const queue = new EventQueue(16);
    expect(queue.pushed).toBe(0);
    push(queue, 1, "a");
    push(queue, 1, "b");
    popLive(queue);
    expect(queue.pushed).toBe(2);
  });

  it("clamps a tiny initial capacity to 16 and still works", () => {
    const queue = new EventQueue(1);
    for (let i = 20; i > 0; i--) push(queue, i, i);
    expect(drain(queue)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});

describe("EventQueue: cancellation", () => {
  it("cancel returns true once, then false", () => {
    const queue = new EventQueue(16);
    const token = push(queue, 1, "x");
    expect(queue.cancel(token)).toBe(true);
    expect(queue.cancel(token)).toBe(false);
    expect(queue.isPending(token)).toBe(false);
  });

  it("a cancelled event is skipped and no longer counts as live", () => {
    const queue = new EventQueue(16);
    const token = push(queue, 1, "cancelled");
    push(queue, 2, "kept");
    expect(queue.liveNonDaemon).toBe(2);
    queue.cancel(token);
    expect(queue.liveNonDaemon).toBe(1);
    expect(drain(queue)).toEqual(["kept"]);
  });

  it("cancelling a daemon event leaves the live non-daemon count alone", () => {
    const queue = new EventQueue(16);
    const token = push(queue, 1, "probe", true);
    push(queue, 1, "work");
    queue.cancel(token);
    expect(queue.liveNonDaemon).toBe(1);
  });

  it("a stale token does not cancel the newer event that reuses its slot", () => {
    const queue = new EventQueue(16);
    const old = push(queue, 1, "old");
    expect(popLive(queue)).toBe("old");
    const fresh = push(queue, 2, "new");
    expect(fresh % 2 ** 26).toBe(old % 2 ** 26); // the same slot, recycled
    expect(fresh).not.toBe(old);
    expect(queue.cancel(old)).toBe(false);
    expect(queue.isPending(fresh)).toBe(true);
    expect(drain(queue)).toEqual(["new"]);
  });

  it("a token of a cancelled event stays dead after its slot is reused", () => {
    const queue = new EventQueue(16);
    const old = push(queue, 1, "old");
    queue.cancel(old);
    expect(drain(queue)).toEqual([]);
    const fresh = push(queue, 1, "new");
    expect(queue.cancel(old)).toBe(false);
    expect(queue.isPending(fresh)).toBe(true);
  });

  it("rejects garbage tokens", () => {
    const queue = new EventQueue(16);
    push(queue, 1, "x");
    for (const token of [-1, Number.NaN, 1e15, 123_456, 2 ** 26]) {
      expect(queue.cancel(token)).toBe(false);
    }
    expect(queue.liveNonDaemon).toBe(1);
  });

  it("release drops the references a popped event held", () => {
    const queue = new EventQueue(16);
    push(queue, 1, { big: "payload" });
    const slot = queue.pop();
    queue.release(slot);
    expect(queue.slotPayload[slot]).toBeNull();
    expect(queue.slotTarget[slot]).toBeNull();
    expect(queue.slotOwner[slot]).toBeNull();
  });
});

describe("EventQueue: cancelOwnedBy", () => {
  const owner = { name: "a" } as unknown as Entity;
  const other = { name: "b" } as unknown as Entity;

  it("cancels an owner's timers and process wake-ups, never its deliveries or others' events", () => {
    const queue = new EventQueue(16);
    queue.push(1, EventType.Callback, null, "timer", owner, false);
    queue.push(1, EventType.Resume, null, "wake", owner, true);
    queue.push(1, EventType.ResumeFast, null, "fast", owner, false);
    queue.push(1, EventType.Deliver, null, "message", owner, false);
    queue.push(1, EventType.Callback, null, "other", other, false);
    expect(queue.cancelOwnedBy(owner)).toBe(3);
    expect(queue.liveNonDaemon).toBe(2);
    expect(drain(queue)).toEqual(["message", "other"]);
  });

  it("does not count events that were already cancelled", () => {
    const queue = new EventQueue(16);
    const token = queue.push(1, EventType.Callback, null, "timer", owner, false);
    queue.cancel(token);
    expect(queue.cancelOwnedBy(owner)).toBe(0);
    expect(queue.liveNonDaemon).toBe(0);
  });
});

describe("EventQueue: limits", () => {
  it("allows 2^26 pending events", () => {
    expect(MAX_PENDING_EVENTS).toBe(2 ** 26);
  });

  it("tells onLimit when a push would pass the pending limit, cancelled events included", () => {
    const queue = new EventQueue(16);
    queue.setPendingLimit(40);
    const told: number[] = [];
    queue.onLimit = (pending) => {
      told.push(pending);
      throw new Error(`stop at ${pending}`);
    };
    const tokens: number[] = [];
    for (let i = 0; i < 40; i++)
      tokens.push(queue.push(i, EventType.Callback, null, i, null, false));
    queue.cancel(tokens[0]!); // still holds its slot until it reaches the top
    expect(() => queue.push(50, EventType.Callback, null, 50, null, false)).toThrow("stop at 40");
    expect(told).toEqual([40]);
    expect(queue.size).toBe(40);
    // Popping frees a slot: the next push reuses it, under the limit.
    queue.release(queue.pop());
    queue.push(50, EventType.Callback, null, 50, null, false);
    expect(queue.size).toBe(40);
  });

  it("without onLimit, passing the pending limit is a RangeError", () => {
    const queue = new EventQueue(16);
    queue.setPendingLimit(3);
    for (let i = 0; i < 3; i++) queue.push(i, EventType.Callback, null, i, null, false);
    expect(() => queue.push(3, EventType.Callback, null, 3, null, false)).toThrow(
      "EventQueue: more than 3 events pending at once (the pending limit)",
    );
  });

  it("forEachPending visits the pending events, not the cancelled ones", () => {
    const owner = { name: "a" } as unknown as Entity;
    const queue = new EventQueue(16);
    const a = queue.push(1, EventType.Callback, null, "a", owner, false);
    queue.push(2, EventType.Callback, null, "b", null, true);
    queue.cancel(a);
    const seen: unknown[] = [];
    queue.forEachPending((type, _target, payload, by) => seen.push([type, payload, by]));
    expect(seen).toEqual([[EventType.Callback, "b", null]]);
  });
});
