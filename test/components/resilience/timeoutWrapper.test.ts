/**
 * Goal: a timeout wrapper bounds every request's wait and passes rejections on (the target
 * still does the work; its late answer is dropped); passes kind and payload through, leaves
 * nothing pending after a crash (counting the requests it abandons once each), gives the same
 * run for the same seed, and refuses bad options with a ConfigError naming the option. Its
 * timeout may be a profile, read when each request is forwarded.
 * Method: scripted targets with exact durations, and the component law suite.
 */
import { describe, expect, it } from "vitest";
import { TimeoutWrapper } from "../../../src/components/resilience/timeoutWrapper.js";
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { arrivals, dist, Server, Source, type TimeoutWrapperOptions } from "../../../src/index.js";
import { step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { type Job, RecordingCaller, ScriptedTarget } from "../../support/targets.js";

/** Answers at once with what it was asked: "kind:payload". */
class Echo extends Entity<string, string> {
  override handle(request: Message<string>) {
    this.reply(request, `${request.kind}:${request.payload}`);
  }
}

function setup() {
  const sim = new Simulation({ seed: 1 });
  const caller = new RecordingCaller(sim, "caller");
  return {
    sim,
    primary: new ScriptedTarget(sim, "primary"),
    caller,
    outcomes: caller.log,
  };
}

componentLaws({
  type: TimeoutWrapper,
  options: (sim) => ({ target: new Server(sim, "server"), timeout: 0.25 }),
  construct: (sim, name, options) =>
    new TimeoutWrapper(sim, name, options as unknown as TimeoutWrapperOptions<unknown, unknown>),
  invalid: [{ target: undefined }, { target: "server" }, { timeout: 0 }, { timeout: "1" }],
  scenario: (sim) => {
    const server = new Server(sim, "server", {
      concurrency: 1,
      serviceTime: dist.exponential(0.01),
      queueCapacity: 3,
    });
    const wrapper = new TimeoutWrapper(sim, SUBJECT, { target: server, timeout: 0.02 });
    new Source(sim, "load", {
      target: wrapper,
      arrivals: arrivals.poisson(80),
      stopAfter: { time: 1 },
    });
    return wrapper;
  },
  crashAt: 0.4,
  recoverAt: 0.5,
});

describe("TimeoutWrapper", () => {
  it("answers in time, fails at the deadline, and passes rejections on", () => {
    const { sim, primary, caller, outcomes } = setup();
    const bounded = new TimeoutWrapper<Job, string>(sim, "deadline", {
      target: primary,
      timeout: 0.25,
    });
    caller.callAt(0, bounded, { id: "ok", takes: 0.1 });
    caller.callAt(0, bounded, { id: "hung", takes: Number.POSITIVE_INFINITY });
    caller.callAt(0, bounded, { id: "no", takes: 0.2, rejects: "busy" });
    sim.run();
    expect(outcomes).toEqual([
      "ok:primary:ok@0.1",
      "no:refused(busy)@0.2",
      "hung:refused(timed out after 0.25s)@0.25",
    ]);
    expect(bounded.stats).toEqual({
      forwarded: 3,
      succeeded: 1,
      timedOut: 1,
      failed: 1,
      inFlight: 0,
      lostToCrash: 0,
    });
  });

  it("the target still does a timed-out request; its late answer is dropped", () => {
    const { sim, primary, caller, outcomes } = setup();
    const bounded = new TimeoutWrapper<Job, string>(sim, "deadline", {
      target: primary,
      timeout: 0.25,
    });
    caller.callAt(0, bounded, { id: "slow", takes: 1 });
    expect(sim.run().time).toBe(1);
    expect(primary.log).toEqual(["0:slow"]);
    expect(outcomes).toEqual(["slow:refused(timed out after 0.25s)@0.25"]);
    expect(bounded.counters.lateReplies).toBe(1);
    expect(bounded.pendingCallCount).toBe(0);
  });

  it("passes kind and payload through", () => {
    const sim = new Simulation({ seed: 1 });
    const echo = new Echo(sim, "echo");
    const bounded = new TimeoutWrapper<string, string>(sim, "deadline", {
      target: echo,
      timeout: 1,
    });
    const caller = new Entity(sim, "caller");
    let answer = "";
    caller.start(function* () {
      answer = yield* caller.call(bounded, "lookup", "k1");
    });
    sim.run();
    expect(answer).toBe("lookup:k1");
  });

  it("a crash abandons its requests: callers time out, nothing stays pending", () => {
    const { sim, primary, caller, outcomes } = setup();
    const bounded = new TimeoutWrapper<Job, string>(sim, "deadline", {
      target: primary,
      timeout: 5,
    });
    caller.callAt(0, bounded, { id: "a", takes: 1 }, { timeout: 2 });
    sim.at(0.5, () => bounded.crash());
    expect(sim.run().time).toBe(2); // the wrapper's 5 s timer went with the crash
    expect(outcomes).toEqual(["a:timeout@2"]);
    expect(bounded.pendingCallCount).toBe(0);
    expect(bounded.stats).toEqual({
      forwarded: 1,
      succeeded: 0,
      timedOut: 0,
      failed: 0,
      inFlight: 0,
      lostToCrash: 1,
    });
  });

  it("the same seed gives the same run", () => {
    const trace = () => {
      const { sim, primary, caller, outcomes } = setup();
      const bounded = new TimeoutWrapper<Job, string>(sim, "deadline", {
        target: primary,
        timeout: 0.1,
      });
      for (let i = 0; i < 20; i++) {
        caller.callAt(i * 0.05, bounded, { id: `${i}`, takes: (i % 4) * 0.04 });
      }
      return `${sim.run().traceHash} ${outcomes.join(",")}`;
    };
    expect(trace()).toBe(trace());
  });

  it("refuses a missing, zero, negative, NaN or infinite timeout, and a foreign target", () => {
    const { sim, primary } = setup();
    expect(() => new TimeoutWrapper(sim, "t", { target: primary, timeout: 0 })).toThrow(
      'TimeoutWrapper "t": option "timeout" must be a duration in seconds > 0; given 0',
    );
    expect(() => new TimeoutWrapper(sim, "u", { target: primary } as never)).toThrow(/timeout/);
    for (const [i, timeout] of [-1, Number.NaN, Number.POSITIVE_INFINITY, "1"].entries()) {
      expect(
        () => new TimeoutWrapper(sim, `bad${i}`, { target: primary, timeout } as never),
      ).toThrow(
        expect.objectContaining({ name: "ConfigError", parameter: "timeout", given: timeout }),
      );
    }
    const other = new ScriptedTarget(new Simulation({ seed: 1 }), "elsewhere");
    expect(() => new TimeoutWrapper(sim, "v", { target: other, timeout: 1 })).toThrow(
      expect.objectContaining({
        name: "ConfigError",
        component: 'TimeoutWrapper "v"',
        parameter: "target",
      }),
    );
  });
});

describe("TimeoutWrapper timeout as a profile", () => {
  /** 1 s until t=10, then 0.1 s. */
  const dropping = () => step(1, [{ at: 10, value: 0.1 }]);

  it("a wrapper reads its deadline when it forwards each request", () => {
    const { sim, primary, caller, outcomes } = setup();
    const bounded = new TimeoutWrapper<Job, string>(sim, "deadline", {
      target: primary,
      timeout: dropping(),
    });
    for (const at of [0, 9.9, 10]) {
      caller.callAt(at, bounded, { id: `${at}`, takes: 0.5 });
    }
    sim.run();
    // Forwarded at 9.9, before the change: it keeps its 1 s deadline.
    expect(outcomes).toEqual([
      "0:primary:0@0.5",
      "10:refused(timed out after 0.1s)@10.1",
      "9.9:primary:9.9@10.4",
    ]);
    expect(bounded.timeout).toMatchObject({ kind: "profile" });
    expect(bounded.stats).toMatchObject({ succeeded: 2, timedOut: 1 });
  });

  it("refuses a timeout profile that is not > 0 at all times", () => {
    const { sim, primary } = setup();
    const toZero = step(1, [{ at: 10, value: 0 }]);
    expect(() => new TimeoutWrapper(sim, "t", { target: primary, timeout: toZero })).toThrow(
      'TimeoutWrapper "t": option "timeout" must be a duration in seconds > 0 at all times; given "step from 1 (1 changes) (ranges over [0, 1])"',
    );
  });
});

/**
 * Goal: a crash of a wrapper counts the requests it abandons, once each and in nothing else
 * (not as timed out or failed), so its conservation identity holds before, at and after the
 * crash, and it serves normally once recovered.
 * Method: exact durations; the identity checked at chosen instants (a check scheduled at the
 * crash's time runs just after it).
 */
describe("TimeoutWrapper: requests lost to a crash", () => {
  type WrapperStats = TimeoutWrapper<Job, string>["stats"];
  const wrapperUnaccounted = (s: WrapperStats) =>
    s.forwarded - (s.succeeded + s.failed + s.timedOut + s.lostToCrash + s.inFlight);

  it("TimeoutWrapper: counts the requests in flight at the crash, once each", () => {
    const { sim, primary, caller, outcomes } = setup();
    const bounded = new TimeoutWrapper<Job, string>(sim, "deadline", {
      target: primary,
      timeout: 5,
    });
    const seen: Record<string, WrapperStats> = {};
    const look = (label: string, at: number) =>
      sim.at(at, () => {
        const s = bounded.stats;
        expect(wrapperUnaccounted(s), `identity at ${label}`).toBe(0);
        expect(s.inFlight, `in flight at ${label}`).toBe(bounded.liveProcessCount);
        seen[label] = s;
      });
    caller.callAt(0, bounded, { id: "ok", takes: 0.1 });
    caller.callAt(0, bounded, { id: "no", takes: 0.2, rejects: "busy" });
    caller.callAt(0, bounded, { id: "slow", takes: 1 }, { timeout: 2 });
    caller.callAt(0, bounded, { id: "hung", takes: Number.POSITIVE_INFINITY }, { timeout: 2 });
    look("before", 0.4);
    sim.at(0.5, () => bounded.crash());
    look("crash", 0.5);
    sim.at(0.6, () => bounded.recover());
    caller.callAt(0.7, bounded, { id: "again", takes: 0.1 });
    look("after", 0.9);
    sim.run();
    expect(seen.before).toMatchObject({ forwarded: 4, succeeded: 1, failed: 1, inFlight: 2 });
    expect(seen.crash).toMatchObject({ inFlight: 0, lostToCrash: 2, timedOut: 0 });
    expect(seen.after).toMatchObject({ forwarded: 5, succeeded: 2, lostToCrash: 2 });
    expect(bounded.stats).toEqual({
      forwarded: 5,
      succeeded: 2,
      timedOut: 0,
      failed: 1,
      inFlight: 0,
      lostToCrash: 2,
    });
    expect(bounded.metrics()).toMatchObject({ inFlight: 0, lostToCrash: 2 });
    expect(bounded.counters.lateReplies).toBe(1); // slow's answer at 1
    expect(outcomes.filter((o) => o.includes(":timeout@"))).toHaveLength(2);
  });
});
