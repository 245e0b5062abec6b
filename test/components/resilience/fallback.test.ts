/**
 * Goal: a fallback answers from its second source (entity or function) when the primary
 * rejects or is too slow, and fails only when that fails too; passes kind and payload
 * through, leaves nothing pending after a crash (counting the requests it abandons, waiting on
 * the primary or the fallback, once each), gives the same run for the same seed, and refuses
 * bad options with a ConfigError naming the option. Its timeouts may be profiles, read when
 * each call is sent.
 * Method: scripted targets with exact durations, and the component law suite.
 */
import { describe, expect, it } from "vitest";
import { Fallback } from "../../../src/components/resilience/fallback.js";
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { RemoteError } from "../../../src/errors/errors.js";
import { arrivals, dist, type FallbackOptions, Server, Source } from "../../../src/index.js";
import { ramp, step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { type Job, RecordingCaller, ScriptedTarget } from "../../support/targets.js";

/** Answers at once with what it was asked: "kind:payload". */
class Echo extends Entity<string, string> {
  override handle(request: Message<string>) {
    this.reply(request, `${request.kind}:${request.payload}`);
  }
}

/** Refuses every request at once. */
class Refusing extends Entity<string, string> {
  override handle(request: Message<string>) {
    this.fail(request, "no");
  }
}

/** Refuses every job at once. */
class RefusingJobs extends Entity<Job, string> {
  override handle(request: Message<Job>) {
    this.fail(request, "no");
  }
}

function setup() {
  const sim = new Simulation({ seed: 1 });
  const caller = new RecordingCaller(sim, "caller");
  return {
    sim,
    primary: new ScriptedTarget(sim, "primary"),
    backup: new ScriptedTarget(sim, "backup"),
    caller,
    outcomes: caller.log,
  };
}

componentLaws({
  type: Fallback,
  options: (sim) => ({
    primary: new Server(sim, "primary"),
    fallback: new Server(sim, "backup"),
    timeout: 0.2,
    fallbackTimeout: 0.5,
  }),
  construct: (sim, name, options) =>
    new Fallback(sim, name, options as unknown as FallbackOptions<unknown, unknown>),
  invalid: [
    { primary: null },
    { fallback: "cache" },
    { timeout: 0 },
    { fallbackTimeout: -1 },
    // A function answers at once: a timeout on it is a mistake.
    { fallback: () => "cached", fallbackTimeout: 0.5 },
  ],
  scenario: (sim) => {
    // The primary refuses under bursts and is sometimes too slow; the backup is small too, so
    // some requests fail on both.
    const primary = new Server(sim, "primary", {
      concurrency: 1,
      serviceTime: dist.exponential(0.01),
      queueCapacity: 2,
    });
    const backup = new Server(sim, "backup", {
      concurrency: 1,
      serviceTime: dist.exponential(0.005),
      queueCapacity: 1,
    });
    const fallback = new Fallback(sim, SUBJECT, {
      primary,
      fallback: backup,
      timeout: 0.03,
      fallbackTimeout: 0.01,
    });
    new Source(sim, "load", {
      target: fallback,
      arrivals: arrivals.poisson(120),
      stopAfter: { time: 1 },
    });
    return fallback;
  },
  crashAt: 0.4,
  recoverAt: 0.5,
});

describe("Fallback", () => {
  it("answers from a function when the primary rejects or times out", () => {
    const { sim, primary, caller, outcomes } = setup();
    const reasons: string[] = [];
    const guarded = new Fallback<Job, string>(sim, "prices", {
      primary,
      timeout: 0.5,
      fallback: (request, error) => {
        reasons.push(error instanceof RemoteError ? error.reason : error.name);
        return `cached:${request.payload.id}`;
      },
    });
    caller.callAt(0, guarded, { id: "ok", takes: 0.1 });
    caller.callAt(0, guarded, { id: "down", takes: 0.2, rejects: "503" });
    caller.callAt(0, guarded, { id: "slow", takes: 2 });
    sim.run();
    expect(outcomes).toEqual(["ok:primary:ok@0.1", "down:cached:down@0.2", "slow:cached:slow@0.5"]);
    expect(reasons).toEqual(["503", "TimeoutError"]);
    expect(guarded.stats).toEqual({
      forwarded: 3,
      succeeded: 3,
      fallbacksUsed: 2,
      failed: 0,
      timedOut: 0,
      inFlight: 0,
      lostToCrash: 0,
    });
  });

  it("calls a fallback entity, and fails only when it fails too", () => {
    const { sim, primary, backup, caller, outcomes } = setup();
    const guarded = new Fallback<Job, string>(sim, "reads", {
      primary,
      fallback: backup,
      fallbackTimeout: 1,
    });
    primary.durations = [0.1, 0.1];
    backup.durations = [0.2, 5];
    caller.callAt(0, guarded, { id: "a", takes: 0, rejects: "down" });
    caller.callAt(1, guarded, { id: "b", takes: 0, rejects: "down" });
    sim.run();
    expect(outcomes[0]).toBe("a:refused(down)@0.3");
    expect(outcomes[1]).toBe("b:refused(timed out)@2.1");
    expect(guarded.stats).toMatchObject({ fallbacksUsed: 0, failed: 1, timedOut: 1 });
  });

  it("answers from the fallback entity when the primary fails", () => {
    const { sim, primary, backup, caller, outcomes } = setup();
    const guarded = new Fallback<Job, string>(sim, "reads", {
      primary,
      fallback: backup,
      timeout: 0.5,
    });
    primary.durations = [2, 0.1];
    backup.durations = [0.2, 0.3];
    caller.callAt(0, guarded, { id: "slow", takes: 0 });
    caller.callAt(1, guarded, { id: "ok", takes: 0 });
    sim.run();
    expect(outcomes).toEqual(["slow:backup:slow@0.7", "ok:primary:ok@1.1"]);
    expect(backup.log).toEqual(["0.5:slow"]); // only asked when the primary failed
    expect(guarded.stats).toEqual({
      forwarded: 2,
      succeeded: 2,
      fallbacksUsed: 1,
      failed: 0,
      timedOut: 0,
      inFlight: 0,
      lostToCrash: 0,
    });
    expect(guarded.counters.lateReplies).toBe(1); // the primary's answer at t=2
  });

  it("does not call the fallback function when the primary answers", () => {
    const { sim, primary, caller, outcomes } = setup();
    let calls = 0;
    const guarded = new Fallback<Job, string>(sim, "prices", {
      primary,
      fallback: () => {
        calls++;
        return "cached";
      },
    });
    caller.callAt(0, guarded, { id: "a", takes: 0.1 });
    sim.run();
    expect(outcomes).toEqual(["a:primary:a@0.1"]);
    expect(calls).toBe(0);
  });

  it("passes kind and payload to the primary and to a fallback entity", () => {
    const sim = new Simulation({ seed: 1 });
    const echo = new Echo(sim, "echo");
    const refusing = new Refusing(sim, "refusing");
    const first = new Fallback<string, string>(sim, "first", {
      primary: echo,
      fallback: () => "unused",
    });
    const second = new Fallback<string, string>(sim, "second", {
      primary: refusing,
      fallback: echo,
    });
    const caller = new Entity(sim, "caller");
    const answers: string[] = [];
    caller.start(function* () {
      answers.push(yield* caller.call(first, "get", "k1"));
      answers.push(yield* caller.call(second, "put", "k2"));
    });
    sim.run();
    expect(answers).toEqual(["get:k1", "put:k2"]);
  });

  it("a fallback function that throws fails the run: it is model code, not an outcome", () => {
    const { sim, primary, caller } = setup();
    const guarded = new Fallback<Job, string>(sim, "prices", {
      primary,
      fallback: () => {
        throw new Error("cache not loaded");
      },
    });
    caller.callAt(0, guarded, { id: "a", takes: 0.1, rejects: "down" });
    expect(() => sim.run()).toThrow(/cache not loaded/);
  });

  it("a crash abandons its requests: callers time out, nothing stays pending", () => {
    const { sim, primary, backup, caller, outcomes } = setup();
    const guarded = new Fallback<Job, string>(sim, "reads", { primary, fallback: backup });
    caller.callAt(0, guarded, { id: "a", takes: 1 }, { timeout: 2 });
    sim.at(0.5, () => guarded.crash());
    sim.run();
    expect(outcomes).toEqual(["a:timeout@2"]);
    expect(guarded.pendingCallCount).toBe(0);
    expect(backup.log).toEqual([]);
  });

  it("the same seed gives the same run", () => {
    const trace = () => {
      const { sim, primary, backup, caller, outcomes } = setup();
      const guarded = new Fallback<Job, string>(sim, "reads", {
        primary,
        fallback: backup,
        timeout: 0.1,
        fallbackTimeout: 0.1,
      });
      for (let i = 0; i < 20; i++) {
        caller.callAt(i * 0.05, guarded, { id: `${i}`, takes: (i % 4) * 0.04 });
      }
      return `${sim.run().traceHash} ${outcomes.join(",")}`;
    };
    expect(trace()).toBe(trace());
  });

  it("refuses bad options", () => {
    const { sim, primary, backup } = setup();
    expect(() => new Fallback(sim, "f1", { primary, fallback: 3 as never })).toThrow(
      /Fallback "f1": option "fallback"/,
    );
    expect(
      () => new Fallback(sim, "f2", { primary, fallback: () => "x", fallbackTimeout: 1 }),
    ).toThrow(/fallbackTimeout/);
    expect(() => new Fallback(sim, "f3", { primary, fallback: () => "x", timeout: -1 })).toThrow(
      /timeout/,
    );
    const other = new ScriptedTarget(new Simulation({ seed: 1 }), "elsewhere");
    const cases: [string, object][] = [
      ["primary", { primary: undefined, fallback: () => "x" }],
      ["primary", { primary: other, fallback: () => "x" }],
      ["fallback", { primary, fallback: other }],
      ["fallback", { primary }],
      ["timeout", { primary, fallback: () => "x", timeout: Number.NaN }],
      ["fallbackTimeout", { primary, fallback: backup, fallbackTimeout: 0 }],
    ];
    for (const [i, [parameter, options]] of cases.entries()) {
      expect(() => new Fallback(sim, `bad${i}`, options as never)).toThrow(
        expect.objectContaining({
          name: "ConfigError",
          component: `Fallback "bad${i}"`,
          parameter,
        }),
      );
    }
  });
});

describe("Fallback timeouts as profiles", () => {
  /** 1 s until t=10, then 0.1 s. */
  const dropping = () => step(1, [{ at: 10, value: 0.1 }]);

  it("a fallback reads timeout and fallbackTimeout when it sends each call", () => {
    const { sim, primary, backup, caller, outcomes } = setup();
    const toFunction = new Fallback<Job, string>(sim, "to-function", {
      primary,
      fallback: () => "cached",
      timeout: dropping(),
    });
    const toEntity = new Fallback<Job, string>(sim, "to-entity", {
      primary: new RefusingJobs(sim, "refusing"),
      fallback: backup,
      fallbackTimeout: dropping(),
    });
    for (const at of [0, 10]) {
      caller.callAt(at, toFunction, { id: `p${at}`, takes: 0.5 });
      caller.callAt(at, toEntity, { id: `f${at}`, takes: 0.5 });
    }
    sim.run();
    expect(outcomes).toEqual([
      "p0:primary:p0@0.5",
      "f0:backup:f0@0.5",
      "p10:cached@10.1",
      "f10:refused(timed out)@10.1",
    ]);
  });

  it("refuses a timeout profile that is not > 0 at all times", () => {
    const { sim, primary, backup } = setup();
    const toZero = step(1, [{ at: 10, value: 0 }]);
    const negative = ramp({ from: 1, to: -1, start: 0, end: 10 });
    expect(() => new Fallback(sim, "f1", { primary, fallback: backup, timeout: negative })).toThrow(
      /Fallback "f1": option "timeout" must be a duration in seconds > 0 at all times/,
    );
    expect(
      () => new Fallback(sim, "f2", { primary, fallback: backup, fallbackTimeout: toZero }),
    ).toThrow(/Fallback "f2": option "fallbackTimeout" .* at all times/);
  });
});

/**
 * Goal: a crash of a fallback counts the requests it abandons, once each and in nothing else
 * (not as timed out or failed), so its conservation identity holds before, at and after the
 * crash, and it serves normally once recovered.
 * Method: exact durations; the identity checked at chosen instants (a check scheduled at the
 * crash's time runs just after it).
 */
describe("Fallback: requests lost to a crash", () => {
  type FallbackStats = Fallback<Job, string>["stats"];
  const fallbackUnaccounted = (s: FallbackStats) =>
    s.forwarded - (s.succeeded + s.failed + s.timedOut + s.lostToCrash + s.inFlight);

  it("Fallback: counts requests waiting on the primary or on the fallback at the crash", () => {
    const { sim, primary, backup, caller, outcomes } = setup();
    const guarded = new Fallback<Job, string>(sim, "reads", { primary, fallback: backup });
    primary.durations = [0.1, 0.1, 1, 0.1];
    backup.durations = [1];
    const seen: Record<string, FallbackStats> = {};
    const look = (label: string, at: number) =>
      sim.at(at, () => {
        const s = guarded.stats;
        expect(fallbackUnaccounted(s), `identity at ${label}`).toBe(0);
        expect(s.inFlight, `in flight at ${label}`).toBe(guarded.liveProcessCount);
        seen[label] = s;
      });
    caller.callAt(0, guarded, { id: "ok", takes: 0 });
    // Refused by the primary at 0.1, then waiting on the backup (1 s) at the crash.
    caller.callAt(0, guarded, { id: "on-backup", takes: 0, rejects: "down" }, { timeout: 2 });
    caller.callAt(0, guarded, { id: "on-primary", takes: 0 }, { timeout: 2 });
    look("before", 0.4);
    sim.at(0.5, () => guarded.crash());
    look("crash", 0.5);
    sim.at(0.6, () => guarded.recover());
    caller.callAt(0.7, guarded, { id: "again", takes: 0 });
    look("after", 0.9);
    sim.run();
    expect(backup.log).toEqual(["0.1:on-backup"]);
    expect(seen.before).toMatchObject({ forwarded: 3, succeeded: 1, inFlight: 2 });
    expect(seen.crash).toMatchObject({ inFlight: 0, lostToCrash: 2, failed: 0, fallbacksUsed: 0 });
    expect(seen.after).toMatchObject({ forwarded: 4, succeeded: 2, lostToCrash: 2 });
    expect(guarded.stats).toEqual({
      forwarded: 4,
      succeeded: 2,
      fallbacksUsed: 0,
      failed: 0,
      timedOut: 0,
      inFlight: 0,
      lostToCrash: 2,
    });
    expect(guarded.metrics()).toMatchObject({ inFlight: 0, lostToCrash: 2 });
    expect(outcomes.filter((o) => o.includes(":timeout@"))).toHaveLength(2);
  });
});
