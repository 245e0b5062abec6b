/**
 * Goal: the loop's contract. Same-time FIFO; `until` is a hard horizon that leaves the clock
 * exactly there; daemon events do not keep an open-ended run alive; cancellation; scheduling in
 * the past is refused; pause/resume, step, runUntil, maxEvents; failures name entity and time.
 * Method: small models of timers and processes on a fresh simulation per test, observing the
 * order and times at which callbacks run.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import { ConfigError, SimulationError } from "../../src/core/errors.js";
import { Simulation } from "../../src/core/simulation.js";

const fresh = (seed = 1) => new Simulation({ seed });

describe("Simulation: construction", () => {
  it("rejects a seed that is not an integer in [0, 2^53)", () => {
    for (const seed of [-1, 1.5, Number.NaN, 2 ** 53, "1" as unknown as number]) {
      expect(() => new Simulation({ seed })).toThrow(ConfigError);
    }
    expect(() => new Simulation({ seed: -1 })).toThrow(
      /Simulation: option "seed" must be .*; given -1/,
    );
  });
});

describe("Simulation: ordering and the clock", () => {
  it("runs same-time events in the order they were scheduled", () => {
    const sim = fresh();
    const order: number[] = [];
    for (let i = 0; i < 50; i++) sim.after(1, (n: number) => order.push(n), i);
    sim.at(0.5, () => sim.after(0.5, () => order.push(99)));
    sim.run();
    expect(order).toEqual([...Array.from({ length: 50 }, (_, i) => i), 99]);
  });

  it("keeps exact integer-nanosecond time where float seconds would drift", () => {
    const sim = fresh();
    let ticks = 0;
    const tick = () => {
      ticks++;
      if (ticks < 10) sim.after(0.1, tick);
    };
    sim.after(0.1, tick);
    sim.run();
    expect(sim.nowNs).toBe(1_000_000_000);
    expect(sim.now).toBe(1);
  });

  it("never runs an event later than until, and leaves the clock exactly at until", () => {
    const sim = fresh();
    const seen: number[] = [];
    for (const t of [1, 2, 3, 3.0000001]) sim.at(t, () => seen.push(sim.now));
    const summary = sim.run({ until: 3 });
    expect(seen).toEqual([1, 2, 3]);
    expect(summary.reason).toBe("until");
    expect(sim.nowNs).toBe(3_000_000_000);
    expect(summary.pendingEvents).toBe(1);
  });

  it("ends at until even when the queue empties earlier", () => {
    const sim = fresh();
    sim.at(1, () => {});
    const summary = sim.run({ until: 10 });
    expect(summary.time).toBe(10);
    expect(summary.reason).toBe("until");
  });

  it("continues a run to a later horizon, as if it had run there at once", () => {
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
    expect(split.run({ until: 10 }).traceHash).toBe(whole.run({ until: 10 }).traceHash);
  });

  it("refuses an until in the past", () => {
    const sim = fresh();
    sim.run({ until: 5 });
    expect(() => sim.run({ until: 4 })).toThrow(ConfigError);
  });
});

describe("Simulation: daemon events", () => {
  it("a run without until ends when only daemon events remain", () => {
    const sim = fresh();
    let probes = 0;
    const probe = () => {
      probes++;
      sim.after(1, probe, undefined, { daemon: true });
    };
    sim.after(1, probe, undefined, { daemon: true });
    sim.at(4.5, () => {});
    const summary = sim.run();
    expect(summary.reason).toBe("drained");
    expect(summary.time).toBe(4.5);
    expect(probes).toBe(4);
  });

  it("daemon events run up to the horizon when until is given", () => {
    const sim = fresh();
    let probes = 0;
    const probe = () => {
      probes++;
      sim.after(1, probe, undefined, { daemon: true });
    };
    sim.after(1, probe, undefined, { daemon: true });
    sim.run({ until: 10 });
    expect(probes).toBe(10);
  });

  it("daemon processes do not keep a run alive", () => {
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
    expect(sim.run().time).toBe(3.5);
    expect(beats).toBe(3);
  });
});

describe("Simulation: cancellation and scheduling errors", () => {
  it("a cancelled event never runs and does not keep the run alive", () => {
    const sim = fresh();
    let ran = false;
    const token = sim.after(100, () => {
      ran = true;
    });
    sim.at(1, () => {});
    expect(sim.cancel(token)).toBe(true);
    expect(sim.cancel(token)).toBe(false);
    expect(sim.run().time).toBe(1);
    expect(ran).toBe(false);
  });

  it("refuses to schedule in the past or with a bad delay, naming the parameter and value", () => {
    const sim = fresh();
    sim.run({ until: 10 });
    expect(() => sim.at(5, () => {})).toThrow(SimulationError);
    expect(() => sim.at(5, () => {})).toThrow(/in the past/);
    for (const delay of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => sim.after(delay, () => {})).toThrow(ConfigError);
    }
    expect(() => sim.after(-1, () => {})).toThrow(/"delay" must be .*given -1/);
  });
});

describe("Simulation: stepping, pausing, predicates, limits", () => {
  const ticking = () => {
    const sim = fresh();
    let count = 0;
    const tick = () => {
      count++;
      if (count < 100) sim.after(1, tick);
    };
    sim.after(1, tick);
    return { sim, count: () => count };
  };

  it("step(n) processes exactly n events", () => {
    const { sim, count } = ticking();
    expect(sim.step(3).eventsProcessed).toBe(3);
    expect(count()).toBe(3);
    expect(sim.step().eventsProcessed).toBe(1);
    expect(() => sim.step(0)).toThrow(ConfigError);
  });

  it("runUntil stops right after the event that makes the predicate true", () => {
    const { sim, count } = ticking();
    const summary = sim.runUntil(() => count() === 7);
    expect(summary.reason).toBe("predicate");
    expect(sim.now).toBe(7);
  });

  it("maxEvents stops the run", () => {
    const { sim } = ticking();
    const summary = sim.run({ maxEvents: 10 });
    expect(summary.reason).toBe("event-limit");
    expect(summary.eventsProcessed).toBe(10);
  });

  it("pause() returns after the current event and resume() continues to the same horizon", () => {
    const sim = fresh();
    const seen: number[] = [];
    for (let t = 1; t <= 5; t++) {
      sim.at(t, () => {
        seen.push(t);
        if (t === 2) sim.pause();
      });
    }
    const paused = sim.run({ until: 4 });
    expect(paused.reason).toBe("paused");
    expect(sim.status).toBe("paused");
    expect(seen).toEqual([1, 2]);
    const resumed = sim.resume();
    expect(resumed.reason).toBe("until");
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(sim.now).toBe(4);
    expect(() => sim.resume()).toThrow(SimulationError);
    expect(() => sim.pause()).toThrow(SimulationError);
  });

  it("refuses to run re-entrantly", () => {
    const sim = fresh();
    sim.at(1, () => sim.run());
    expect(() => sim.run()).toThrow(/from inside a running simulation/);
  });
});

describe("Simulation: failures", () => {
  it("a throwing handler fails the run with the entity, the time and the cause", () => {
    const sim = fresh();
    const e = new Entity(sim, "broken");
    const cause = new Error("boom");
    e.after(2.5, () => {
      throw cause;
    });
    let error: unknown;
    try {
      sim.run();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SimulationError);
    const failure = error as SimulationError;
    expect(failure.entity).toBe("broken");
    expect(failure.time).toBe(2.5);
    expect(failure.cause).toBe(cause);
    expect(failure.message).toBe('entity "broken" at t=2.5s: handler threw: boom');
    expect(sim.status).toBe("failed");
    expect(() => sim.run()).toThrow(/failed earlier/);
  });

  it("a message to an entity without a handler fails the run", () => {
    const sim = fresh();
    const e = new Entity(sim, "mute");
    sim.send(e, "hello", null, { delay: 1 });
    expect(() => sim.run()).toThrow(/entity "mute" at t=1s: received a "hello" message/);
  });
});

describe("Simulation: entities and summaries", () => {
  it("registers entities by unique name, in creation order", () => {
    const sim = fresh();
    const a = new Entity(sim, "a");
    const b = new Entity(sim, "b");
    expect(sim.entities).toEqual([a, b]);
    expect(sim.entity("b")).toBe(b);
    expect(sim.entity("c")).toBeUndefined();
    expect(() => new Entity(sim, "a")).toThrow(/unique/);
    expect(() => new Entity(sim, "")).toThrow(ConfigError);
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
  });
});
