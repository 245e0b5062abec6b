/**
 * Goal: a hedge sends a copy only after hedgeAfter without an answer, to the target or the
 * alternates in turn, replies with the first success, abandons the losers (no timers left,
 * late answers dropped), fails only when every copy sent so far has failed (it is not a
 * retry: no copy is sent because one failed), counts its extra load, and refuses bad options
 * with a ConfigError naming the option. hedgeAfter and timeout may be profiles, read when the
 * wait for a copy starts and when a copy is sent.
 * Method: scripted targets with exact durations.
 */
import { describe, expect, it } from "vitest";
import { Hedge } from "../../../src/components/resilience/hedge.js";
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { arrivals, dist, type HedgeOptions, Server, Source } from "../../../src/index.js";
import { sine, step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { type Job, RecordingCaller, ScriptedTarget } from "../../support/targets.js";

/** Refuses every request after 10 ms. */
class Refusing extends Entity<Job, string> {
  override *handle(request: Message<Job>) {
    yield 0.01;
    this.fail(request, "refused");
  }
}

function setup() {
  const sim = new Simulation({ seed: 1 });
  const a = new ScriptedTarget(sim, "a");
  const b = new ScriptedTarget(sim, "b");
  const caller = new RecordingCaller(sim, "caller");
  return { sim, a, b, caller, outcomes: caller.log };
}

componentLaws({
  type: Hedge,
  options: (sim) => ({
    target: new Server(sim, "server"),
    hedgeAfter: 0.05,
    maxHedges: 2,
    alternates: [new Server(sim, "alternate")],
    timeout: 1,
    budget: { ratio: 0.2 },
  }),
  construct: (sim, name, options) =>
    new Hedge(sim, name, options as unknown as HedgeOptions<unknown, unknown>),
  invalid: [
    { target: 1 },
    { hedgeAfter: 0 },
    { maxHedges: 0 },
    { alternates: "alternate" },
    { alternates: [{}] },
    { timeout: -0.1 },
    { budget: { ratio: 2 } },
  ],
  scenario: (sim) => {
    const slow = new Server(sim, "server", {
      concurrency: 2,
      serviceTime: dist.exponential(0.015),
    });
    const alternate = new Server(sim, "alternate", {
      concurrency: 2,
      serviceTime: dist.exponential(0.01),
      queueCapacity: 3,
    });
    const hedge = new Hedge(sim, SUBJECT, {
      target: slow,
      hedgeAfter: 0.02,
      maxHedges: 2,
      alternates: [alternate],
      timeout: 0.08,
      budget: { ratio: 0.3 },
    });
    new Source(sim, "load", {
      target: hedge,
      arrivals: arrivals.poisson(100),
      stopAfter: { time: 1 },
    });
    return hedge;
  },
  crashAt: 0.4,
  recoverAt: 0.5,
});
describe("Hedge", () => {
  it("sends no copy when the first answer comes before hedgeAfter", () => {
    const { sim, a, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", { target: a, hedgeAfter: 0.1 });
    caller.callAt(0, hedge, { id: "fast", takes: 0.05 });
    expect(sim.run().time).toBe(0.05); // the hedge timer was cancelled
    expect(outcomes).toEqual(["fast:a:fast@0.05"]);
    expect(hedge.stats).toMatchObject({ forwarded: 1, hedgesSent: 0, hedgeWins: 0 });
  });

  it("hedges to the alternate after hedgeAfter; the first success wins and the loser is dropped", () => {
    const { sim, a, b, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      alternates: [b],
      hedgeAfter: 0.1,
    });
    a.durations = [1]; // the first attempt hits a slow replica
    b.durations = [0.05];
    caller.callAt(0, hedge, { id: "r", takes: 0 });
    sim.run();
    expect(b.log).toEqual(["0.1:r"]);
    expect(outcomes).toEqual(["r:b:r@0.15"]);
    expect(hedge.stats).toMatchObject({ hedgesSent: 1, hedgeWins: 1, extraLoad: 1 });
    expect(hedge.counters.lateReplies).toBe(1); // a's answer at t=1
    expect(hedge.pendingCallCount).toBe(0);
  });

  it("sends up to maxHedges copies, each to the next alternate", () => {
    const { sim, a, b, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      alternates: [b],
      hedgeAfter: 0.1,
      maxHedges: 2,
    });
    a.durations = [1];
    b.durations = [1, 0.01];
    caller.callAt(0, hedge, { id: "r", takes: 0 });
    sim.run();
    expect(a.log).toEqual(["0:r"]);
    expect(b.log).toEqual(["0.1:r", "0.2:r"]);
    expect(outcomes).toEqual(["r:b:r@0.21"]);
    expect(hedge.stats.hedgesSent).toBe(2);
  });

  it("keeps waiting on the first attempt when a hedge fails, and fails only when all have", () => {
    const { sim, a, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", { target: a, hedgeAfter: 0.1 });
    caller.callAt(0, hedge, { id: "bad", takes: 0.3, rejects: "broken" });
    sim.run();
    expect(outcomes).toEqual(["bad:refused(broken)@0.4"]);
    expect(hedge.stats).toMatchObject({ hedgesSent: 1, failed: 1, succeeded: 0 });
  });

  it("a request whose last copy times out counts as timed out", () => {
    const { sim, a, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      hedgeAfter: 0.1,
      timeout: 0.5,
    });
    caller.callAt(0, hedge, { id: "hung", takes: Number.POSITIVE_INFINITY });
    sim.run();
    expect(outcomes).toEqual(["hung:refused(timed out)@0.6"]);
    expect(hedge.stats).toMatchObject({ timedOut: 1, failed: 0, succeeded: 0 });
  });

  it("a crash of the hedge abandons its requests; the caller times out", () => {
    const { sim, a, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", { target: a, hedgeAfter: 0.1 });
    caller.callAt(0, hedge, { id: "r", takes: 1 }, { timeout: 2 });
    sim.at(0.15, () => hedge.crash());
    sim.run();
    expect(outcomes).toEqual(["r:timeout@2"]);
    expect(hedge.pendingCallCount).toBe(0);
  });

  it("the same seed gives the same run", () => {
    const trace = () => {
      const { sim, a, caller, outcomes } = setup();
      const hedge = new Hedge<Job, string>(sim, "hedge", { target: a, hedgeAfter: 0.1 });
      for (let i = 0; i < 20; i++)
        caller.callAt(i * 0.07, hedge, { id: `${i}`, takes: (i % 5) * 0.06 });
      return `${sim.run().traceHash} ${outcomes.join(",")}`;
    };
    expect(trace()).toBe(trace());
  });

  it("sends copies to the alternates in turn, wrapping around", () => {
    const { sim, a, b, caller, outcomes } = setup();
    const c = new ScriptedTarget(sim, "c");
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      alternates: [b, c],
      hedgeAfter: 0.1,
      maxHedges: 3,
    });
    caller.callAt(0, hedge, { id: "r", takes: 1 });
    sim.run();
    expect([...a.log, ...b.log, ...c.log].sort()).toEqual(["0.1:r", "0.2:r", "0.3:r", "0:r"]);
    expect(b.log).toEqual(["0.1:r", "0.3:r"]);
    expect(c.log).toEqual(["0.2:r"]);
    expect(outcomes).toEqual(["r:a:r@1"]); // the first attempt still answers first
    expect(hedge.stats).toMatchObject({ hedgesSent: 3, hedgeWins: 0, succeeded: 1 });
    expect(hedge.counters.lateReplies).toBe(3);
  });

  it("when the first attempt wins after a hedge was sent, the copy is the one abandoned", () => {
    const { sim, a, b, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      alternates: [b],
      hedgeAfter: 0.1,
    });
    a.durations = [0.15];
    b.durations = [0.5];
    caller.callAt(0, hedge, { id: "r", takes: 0 });
    expect(sim.run().time).toBe(0.6); // b still does the work: nothing tells it to stop
    expect(outcomes).toEqual(["r:a:r@0.15"]);
    expect(hedge.stats).toMatchObject({ hedgesSent: 1, hedgeWins: 0, extraLoad: 1 });
    expect(hedge.counters.lateReplies).toBe(1);
    expect(hedge.pendingCallCount).toBe(0);
  });

  it("is not a retry: a first attempt that fails before hedgeAfter fails the request", () => {
    const { sim, a, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", { target: a, hedgeAfter: 0.1 });
    caller.callAt(0, hedge, { id: "r", takes: 0.05, rejects: "busy" });
    expect(sim.run().time).toBe(0.05);
    expect(outcomes).toEqual(["r:refused(busy)@0.05"]);
    expect(a.log).toEqual(["0:r"]);
    expect(hedge.stats).toMatchObject({ hedgesSent: 0, failed: 1 });
  });

  it("fails once every copy sent so far has failed, even if more hedges were allowed", () => {
    const { sim, a, b, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      alternates: [b],
      hedgeAfter: 0.1,
      maxHedges: 3,
    });
    a.durations = [0.15];
    b.durations = [0.02];
    caller.callAt(0, hedge, { id: "r", takes: 0, rejects: "down" });
    sim.run();
    expect(b.log).toEqual(["0.1:r"]);
    expect(outcomes).toEqual(["r:refused(down)@0.15"]);
    expect(hedge.stats).toMatchObject({ hedgesSent: 1, failed: 1 });
  });

  it("a failed copy does not end the request while another may still answer", () => {
    const { sim, a, b, caller, outcomes } = setup();
    const refusing = new Refusing(sim, "refusing");
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      alternates: [refusing, b],
      hedgeAfter: 0.1,
      maxHedges: 2,
    });
    a.durations = [1];
    b.durations = [0.05];
    caller.callAt(0, hedge, { id: "r", takes: 0 });
    sim.run();
    // The copy to "refusing" fails at 0.11; the first attempt is still out, so the hedge
    // waits, sends its second copy at 0.2, and that one answers.
    expect(b.log).toEqual(["0.2:r"]);
    expect(outcomes).toEqual(["r:b:r@0.25"]);
    expect(hedge.stats).toMatchObject({ hedgesSent: 2, hedgeWins: 1, failed: 0 });
  });

  it("counts extra load as hedges sent per request", () => {
    const { sim, a, caller } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", { target: a, hedgeAfter: 0.1 });
    for (const [i, takes] of [0.05, 0.05, 0.3, 0.05].entries()) {
      caller.callAt(i, hedge, { id: `${i}`, takes });
    }
    sim.run();
    expect(hedge.stats).toMatchObject({
      forwarded: 4,
      hedgesSent: 1,
      succeeded: 4,
      extraLoad: 0.25,
    });
    expect(hedge.metrics()).toMatchObject({ extraLoad: 0.25, hedgesSent: 1 });
  });

  it("with a budget, hedges at most burst copies at once and then ratio copies per request", () => {
    const { sim, a, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      hedgeAfter: 0.1,
      budget: { ratio: 0.25, burst: 2 },
    });
    // Ten slow requests 1 s apart: every one is due a copy. The full bucket (2) pays for the
    // first two; then each request earns a quarter of a copy, so every fourth is hedged.
    for (let i = 0; i < 10; i++) caller.callAt(i, hedge, { id: `r${i}`, takes: 0.5 });
    sim.run();
    expect(hedge.stats).toMatchObject({ forwarded: 10, hedgesSent: 4, hedgesDenied: 6 });
    // Copies are sent at i + 0.1: r0 and r1 from the bucket, then r4 and r8 once a whole copy
    // has been earned again (0.25 per request).
    const copies = a.log.filter((line) => !Number.isInteger(Number(line.split(":")[0])));
    expect(copies).toEqual(["0.1:r0", "1.1:r1", "4.1:r4", "8.1:r8"]);
    // A denied request still gets its first attempt's answer.
    expect(outcomes).toHaveLength(10);
    expect(outcomes.every((o) => o.endsWith(".5"))).toBe(true);
  });

  it("refuses bad options with a ConfigError naming the option, what it needs and what it got", () => {
    const sim = new Simulation({ seed: 1 });
    const a = new ScriptedTarget(sim, "a");
    expect(() => new Hedge(sim, "h1", { target: a, hedgeAfter: 0 })).toThrow(
      'Hedge "h1": option "hedgeAfter" must be a duration in seconds > 0; given 0',
    );
    expect(() => new Hedge(sim, "h2", { target: a, hedgeAfter: 1, maxHedges: 0 })).toThrow(
      /maxHedges/,
    );
    expect(
      () => new Hedge(sim, "h3", { target: a, hedgeAfter: 1, alternates: a as never }),
    ).toThrow(ConfigError);
    expect(
      () => new Hedge(sim, "h4", { target: a, hedgeAfter: 1, alternates: [3 as never] }),
    ).toThrow(/alternates/);
    expect(() => new Hedge(sim, "h5", { target: null as never, hedgeAfter: 1 })).toThrow(/target/);
    const other = new ScriptedTarget(new Simulation({ seed: 1 }), "elsewhere");
    const cases: [string, object][] = [
      ["hedgeAfter", { hedgeAfter: Number.NaN }],
      ["hedgeAfter", { hedgeAfter: Number.POSITIVE_INFINITY }],
      ["hedgeAfter", { hedgeAfter: -0.1 }],
      ["maxHedges", { hedgeAfter: 1, maxHedges: 1.5 }],
      ["timeout", { hedgeAfter: 1, timeout: 0 }],
      ["alternates", { hedgeAfter: 1, alternates: [other] }],
      ["target", { target: other, hedgeAfter: 1 }],
      ["budget", { hedgeAfter: 1, budget: 0.05 }],
      ["budget", { hedgeAfter: 1, budget: { ratio: 0 } }],
      ["budget", { hedgeAfter: 1, budget: { ratio: 1.5 } }],
      ["budget.burst", { hedgeAfter: 1, budget: { ratio: 0.1, burst: 0.5 } }],
    ];
    for (const [i, [parameter, options]] of cases.entries()) {
      let thrown: unknown;
      try {
        new Hedge(sim, `bad${i}`, { target: a, ...options } as never);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(thrown).toMatchObject({ component: `Hedge "bad${i}"`, parameter });
    }
  });
});

describe("Hedge with profiles", () => {
  it("reads hedgeAfter each time it starts waiting for the next copy", () => {
    const { sim, a, b, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      alternates: [b],
      hedgeAfter: step(1, [{ at: 10, value: 0.1 }]),
    });
    caller.callAt(0, hedge, { id: "early", takes: 0.5 });
    caller.callAt(10, hedge, { id: "late", takes: 0.5 });
    sim.run();
    // Before t=10 a 0.5 s answer beats the 1 s hedge; after it, a copy goes at 10.1.
    expect(b.log).toEqual(["10.1:late"]);
    expect(outcomes).toEqual(["early:a:early@0.5", "late:a:late@10.5"]);
    expect(hedge.stats).toMatchObject({ forwarded: 2, hedgesSent: 1, hedgeWins: 0 });
  });

  it("reads the timeout of each copy when it is sent", () => {
    const { sim, a, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      hedgeAfter: 5,
      timeout: step(1, [{ at: 10, value: 0.1 }]),
    });
    caller.callAt(0, hedge, { id: "early", takes: 0.5 });
    caller.callAt(10, hedge, { id: "late", takes: 0.5 });
    sim.run();
    expect(outcomes).toEqual(["early:a:early@0.5", "late:refused(timed out)@10.1"]);
    expect(hedge.stats).toMatchObject({ succeeded: 1, timedOut: 1, failed: 0, hedgesSent: 0 });
  });

  it("refuses a hedgeAfter or timeout profile that is not > 0 at all times", () => {
    const sim = new Simulation({ seed: 1 });
    const a = new ScriptedTarget(sim, "a");
    expect(
      () => new Hedge(sim, "h1", { target: a, hedgeAfter: step(0.1, [{ at: 5, value: 0 }]) }),
    ).toThrow(
      'Hedge "h1": option "hedgeAfter" must be a duration in seconds > 0 at all times; given "step from 0.1 (1 changes) (ranges over [0, 0.1])"',
    );
    const swingsNegative = sine({ mean: 0.5, amplitude: 1, period: 60 });
    expect(
      () => new Hedge(sim, "h2", { target: a, hedgeAfter: 0.1, timeout: swingsNegative }),
    ).toThrow(ConfigError);
  });
});

/**
 * Goal: a crash counts the requests it abandons once each, however many copies each had out,
 * and in nothing else (not as failures), so `forwarded = succeeded + failed + timedOut +
 * lostToCrash + inFlight` holds before, at and after the crash; the recovered hedge serves normally.
 * Method: exact durations; the identity checked at chosen instants (a check scheduled at the
 * crash's time runs just after it).
 */
describe("Hedge: requests lost to a crash", () => {
  type Stats = Hedge<Job, string>["stats"];
  const unaccounted = (s: Stats) =>
    s.forwarded - (s.succeeded + s.failed + s.timedOut + s.lostToCrash + s.inFlight);

  it("counts each request in flight at the crash once, not once per copy", () => {
    const { sim, a, b, caller, outcomes } = setup();
    const hedge = new Hedge<Job, string>(sim, "hedge", {
      target: a,
      alternates: [b],
      hedgeAfter: 0.1,
      maxHedges: 2,
    });
    const seen: Record<string, Stats> = {};
    const look = (label: string, at: number) =>
      sim.at(at, () => {
        const s = hedge.stats;
        expect(unaccounted(s), `identity at ${label}`).toBe(0);
        expect(s.inFlight, `in flight at ${label}`).toBe(hedge.liveProcessCount);
        seen[label] = s;
      });
    caller.callAt(0, hedge, { id: "fast", takes: 0.05 });
    caller.callAt(0, hedge, { id: "no", takes: 0.05, rejects: "busy" });
    // Three copies out (at 0, 0.1 and 0.2) when the crash comes.
    caller.callAt(0, hedge, { id: "slow", takes: 1 }, { timeout: 2 });
    caller.callAt(0.35, hedge, { id: "late", takes: 1 }, { timeout: 2 });
    look("before", 0.48);
    sim.at(0.5, () => hedge.crash());
    look("crash", 0.5);
    sim.at(0.6, () => hedge.recover());
    caller.callAt(0.7, hedge, { id: "again", takes: 0.05 });
    look("after", 0.9);
    sim.run();
    expect(seen.before).toMatchObject({
      forwarded: 4,
      succeeded: 1,
      failed: 1,
      inFlight: 2,
      hedgesSent: 3,
      lostToCrash: 0,
    });
    expect(seen.crash).toMatchObject({ inFlight: 0, lostToCrash: 2, failed: 1 });
    expect(seen.after).toMatchObject({ forwarded: 5, succeeded: 2, lostToCrash: 2 });
    expect(hedge.stats).toMatchObject({ succeeded: 2, failed: 1, lostToCrash: 2, inFlight: 0 });
    expect(unaccounted(hedge.stats)).toBe(0);
    expect(hedge.metrics()).toMatchObject({ forwarded: 5, inFlight: 0, lostToCrash: 2 });
    expect(outcomes.filter((o) => o.includes(":timeout@"))).toHaveLength(2);
    expect(hedge.pendingCallCount).toBe(0);
  });
});
