/**
 * Goal: `LamportClock` follows Lamport's rules (every event ticks; a receive first takes the
 * larger of local and message time), so its order extends happened-before; bad stamps fail
 * with ConfigError.
 * Method: scripted exchanges; fast-check replays random message histories (messages
 * reordered) and checks, for every pair of events related by happened-before as computed from
 * the history's graph, that the earlier has the smaller time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LamportClock } from "../../src/clocks/lamportClock.js";
import { ConfigError } from "../../src/errors/errors.js";
import { type History, happenedBefore, histories } from "./messageHistory.js";

describe("LamportClock", () => {
  it("ticks on local events and sends, and takes max + 1 on a receive", () => {
    const a = new LamportClock("a");
    const b = new LamportClock("b");
    expect(a.time).toBe(0);
    expect(a.tick()).toBe(1);
    const stamp = a.send();
    expect(stamp).toBe(2);
    expect(b.tick()).toBe(1);
    expect(b.receive(stamp)).toBe(3);
    // A stale stamp still advances the receiver.
    expect(b.receive(1)).toBe(4);
    expect(b.time).toBe(4);
  });

  it("can start from a given time", () => {
    expect(new LamportClock("a", { initial: 41 }).tick()).toBe(42);
  });

  it("refuses bad node names and stamps with ConfigError", () => {
    expect(() => new LamportClock("")).toThrow(ConfigError);
    expect(() => new LamportClock("a", { initial: -1 })).toThrow(ConfigError);
    const clock = new LamportClock("a");
    expect(() => clock.receive(1.5)).toThrow(
      'LamportClock "a".receive: option "stamp" must be a Lamport time (a safe integer >= 0); given 1.5',
    );
    expect(() => clock.receive(Number.NaN)).toThrow(ConfigError);
    expect(() => clock.receive("3" as never)).toThrow(ConfigError);
    expect(clock.time).toBe(0);
  });
});

/** Lamport times of every event of a history, one clock per node. */
function lamportTimes(history: History): number[] {
  const clocks = Array.from({ length: history.nodes }, (_, i) => new LamportClock(`n${i}`));
  const stamps = new Map<number, number>();
  return history.events.map((event) => {
    const clock = clocks[event.node]!;
    if (event.kind === "send") {
      const time = clock.send();
      stamps.set(event.message, time);
      return time;
    }
    if (event.kind === "receive") return clock.receive(stamps.get(event.message)!);
    return clock.tick();
  });
}

describe("LamportClock properties", () => {
  it("its order extends happened-before on random message histories", () => {
    fc.assert(
      fc.property(histories(), (history) => {
        const times = lamportTimes(history);
        const before = happenedBefore(history);
        let related = 0;
        for (let a = 0; a < times.length; a++) {
          for (let b = 0; b < times.length; b++) {
            if (!before[a]![b]) continue;
            related++;
            expect(times[a]).toBeLessThan(times[b]!);
          }
        }
        return related >= 0;
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it("the converse fails: a smaller time does not mean happened-before", () => {
    // Two nodes that never talk: a's second event has time 2, b's first time 1.
    const history: History = {
      nodes: 2,
      events: [
        { node: 0, kind: "local", message: -1, gapMs: 0 },
        { node: 0, kind: "local", message: -1, gapMs: 0 },
        { node: 1, kind: "local", message: -1, gapMs: 0 },
      ],
    };
    const times = lamportTimes(history);
    expect(times).toEqual([1, 2, 1]);
    expect(happenedBefore(history)[2]![1]).toBe(false);
    expect(times[2]!).toBeLessThan(times[1]!);
  });
});
