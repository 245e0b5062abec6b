/**
 * Goal: the loop's contract. Events run in (time, schedule order): same-time events are FIFO;
 * `until` is a hard horizon that leaves the clock exactly there; a run without a horizon ends
 * when only daemon events remain; cancelled events never run and stale tokens cancel nothing;
 * scheduling in the past is refused; pause/resume, step, runUntil and maxEvents stop where
 * they say; a failure names the entity and the time, and the simulation refuses to go on.
 * Method: a fresh simulation per test with timers and processes whose callbacks log the
 * simulated time, plus a fast-check property: random schedules (many equal times) with random
 * cancellations run in exactly the order of a sorted model.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import { Simulation, type SimulationLimits } from "../../src/core/simulation.js";
import { ConfigError, RunawayError, SimulationError } from "../../src/errors/errors.js";

const fresh = (seed = 1) => new Simulation({ seed });

/** Runs `action` and returns what it threw (failing the test if it did not throw). */
function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

/** A simulation with a timer that ticks every second, 100 times. */
function ticking() {
  const sim = fresh();
  let count = 0;
  const tick = () => {
    count++;
    if (count < 100) sim.after(1, tick);
  };
  sim.after(1, tick);
  return { sim, count: () => count };
}

describe("Simulation: construction", () => {
  it.each([-1, 1.5, Number.NaN, 2 ** 53, "1", undefined])(
    "refuses seed %s with a ConfigError",
    (seed) => {
      expect(() => new Simulation({ seed: seed as number })).toThrow(ConfigError);
    },
  );

  it("names the parameter and the given seed", () => {
    expect(() => new Simulation({ seed: -1 })).toThrow(
      'Simulation: option "seed" must be an integer in [0, 2^53); given -1',
    );
  });

  it("starts idle at time zero with its seed", () => {
    const sim = fresh(42);
    expect([sim.seed, sim.now, sim.nowNs, sim.status, sim.eventsProcessed]).toEqual([
      42,
      0,
      0,
      "idle",
      0,
    ]);
  });
});

describe("Simulation: order of events", () => {
  it("runs same-time events in the order they were scheduled", () => {
    const sim = fresh();
    const order: number[] = [];
    for (let i = 0; i < 50; i++) sim.after(1, (n: number) => order.push(n), i);
    sim.run();
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("keeps FIFO order stable across 10,000 events at one time, scheduled from several places", () => {
    const sim = fresh();
    const e = new Entity(sim, "e");
    const order: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const record = (n: number) => order.push(n);
      if (i % 3 === 0) sim.at(7, record, i);
      else if (i % 3 === 1) sim.after(7, record, i);
      else e.at(7, record, i);
    }
    sim.run();
    expect(order).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it("an event scheduled for the current time runs after those already scheduled for it", () => {
    const sim = fresh();
    const order: string[] = [];
    sim.at(1, () => {
      order.push("a");
      sim.after(0, () => order.push("scheduled by a"));
    });
    sim.at(1, () => order.push("b"));
    sim.run();
    expect(order).toEqual(["a", "b", "scheduled by a"]);
  });

  it("runs random schedules in (time, schedule order), skipping cancelled events (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ timeMs: fc.integer({ min: 0, max: 5 }), cancel: fc.boolean() }), {
          maxLength: 200,
          size: "max",
        }),
        (plan) => {
          const sim = fresh();
          const ran: [number, number][] = [];
          const tokens = plan.map(({ timeMs }, i) =>
            sim.at(timeMs / 1000, () => ran.push([i, sim.nowNs])),
          );
          plan.forEach(({ cancel }, i) => {
            if (cancel) expect(sim.cancel(tokens[i]!)).toBe(true);
          });
          sim.run();
          const expected = plan
            .map(({ timeMs, cancel }, i) => ({ i, timeNs: timeMs * 1_000_000, cancel }))
            .filter((event) => !event.cancel)
            .sort((a, b) => a.timeNs - b.timeNs || a.i - b.i)
            .map((event): [number, number] => [event.i, event.timeNs]);
          expect(ran).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps exact integer-nanosecond time where float seconds would drift", () => {
    const { sim } = ticking();
    sim.run({ maxEvents: 10 });
    expect(sim.nowNs).toBe(10_000_000_000);
    expect(sim.now).toBe(10);
  });
});

describe("Simulation: the horizon (until)", () => {
  it("never runs an event later than until", () => {
    const sim = fresh();
    const seen: number[] = [];
    for (const t of [1, 2, 3.000000001, 4]) sim.at(t, () => seen.push(sim.now));
    const summary = sim.run({ until: 3 });
    expect(seen).toEqual([1, 2]);
    expect(summary.reason).toBe("until");
    expect(summary.pendingEvents).toBe(2);
  });

  it("runs an event exactly at until", () => {
    const sim = fresh();
    let ran = false;
    sim.at(3, () => {
      ran = true;
    });
    sim.run({ until: 3 });
    expect(ran).toBe(true);
  });

  it("leaves the clock exactly at until when events remain after it", () => {
    const sim = fresh();
    sim.at(1, () => {});
    sim.at(5, () => {});
    const summary = sim.run({ until: 3 });
    expect([sim.nowNs, sim.now, summary.timeNs, summary.time]).toEqual([3e9, 3, 3e9, 3]);
  });

  it("leaves the clock exactly at until when the queue empties earlier", () => {
    const sim = fresh();
    sim.at(1, () => {});
    const summary = sim.run({ until: 10 });
    expect(summary.reason).toBe("until");
    expect(sim.nowNs).toBe(10_000_000_000);
  });

  it("leaves the clock exactly at until when there was nothing to run", () => {
    const sim = fresh();
    const summary = sim.run({ until: 0.1 + 0.2 });
    expect(summary.reason).toBe("until");
    expect(sim.nowNs).toBe(300_000_000);
    expect(summary.eventsProcessed).toBe(0);
  });

  it("a run can be continued with a later until, running the events in between", () => {
    const sim = fresh();
    const seen: number[] = [];
    for (const t of [1, 4, 6, 9]) sim.at(t, () => seen.push(sim.now));
    sim.run({ until: 5 });
    expect(seen).toEqual([1, 4]);
    const second = sim.run({ until: 8 });
    expect(seen).toEqual([1, 4, 6]);
    expect(second.eventsProcessed).toBe(1);
    expect(second.simulatedSeconds).toBe(3);
    expect(sim.now).toBe(8);
  });

  it("a run split at a horizon matches one run to the final horizon", () => {
    const build = () => {
      const sim = fresh(3);
      const e = new Entity(sim, "e");
      const rng = e.random();
      const tick = () => e.after(rng.exponential(0.1), tick);
      tick();
      return sim;
    };
    const split = build();
    split.run({ until: 5 });
    const whole = build();
    const end = split.run({ until: 10 });
    const once = whole.run({ until: 10 });
    expect(end.traceHash).toBe(once.traceHash);
    expect(end.totalEvents).toBe(once.totalEvents);
  });

  it("accepts until equal to now and runs the events at now", () => {
    const sim = fresh();
    sim.run({ until: 2 });
    let ran = false;
    sim.at(2, () => {
      ran = true;
    });
    sim.run({ until: 2 });
    expect(ran).toBe(true);
  });

  it("refuses an until in the past, naming the parameter and the value", () => {
    const sim = fresh();
    sim.run({ until: 5 });
    const error = thrown(() => sim.run({ until: 4 }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      'Simulation.run: option "until" must be a time >= now (5s); given 4',
    );
  });

  it("refuses an until past the exact range of simulated time, naming the limit", () => {
    const error = thrown(() => fresh().run({ until: 1e12 }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      'Simulation.run: option "until" must be a time in seconds at most 9007199.254740991s (2^53 ns, about 104 days: the exact range of simulated time); given 1000000000000',
    );
    expect(() => fresh().at(1e12, () => {})).toThrow(/at most 9007199.254740991s/);
  });

  it("refuses a negative or NaN until", () => {
    const sim = fresh();
    expect(() => sim.run({ until: -1 })).toThrow(/option "until"/);
    expect(() => sim.run({ until: Number.NaN })).toThrow(ConfigError);
  });
});

describe("Simulation: daemon events", () => {
  /** A daemon timer that reschedules itself every second, counting its runs. */
  function probe(sim: Simulation) {
    let runs = 0;
    const tick = () => {
      runs++;
      sim.after(1, tick, undefined, { daemon: true });
    };
    sim.after(1, tick, undefined, { daemon: true });
    return () => runs;
  }

  it("a run without until ends when only daemon timers remain", () => {
    const sim = fresh();
    const runs = probe(sim);
    sim.at(4.5, () => {});
    const summary = sim.run();
    expect(summary.reason).toBe("drained");
    expect(summary.time).toBe(4.5);
    expect(runs()).toBe(4);
  });

  it("a run without until ends when only daemon processes remain", () => {
    const sim = fresh();
    const e = new Entity(sim, "e");
    let beats = 0;
    e.start(
      function* () {
        for (;;) {
          yield 1;
          beats++;
        }
      },
      { daemon: true },
    );
    e.start(function* () {
      yield 3.5;
    });
    const summary = sim.run();
    expect(summary.reason).toBe("drained");
    expect(summary.time).toBe(3.5);
    expect(beats).toBe(3);
  });

  it("with only daemon events from the start, a run without until does nothing", () => {
    const sim = fresh();
    const runs = probe(sim);
    const summary = sim.run();
    expect([summary.reason, summary.eventsProcessed, summary.time, runs()]).toEqual([
      "drained",
      0,
      0,
      0,
    ]);
  });

  it("with until, daemon timers keep running up to the horizon", () => {
    const sim = fresh();
    const runs = probe(sim);
    const summary = sim.run({ until: 10 });
    expect(runs()).toBe(10);
    expect(summary.time).toBe(10);
  });

  it("with until, daemon processes keep running up to the horizon", () => {
    const sim = fresh();
    const e = new Entity(sim, "e");
    const beats: number[] = [];
    e.start(
      function* () {
        for (;;) {
          yield 2;
          beats.push(e.now);
        }
      },
      { daemon: true },
    );
    sim.run({ until: 7 });
    expect(beats).toEqual([2, 4, 6]);
  });

  it("pendingEvents counts non-daemon events only", () => {
    const sim = fresh();
    probe(sim);
    sim.at(5, () => {});
    sim.at(6, () => {});
    expect(sim.run({ until: 5.5 }).pendingEvents).toBe(1);
  });
});

describe("Simulation: cancelling events", () => {
  it("a cancelled event never runs and does not keep the run alive", () => {
    const sim = fresh();
    let ran = false;
    const token = sim.after(100, () => {
      ran = true;
    });
    sim.at(1, () => {});
    expect(sim.cancel(token)).toBe(true);
    expect(sim.run().time).toBe(1);
    expect(ran).toBe(false);
  });

  it("cancel returns false the second time", () => {
    const sim = fresh();
    const token = sim.at(1, () => {});
    expect(sim.cancel(token)).toBe(true);
    expect(sim.cancel(token)).toBe(false);
  });

  it("cancel returns false for an event that already ran", () => {
    const sim = fresh();
    const token = sim.at(1, () => {});
    sim.run();
    expect(sim.cancel(token)).toBe(false);
  });

  it("a stale token does not cancel a newer event that reuses its slot", () => {
    const sim = fresh();
    const old = sim.at(1, () => {});
    sim.run();
    let ran = false;
    const newer = sim.at(2, () => {
      ran = true;
    });
    expect(newer % 2 ** 26).toBe(old % 2 ** 26); // the slot was recycled
    expect(sim.cancel(old)).toBe(false);
    sim.run();
    expect(ran).toBe(true);
  });

  it("an event can cancel a later event at the same time", () => {
    const sim = fresh();
    const ran: string[] = [];
    let victim = -1;
    sim.at(1, () => {
      ran.push("first");
      sim.cancel(victim);
    });
    victim = sim.at(1, () => ran.push("victim"));
    sim.run();
    expect(ran).toEqual(["first"]);
  });
});

describe("Simulation: scheduling errors", () => {
  it("refuses at() before now, naming the time given and now", () => {
    const sim = fresh();
    sim.run({ until: 10 });
    const error = thrown(() => sim.at(5, () => {}));
    expect(error).toBeInstanceOf(SimulationError);
    expect(error.message).toBe("simulation at t=10s: at(5) is in the past (now is 10s)");
  });

  it.each([
    ["negative", -1],
    ["NaN", Number.NaN],
    ["infinite", Number.POSITIVE_INFINITY],
  ])("refuses a %s time in at(), naming the parameter", (_label, bad) => {
    const sim = fresh();
    const error = thrown(() => sim.at(bad, () => {}));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      // A point in time, not a duration.
      `Simulation.at: option "time" must be a finite time in seconds >= 0; given ${bad}`,
    );
  });

  it.each([
    ["negative", -1],
    ["NaN", Number.NaN],
    ["infinite", Number.POSITIVE_INFINITY],
  ])("refuses a %s delay in after(), naming the parameter", (_label, bad) => {
    const sim = fresh();
    const error = thrown(() => sim.after(bad, () => {}));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).parameter).toBe("delay");
    expect(error.message).toMatch(/^Simulation.after: option "delay" must be .*; given /);
  });

  it("refuses a delay that ends past the exact range of integer nanoseconds", () => {
    const sim = fresh();
    sim.run({ until: 9_000_000 });
    expect(() => sim.after(9_000_000, () => {})).toThrow(/cannot schedule past 9007199.254740991s/);
    expect(() => sim.sleep(9_000_000)).toThrow(SimulationError);
  });

  it("refuses a bad sleep", () => {
    const sim = fresh();
    expect(() => sim.sleep(-1)).toThrow(
      'Simulation: option "seconds" must be a finite duration in seconds >= 0; given -1',
    );
  });

  it("a refused schedule leaves the queue untouched", () => {
    const sim = fresh();
    expect(() => sim.after(-1, () => {})).toThrow();
    expect(sim.queue.size).toBe(0);
  });
});

describe("Simulation: pause and resume", () => {
  /** Events at 1..5 s; the one at 2 s pauses. */
  function pausing() {
    const sim = fresh();
    const seen: number[] = [];
    for (let t = 1; t <= 5; t++) {
      sim.at(t, () => {
        seen.push(t);
        if (t === 2) sim.pause();
      });
    }
    return { sim, seen };
  }

  it("pause() makes run return after the current event with reason paused", () => {
    const { sim, seen } = pausing();
    const summary = sim.run({ until: 4 });
    expect(summary.reason).toBe("paused");
    expect(sim.status).toBe("paused");
    expect(seen).toEqual([1, 2]);
    expect(sim.now).toBe(2);
  });

  it("resume() continues to the same horizon", () => {
    const { sim, seen } = pausing();
    sim.run({ until: 4 });
    const summary = sim.resume();
    expect(summary.reason).toBe("until");
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(sim.now).toBe(4);
    expect(sim.status).toBe("idle");
  });

  it("resume() when not paused throws", () => {
    const sim = fresh();
    expect(() => sim.resume()).toThrow("simulation at t=0s: resume() called while idle");
  });

  it("pause() outside a run throws", () => {
    const sim = fresh();
    expect(() => sim.pause()).toThrow(/pause\(\) called while the simulation is not running/);
  });
});

describe("Simulation: step, runUntil, maxEvents", () => {
  it("step(n) processes exactly n events", () => {
    const { sim, count } = ticking();
    const summary = sim.step(3);
    expect([summary.eventsProcessed, summary.reason, count(), sim.now]).toEqual([
      3,
      "event-limit",
      3,
      3,
    ]);
  });

  it("step() walks through daemon events too", () => {
    const sim = new Simulation({ seed: 1 });
    const ticks: number[] = [];
    const tick = () => {
      ticks.push(sim.now);
      sim.after(1, tick, undefined, { daemon: true });
    };
    sim.after(1, tick, undefined, { daemon: true });
    expect(sim.run().eventsProcessed).toBe(0); // run() without until ends at once
    expect(sim.step(3).eventsProcessed).toBe(3);
    expect(ticks).toEqual([1, 2, 3]);
  });

  it("step() processes one event", () => {
    const { sim, count } = ticking();
    expect(sim.step().eventsProcessed).toBe(1);
    expect(count()).toBe(1);
  });

  it("step does not count cancelled events", () => {
    const sim = fresh();
    const ran: number[] = [];
    const token = sim.at(1, () => ran.push(1));
    sim.at(2, () => ran.push(2));
    sim.cancel(token);
    expect(sim.step(1).eventsProcessed).toBe(1);
    expect(ran).toEqual([2]);
  });

  it.each([0, -1, 1.5, Number.NaN])("step(%s) is refused", (count) => {
    expect(() => fresh().step(count)).toThrow(/Simulation.step: option "count"/);
  });

  it("runUntil stops right after the event that makes the predicate true", () => {
    const { sim, count } = ticking();
    const summary = sim.runUntil(() => count() === 7);
    expect(summary.reason).toBe("predicate");
    expect(summary.eventsProcessed).toBe(7);
    expect(sim.now).toBe(7);
  });

  it("runUntil stops at the horizon if the predicate never holds", () => {
    const { sim } = ticking();
    const summary = sim.runUntil(() => false, { until: 5.5 });
    expect(summary.reason).toBe("until");
    expect(sim.now).toBe(5.5);
  });

  it("runUntil refuses a predicate that is not a function", () => {
    expect(() => fresh().runUntil(true as never)).toThrow(ConfigError);
  });

  it("maxEvents stops the run after that many events", () => {
    const { sim, count } = ticking();
    const summary = sim.run({ maxEvents: 10 });
    expect(summary.reason).toBe("event-limit");
    expect(summary.eventsProcessed).toBe(10);
    expect(count()).toBe(10);
  });

  it("maxEvents below 1 is refused", () => {
    expect(() => fresh().run({ maxEvents: 0 })).toThrow(/option "maxEvents"/);
  });

  it("a run cannot be started from inside a running one", () => {
    const sim = fresh();
    sim.at(1, () => sim.run());
    expect(() => sim.run()).toThrow(/run\(\) called from inside a running simulation/);
  });
});

describe("Simulation: failures", () => {
  it("a throwing entity timer fails the run with the entity, the time and the cause", () => {
    const sim = fresh();
    const e = new Entity(sim, "broken");
    const cause = new Error("boom");
    e.after(2.5, () => {
      throw cause;
    });
    const error = thrown(() => sim.run()) as SimulationError;
    expect(error).toBeInstanceOf(SimulationError);
    expect(error.message).toBe('entity "broken" at t=2.5s: handler threw: boom');
    expect(error.entity).toBe("broken");
    expect(error.time).toBe(2.5);
    expect(error.cause).toBe(cause);
  });

  it("a throwing simulation callback fails the run naming the simulation", () => {
    const sim = fresh();
    sim.at(1, () => {
      throw "not an Error";
    });
    const error = thrown(() => sim.run()) as SimulationError;
    expect(error.message).toBe('simulation at t=1s: handler threw: "not an Error"');
    expect(error.cause).toBe("not an Error");
  });

  it("after a failure the simulation refuses to run again, in every way", () => {
    const sim = fresh();
    sim.at(1, () => {
      throw new Error("boom");
    });
    sim.at(2, () => {});
    expect(() => sim.run()).toThrow(SimulationError);
    expect(sim.status).toBe("failed");
    expect(() => sim.run()).toThrow(/the simulation failed earlier and cannot continue: .*boom/);
    expect(() => sim.step()).toThrow(/failed earlier/);
    expect(() => sim.runUntil(() => true)).toThrow(/failed earlier/);
    expect(() => sim.resume()).toThrow(SimulationError);
    expect(sim.now).toBe(1);
  });
});

describe("Simulation: entities, streams and summaries", () => {
  it("registers entities by unique name, in creation order", () => {
    const sim = fresh();
    const a = new Entity(sim, "a");
    const b = new Entity(sim, "b");
    expect(sim.entities).toEqual([a, b]);
    expect(sim.entity("b")).toBe(b);
    expect(sim.entity("c")).toBeUndefined();
  });

  it("random(name) returns one stream per name, owned by the simulation", () => {
    const sim = fresh();
    expect(sim.random("a")).toBe(sim.random("a"));
    expect(sim.random("a")).not.toBe(sim.random("b"));
    expect(sim.random().owner).toBe("");
    expect(sim.random().name).toBe("default");
  });

  it("summarises the run", () => {
    const sim = fresh(9);
    sim.at(2, () => {});
    sim.at(3, () => {});
    const summary = sim.run();
    expect(summary).toMatchObject({
      reason: "drained",
      seed: 9,
      eventsProcessed: 2,
      totalEvents: 2,
      time: 3,
      timeNs: 3e9,
      simulatedSeconds: 3,
      pendingEvents: 0,
    });
    expect(summary.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(summary.wallSeconds).toBeGreaterThanOrEqual(0);
    expect(summary.eventsPerWallSecond).toBeGreaterThanOrEqual(0);
  });

  it("counts events per call and in total", () => {
    const { sim } = ticking();
    sim.run({ until: 3 });
    const second = sim.run({ until: 5 });
    expect([second.eventsProcessed, second.totalEvents, sim.eventsProcessed]).toEqual([2, 5, 5]);
  });

  it("the trace hash changes with every event and is the summary's", () => {
    const { sim } = ticking();
    const hashes = new Set([sim.traceHash]);
    for (let i = 0; i < 20; i++) hashes.add(sim.step().traceHash);
    expect(hashes.size).toBe(21);
    expect(sim.run({ until: 30 }).traceHash).toBe(sim.traceHash);
  });
});

describe("Simulation: warm-up (run({ until, warmup }))", () => {
  /** A ticking entity whose resets are recorded (time in ns of each). */
  class Ticker extends Entity {
    readonly resets: number[] = [];
    constructor(sim: Simulation) {
      super(sim, "ticker");
      for (let t = 1; t <= 100; t++) this.at(t, () => this.send(this, "tick", null));
    }
    override handle(): void {}
    protected override onResetStats(): void {
      this.resets.push(this.nowNs);
    }
  }

  it("resets every entity's statistics once, after every event at the warm-up's end", () => {
    const sim = fresh();
    const ticker = new Ticker(sim);
    const summary = sim.run({ until: 100, warmup: 60 });
    expect(ticker.resets).toEqual([60e9]);
    expect(ticker.statsSinceNs).toBe(60e9);
    // The tick at 60 s belongs to the warm-up: the statistics cover (60, 100].
    expect(ticker.counters.received).toBe(40);
    expect(summary.reason).toBe("until");
    expect(summary.time).toBe(100);
    expect(summary.simulatedSeconds).toBe(100);
  });

  it("is exactly run to the warm-up's end, resetStats(), run on: same trace, same counts", () => {
    const warm = fresh();
    const a = new Ticker(warm);
    const one = warm.run({ until: 100, warmup: 60 });
    const split = fresh();
    const b = new Ticker(split);
    split.run({ until: 60 });
    split.resetStats();
    const two = split.run({ until: 100 });
    expect(one.traceHash).toBe(two.traceHash);
    expect(one.totalEvents).toBe(two.totalEvents);
    expect(a.counters).toEqual(b.counters);
  });

  it("counts the warm-up from the start of the call", () => {
    const sim = fresh();
    const ticker = new Ticker(sim);
    sim.run({ until: 10 });
    sim.run({ until: 50, warmup: 20 });
    expect(ticker.resets).toEqual([30e9]);
    // A later call without warmup does not reset again.
    sim.run({ until: 60 });
    expect(ticker.resets).toEqual([30e9]);
    expect(ticker.counters.received).toBe(30);
  });

  it("a warm-up of 0 resets at the start; one equal to the run resets at its end", () => {
    const sim = fresh();
    const ticker = new Ticker(sim);
    sim.run({ until: 5, warmup: 0 });
    sim.run({ until: 10, warmup: 5 });
    expect(ticker.resets).toEqual([0, 10e9]);
    expect(ticker.counters.received).toBe(0);
  });

  it("survives a pause during the warm-up: resume() still resets at its end", () => {
    const sim = fresh();
    const ticker = new Ticker(sim);
    sim.at(30, () => sim.pause());
    expect(sim.run({ until: 100, warmup: 60 }).reason).toBe("paused");
    expect(ticker.resets).toEqual([]);
    expect(sim.resume().reason).toBe("until");
    expect(ticker.resets).toEqual([60e9]);
    expect(ticker.counters.received).toBe(40);
  });

  it("counts maxEvents over the whole call, warm-up included", () => {
    const sim = fresh();
    new Ticker(sim);
    const summary = sim.run({ until: 100, warmup: 10, maxEvents: 50 });
    expect(summary.reason).toBe("event-limit");
    expect(summary.eventsProcessed).toBe(50);
  });

  it.each([
    [
      { until: 10, warmup: -1 },
      /option "warmup" must be a finite duration in seconds >= 0; given -1/,
    ],
    [{ until: 10, warmup: Number.NaN }, /option "warmup" must be a finite duration/],
    [
      { until: 10, warmup: 11 },
      /option "warmup" must be a duration in seconds >= 0 ending by until \(at most 10s from now, 0s\); given 11/,
    ],
    [{ warmup: 1 }, /option "warmup" must be a run with `until`/],
  ])("refuses a bad warm-up %o before running anything", (options, message) => {
    const sim = fresh();
    const ticker = new Ticker(sim);
    const error = thrown(() => sim.run(options));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
    expect(sim.eventsProcessed).toBe(0);
    expect(sim.status).toBe("idle");
    expect(ticker.resets).toEqual([]);
  });
});

describe("RunSummary.entities", () => {
  /** Counts how often its metrics are asked for. */
  class Counted extends Entity {
    asked = 0;
    override metrics() {
      this.asked++;
      return { asked: this.asked };
    }
  }

  it("is built on first read, once, not by step() itself", () => {
    const sim = new Simulation({ seed: 1 });
    const counted = new Counted(sim, "counted");
    for (let i = 1; i <= 1000; i++) counted.after(i, () => {});
    for (let i = 0; i < 999; i++) sim.step(1);
    const summary = sim.step(1);
    expect(counted.asked).toBe(0);
    expect(summary.entities).toEqual([
      {
        name: "counted",
        type: "Counted",
        status: "up",
        counters: {
          received: 0,
          droppedWhileDown: 0,
          lateReplies: 0,
          crashes: 0,
          pauses: 0,
          callsReset: 0,
        },
        liveProcesses: 0,
        metrics: { asked: 1 },
      },
    ]);
    expect(summary.entities).toBe(summary.entities);
    expect(counted.asked).toBe(1);
    expect(JSON.parse(JSON.stringify(summary)).entities[0].name).toBe("counted");
  });

  it("throws rather than show later numbers when first read after the run went on", () => {
    const sim = new Simulation({ seed: 1 });
    new Counted(sim, "counted");
    sim.after(1, () => {});
    sim.after(2, () => {});
    const read = sim.step(1);
    expect(read.entities).toHaveLength(1);
    const stale = sim.step(1);
    sim.run();
    expect(read.entities).toHaveLength(1); // read before: kept
    expect(() => stale.entities).toThrow(/RunSummary.entities .* read it before the next run/);
    sim.after(1, () => {});
    const beforeReset = sim.step(1);
    sim.resetStats();
    expect(() => beforeReset.entities).toThrow(SimulationError);
  });

  it("is a snapshot from run(), valid after the simulation goes on", () => {
    const sim = new Simulation({ seed: 1 });
    const counted = new Counted(sim, "counted");
    counted.after(1, () => {});
    counted.after(2, () => {});
    const first = sim.run({ until: 1 });
    expect(counted.asked).toBe(1);
    sim.run();
    sim.resetStats();
    expect(first.entities[0]!.metrics).toEqual({ asked: 1 });
  });
});

describe("Simulation: runaway guards (limits)", () => {
  it("has sane defaults, takes integers >= 1 or Infinity, and refuses anything else by name", () => {
    expect(fresh().limits).toEqual({ maxQueueLength: 1_000_000, maxPendingEvents: 10_000_000 });
    expect(
      new Simulation({ seed: 1, limits: { maxQueueLength: Number.POSITIVE_INFINITY } }).limits,
    ).toEqual({ maxQueueLength: Number.POSITIVE_INFINITY, maxPendingEvents: 10_000_000 });
    expect(() => new Simulation({ seed: 1, limits: { maxPendingEvents: 0 } })).toThrow(
      'Simulation: option "limits.maxPendingEvents" must be an integer >= 1, or Infinity; given 0',
    );
    expect(() => new Simulation({ seed: 1, limits: { maxQueueLength: 2.5 } })).toThrow(ConfigError);
    expect(
      () => new Simulation({ seed: 1, limits: { maxQueue: 5 } as unknown as SimulationLimits }),
    ).toThrow('option "limits.maxQueue" must be one of maxQueueLength, maxPendingEvents');
  });

  it("fails the run when the pending events pass maxPendingEvents, naming who they are for", () => {
    const sim = new Simulation({ seed: 1, limits: { maxPendingEvents: 5_000 } });
    const flood = new Entity(sim, "flood");
    const quiet = new Entity(sim, "quiet");
    quiet.after(1e6, () => {});
    // Every tick schedules two timers far in the future: the pending events only grow.
    const tick = () => {
      flood.after(1, tick);
      flood.after(1e6, () => {});
    };
    flood.after(1, tick);
    const error = thrown(() => sim.run({ until: 1e5 }));
    expect(error).toBeInstanceOf(RunawayError);
    const runaway = error as RunawayError;
    expect(runaway.limit).toBe("maxPendingEvents");
    expect(runaway.size).toBe(5_000);
    expect(runaway.entity).toBe("flood");
    expect(runaway.component).toBe("the event queue");
    expect(runaway.message).toMatch(
      /^entity "flood" at t=\d+s: runaway event queue: 5,000 events pending at once \(the limit is maxPendingEvents = 5,000\); by entity: "flood" 4,999, "quiet" 1\. .*raise the limit: new Simulation\(\{ seed, limits: \{ maxPendingEvents \} \}\)/,
    );
    expect(sim.status).toBe("failed");
  });

  it("costs nothing until the limit: a model under it runs exactly as with no limit", () => {
    const traceOf = (limits?: SimulationLimits) => {
      const sim = new Simulation({ seed: 1, ...(limits === undefined ? {} : { limits }) });
      const e = new Entity(sim, "e");
      for (let i = 0; i < 3_000; i++) e.after(i / 1000, () => e.after(1, () => {}));
      return sim.run().traceHash;
    };
    expect(traceOf({ maxPendingEvents: 3_001 })).toBe(traceOf());
    expect(traceOf({ maxPendingEvents: Number.POSITIVE_INFINITY })).toBe(traceOf());
    expect(() => traceOf({ maxPendingEvents: 2_999 })).toThrow(RunawayError);
  });

  it("a model that catches every error cannot swallow a runaway: the run still fails", () => {
    // 101: each step takes two new slots, and the second timer is the one that finds the 101st.
    const sim = new Simulation({ seed: 1, limits: { maxPendingEvents: 101 } });
    const greedy = new Entity(sim, "greedy");
    let caught = 0;
    greedy.start(function* () {
      for (;;) {
        try {
          // Two timers per step: the pending events grow, and the guard trips inside this try.
          greedy.after(1e6, () => {});
          greedy.after(1e6, () => {});
        } catch {
          caught++;
        }
        yield 0.001;
      }
    });
    const error = thrown(() => sim.run({ until: 10 }));
    expect(caught).toBe(1);
    expect(error).toBeInstanceOf(RunawayError);
    expect(() => sim.run()).toThrow(/failed earlier and cannot continue: .*runaway event queue/);
  });
});
