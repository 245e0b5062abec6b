/**
 * Goal: a bulkhead forwards at most maxConcurrent requests, lets maxWaiting wait in FIFO order
 * for at most maxWait, refuses the rest at once, hands a freed slot straight to the oldest
 * waiter (never to one whose wait just ran out), frees a slot at its timeout even if the target
 * answers later, recovers from a crash with its slots free and no timers left, and refuses bad
 * options with a ConfigError naming the option. maxWait and timeout may be profiles, read when
 * a request starts waiting and when it is forwarded.
 * Method: a scripted target with exact durations.
 */
import { describe, expect, it } from "vitest";
import { Bulkhead } from "../../../src/components/resilience/bulkhead.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { arrivals, type BulkheadOptions, dist, Server, Source } from "../../../src/index.js";
import { ramp, step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { type Job, RecordingCaller, ScriptedTarget } from "../../support/targets.js";

function setup(
  options: { maxConcurrent?: number; maxWaiting?: number; maxWait?: number; timeout?: number } = {},
) {
  const sim = new Simulation({ seed: 1 });
  const target = new ScriptedTarget(sim, "target");
  const caller = new RecordingCaller(sim, "caller");
  const bulkhead = new Bulkhead<Job, string>(sim, "bulkhead", {
    target,
    ...options,
    maxConcurrent: options.maxConcurrent ?? 2,
  });
  return { sim, target, caller, bulkhead, outcomes: caller.log };
}

componentLaws({
  type: Bulkhead,
  options: (sim) => ({
    target: new Server(sim, "server"),
    maxConcurrent: 2,
    maxWaiting: 3,
    maxWait: 0.5,
    timeout: 1,
  }),
  construct: (sim, name, options) =>
    new Bulkhead(sim, name, options as unknown as BulkheadOptions<unknown, unknown>),
  invalid: [
    { target: "server" },
    { maxConcurrent: 0 },
    { maxConcurrent: 1.5 },
    { maxWaiting: -1 },
    { maxWait: 0 },
    { maxWaiting: 0, maxWait: 0.1 },
    { timeout: -1 },
  ],
  scenario: (sim) => {
    const server = new Server(sim, "server", {
      concurrency: 2,
      serviceTime: dist.exponential(0.01),
    });
    const bulkhead = new Bulkhead(sim, SUBJECT, {
      target: server,
      maxConcurrent: 2,
      maxWaiting: 3,
      maxWait: 0.02,
      timeout: 0.05,
    });
    new Source(sim, "load", {
      target: bulkhead,
      arrivals: arrivals.poisson(250),
      stopAfter: { time: 1 },
    });
    return bulkhead;
  },
  crashAt: 0.4,
  recoverAt: 0.5,
  identities: (b) => {
    const s = b.stats;
    return [
      [
        "requests = rejected + queued + lostWaiting + forwarded",
        s.requests,
        s.rejected + s.queued + s.lostWaiting + s.forwarded,
      ],
      ["active = inFlight", s.active, s.inFlight],
    ];
  },
});
describe("Bulkhead", () => {
  it("forwards up to maxConcurrent and refuses the rest at once when nobody may wait", () => {
    const { sim, target, caller, bulkhead, outcomes } = setup();
    for (const id of ["a", "b", "c"]) caller.callAt(0, bulkhead, { id, takes: 1 });
    caller.callAt(1.5, bulkhead, { id: "d", takes: 1 });
    sim.run();
    expect(target.log).toEqual(["0:a", "0:b", "1.5:d"]);
    expect(outcomes).toEqual([
      "c:refused(bulkhead full)@0",
      "a:target:a@1",
      "b:target:b@1",
      "d:target:d@2.5",
    ]);
    expect(bulkhead.stats).toMatchObject({ forwarded: 3, rejected: 1, active: 0, queued: 0 });
  });

  it("lets maxWaiting wait in FIFO order; a freed slot goes straight to the oldest waiter", () => {
    const { sim, target, caller, bulkhead, outcomes } = setup({ maxWaiting: 2 });
    for (const id of ["a", "b", "c", "d", "e"]) {
      caller.callAt(0, bulkhead, { id, takes: 1 });
    }
    sim.at(0.5, () => expect(bulkhead.stats).toMatchObject({ active: 2, queued: 2 }));
    sim.run();
    expect(target.log).toEqual(["0:a", "0:b", "1:c", "1:d"]);
    expect(outcomes[0]).toBe("e:refused(bulkhead full)@0");
    expect(outcomes.slice(3)).toEqual(["c:target:c@2", "d:target:d@2"]);
  });

  it("reports its slots' time averages and the wait for a slot", () => {
    const { sim, caller, bulkhead } = setup({ maxWaiting: 2 });
    for (const id of ["a", "b", "c", "d", "e"]) caller.callAt(0, bulkhead, { id, takes: 1 });
    sim.run();
    // Two slots busy from 0 to 2 s; c and d wait the first second; e is refused at the door.
    expect(sim.now).toBe(2);
    const s = bulkhead.stats;
    expect(s.utilization).toBeCloseTo(1, 12);
    expect(s.meanQueued).toBeCloseTo(1, 12);
    expect(s.probabilityOfWaiting).toBe(0.5);
    expect(s.meanWait).toBeCloseTo(0.5, 12);
    expect(bulkhead.waitTime.count).toBe(4);
    expect(bulkhead.metrics().p99Wait).toBeCloseTo(1, 1); // a histogram bucket: within 1%
    sim.resetStats();
    expect(bulkhead.stats).toMatchObject({ utilization: 0, meanQueued: 0, meanWait: 0 });
  });

  it("refuses a request that waited maxWait for a slot", () => {
    const { sim, target, caller, bulkhead, outcomes } = setup({ maxWaiting: 5, maxWait: 0.5 });
    for (const id of ["a", "b", "c"]) caller.callAt(0, bulkhead, { id, takes: 1 });
    sim.run();
    expect(target.log).toEqual(["0:a", "0:b"]);
    expect(outcomes[0]).toBe("c:refused(bulkhead wait timed out)@0.5");
    expect(bulkhead.stats).toMatchObject({ rejected: 1, queued: 0, active: 0 });
  });

  it("passes the target's failures and timeouts on, and frees the slot", () => {
    const { sim, caller, bulkhead, outcomes } = setup({ timeout: 0.5 });
    caller.callAt(0, bulkhead, { id: "x", takes: 0.1, rejects: "nope" });
    caller.callAt(0, bulkhead, { id: "y", takes: 2 });
    caller.callAt(0.6, bulkhead, { id: "z", takes: 0.1 });
    sim.run();
    expect(outcomes).toEqual(["x:refused(nope)@0.1", "y:refused(timed out)@0.5", "z:target:z@0.7"]);
    expect(bulkhead.stats).toMatchObject({ failed: 1, timedOut: 1, succeeded: 1, active: 0 });
  });

  it("a crash abandons what it holds; afterwards every slot is free", () => {
    const { sim, caller, bulkhead, outcomes } = setup({ maxWaiting: 2 });
    for (const id of ["a", "b", "c"]) {
      caller.callAt(0, bulkhead, { id, takes: 1 }, { timeout: 3 });
    }
    sim.at(0.5, () => bulkhead.crash());
    sim.at(0.6, () => bulkhead.recover());
    sim.at(0.7, () => expect(bulkhead.stats).toMatchObject({ active: 0, queued: 0 }));
    for (const id of ["d", "e"]) caller.callAt(0.7, bulkhead, { id, takes: 0.1 });
    sim.run();
    expect(outcomes.slice(0, 2)).toEqual(["d:target:d@0.8", "e:target:e@0.8"]);
    expect(outcomes.slice(2).every((o) => o.includes(":timeout@"))).toBe(true);
  });

  it("a waiter that gets a slot in time cancels its maxWait timer", () => {
    const { sim, caller, bulkhead, outcomes } = setup({ maxWaiting: 1, maxWait: 10 });
    for (const id of ["a", "b", "c"]) caller.callAt(0, bulkhead, { id, takes: 1 });
    expect(sim.run().time).toBe(2); // not 10: the timer went with the wait
    expect(outcomes).toEqual(["a:target:a@1", "b:target:b@1", "c:target:c@2"]);
    expect(bulkhead.stats).toMatchObject({ rejected: 0, forwarded: 3, succeeded: 3 });
  });

  it("a slot freed at the instant a waiter's maxWait ends goes to the next waiter", () => {
    // Regression: a's call timeout and b's wait deadline fall at t=1. b's timer fires first;
    // the slot a frees must not be handed to b (whose wait is over: resolving its slot threw
    // "tried to resolve a future that is already rejected") but to c.
    const { sim, target, caller, bulkhead, outcomes } = setup({
      maxConcurrent: 1,
      maxWaiting: 2,
      maxWait: 1,
      timeout: 1,
    });
    caller.callAt(0, bulkhead, { id: "a", takes: 5 });
    caller.callAt(0, bulkhead, { id: "b", takes: 0.1 });
    caller.callAt(0.5, bulkhead, { id: "c", takes: 0.1 });
    sim.run();
    expect(outcomes).toEqual([
      "a:refused(timed out)@1",
      "b:refused(bulkhead wait timed out)@1",
      "c:target:c@1.1",
    ]);
    expect(target.log).toEqual(["0:a", "1:c"]);
    expect(bulkhead.stats).toMatchObject({ rejected: 1, timedOut: 1, active: 0, queued: 0 });
  });

  it("a waiter whose wait ends leaves the queue; the others keep their place", () => {
    const { sim, target, caller, bulkhead, outcomes } = setup({
      maxConcurrent: 1,
      maxWaiting: 3,
      maxWait: 1.5,
    });
    caller.callAt(0, bulkhead, { id: "a", takes: 2 });
    caller.callAt(0, bulkhead, { id: "b", takes: 1 }); // waits until 1.5
    caller.callAt(1, bulkhead, { id: "c", takes: 1 }); // would wait until 2.5
    caller.callAt(1.2, bulkhead, { id: "d", takes: 1 }); // would wait until 2.7
    sim.at(1.6, () => expect(bulkhead.stats).toMatchObject({ active: 1, queued: 2 }));
    sim.run();
    expect(target.log).toEqual(["0:a", "2:c"]);
    expect(outcomes).toEqual([
      "b:refused(bulkhead wait timed out)@1.5",
      "a:target:a@2",
      "d:refused(bulkhead wait timed out)@2.7",
      "c:target:c@3",
    ]);
  });

  it("a forwarded request that times out frees its slot then; the late answer is dropped", () => {
    const { sim, target, caller, bulkhead, outcomes } = setup({
      maxConcurrent: 1,
      maxWaiting: 1,
      timeout: 0.5,
    });
    caller.callAt(0, bulkhead, { id: "slow", takes: 2 });
    caller.callAt(0, bulkhead, { id: "next", takes: 0.1 });
    sim.run();
    // The target is still busy with "slow" when "next" is forwarded: the bulkhead bounds the
    // calls it has outstanding, not the work the target is doing.
    expect(target.log).toEqual(["0:slow", "0.5:next"]);
    expect(outcomes).toEqual(["slow:refused(timed out)@0.5", "next:target:next@0.6"]);
    expect(bulkhead.counters.lateReplies).toBe(1);
    expect(bulkhead.pendingCallCount).toBe(0);
  });

  it("a crash cancels the maxWait timers and calls; nothing is left to keep the run alive", () => {
    const { sim, caller, bulkhead, outcomes } = setup({ maxWaiting: 2, maxWait: 5 });
    for (const id of ["a", "b", "c", "d"]) {
      caller.callAt(0, bulkhead, { id, takes: 1 }, { timeout: 2 });
    }
    sim.at(0.5, () => bulkhead.crash());
    // The callers' timeouts end at 2; the target's late answers at 1 are dropped while down.
    expect(sim.run().time).toBe(2);
    expect(outcomes).toHaveLength(4);
    expect(outcomes.every((o) => o.includes(":timeout@"))).toBe(true);
    expect(bulkhead.pendingCallCount).toBe(0);
    expect(bulkhead.liveProcessCount).toBe(0);
    expect(bulkhead.counters.droppedWhileDown).toBe(2);
  });

  it("the same seed gives the same run", () => {
    const trace = () => {
      const { sim, caller, bulkhead, outcomes } = setup({ maxWaiting: 3, maxWait: 0.2 });
      for (let i = 0; i < 30; i++) {
        const job = { id: `${i}`, takes: ((i * 7) % 5) * 0.05 };
        caller.callAt(i * 0.03, bulkhead, job);
      }
      return `${sim.run().traceHash} ${outcomes.join(",")} ${JSON.stringify(bulkhead.stats)}`;
    };
    expect(trace()).toBe(trace());
  });

  it("refuses bad options with a ConfigError naming the option, what it needs and what it got", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "t");
    const error = (build: () => unknown) => {
      try {
        build();
      } catch (e) {
        return e;
      }
      throw new Error("expected a ConfigError");
    };
    expect(error(() => new Bulkhead(sim, "b1", { target, maxConcurrent: 0 }))).toMatchObject({
      name: "ConfigError",
      component: 'Bulkhead "b1"',
      parameter: "maxConcurrent",
      expected: "an integer >= 1",
      given: 0,
    });
    expect(() => new Bulkhead(sim, "b0", { target, maxConcurrent: 0 })).toThrow(
      'Bulkhead "b0": option "maxConcurrent" must be an integer >= 1; given 0',
    );
    expect(() => new Bulkhead(sim, "b2", { target, maxConcurrent: 1, maxWaiting: -1 })).toThrow(
      /maxWaiting/,
    );
    expect(() => new Bulkhead(sim, "b3", { target, maxConcurrent: 1, maxWait: 1 })).toThrow(
      /"maxWait" must be unset when maxWaiting is 0/,
    );
    expect(() => new Bulkhead(sim, "b4", { target: {} as never, maxConcurrent: 1 })).toThrow(
      /target/,
    );
    const cases: [string, object][] = [
      ["maxConcurrent", { maxConcurrent: 1.5 }],
      ["maxConcurrent", { maxConcurrent: Number.POSITIVE_INFINITY }],
      ["maxWaiting", { maxConcurrent: 1, maxWaiting: 2.5 }],
      ["maxWait", { maxConcurrent: 1, maxWaiting: 1, maxWait: 0 }],
      ["maxWait", { maxConcurrent: 1, maxWaiting: 1, maxWait: Number.NaN }],
      ["timeout", { maxConcurrent: 1, timeout: -1 }],
      ["timeout", { maxConcurrent: 1, timeout: Number.POSITIVE_INFINITY }],
    ];
    for (const [i, [parameter, options]] of cases.entries()) {
      const e = error(() => new Bulkhead(sim, `bad${i}`, { target, ...options } as never));
      expect(e).toBeInstanceOf(ConfigError);
      expect(e).toMatchObject({ parameter });
    }
    const other = new ScriptedTarget(new Simulation({ seed: 1 }), "elsewhere");
    expect(() => new Bulkhead(sim, "b5", { target: other, maxConcurrent: 1 })).toThrow(
      /"target" must be an entity of this simulation/,
    );
  });
});

describe("Bulkhead with profiles", () => {
  it("reads maxWait when a request starts waiting", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "target");
    const caller = new RecordingCaller(sim, "caller");
    const bulkhead = new Bulkhead<Job, string>(sim, "bulkhead", {
      target,
      maxConcurrent: 1,
      maxWaiting: 5,
      maxWait: step(2, [{ at: 10, value: 0.5 }]),
    });
    const outcomes = caller.log;
    caller.callAt(0, bulkhead, { id: "holder", takes: 100 });
    caller.callAt(1, bulkhead, { id: "a", takes: 1 }); // waits 2 s
    caller.callAt(9.9, bulkhead, { id: "b", takes: 1 }); // keeps 2 s
    caller.callAt(10, bulkhead, { id: "c", takes: 1 }); // waits 0.5 s
    sim.run({ until: 50 });
    expect(outcomes).toEqual([
      "a:refused(bulkhead wait timed out)@3",
      "c:refused(bulkhead wait timed out)@10.5",
      "b:refused(bulkhead wait timed out)@11.9",
    ]);
    expect(bulkhead.stats).toMatchObject({ rejected: 3, queued: 0, active: 1 });
  });

  it("reads the timeout when it forwards each request", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "target");
    const caller = new RecordingCaller(sim, "caller");
    const bulkhead = new Bulkhead<Job, string>(sim, "bulkhead", {
      target,
      maxConcurrent: 1,
      timeout: step(1, [{ at: 10, value: 0.1 }]),
    });
    const outcomes = caller.log;
    caller.callAt(0, bulkhead, { id: "early", takes: 0.5 });
    caller.callAt(10, bulkhead, { id: "late", takes: 0.5 });
    sim.run();
    expect(outcomes).toEqual(["early:target:early@0.5", "late:refused(timed out)@10.1"]);
  });

  it("refuses a maxWait or timeout profile that is not > 0 at all times", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "t");
    const negative = ramp({ from: 1, to: -1, start: 0, end: 10 });
    expect(
      () => new Bulkhead(sim, "b1", { target, maxConcurrent: 1, maxWaiting: 1, maxWait: negative }),
    ).toThrow(
      'Bulkhead "b1": option "maxWait" must be a duration in seconds > 0 at all times; given "ramp 1 -> -1 over [0s, 10s] (ranges over [-1, 1])"',
    );
    const toZero = step(1, [{ at: 10, value: 0 }]);
    expect(() => new Bulkhead(sim, "b2", { target, maxConcurrent: 1, timeout: toZero })).toThrow(
      ConfigError,
    );
  });
});

/**
 * Goal: a crash counts what it abandons. Every request the bulkhead holds when it crashes is
 * counted once, in lostToCrash if it was forwarded (the request ledger's), in lostWaiting if it
 * was waiting or between waiting and its refusal, and in nothing else, so `requests = rejected +
 * queued + lostWaiting + forwarded` and `forwarded = succeeded + failed + timedOut +
 * lostToCrash + inFlight` hold before, at and after the crash, and the bulkhead serves normally
 * once recovered.
 * Method: exact durations, the identity checked at chosen instants (a check scheduled at the
 * crash's time runs just after it).
 */
describe("Bulkhead: requests lost to a crash", () => {
  type Stats = Bulkhead<Job, string>["stats"];
  const unaccounted = (s: Stats) =>
    s.requests -
    (s.rejected + s.queued + s.lostWaiting + s.forwarded) +
    Math.abs(s.forwarded - (s.succeeded + s.failed + s.timedOut + s.lostToCrash + s.inFlight));

  it("counts the forwarded and waiting requests a crash abandons, once each", () => {
    const { sim, caller, bulkhead, outcomes } = setup({ maxConcurrent: 2, maxWaiting: 1 });
    const seen: Record<string, Partial<Stats>> = {};
    const look = (label: string, at: number) =>
      sim.at(at, () => {
        const s = bulkhead.stats;
        expect(unaccounted(s), `identity at ${label}`).toBe(0);
        expect(s.inFlight + s.queued, `held at ${label}`).toBe(bulkhead.liveProcessCount);
        seen[label] = s;
      });
    caller.callAt(0, bulkhead, { id: "a", takes: 0.2 });
    for (const id of ["b", "c"]) caller.callAt(0, bulkhead, { id, takes: 1 }, { timeout: 2 });
    caller.callAt(0, bulkhead, { id: "d", takes: 1 }); // full: refused
    caller.callAt(0.3, bulkhead, { id: "e", takes: 1 }, { timeout: 2 }); // waits
    look("before", 0.4);
    sim.at(0.5, () => bulkhead.crash());
    look("crash", 0.5);
    sim.at(0.6, () => bulkhead.recover());
    caller.callAt(0.7, bulkhead, { id: "f", takes: 0.1 });
    look("after", 0.9);
    sim.run();
    expect(seen.before).toMatchObject({
      requests: 5,
      succeeded: 1,
      rejected: 1,
      active: 2,
      queued: 1,
      inFlight: 2,
      lostToCrash: 0,
    });
    // b and c were forwarded, e was waiting: three lost, none failed.
    expect(seen.crash).toMatchObject({ inFlight: 0, active: 0, queued: 0, lostToCrash: 2 });
    expect(seen.crash).toMatchObject({ lostWaiting: 1, failed: 0, timedOut: 0, rejected: 1 });
    expect(seen.after).toMatchObject({ requests: 6, succeeded: 2, lostToCrash: 2, inFlight: 0 });
    expect(outcomes.filter((o) => o.includes(":timeout@"))).toHaveLength(3);
    // The target's late answers reached a recovered bulkhead: dropped, counted nowhere else.
    expect(bulkhead.counters.lateReplies).toBe(2);
    expect(bulkhead.stats).toMatchObject({ succeeded: 2, failed: 0, lostToCrash: 2 });
    expect(unaccounted(bulkhead.stats)).toBe(0);
    expect(bulkhead.metrics()).toMatchObject({ requests: 6, inFlight: 0, lostWaiting: 1 });
  });

  it("counts a waiter whose maxWait ran out at the instant of the crash as lost, not refused", () => {
    // At t=0.3 the waiter's maxWait timer takes it out of the queue; it would be refused in a
    // later event at the same instant, but the crash comes first. It is then in no queue and
    // holds no slot; counted as refused until the crash, it is then lost.
    const { sim, caller, bulkhead, outcomes } = setup({
      maxConcurrent: 1,
      maxWaiting: 1,
      maxWait: 0.3,
    });
    caller.callAt(0, bulkhead, { id: "a", takes: 1 }, { timeout: 2 });
    caller.callAt(0, bulkhead, { id: "b", takes: 1 }, { timeout: 2 });
    // Scheduled at 0.1, after the maxWait timer was set at 0: at 0.3 it runs after the timer.
    sim.at(0.1, () =>
      sim.at(0.3, () => {
        expect(bulkhead.stats).toMatchObject({ active: 1, queued: 0, inFlight: 1, rejected: 1 });
        expect(unaccounted(bulkhead.stats)).toBe(0);
        bulkhead.crash();
      }),
    );
    sim.run();
    expect(bulkhead.stats).toMatchObject({
      requests: 2,
      rejected: 0,
      lostToCrash: 1,
      lostWaiting: 1,
      inFlight: 0,
    });
    expect(unaccounted(bulkhead.stats)).toBe(0);
    expect(outcomes).toEqual(["a:timeout@2", "b:timeout@2"]);
  });

  it("adds up over crash after crash", () => {
    const { sim, caller, bulkhead } = setup({ maxConcurrent: 1, maxWaiting: 2 });
    for (let round = 0; round < 3; round++) {
      const t = round * 10;
      for (const id of ["x", "y", "z"]) {
        caller.callAt(t, bulkhead, { id: `${id}${round}`, takes: 1 }, { timeout: 5 });
      }
      sim.at(t + 0.5, () => bulkhead.crash());
      sim.at(t + 0.6, () => bulkhead.recover());
    }
    sim.run();
    expect(bulkhead.stats).toMatchObject({ requests: 9, lostToCrash: 3, lostWaiting: 6 });
    expect(unaccounted(bulkhead.stats)).toBe(0);
  });
});
