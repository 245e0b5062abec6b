/**
 * Goal: the breaker forwards while the target succeeds, opens after the threshold of
 * consecutive failures, fails fast while open, probes one request at a time when the open
 * period ends, closes after enough successful probes and reopens on a failed one; its
 * transition log records each change with its time. openDuration and timeout may be profiles,
 * read when the circuit opens and when a request is forwarded.
 * Method: a target whose health is switched by timers; calls at chosen times; exact times.
 */
import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../../src/components/resilience/circuitBreaker.js";
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, type RemoteError } from "../../../src/errors/errors.js";
import { arrivals, type CircuitBreakerOptions, dist, Server, Source } from "../../../src/index.js";
import { type Param, step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

/** Replies after 0.1 s when healthy; refuses ("down") otherwise. */
class Target extends Entity<number, number> {
  healthy = true;
  calls = 0;
  override *handle(request: Message<number>) {
    this.calls++;
    yield 0.1;
    if (this.healthy) this.reply(request, request.payload);
    else this.fail(request, "down");
  }
}

function setup(
  options: { failureThreshold?: number; openDuration?: Param; halfOpenSuccesses?: number } = {},
) {
  const sim = new Simulation({ seed: 1 });
  const target = new Target(sim, "target");
  const breaker = new CircuitBreaker<number, number>(sim, "breaker", {
    target,
    failureThreshold: 3,
    openDuration: 5,
    ...options,
  });
  const caller = new Entity(sim, "caller");
  const log: string[] = [];
  /** Calls through the breaker at `time` and logs "time:ok" or "time:reason". */
  const callAt = (time: number) =>
    sim.at(time, () =>
      caller.start(function* () {
        try {
          yield* caller.call(breaker, "get", 1);
          log.push(`${time}:ok`);
        } catch (error) {
          log.push(`${time}:${(error as RemoteError).reason}`);
        }
      }),
    );
  return { sim, target, breaker, log, callAt };
}

componentLaws({
  type: CircuitBreaker,
  options: (sim) => ({
    target: new Server(sim, "server"),
    failureThreshold: 3,
    openDuration: 1,
    halfOpenSuccesses: 2,
    timeout: 0.5,
    isFailure: (_answer: unknown, seconds: number) => seconds > 0.2,
  }),
  construct: (sim, name, options) =>
    new CircuitBreaker(sim, name, options as unknown as CircuitBreakerOptions<unknown, unknown>),
  invalid: [
    { target: null },
    { failureThreshold: 0 },
    { openDuration: 0 },
    { halfOpenSuccesses: 0.5 },
    { timeout: 0 },
    { isFailure: "slow" },
  ],
  scenario: (sim) => {
    // A small queue refuses under bursts and slow answers are judged failures, so the circuit
    // opens, half-opens and closes during the run.
    const server = new Server(sim, "server", {
      concurrency: 1,
      serviceTime: dist.exponential(0.008),
      queueCapacity: 2,
    });
    const breaker = new CircuitBreaker(sim, SUBJECT, {
      target: server,
      failureThreshold: 3,
      openDuration: 0.03,
      halfOpenSuccesses: 2,
      timeout: 0.05,
      isFailure: (_answer, seconds) => seconds > 0.03,
    });
    new Source(sim, "load", {
      target: breaker,
      arrivals: arrivals.poisson(150),
      stopAfter: { time: 1 },
    });
    return breaker;
  },
  crashAt: 0.4,
  recoverAt: 0.5,
  identities: (b) => {
    const s = b.stats;
    return [["requests = rejected + forwarded", s.requests, s.rejected + s.forwarded]];
  },
});
describe("CircuitBreaker", () => {
  it("opens after consecutive failures, fails fast, probes, and closes again", () => {
    const { sim, target, breaker, log, callAt } = setup();
    sim.at(0, () => {
      target.healthy = false;
    });
    for (const t of [1, 2, 3, 4, 5]) callAt(t); // 3 failures open it at 3.1; 4 and 5 fail fast
    sim.at(7, () => {
      target.healthy = true;
    });
    for (const t of [8, 8.2, 8.25, 9]) callAt(t); // open until 8.1: 8 fails fast, 8.2 probes, 8.25 fails fast, 9 closed
    sim.run();
    expect(log).toEqual([
      "1:down",
      "2:down",
      "3:down",
      "4:circuit open",
      "5:circuit open",
      "8:circuit open",
      "8.25:circuit open",
      "8.2:ok",
      "9:ok",
    ]);
    expect(breaker.stats.transitions).toEqual([
      { time: 3.1, from: "closed", to: "open", reason: "failures" },
      { time: 8.1, from: "open", to: "half-open", reason: "open period over" },
      { time: 8.3, from: "half-open", to: "closed", reason: "probe succeeded" },
    ]);
    expect(breaker.stats).toMatchObject({
      forwarded: 5,
      succeeded: 2,
      failed: 3,
      rejected: 4,
      state: "closed",
    });
    expect(target.calls).toBe(5);
  });

  it("a failed probe reopens the circuit for another open period", () => {
    const { sim, target, breaker, callAt } = setup({ failureThreshold: 1, openDuration: 2 });
    target.healthy = false;
    callAt(0); // opens at 0.1
    callAt(3); // probe fails at 3.1: reopens until 5.1
    callAt(4); // fails fast
    sim.run({ until: 6 });
    expect(breaker.stats.transitions.map((t) => `${t.time}:${t.to}`)).toEqual([
      "0.1:open",
      "2.1:half-open", // when the open period ended, not when the probe came
      "3.1:open",
    ]);
    expect(breaker.currentState()).toBe("half-open"); // its time is up at the end of the run
  });

  it("a success resets the count of consecutive failures", () => {
    const { sim, target, breaker, callAt } = setup({ failureThreshold: 2 });
    sim.at(0, () => {
      target.healthy = false;
    });
    callAt(1);
    sim.at(1.5, () => {
      target.healthy = true;
    });
    callAt(2);
    sim.at(2.5, () => {
      target.healthy = false;
    });
    callAt(3);
    sim.run();
    expect(breaker.stats.state).toBe("closed");
  });

  it("needs halfOpenSuccesses probes in a row to close", () => {
    const { sim, target, breaker, callAt } = setup({
      failureThreshold: 1,
      openDuration: 1,
      halfOpenSuccesses: 2,
    });
    target.healthy = false;
    callAt(0);
    sim.at(0.5, () => {
      target.healthy = true;
    });
    callAt(2);
    callAt(3);
    sim.run();
    expect(breaker.stats.transitions.map((t) => `${t.time}:${t.to}`)).toEqual([
      "0.1:open",
      "1.1:half-open",
      "3.1:closed",
    ]);
  });

  it("isFailure counts slow or bad answers as failures, still relaying them", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Target(sim, "target"); // answers after 0.1 s
    const breaker = new CircuitBreaker<number, number>(sim, "breaker", {
      target,
      failureThreshold: 2,
      openDuration: 1,
      // Slow answers (over 50 ms) and negative payloads are failures.
      isFailure: (answer, seconds) => seconds > 0.05 || answer < 0,
    });
    const caller = new Entity(sim, "caller");
    const log: string[] = [];
    for (const at of [0, 1, 2]) {
      sim.at(at, () =>
        caller.start(function* () {
          try {
            log.push(`${at}:answer ${yield* caller.call(breaker, "get", 7)}`);
          } catch (error) {
            log.push(`${at}:${(error as RemoteError).reason}`);
          }
        }),
      );
    }
    sim.run();
    // Two slow answers reach the caller but open the circuit; the third is refused.
    expect(log).toEqual(["0:answer 7", "1:answer 7", "2:circuit open"]);
    expect(breaker.stats).toMatchObject({ succeeded: 0, failed: 2, rejected: 1 });
    expect(breaker.stats.transitions.map((t) => `${t.time}:${t.to}:${t.reason}`)).toEqual([
      "1.1:open:failures",
    ]);
  });

  it("forceOpen holds the circuit open past any open period; reset closes it", () => {
    const { sim, target, breaker, log, callAt } = setup({ openDuration: 1 });
    sim.at(1, () => breaker.forceOpen());
    callAt(2);
    callAt(50); // still open: a forced circuit sends no probe
    sim.at(60, () => breaker.reset());
    callAt(61);
    sim.run();
    expect(log).toEqual(["2:circuit open", "50:circuit open", "61:ok"]);
    expect(target.calls).toBe(1);
    expect(breaker.stats.transitions.map((t) => `${t.time}:${t.to}:${t.reason}`)).toEqual([
      "1:open:forced",
      "60:closed:reset",
    ]);
    expect(breaker.currentState()).toBe("closed");
  });

  it("a probe answer that comes after a reset does not move the circuit", () => {
    const { sim, target, breaker, callAt } = setup({ failureThreshold: 1, openDuration: 1 });
    target.healthy = false;
    callAt(0); // opens at 0.1 until 1.1
    sim.at(1.15, () => {
      target.healthy = true;
    });
    callAt(1.2); // probe, answers at 1.3
    sim.at(1.25, () => breaker.reset());
    sim.run();
    expect(breaker.stats.transitions.map((t) => `${t.time}:${t.to}:${t.reason}`)).toEqual([
      "0.1:open:failures",
      "1.1:half-open:open period over",
      "1.25:closed:reset",
    ]);
  });

  it("a failed probe answer after a reset is not counted against the closed circuit", () => {
    const { sim, target, breaker, callAt } = setup({ failureThreshold: 1, openDuration: 1 });
    target.healthy = false;
    callAt(0); // opens at 0.1 until 1.1
    callAt(1.2); // probe, fails at 1.3
    sim.at(1.25, () => breaker.reset());
    sim.run();
    expect(breaker.stats.transitions.map((t) => `${t.time}:${t.to}:${t.reason}`)).toEqual([
      "0.1:open:failures",
      "1.1:half-open:open period over",
      "1.25:closed:reset",
    ]);
    expect(breaker.currentState()).toBe("closed");
  });

  it("refuses bad options", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Target(sim, "t");
    expect(() => new CircuitBreaker(sim, "a", { target, failureThreshold: 0 })).toThrow(
      /CircuitBreaker "a": option "failureThreshold"/,
    );
    expect(() => new CircuitBreaker(sim, "b", { target, openDuration: -1 })).toThrow(
      /openDuration/,
    );
    expect(() => new CircuitBreaker(sim, "c", { target, timeout: 0 })).toThrow(ConfigError);
    expect(() => new CircuitBreaker(sim, "d", { target: {} as never })).toThrow(/target/);
    expect(() => new CircuitBreaker(sim, "e", { target, isFailure: true as never })).toThrow(
      /CircuitBreaker "e": option "isFailure" must be a function/,
    );
  });
});

describe("CircuitBreaker with profiles", () => {
  it("reads openDuration each time the circuit opens: 5 s until t=10, then 1 s", () => {
    const { sim, target, breaker, log, callAt } = setup({
      openDuration: step(5, [{ at: 10, value: 1 }]),
    });
    sim.at(0, () => {
      target.healthy = false;
    });
    for (const t of [0, 1, 2]) callAt(t); // third failure at 2.1 opens until 7.1
    callAt(7.2); // probe, fails at 7.3: reopens with 5 s, until 12.3
    callAt(12.4); // probe, fails at 12.5: reopens with 1 s, until 13.5
    callAt(13.4); // still open
    callAt(13.6); // probe
    sim.run();
    expect(log).toEqual([
      "0:down",
      "1:down",
      "2:down",
      "7.2:down",
      "12.4:down",
      "13.4:circuit open",
      "13.6:down",
    ]);
    const opened = breaker.stats.transitions.filter((t) => t.to === "open").map((t) => t.time);
    expect(opened.map((time) => Math.round(time * 1e6) / 1e6)).toEqual([2.1, 7.3, 12.5, 13.7]);
  });

  it("reads the timeout when it forwards each request", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Target(sim, "target"); // answers after 0.1 s
    const breaker = new CircuitBreaker<number, number>(sim, "breaker", {
      target,
      timeout: step(1, [{ at: 10, value: 0.05 }]),
    });
    const caller = new Entity(sim, "caller");
    const log: string[] = [];
    for (const at of [0, 10]) {
      sim.at(at, () =>
        caller.start(function* () {
          try {
            yield* caller.call(breaker, "get", 1);
            log.push(`${at}:ok at ${caller.now}`);
          } catch (error) {
            log.push(`${at}:${(error as RemoteError).reason} at ${caller.now}`);
          }
        }),
      );
    }
    sim.run();
    expect(log).toEqual(["0:ok at 0.1", "10:timed out at 10.05"]);
    expect(breaker.stats).toMatchObject({ succeeded: 1, failed: 0, timedOut: 1 });
  });

  it("refuses an openDuration or timeout profile that is not > 0 at all times", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Target(sim, "t");
    const toZero = step(5, [{ at: 10, value: 0 }]);
    expect(() => new CircuitBreaker(sim, "a", { target, openDuration: toZero })).toThrow(
      'CircuitBreaker "a": option "openDuration" must be a duration in seconds > 0 at all times; given "step from 5 (1 changes) (ranges over [0, 5])"',
    );
    expect(() => new CircuitBreaker(sim, "b", { target, timeout: toZero })).toThrow(ConfigError);
  });

  // Regression, found by the whole-model invariant tests (test/integration/invariants.test.ts):
  // a crash closed the circuit without a log entry, so the log ended in "open" while the
  // breaker was closed, and its next entry started from "closed".
  it("logs the move to closed when a crash closes an open circuit", () => {
    const { sim, target, breaker, callAt } = setup({ failureThreshold: 1, openDuration: 5 });
    target.healthy = false;
    callAt(0); // fails at 0.1: open until 5.1
    sim.at(1, () => breaker.crash());
    sim.at(2, () => breaker.recover());
    callAt(3); // the circuit is closed again: forwarded, fails, opens at 3.1
    sim.run();
    expect(breaker.stats.transitions.map((t) => `${t.time}:${t.from}>${t.to}:${t.reason}`)).toEqual(
      ["0.1:closed>open:failures", "1:open>closed:crash", "3.1:closed>open:failures"],
    );
    expect(breaker.currentState()).toBe("open");
  });

  it("writes down an open period that is over before the crash closes the circuit", () => {
    const { sim, target, breaker, callAt } = setup({ failureThreshold: 1, openDuration: 5 });
    target.healthy = false;
    callAt(0); // fails at 0.1: open until 5.1, half-open from then (no request writes it down)
    sim.at(7, () => breaker.crash());
    sim.run();
    expect(breaker.stats.transitions.map((t) => `${t.time}:${t.from}>${t.to}:${t.reason}`)).toEqual(
      [
        "0.1:closed>open:failures",
        "5.1:open>half-open:open period over",
        "7:half-open>closed:crash",
      ],
    );
    expect(breaker.currentState()).toBe("closed");
  });

  it("logs nothing when a crash finds the circuit closed", () => {
    const { sim, breaker } = setup();
    sim.at(1, () => breaker.crash());
    sim.run();
    expect(breaker.stats.transitions).toEqual([]);
  });
});

/**
 * Goal: a crash counts the forwarded requests it abandons, once each and in nothing else, so
 * `requests = forwarded + rejected` and `forwarded = succeeded + failed + timedOut + lostToCrash
 * + inFlight` hold before, at and after the crash; the recovered breaker (closed by the crash)
 * forwards again, and the abandoned requests' late answers move nothing.
 * Method: a target that answers after 1 s or refuses after 0.1 s; the identities checked at
 * chosen instants (a check scheduled at the crash's time runs just after it).
 */
describe("CircuitBreaker: requests lost to a crash", () => {
  /** Answers after `payload` seconds; a negative payload: refuses after 0.1 s. */
  class Timed extends Entity<number, number> {
    override *handle(request: Message<number>) {
      const p = request.payload;
      yield p < 0 ? 0.1 : p;
      if (p < 0) this.fail(request, "down");
      else this.reply(request, p);
    }
  }
  type Stats = CircuitBreaker<number, number>["stats"];
  const unaccounted = (s: Stats) => [
    s.requests - s.forwarded - s.rejected,
    s.forwarded - (s.succeeded + s.failed + s.timedOut + s.lostToCrash + s.inFlight),
  ];

  it("counts the forwarded requests a crash abandons, once each", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Timed(sim, "target");
    const breaker = new CircuitBreaker<number, number>(sim, "breaker", {
      target,
      failureThreshold: 1,
      openDuration: 10,
    });
    const caller = new Entity(sim, "caller");
    const log: string[] = [];
    const callAt = (time: number, payload: number) =>
      sim.at(time, () =>
        caller.start(function* () {
          try {
            yield* caller.call(breaker, "get", payload, { timeout: 2 });
            log.push(`${payload}@${caller.now}:ok`);
          } catch (error) {
            log.push(`${payload}@${caller.now}:${(error as Error).message}`);
          }
        }),
      );
    const seen: Record<string, Stats> = {};
    const look = (label: string, at: number) =>
      sim.at(at, () => {
        const s = breaker.stats;
        expect(unaccounted(s), `identities at ${label}`).toEqual([0, 0]);
        expect(s.inFlight, `in flight at ${label}`).toBe(breaker.liveProcessCount);
        seen[label] = s;
      });
    callAt(0, 1); // in flight at the crash
    callAt(0, 1.5); // in flight at the crash
    callAt(0, 0.05); // succeeds
    callAt(0, -1); // refused at 0.1: the circuit opens
    callAt(0.2, 1); // short-circuited
    look("before", 0.4);
    sim.at(0.5, () => breaker.crash());
    look("crash", 0.5);
    sim.at(0.6, () => breaker.recover());
    callAt(0.7, 0.1); // the crash closed the circuit: forwarded, succeeds
    look("after", 0.9);
    sim.run();
    expect(seen.before).toMatchObject({
      requests: 5,
      forwarded: 4,
      rejected: 1,
      succeeded: 1,
      failed: 1,
      inFlight: 2,
      lostToCrash: 0,
      state: "open",
    });
    expect(seen.crash).toMatchObject({ inFlight: 0, lostToCrash: 2, failed: 1, state: "closed" });
    expect(seen.after).toMatchObject({ requests: 6, succeeded: 2, lostToCrash: 2, inFlight: 0 });
    // The abandoned requests' answers (at 1 and 1.5) came to the recovered breaker: dropped,
    // counted as neither success nor failure.
    expect(breaker.counters.lateReplies).toBe(2);
    expect(breaker.stats).toMatchObject({ succeeded: 2, failed: 1, lostToCrash: 2 });
    expect(unaccounted(breaker.stats)).toEqual([0, 0]);
    expect(breaker.metrics()).toMatchObject({ requests: 6, inFlight: 0, lostToCrash: 2 });
    expect(log.filter((l) => l.includes("timed out after 2s"))).toHaveLength(2);
  });

  it("counts a probe in flight at the crash as lost; the recovered breaker is closed", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Timed(sim, "target");
    const breaker = new CircuitBreaker<number, number>(sim, "breaker", {
      target,
      failureThreshold: 1,
      openDuration: 1,
    });
    const caller = new Entity(sim, "caller");
    const send = (time: number, payload: number) =>
      sim.at(time, () =>
        caller.start(function* () {
          try {
            yield* caller.call(breaker, "get", payload, { timeout: 5 });
          } catch {
            // outcomes are read from the stats
          }
        }),
      );
    send(0, -1); // opens the circuit at 0.1 until 1.1
    send(1.2, 2); // the probe, in flight at the crash
    sim.at(1.5, () => breaker.crash());
    sim.at(1.6, () => breaker.recover());
    send(1.7, 0.1);
    sim.run();
    expect(breaker.stats).toMatchObject({
      requests: 3,
      forwarded: 3,
      succeeded: 1,
      failed: 1,
      lostToCrash: 1,
      inFlight: 0,
      state: "closed",
    });
    expect(unaccounted(breaker.stats)).toEqual([0, 0]);
  });
});
