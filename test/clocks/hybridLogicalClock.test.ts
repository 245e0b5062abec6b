/**
 * Goal: `HybridLogicalClock` follows Kulkarni et al.'s send and receive rules, orders events
 * consistently with happened-before, stays monotonic and within the maximum offset of its
 * physical clock, and refuses (throwing ClockOffsetError, counting it, changing nothing) a
 * remote timestamp too far ahead of local physical time.
 * Method: a hand-driven physical source for the rules, one case per branch of the receive rule;
 * fast-check replays random message histories on nodes whose `NodeClock`s are skewed and drift
 * within a bound, in a simulation whose true time advances between events, and checks the
 * order, the monotonicity, the bound, and that exactly the timestamps past the bound are
 * refused when one node's clock is out of bounds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ClockOffsetError,
  type HlcTimestamp,
  HybridLogicalClock,
} from "../../src/clocks/hybridLogicalClock.js";
import { NodeClock } from "../../src/clocks/nodeClock.js";
import { Entity } from "../../src/core/entity.js";
import { Simulation } from "../../src/core/simulation.js";
import { ConfigError, DistsimError } from "../../src/errors/errors.js";
import { type History, happenedBefore, histories } from "./messageHistory.js";

/** A physical source the test sets by hand. */
class ManualSource {
  constructor(public timeNs = 0) {}
  nowNs(): number {
    return this.timeNs;
  }
}

const stamp = (wallNs: number, logical: number): HlcTimestamp => ({ wallNs, logical });

describe("HybridLogicalClock rules", () => {
  it("a local event or send takes the physical time, or counts on logical if it has not moved", () => {
    const physical = new ManualSource(100);
    const clock = new HybridLogicalClock(physical, { name: "a" });
    expect(clock.tick()).toEqual(stamp(100, 1));
    expect(clock.send()).toEqual(stamp(100, 2));
    physical.timeNs = 150;
    expect(clock.send()).toEqual(stamp(150, 0));
    expect(clock.current).toEqual(stamp(150, 0));
  });

  it("stays monotonic when the physical clock goes back", () => {
    const physical = new ManualSource(1_000);
    const clock = new HybridLogicalClock(physical);
    clock.tick();
    physical.timeNs = 400; // a backward step
    expect(clock.tick()).toEqual(stamp(1_000, 2));
    physical.timeNs = 1_001;
    expect(clock.tick()).toEqual(stamp(1_001, 0));
  });

  it("receive: each branch of the rule", () => {
    const physical = new ManualSource(0);
    const clock = new HybridLogicalClock(physical, { maxOffset: 1 });
    expect(clock.current).toEqual(stamp(0, 0)); // the physical reading at creation
    physical.timeNs = 100;
    // Physical time is the largest: logical restarts.
    expect(clock.receive(stamp(50, 7))).toEqual(stamp(100, 0));
    // The remote wall part is the largest: one more than its logical.
    expect(clock.receive(stamp(300, 4))).toEqual(stamp(300, 5));
    // The local wall part is the largest: one more than the local logical.
    expect(clock.receive(stamp(200, 9))).toEqual(stamp(300, 6));
    // Local and remote tie: one more than the larger logical.
    expect(clock.receive(stamp(300, 10))).toEqual(stamp(300, 11));
    expect(clock.receive(stamp(300, 2))).toEqual(stamp(300, 12));
  });

  it("compare orders by wall part, then logical", () => {
    expect(HybridLogicalClock.compare(stamp(1, 9), stamp(2, 0))).toBeLessThan(0);
    expect(HybridLogicalClock.compare(stamp(2, 1), stamp(2, 0))).toBeGreaterThan(0);
    expect(HybridLogicalClock.compare(stamp(2, 1), stamp(2, 1))).toBe(0);
  });

  it("refuses a remote timestamp more than maxOffset ahead, counts it and changes nothing", () => {
    const physical = new ManualSource(1_000_000_000);
    const clock = new HybridLogicalClock(physical, { name: "b", maxOffset: 0.01 });
    clock.tick();
    const before = clock.current;
    // Exactly maxOffset ahead is accepted.
    expect(clock.receive(stamp(1_010_000_000, 0))).toEqual(stamp(1_010_000_000, 1));
    let error: unknown;
    try {
      clock.receive(stamp(1_060_000_000, 3));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ClockOffsetError);
    expect(error).toBeInstanceOf(DistsimError);
    const refusal = error as ClockOffsetError;
    expect(refusal.message).toBe(
      'HybridLogicalClock "b" refused a remote timestamp 1.06s (logical 3): it is 0.06s ahead of ' +
        "the local physical time 1s, more than the maximum offset 0.01s",
    );
    expect(refusal.aheadByNs).toBe(60_000_000);
    expect(refusal.clock).toBe("b");
    expect(clock.rejected).toBe(1);
    expect(clock.current).toEqual(stamp(1_010_000_000, 1));
    expect(before).toEqual(stamp(1_000_000_000, 1));
  });

  it("maxOffset Infinity takes any remote timestamp", () => {
    const clock = new HybridLogicalClock(new ManualSource(0), {
      maxOffset: Number.POSITIVE_INFINITY,
    });
    expect(clock.receive(stamp(9e15, 0))).toEqual(stamp(9e15, 1));
    expect(clock.rejected).toBe(0);
  });

  it("over a NodeClock, reads its skewed time and takes its owner's name", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "b");
    const clock = new HybridLogicalClock(new NodeClock(node, { offset: -0.05 }));
    expect(clock.name).toBe("b");
    expect(clock.maxOffsetNs).toBe(500_000_000);
    sim.run({ until: 1 });
    expect(clock.send()).toEqual(stamp(950_000_000, 0));
  });

  it("refuses bad options and timestamps with ConfigError", () => {
    const source = new ManualSource(0);
    expect(() => new HybridLogicalClock({} as never)).toThrow(ConfigError);
    expect(() => new HybridLogicalClock(source, { maxOffset: 0 })).toThrow(ConfigError);
    expect(() => new HybridLogicalClock(source, { maxOffset: Number.NaN })).toThrow(ConfigError);
    expect(() => new HybridLogicalClock(source, { name: "" })).toThrow(ConfigError);
    expect(() => new HybridLogicalClock({ nowNs: () => 0.5 })).toThrow(ConfigError);
    const clock = new HybridLogicalClock(source, { name: "a" });
    for (const bad of [null, {}, stamp(1.5, 0), stamp(0, -1), { wallNs: 0 }, stamp(2 ** 60, 0)]) {
      expect(() => clock.receive(bad as HlcTimestamp)).toThrow(ConfigError);
    }
    expect(() => clock.receive(stamp(0, 0.5))).toThrow(
      'HybridLogicalClock "a".receive: option "remote" must be a timestamp { wallNs: integer ns, logical: integer >= 0 }; given object',
    );
    expect(clock.rejected).toBe(0);
  });
});

interface NodeSetup {
  readonly offsetMs: number;
  readonly driftPpm: number;
}

/**
 * Replays a history on nodes with skewed, drifting NodeClocks, true time advancing by each
 * event's gap; returns each event's timestamp (null if its receive was refused), and what the
 * bound check saw.
 */
function replay(history: History, setups: readonly NodeSetup[], maxOffset: number) {
  const sim = new Simulation({ seed: 1 });
  const physical = setups.map(
    ({ offsetMs, driftPpm }, i) =>
      new NodeClock(new Entity(sim, `n${i}`), { offset: offsetMs / 1000, driftPpm }),
  );
  const clocks = physical.map((source) => new HybridLogicalClock(source, { maxOffset }));
  const onTheWire = new Map<number, HlcTimestamp>();
  const stamps: (HlcTimestamp | null)[] = [];
  const expectedRefusals: number[] = [];
  let largestLeadNs = Number.NEGATIVE_INFINITY;
  let trueMs = 0;
  for (const event of history.events) {
    trueMs += event.gapMs;
    sim.run({ until: trueMs / 1000 });
    const clock = clocks[event.node]!;
    const ptNs = physical[event.node]!.nowNs();
    let result: HlcTimestamp | null;
    if (event.kind === "receive") {
      const remote = onTheWire.get(event.message)!;
      // The refusal is predicted from the rule, before asking the clock.
      const tooFar = remote.wallNs - ptNs > clock.maxOffsetNs;
      try {
        result = clock.receive(remote);
        expect(tooFar).toBe(false);
      } catch (error) {
        expect(error).toBeInstanceOf(ClockOffsetError);
        expect(tooFar).toBe(true);
        expectedRefusals.push(stamps.length);
        result = null;
      }
    } else {
      result = clock.tick();
      if (event.kind === "send") onTheWire.set(event.message, result);
    }
    if (result !== null) largestLeadNs = Math.max(largestLeadNs, result.wallNs - ptNs);
    stamps.push(result);
  }
  return { stamps, clocks, refused: expectedRefusals, largestLeadNs };
}

const SKEW_MS = 40;
const DRIFT_PPM = 200;

describe("HybridLogicalClock properties", () => {
  it("orders happened-before, is monotonic per node, and stays within the offset bound", () => {
    // Offsets within ±SKEW/2 and drifts within ±DRIFT over at most 1.2 s: any two clocks are
    // less than SKEW + 1 ms apart, so a maxOffset of SKEW + 1 ms refuses nothing.
    const setup = fc.record({
      offsetMs: fc.integer({ min: -SKEW_MS / 2, max: SKEW_MS / 2 }),
      driftPpm: fc.integer({ min: -DRIFT_PPM, max: DRIFT_PPM }),
    });
    fc.assert(
      fc.property(
        histories(),
        fc.array(setup, { minLength: 5, maxLength: 5 }),
        (history, setups) => {
          const maxOffset = (SKEW_MS + 1) / 1000;
          const { stamps, clocks, largestLeadNs } = replay(history, setups, maxOffset);
          expect(clocks.map((c) => c.rejected)).toEqual(clocks.map(() => 0));
          // Never ahead of local physical time by more than the offset bound.
          if (stamps.length > 0) expect(largestLeadNs).toBeLessThanOrEqual(maxOffset * 1e9);
          // Monotonic at each node.
          const last = new Map<number, HlcTimestamp>();
          history.events.forEach((event, i) => {
            const previous = last.get(event.node);
            if (previous !== undefined)
              expect(HybridLogicalClock.compare(previous, stamps[i]!)).toBeLessThan(0);
            last.set(event.node, stamps[i]!);
          });
          // Extends happened-before.
          const before = happenedBefore(history);
          for (let a = 0; a < stamps.length; a++)
            for (let b = 0; b < stamps.length; b++)
              if (before[a]![b])
                expect(HybridLogicalClock.compare(stamps[a]!, stamps[b]!)).toBeLessThan(0);
        },
      ),
      { seed: 15, numRuns: 200 },
    );
  });

  it("refuses exactly the remote timestamps past maxOffset when one node's clock is far ahead", () => {
    let refusals = 0;
    fc.assert(
      fc.property(histories(), fc.integer({ min: 60, max: 500 }), (history, aheadMs) => {
        const setups = [
          { offsetMs: aheadMs, driftPpm: 0 },
          ...new Array(4).fill({ offsetMs: 0, driftPpm: 0 }),
        ];
        const { clocks, refused } = replay(history, setups, 0.05);
        const total = clocks.reduce((sum, clock) => sum + clock.rejected, 0);
        expect(total).toBe(refused.length);
        // Every refusal is of a timestamp carrying the fast clock's time: node 0 never refuses.
        expect(clocks[0]!.rejected).toBe(0);
        refusals += total;
      }),
      { seed: 15, numRuns: 200 },
    );
    expect(refusals).toBeGreaterThanOrEqual(10);
  });
});
