import { describe, expect, it } from "vitest";
import {
  AcknowledgedWrites,
  always,
  ConfigError,
  eventually,
  FencingTokens,
  formatViolation,
  invariantVerdicts,
  invariantViolations,
  LeaderPerTerm,
  MonotonicReads,
  replicasConverge,
  Simulation,
} from "../../src/index.js";

/** A counter bumped at random times: 500 callbacks, a chain of timers. */
function counterModel(seed: number): { sim: Simulation; state: { count: number } } {
  const sim = new Simulation({ seed });
  const state = { count: 0 };
  const random = sim.random("ticks");
  const tick = (): void => {
    state.count++;
    if (state.count < 500) sim.at(sim.now + random.uniform(0.001, 0.02), tick);
  };
  sim.at(0, tick);
  return { sim, state };
}

describe("always", () => {
  it("passes a clean run, checked after every event", () => {
    const { sim, state } = counterModel(1);
    const invariant = always(sim, "count <= 500", () => state.count <= 500);
    sim.run();
    const verdict = invariant.verdict();
    expect(verdict.status).toBe("pass");
    expect(verdict.checks).toBe(sim.eventsProcessed);
    expect(invariantViolations(sim)).toEqual([]);
  });

  it("records the first failing time, event count and message", () => {
    const { sim, state } = counterModel(1);
    let firstOver = -1;
    let eventAtFirst = -1;
    sim.onTrace(() => {});
    always(sim, "count < 100", () => {
      if (state.count >= 100 && firstOver < 0) {
        firstOver = sim.nowNs;
        eventAtFirst = sim.eventsProcessed;
      }
      return state.count < 100 || `count is ${state.count}`;
    });
    const summary = sim.run();
    expect(summary.reason).toBe("drained");
    const [violation] = invariantViolations(sim);
    expect(violation).toMatchObject({
      name: "count < 100",
      kind: "always",
      timeNs: firstOver,
      event: eventAtFirst,
      message: "count is 100",
    });
    expect(violation!.event).toBe(100);
    expect(formatViolation(violation!)).toContain("count < 100 (always) violated at");
  });

  it("stops the run at the violation with stop: true", () => {
    const { sim, state } = counterModel(2);
    always(sim, "count < 50", () => state.count < 50, { stop: true });
    const summary = sim.run();
    expect(summary.reason).toBe("invariant");
    expect(sim.eventsProcessed).toBe(50);
    expect(state.count).toBe(50);
    // The run continues when asked: the decided invariant is no longer checked.
    expect(sim.run().reason).toBe("drained");
    expect(state.count).toBe(500);
  });

  it("checks on an interval at the first event of each period", () => {
    const { sim, state } = counterModel(3);
    const times: number[] = [];
    always(
      sim,
      "sampled",
      () => {
        times.push(sim.nowNs);
        return true;
      },
      { every: 1 },
    );
    sim.run();
    expect(times.length).toBeGreaterThan(2);
    expect(times.length).toBeLessThan(state.count / 10);
    for (let i = 1; i < times.length; i++) {
      expect(Math.floor(times[i]! / 1e9)).toBeGreaterThan(Math.floor(times[i - 1]! / 1e9));
    }
  });

  it("can be registered while running and cancelled", () => {
    const { sim, state } = counterModel(4);
    sim.at(1, () => {
      always(sim, "late", () => state.count < 0);
    });
    const early = always(sim, "cancelled", () => false);
    early.cancel();
    sim.run();
    const verdicts = invariantVerdicts(sim);
    expect(verdicts.map((verdict) => [verdict.name, verdict.status])).toEqual([
      ["cancelled", "pass"],
      ["late", "violated"],
    ]);
    expect(verdicts[1]!.violation!.timeNs).toBeGreaterThanOrEqual(1e9);
  });

  it("rejects bad options with ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => always(sim, "", () => true)).toThrow(ConfigError);
    expect(() => always(sim, "x", 3 as never)).toThrow(ConfigError);
    expect(() => always(sim, "x", () => true, { every: 0 })).toThrow(ConfigError);
    expect(() => eventually(sim, "x", () => true, {} as never)).toThrow(ConfigError);
  });
});

describe("eventually", () => {
  it("passes when the predicate holds by the deadline", () => {
    const { sim, state } = counterModel(1);
    const invariant = eventually(sim, "reaches 10", () => state.count >= 10, { within: 5 });
    sim.run();
    expect(invariant.verdict().status).toBe("pass");
  });

  it("is violated at its deadline when it never holds", () => {
    const { sim, state } = counterModel(1);
    const invariant = eventually(sim, "reaches 1000", () => state.count >= 1000, {
      within: 0.5,
      stop: true,
    });
    const summary = sim.run();
    expect(summary.reason).toBe("invariant");
    expect(invariant.verdict().violation).toMatchObject({
      timeNs: 5e8,
      message: "did not hold by its deadline",
    });
  });

  it("is pending while the run has not reached the deadline, decided at the horizon", () => {
    const sim = new Simulation({ seed: 1 });
    const invariant = eventually(sim, "never", () => false, { within: 10 });
    sim.run({ until: 5 });
    expect(invariant.verdict().status).toBe("pending");
    sim.run({ until: 10 });
    expect(invariant.verdict().status).toBe("violated");
    expect(invariant.verdict().violation!.timeNs).toBe(10e9);
  });
});

describe("invariants cost nothing when unused", () => {
  it("keeps the trace hash and event count, registered or not", () => {
    const plain = counterModel(7);
    const plainSummary = plain.sim.run();
    const watched = counterModel(7);
    always(watched.sim, "any", () => true);
    always(watched.sim, "sampled", () => true, { every: 0.5 });
    eventually(watched.sim, "later", () => watched.state.count > 400, { within: 100 });
    const watchedSummary = watched.sim.run();
    expect(watchedSummary.traceHash).toBe(plainSummary.traceHash);
    expect(watchedSummary.eventsProcessed).toBe(plainSummary.eventsProcessed);
    expect(invariantVerdicts(plain.sim)).toEqual([]);
  });

  it("leaves runUntil's predicate working alongside an invariant", () => {
    const { sim, state } = counterModel(8);
    always(sim, "any", () => true);
    const summary = sim.runUntil(() => state.count === 20);
    expect(summary.reason).toBe("predicate");
    expect(state.count).toBe(20);
  });
});

describe("protocol checks", () => {
  it("LeaderPerTerm catches two leaders in a term and passes a clean run", () => {
    const clean = new LeaderPerTerm();
    clean.observe(1, "a");
    clean.observe(1, "a");
    clean.observe(2, "b");
    expect(clean.check()).toBe(true);
    const bad = new LeaderPerTerm();
    bad.observe(1, "a");
    bad.observe(2, "b");
    bad.observe(2, "c");
    bad.observe(3, "c");
    expect(bad.check()).toBe("two leaders in term 2: b and c");
  });

  it("LeaderPerTerm plugged into always stops the run at the split brain", () => {
    const sim = new Simulation({ seed: 1 });
    const leaders = new LeaderPerTerm();
    sim.at(1, () => leaders.observe(1, "n1"));
    sim.at(2, () => leaders.observe(1, "n2"));
    sim.at(3, () => leaders.observe(2, "n2"));
    always(sim, "one leader per term", leaders.check, { stop: true });
    expect(sim.run().reason).toBe("invariant");
    expect(invariantViolations(sim)[0]).toMatchObject({ time: 2, event: 2 });
  });

  it("AcknowledgedWrites finds a lost write in set and register reads", () => {
    const writes = new AcknowledgedWrites();
    writes.acknowledged("s", 1);
    writes.acknowledged("s", 2);
    writes.acknowledged("r", "x");
    writes.acknowledged("r", "y");
    expect(writes.check((key) => (key === "s" ? new Set([1, 2, 3]) : "y"))).toBe(true);
    expect(writes.check((key) => (key === "s" ? [2] : "y"))).toBe(
      "1 acknowledged write(s) lost: s=1",
    );
    expect(writes.check((key) => (key === "s" ? [1, 2] : "x"))).toContain("r=");
  });

  it("replicasConverge reports differing replicas until they agree", () => {
    const sim = new Simulation({ seed: 1 });
    const states: Record<string, number[]> = { a: [1], b: [], c: [1] };
    const converge = replicasConverge({
      a: () => states.a,
      b: () => states.b,
      c: () => states.c,
    });
    expect(converge()).toContain("b=");
    sim.at(2, () => states.b!.push(1));
    sim.at(3, () => {});
    const healed = eventually(sim, "converge after heal", converge, { within: 5 });
    sim.run();
    expect(healed.verdict().status).toBe("pass");
    const never = new Simulation({ seed: 1 });
    never.at(6, () => {});
    const failing = eventually(never, "converge", replicasConverge({ a: () => 1, b: () => 2 }), {
      within: 5,
    });
    never.run();
    expect(failing.verdict().violation).toMatchObject({ time: 5 });
    expect(() => replicasConverge({})).toThrow(ConfigError);
  });

  it("MonotonicReads catches a client reading backwards, per key", () => {
    const reads = new MonotonicReads();
    reads.observe("c1", 1);
    reads.observe("c2", 0);
    reads.observe("c1", 3);
    reads.observe("c1", 1, "other");
    expect(reads.check()).toBe(true);
    reads.observe("c1", 2);
    expect(reads.check()).toBe("c1 read version 2 after version 3");
    reads.observe("c1", 9);
    expect(reads.check()).toBe("c1 read version 2 after version 3");
  });

  it("FencingTokens catches a stale or repeated token", () => {
    const tokens = new FencingTokens();
    tokens.observe("disk", 1);
    tokens.observe("disk", 2);
    tokens.observe("other", 1);
    expect(tokens.check()).toBe(true);
    tokens.observe("disk", 2);
    expect(tokens.check()).toBe("disk accepted token 2 after token 2");
    expect(() => tokens.observe("disk", Number.NaN)).toThrow(ConfigError);
  });
});
