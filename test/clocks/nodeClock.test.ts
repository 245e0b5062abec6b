/**
 * Goal: a `NodeClock` reads true time plus its offset, drift and corrections, exactly in
 * integer nanoseconds; its local timers fire at the first true instant the clock reads their
 * deadline, and behave as stated when the clock is corrected at run time (an absolute deadline
 * is re-armed by a step, a duration is not); the owner's crash cancels them; the clock itself
 * adds no event and no entity; bad options fail with ConfigError naming the option.
 * Method: hand-computed readings and firing times; fast-check checks the reading's monotonicity
 * (wall reading under drift and slews, monotonic reading under anything; a backward step does
 * go back) and that a timer fires at the first nanosecond its reading reaches the deadline.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ClockCorrection, NodeClock } from "../../src/clocks/nodeClock.js";
import { Entity } from "../../src/core/entity.js";
import { Simulation } from "../../src/core/simulation.js";
import { ConfigError, SimulationError } from "../../src/errors/errors.js";
import * as profile from "../../src/random/profile.js";

function node(name = "n", seed = 1) {
  const sim = new Simulation({ seed });
  return { sim, owner: new Entity(sim, name) };
}

describe("NodeClock readings", () => {
  it("reads true time when given no options", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner);
    expect(clock.nowNs()).toBe(0);
    sim.run({ until: 2.5 });
    expect(clock.nowNs()).toBe(2_500_000_000);
    expect(clock.now()).toBe(2.5);
    expect(clock.offset()).toBe(0);
    // Any entity owns a clock, whatever its message types.
    expect(new NodeClock(new Entity<number, string>(sim, "typed")).nowNs()).toBe(2_500_000_000);
  });

  it("adds a fixed offset (negative: behind)", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner, { offset: -0.05 });
    expect(clock.nowNs()).toBe(-50_000_000);
    sim.run({ until: 1 });
    expect(clock.nowNs()).toBe(950_000_000);
    expect(clock.offset()).toBe(-0.05);
  });

  it("drifts linearly, in ppm of true time since the clock was made", () => {
    const { sim, owner } = node();
    const fast = new NodeClock(owner, { driftPpm: 100 });
    const slow = new NodeClock(owner, { driftPpm: -100 });
    sim.run({ until: 10 });
    expect(fast.nowNs()).toBe(10_001_000_000); // 100 µs per second, for 10 s
    expect(slow.nowNs()).toBe(9_999_000_000);
    const later = new NodeClock(owner, { driftPpm: 100 });
    sim.run({ until: 20 });
    expect(later.nowNs()).toBe(20_001_000_000); // drifting from t = 10 only
    // A fraction of a nanosecond is floored: 1 ppm of 1.5 ms is 1.5 ns.
    expect(new NodeClock(owner, { driftPpm: 1 }).localTimeAt(20.0015)).toBe(20.001500001);
  });

  it("drifts by a profile's integral when the drift is a profile", () => {
    const { sim, owner } = node();
    // No drift for 10 s, then 100 ppm: by t = 20 it has gained 1 ms.
    const clock = new NodeClock(owner, {
      driftPpm: profile.step(0, [{ at: 10, value: 100 }]),
    });
    sim.run({ until: 20 });
    expect(clock.nowNs()).toBe(20_001_000_000);
    expect(clock.localTimeAt(10)).toBe(10);
  });

  it("steps at scheduled times, forward or back; the monotonic reading ignores steps", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner, {
      corrections: [
        { at: 8, by: 0.5 },
        { at: 5, by: -1 }, // given out of order: applied in time order
      ],
    });
    expect(clock.localTimeAt(4.999999999)).toBe(4.999999999);
    expect(clock.localTimeAt(5)).toBe(4);
    expect(clock.localTimeAt(8)).toBe(7.5);
    sim.run({ until: 9 });
    expect(clock.nowNs()).toBe(8_500_000_000);
    expect(clock.monotonicNs()).toBe(9_000_000_000);
  });

  it("slews at the slew rate until the correction is worked off", () => {
    const { owner } = node();
    // 1 ms at 500 ppm takes 2 s.
    const clock = new NodeClock(owner, { corrections: [{ at: 10, by: 0.001, mode: "slew" }] });
    expect(clock.localTimeAt(10)).toBe(10);
    expect(clock.localTimeAt(11)).toBe(11.0005);
    expect(clock.localTimeAt(12)).toBe(12.001);
    expect(clock.localTimeAt(13)).toBe(13.001);
  });

  it("a later slew replaces one in progress, dropping its remainder (as adjtime does)", () => {
    const { owner } = node();
    const clock = new NodeClock(owner, {
      corrections: [
        { at: 10, by: 0.001, mode: "slew" },
        { at: 11, by: -0.001, mode: "slew" },
      ],
    });
    expect(clock.localTimeAt(11)).toBe(11.0005); // half of the first slew done
    expect(clock.localTimeAt(12)).toBe(12); // then back at 500 ppm
    expect(clock.localTimeAt(13)).toBe(12.9995);
    expect(clock.localTimeAt(14)).toBe(13.9995);
  });

  it("a slew at a faster rate, and slews counted in the monotonic reading", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner, {
      slewRatePpm: 100_000,
      corrections: [{ at: 0, by: -0.1, mode: "slew" }],
    });
    sim.run({ until: 0.5 });
    expect(clock.nowNs()).toBe(450_000_000);
    expect(clock.monotonicNs()).toBe(450_000_000);
    sim.run({ until: 2 });
    expect(clock.nowNs()).toBe(1_900_000_000);
  });

  it("step and slew at run time change readings from now on only", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner);
    sim.run({ until: 1 });
    clock.step(-0.25);
    expect(clock.nowNs()).toBe(750_000_000);
    expect(clock.localTimeAt(0.5)).toBe(0.5); // the past reads as it did
    clock.slew(0.001);
    sim.run({ until: 4 });
    expect(clock.nowNs()).toBe(3_751_000_000);
    expect(clock.monotonicNs()).toBe(4_001_000_000);
  });

  it("trueTimeOf finds when the clock will read a local time", () => {
    const { owner } = node();
    const clock = new NodeClock(owner, { offset: -0.05, corrections: [{ at: 5, by: -2 }] });
    expect(clock.trueTimeOf(1)).toBe(1.05);
    expect(clock.trueTimeOf(-1)).toBe(0); // already read
    expect(clock.trueTimeOf(4.9)).toBe(4.95);
    // 5 s reads 2.95 after the step: 6 is read at 8.05.
    expect(clock.trueTimeOf(6)).toBe(8.05);
  });

  it("creating and reading a clock adds no event and no entity: the trace is unchanged", () => {
    const run = (withClock: boolean) => {
      const { sim, owner } = node("a", 7);
      const clock = withClock
        ? new NodeClock(owner, { offset: 0.3, driftPpm: 50, corrections: [{ at: 1, by: -1 }] })
        : null;
      owner.start(function* () {
        for (let i = 0; i < 5; i++) {
          yield 0.4;
          clock?.nowNs();
        }
      });
      return sim.run();
    };
    const plain = run(false);
    const clocked = run(true);
    expect(clocked.traceHash).toBe(plain.traceHash);
    expect(clocked.totalEvents).toBe(plain.totalEvents);
    expect(clocked.entities.length).toBe(plain.entities.length);
  });
});

describe("NodeClock timers", () => {
  it("`at` fires when the local clock reads the deadline", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner, { offset: -0.05 });
    const fired: string[] = [];
    clock.at(1, (label: string) => fired.push(`${label} @${sim.nowNs}`), "x");
    expect(clock.pendingTimers).toBe(1);
    sim.run();
    expect(fired).toEqual(["x @1050000000"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("`at` for a local time already read fires at once", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner, { offset: 10 });
    const fired: number[] = [];
    clock.at(3, () => fired.push(sim.nowNs));
    sim.run();
    expect(fired).toEqual([0]);
  });

  it("`after` counts local seconds: a clock 10% fast waits 1/1.1 s, to the nanosecond", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner, { driftPpm: 100_000 });
    const fired: number[] = [];
    clock.after(1, () => fired.push(sim.nowNs));
    sim.run();
    // t + floor(t / 10) first reaches 1e9 at t = 909,090,910.
    expect(fired).toEqual([909_090_910]);
  });

  it("`at` sees scheduled steps: back delays it, forward brings it on", () => {
    const { sim, owner } = node();
    const back = new NodeClock(owner, { corrections: [{ at: 5, by: -2 }] });
    const forward = new NodeClock(owner, { corrections: [{ at: 5, by: 3 }] });
    const fired: string[] = [];
    back.at(4.5, () => fired.push(`back 4.5 @${sim.now}`));
    back.at(6, () => fired.push(`back 6 @${sim.now}`));
    forward.at(7, () => fired.push(`forward 7 @${sim.now}`));
    sim.run();
    expect(fired).toEqual(["back 4.5 @4.5", "forward 7 @5", "back 6 @8"]);
  });

  it("a run-time step re-arms a pending `at` and leaves a pending `after` alone", () => {
    const scenario = (by: number) => {
      const { sim, owner } = node();
      const clock = new NodeClock(owner);
      const fired: string[] = [];
      clock.at(10, () => fired.push(`at @${sim.now}`));
      clock.after(10, () => fired.push(`after @${sim.now}`));
      sim.at(3, () => clock.step(by));
      sim.run();
      return fired;
    };
    // Forward past the deadline: `at` fires in the step's instant.
    expect(scenario(8)).toEqual(["at @3", "after @10"]);
    // Back: `at` waits until the clock reads 10 again.
    expect(scenario(-2)).toEqual(["after @10", "at @12"]);
  });

  it("a run-time slew re-arms a pending `after` too (the rate changed)", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner, { slewRatePpm: 100_000 });
    const fired: number[] = [];
    clock.after(10, () => fired.push(sim.nowNs));
    sim.at(2, () => clock.slew(1));
    sim.run();
    // From t = 2 the clock runs 10% fast: it has counted 10 s at t = 10.2 / 1.1.
    expect(fired).toEqual([9_272_727_273]);
  });

  it("cancelTimer cancels once; the owner's crash cancels every local timer", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner);
    const fired: string[] = [];
    const token = clock.at(1, () => fired.push("cancelled"));
    expect(clock.cancelTimer(token)).toBe(true);
    expect(clock.cancelTimer(token)).toBe(false);
    clock.after(2, () => fired.push("crashed"));
    clock.at(3, () => fired.push("crashed"));
    sim.at(1.5, () => owner.crash());
    sim.run();
    expect(fired).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    // The clock itself keeps running through the crash.
    expect(clock.nowNs()).toBe(sim.nowNs);
  });

  it("a daemon local timer does not keep the run alive", () => {
    const { sim, owner } = node();
    const clock = new NodeClock(owner);
    let fired = false;
    clock.after(5, () => (fired = true), undefined, { daemon: true });
    const summary = sim.run();
    expect(fired).toBe(false);
    expect(summary.time).toBe(0);
  });
});

describe("NodeClock bad input", () => {
  const cases: [string, () => unknown, string][] = [
    ["owner", () => new NodeClock({} as Entity), "owner"],
    ["offset", () => new NodeClock(node().owner, { offset: Number.NaN }), "offset"],
    ["driftPpm", () => new NodeClock(node().owner, { driftPpm: 200_000 }), "driftPpm"],
    [
      "driftPpm profile",
      () =>
        new NodeClock(node().owner, {
          driftPpm: profile.ramp({ from: 0, to: 2e5, start: 0, end: 1 }),
        }),
      "driftPpm",
    ],
    ["slewRatePpm", () => new NodeClock(node().owner, { slewRatePpm: 0 }), "slewRatePpm"],
    [
      "corrections",
      () => new NodeClock(node().owner, { corrections: {} as ClockCorrection[] }),
      "corrections",
    ],
    [
      "correction at",
      () => new NodeClock(node().owner, { corrections: [{ by: 1 } as ClockCorrection] }),
      "corrections[0].at",
    ],
    [
      "correction mode",
      () =>
        new NodeClock(node().owner, {
          corrections: [{ at: 1, by: 1, mode: "jump" as "step" }],
        }),
      "corrections[0].mode",
    ],
    [
      "correction by",
      () => new NodeClock(node().owner, { corrections: [{ at: 1, by: Number.POSITIVE_INFINITY }] }),
      "corrections[0].by",
    ],
    ["at", () => new NodeClock(node().owner).at(Number.NaN, () => {}), "localTime"],
    ["after", () => new NodeClock(node().owner).after(-1, () => {}), "localSeconds"],
    ["callback", () => new NodeClock(node().owner).after(1, 5 as never), "callback"],
    ["step", () => new NodeClock(node().owner).step(Number.NaN), "by"],
    ["slew", () => new NodeClock(node().owner).slew("1" as never), "by"],
    ["localTimeAt", () => new NodeClock(node().owner).localTimeAt(-1), "trueTime"],
  ];
  for (const [what, build, parameter] of cases) {
    it(`refuses a bad ${what} with ConfigError naming "${parameter}"`, () => {
      let error: unknown;
      try {
        build();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).parameter).toBe(parameter);
    });
  }

  it("names the clock's owner in its messages", () => {
    expect(() => new NodeClock(node("db").owner, { driftPpm: -1e6 })).toThrow(
      /^NodeClock "db": option "driftPpm" must be a rate in ppm within ±100000; given -1000000$/,
    );
  });

  it("refuses a correction before the clock existed", () => {
    const { sim, owner } = node();
    sim.run({ until: 2 });
    expect(() => new NodeClock(owner, { corrections: [{ at: 1, by: 1 }] })).toThrow(ConfigError);
  });

  it("a deadline the clock never reads within simulated time's range is a SimulationError", () => {
    const { owner } = node();
    const clock = new NodeClock(owner, { offset: -1e6 });
    expect(() => clock.at(9.007e6, () => {})).toThrow(SimulationError);
  });
});

/** A random clock: offset, drift (a number or a step profile), corrections. */
const clockOptions = (withSteps: boolean) =>
  fc.record({
    offset: fc.integer({ min: -2_000, max: 2_000 }).map((msValue) => msValue / 1000),
    driftPpm: fc.oneof(
      fc.integer({ min: -100_000, max: 100_000 }),
      fc
        .tuple(
          fc.integer({ min: -100_000, max: 100_000 }),
          fc.integer({ min: -100_000, max: 100_000 }),
        )
        .map(([before, after]) => profile.step(before, [{ at: 3, value: after }])),
    ),
    slewRatePpm: fc.integer({ min: 1, max: 100_000 }),
    corrections: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 10_000 }).map((msValue) => msValue / 1000),
        by: fc.integer({ min: -3_000, max: 3_000 }).map((msValue) => msValue / 1000),
        mode: withSteps
          ? fc.constantFrom<"step" | "slew">("step", "slew")
          : fc.constant("slew" as const),
      }),
      { maxLength: 5 },
    ),
  });

/** Increasing true times in ns, within the first 12 s, with some 1 ns apart. */
const trueTimes = fc
  .array(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 2_000_000_000 })), {
    minLength: 2,
    maxLength: 40,
  })
  .map((gaps) => {
    let t = 0;
    return gaps.map((gap) => (t = Math.min(12e9, t + gap)));
  });

describe("NodeClock properties", () => {
  it("the wall reading never goes back under drift and slews; the monotonic one never does", () => {
    fc.assert(
      fc.property(clockOptions(false), trueTimes, clockOptions(true), (options, times, stepped) => {
        const { owner } = node();
        const clock = new NodeClock(owner, options);
        const withSteps = new NodeClock(owner, stepped);
        let previousWall = Number.NEGATIVE_INFINITY;
        for (const t of times) {
          const wall = clock.localTimeAt(t / 1e9);
          expect(wall).toBeGreaterThanOrEqual(previousWall);
          previousWall = wall;
        }
        // The monotonic reading of a stepped clock, run through a simulation.
        const { sim } = { sim: owner.sim };
        let previousMono = Number.NEGATIVE_INFINITY;
        for (const t of times) {
          sim.run({ until: t / 1e9 });
          const mono = withSteps.monotonicNs();
          expect(mono).toBeGreaterThanOrEqual(previousMono);
          previousMono = mono;
        }
      }),
      { seed: 15, numRuns: 150 },
    );
  });

  it("a backward step makes the wall reading go back, by the step", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 3, max: 3_000_000 }),
        fc.integer({ min: -100_000, max: 100_000 }),
        (atMs, backNs, driftPpm) => {
          const { owner } = node();
          const at = atMs / 1000;
          const clock = new NodeClock(owner, {
            driftPpm,
            corrections: [{ at, by: -backNs / 1e9 }],
          });
          const before = Math.round(clock.localTimeAt((atMs * 1e6 - 1) / 1e9) * 1e9);
          const after = Math.round(clock.localTimeAt(at) * 1e9);
          expect(after).toBeLessThan(before);
          // One ns of true time is at most 1.1 ns of local time, plus the floor's nanosecond.
          expect(before - after).toBeGreaterThanOrEqual(backNs - 2);
          expect(before - after).toBeLessThanOrEqual(backNs);
        },
      ),
      { seed: 15, numRuns: 200 },
    );
  });

  it("`at` fires at the first nanosecond its clock reads the deadline", () => {
    fc.assert(
      fc.property(
        clockOptions(true),
        fc.integer({ min: -3_000_000, max: 15_000_000 }),
        (options, deadlineUs) => {
          const { sim, owner } = node();
          const clock = new NodeClock(owner, options);
          const deadline = deadlineUs / 1e6;
          const deadlineNs = deadlineUs * 1000;
          let firedNs = -1;
          clock.at(deadline, () => (firedNs = sim.nowNs));
          sim.run();
          const readingNs = (t: number) => Math.round(clock.localTimeAt(t / 1e9) * 1e9);
          expect(firedNs).toBeGreaterThanOrEqual(0);
          expect(readingNs(firedNs)).toBeGreaterThanOrEqual(deadlineNs);
          // Never read before: every earlier true instant reads less (checked at each step's
          // edge and at the nanosecond before firing).
          if (firedNs > 0) expect(readingNs(firedNs - 1)).toBeLessThan(deadlineNs);
          for (const { at } of options.corrections) {
            const edgeNs = Math.round(at * 1e9) - 1;
            if (edgeNs >= 0 && edgeNs < firedNs) expect(readingNs(edgeNs)).toBeLessThan(deadlineNs);
          }
        },
      ),
      { seed: 15, numRuns: 150 },
    );
  });
});
