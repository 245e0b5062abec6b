/**
 * Goal: the balancer forwards each request to one healthy backend and relays its reply,
 * failure or timeout; keeps exact per-backend counts (forwarded, in flight, failed, timed out,
 * smoothed response time); refuses at once when no backend is healthy; follows add, remove and health
 * marks at once; rejects bad options with a ConfigError and misuse with a SimulationError; and
 * replays exactly under a seed. Its timeout may be a profile, read when each request is
 * forwarded.
 * Method: scripted backends with exact answer times, a caller that logs outcomes with their
 * simulated time, and the stats after the run.
 */
import { describe, expect, it } from "vitest";
import { checkDeterminism } from "../../../src/check/determinism.js";
import { Client } from "../../../src/components/client/client.js";
import { Source } from "../../../src/components/load/source.js";
import { LoadBalancer } from "../../../src/components/loadBalancer/loadBalancer.js";
import {
  consistentHash,
  type LoadBalancingStrategy,
  leastConnections,
  powerOfTwoChoices,
  random,
} from "../../../src/components/loadBalancer/strategies.js";
import { Server } from "../../../src/components/server/server.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, SimulationError } from "../../../src/errors/errors.js";
import type { LoadBalancerOptions } from "../../../src/index.js";
import { poisson } from "../../../src/load/arrivals.js";
import { exponential } from "../../../src/random/distributions/index.js";
import { step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { RecordingCaller } from "../../support/targets.js";
import { Backend } from "./support.js";

function setup(count = 3) {
  const sim = new Simulation({ seed: 1 });
  const pool = Array.from({ length: count }, (_, i) => new Backend(sim, `b${i}`));
  const caller = new RecordingCaller<string, string>(sim, "caller");
  return { sim, pool, caller, outcomes: caller.log };
}

componentLaws({
  type: LoadBalancer,
  options: (sim) => ({
    backends: [new Server(sim, "a"), { backend: new Server(sim, "b"), weight: 2 }],
    strategy: leastConnections(),
    timeout: 1,
    responseTimeSmoothing: 0.5,
  }),
  construct: (sim, name, options) =>
    new LoadBalancer(sim, name, options as unknown as LoadBalancerOptions<unknown, unknown>),
  invalid: [
    { backends: "a" },
    { backends: [3] },
    { backends: [{ backend: "a", weight: 1 }] },
    { backends: [{ backend: null, weight: 0 }] },
    { strategy: "round robin" },
    { timeout: 0 },
    { responseTimeSmoothing: 0 },
    { responseTimeSmoothing: 1.5 },
  ],
  scenario: (sim) => {
    const a = new Server(sim, "a", { concurrency: 1, serviceTime: exponential(0.01) });
    const b = new Server(sim, "b", {
      concurrency: 2,
      serviceTime: exponential(0.02),
      queueCapacity: 2,
    });
    const slow = new Server(sim, "slow", { concurrency: 1, serviceTime: exponential(0.05) });
    const lb = new LoadBalancer(sim, SUBJECT, {
      backends: [a, { backend: b, weight: 2 }, slow],
      strategy: leastConnections(),
      timeout: 0.04,
      responseTimeSmoothing: 0.5,
    });
    // A backend out of rotation for a while: requests are refused when none is left.
    sim.at(0.2, () => lb.markUnhealthy(slow));
    sim.at(0.6, () => lb.markHealthy(slow));
    new Source(sim, "load", { target: lb, arrivals: poisson(150), stopAfter: { time: 1 } });
    return lb;
  },
  crashAt: 0.4,
  recoverAt: 0.5,
  identities: (lb) => {
    const s = lb.stats;
    return [
      ["requests = rejected + forwarded", s.requests, s.rejected + s.forwarded],
      [
        "forwarded = sum of forwarded per backend",
        s.forwarded,
        s.backends.reduce((sum, r) => sum + r.forwarded, 0),
      ],
    ];
  },
});
describe("LoadBalancer: forwarding", () => {
  it("forwards each request to one backend and relays the reply (round robin by default)", () => {
    const { sim, pool, caller, outcomes } = setup();
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool });
    for (let i = 0; i < 4; i++) caller.callAt(i, lb, `r${i}`, { id: `r${i}` });
    sim.run();
    expect(outcomes).toEqual(["r0:b0@0.01", "r1:b1@1.01", "r2:b2@2.01", "r3:b0@3.01"]);
    expect(lb.strategy).toBe("round robin");
    expect(lb.stats).toMatchObject({ requests: 4, forwarded: 4, succeeded: 4, inFlight: 0 });
    expect(lb.stats.backends.map((b) => b.forwarded)).toEqual([2, 1, 1]);
  });

  it("relays a backend's failure with its reason, and counts it against the backend", () => {
    const { sim, pool, caller, outcomes } = setup(1);
    pool[0]!.rejects = "queue full";
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool });
    caller.callAt(0, lb, "r", { id: "r" });
    sim.run();
    expect(outcomes).toEqual(["r:refused(queue full)@0.01"]);
    expect(lb.stats).toMatchObject({ failed: 1, timedOut: 0, succeeded: 0 });
    expect(lb.stats.backends[0]).toMatchObject({ failed: 1, responseTime: Number.NaN });
  });

  it("fails a request the backend does not answer within the timeout", () => {
    const { sim, pool, caller, outcomes } = setup(1);
    pool[0]!.takes = 5;
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool, timeout: 0.5 });
    caller.callAt(0, lb, "r", { id: "r" });
    sim.run();
    expect(outcomes).toEqual(["r:refused(timed out)@0.5"]);
    expect(lb.stats).toMatchObject({ failed: 0, timedOut: 1 });
    // A timeout counts as a response that took the whole timeout.
    expect(lb.stats.backends[0]!.responseTime).toBe(0.5);
    // Back in rotation, the backend's average starts afresh.
    lb.markUnhealthy(pool[0]!);
    lb.markHealthy(pool[0]!);
    expect(lb.stats.backends[0]!.responseTime).toBeNaN();
    expect(lb.counters.lateReplies).toBe(1);
  });

  it("counts requests in flight per backend while they are outstanding", () => {
    const { sim, pool, caller } = setup(2);
    pool[0]!.takes = 1;
    pool[1]!.takes = 1;
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool });
    for (let i = 0; i < 3; i++) caller.callAt(0, lb, `r${i}`, { id: `r${i}` });
    sim.run({ until: 0.5 });
    expect(lb.stats.inFlight).toBe(3);
    expect(lb.stats.backends.map((b) => b.inFlight)).toEqual([2, 1]);
    sim.run();
    expect(lb.stats.inFlight).toBe(0);
    expect(lb.stats.backends.map((b) => b.inFlight)).toEqual([0, 0]);
  });

  it("smooths response times with the stated weight of the newest answer", () => {
    const { sim, pool, caller } = setup(1);
    const lb = new LoadBalancer<string, string>(sim, "lb", {
      backends: pool,
      responseTimeSmoothing: 0.5,
    });
    const durations = [0.1, 0.3, 0.1];
    durations.forEach((takes, i) => {
      sim.at(i, () => {
        pool[0]!.takes = takes;
      });
      caller.callAt(i, lb, `r${i}`, { id: `r${i}` });
    });
    sim.run();
    // 0.1, then 0.1 + 0.5 (0.3 - 0.1) = 0.2, then 0.2 + 0.5 (0.1 - 0.2) = 0.15.
    expect(lb.stats.backends[0]!.responseTime).toBeCloseTo(0.15, 12);
  });

  it("keeps the request's chain origin through the hop and back", () => {
    const { sim, pool, caller } = setup(1);
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool });
    const origins: number[] = [];
    const probe = new (class extends Entity<string, string> {
      override *handle(request: import("../../../src/core/message.js").Message<string>) {
        origins.push(request.originAt);
        const answer = yield* this.call(lb, "get", "x");
        origins.push(this.now);
        this.reply(request, answer);
      }
    })(sim, "front");
    sim.at(2, () => {
      caller.start(function* () {
        yield* caller.call(probe, "get", "x");
      });
    });
    sim.run();
    expect(origins).toEqual([2, 2.01]);
  });
});

describe("LoadBalancer: backends and health", () => {
  it("refuses at once when no backend is healthy, naming why", () => {
    const { sim, pool, caller, outcomes } = setup(2);
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool });
    lb.markUnhealthy(pool[0]!);
    lb.markUnhealthy(pool[1]!);
    caller.callAt(1, lb, "r", { id: "r" });
    sim.run();
    expect(outcomes).toEqual(["r:refused(no healthy backend (all 2 unhealthy))@1"]);
    expect(lb.stats).toMatchObject({ rejected: 1, forwarded: 0, healthy: 0 });
  });

  it("refuses at once when it has no backends", () => {
    const { sim, caller, outcomes } = setup(0);
    const lb = new LoadBalancer<string, string>(sim, "lb");
    caller.callAt(0, lb, "r", { id: "r" });
    sim.run();
    expect(outcomes).toEqual(["r:refused(no healthy backend (no backends))@0"]);
  });

  it("an unhealthy backend gets nothing until it is marked healthy again", () => {
    const { sim, pool, caller, outcomes } = setup(3);
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool });
    lb.markUnhealthy(pool[1]!);
    lb.markUnhealthy(pool[1]!); // no effect the second time
    expect(lb.healthyBackends()).toEqual([pool[0], pool[2]]);
    expect(lb.isHealthy(pool[1]!)).toBe(false);
    for (let i = 0; i < 4; i++) caller.callAt(i, lb, `r${i}`, { id: `r${i}` });
    sim.at(3.5, () => lb.markHealthy(pool[1]!));
    for (let i = 4; i < 7; i++) caller.callAt(i, lb, `r${i}`, { id: `r${i}` });
    sim.run();
    expect(outcomes.map((o) => o.split(":")[1]!.split("@")[0])).toEqual([
      "b0",
      "b2",
      "b0",
      "b2",
      "b0",
      "b1",
      "b2",
    ]);
    expect(lb.stats).toMatchObject({ markedUnhealthy: 1, markedHealthy: 1, healthy: 3 });
  });

  it("adds a backend with a weight and removes one; in-flight requests still get relayed", () => {
    const { sim, pool, caller, outcomes } = setup(2);
    pool[0]!.takes = 2;
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool });
    caller.callAt(0, lb, "slow", { id: "slow" }); // to b0, answered at 2
    sim.at(1, () => lb.removeBackend(pool[0]!));
    const extra = new Backend(sim, "b2");
    sim.at(1, () => lb.addBackend(extra, { weight: 3 }));
    caller.callAt(1.5, lb, "x", { id: "x" });
    caller.callAt(1.6, lb, "y", { id: "y" });
    sim.run();
    expect(outcomes).toContain("slow:b0@2");
    expect(lb.backends).toEqual([pool[1], extra]);
    expect(lb.hasBackend(pool[0]!)).toBe(false);
    expect(lb.stats.backends.map((b) => [b.name, b.weight])).toEqual([
      ["b1", 1],
      ["b2", 3],
    ]);
    expect(pool[0]!.seen).toEqual(["slow"]);
  });

  it("a crashed backend left in rotation times its share of requests out", () => {
    const { sim, pool, caller, outcomes } = setup(3);
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool, timeout: 0.2 });
    sim.at(0.5, () => pool[1]!.crash());
    for (let i = 0; i < 6; i++) caller.callAt(1 + i, lb, `r${i}`, { id: `r${i}` });
    sim.run();
    const failures = outcomes.filter((o) => o.includes("timed out"));
    expect(failures).toHaveLength(2);
    expect(lb.stats.backends[1]).toMatchObject({ forwarded: 2, failed: 0, timedOut: 2 });
  });

  it("a crash of the balancer abandons its requests and clears in-flight counts", () => {
    const { sim, pool, caller, outcomes } = setup(1);
    pool[0]!.takes = 1;
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool });
    caller.callAt(0, lb, "r", { id: "r" });
    sim.at(0.5, () => lb.crash());
    sim.run();
    expect(outcomes).toEqual([]); // the caller never hears back (it would time out)
    expect(lb.stats.inFlight).toBe(0);
    expect(lb.stats.backends[0]!.inFlight).toBe(0);
    expect(lb.stats.lostToCrash).toBe(1);
  });
});

/**
 * Goal: a crash of the balancer counts the forwarded requests it abandons, once each and in
 * nothing else (not as failures), so `requests = forwarded + rejected` and `forwarded =
 * succeeded + failed + lostToCrash + inFlight` hold before, at and after the crash; health
 * marks survive it and the recovered balancer forwards normally.
 * Method: backends with exact answer times; the identities checked at chosen instants (a check
 * scheduled at the crash's time runs just after it).
 */
describe("LoadBalancer: requests lost to a crash", () => {
  type Stats = LoadBalancer<string, string>["stats"];
  const unaccounted = (s: Stats) => [
    s.requests - s.forwarded - s.rejected,
    s.forwarded - (s.succeeded + s.failed + s.lostToCrash + s.inFlight),
  ];

  it("counts the requests in flight at the crash, once each", () => {
    const { sim, pool, caller, outcomes } = setup(2);
    const [fast, slow] = pool as [Backend, Backend];
    fast.takes = 0.1;
    slow.takes = 1;
    const lb = new LoadBalancer<string, string>(sim, "lb", { backends: pool });
    const seen: Record<string, Stats> = {};
    const look = (label: string, at: number) =>
      sim.at(at, () => {
        const s = lb.stats;
        expect(unaccounted(s), `identities at ${label}`).toEqual([0, 0]);
        expect(s.inFlight, `in flight at ${label}`).toBe(lb.liveProcessCount);
        seen[label] = s;
      });
    for (const id of ["r0", "r1", "r2"]) caller.callAt(0, lb, id, { id: id }); // b0 b1 b0
    caller.callAt(0.2, lb, "r3", { id: "r3" }); // b1
    sim.at(0.3, () => {
      lb.markUnhealthy(fast);
      lb.markUnhealthy(slow);
    });
    caller.callAt(0.35, lb, "r4", { id: "r4" }); // refused: no healthy backend
    look("before", 0.4);
    sim.at(0.5, () => lb.crash());
    look("crash", 0.5);
    sim.at(0.6, () => {
      lb.recover();
      lb.markHealthy(fast);
    });
    caller.callAt(0.7, lb, "r5", { id: "r5" });
    look("after", 0.9);
    sim.run();
    expect(seen.before).toMatchObject({
      requests: 5,
      forwarded: 4,
      rejected: 1,
      succeeded: 2,
      inFlight: 2,
      lostToCrash: 0,
    });
    expect(seen.crash).toMatchObject({ inFlight: 0, lostToCrash: 2, failed: 0, healthy: 0 });
    expect(seen.crash!.backends.map((b) => b.inFlight)).toEqual([0, 0]);
    expect(seen.after).toMatchObject({ requests: 6, succeeded: 3, lostToCrash: 2, healthy: 1 });
    expect(outcomes).toEqual([
      "r0:b0@0.1",
      "r2:b0@0.1",
      "r4:refused(no healthy backend (all 2 unhealthy))@0.35",
      "r5:b0@0.8",
    ]);
    // b1's answers at 1 and 1.2 reached the recovered balancer: dropped, counted nowhere else.
    expect(lb.counters.lateReplies).toBe(2);
    expect(lb.stats).toMatchObject({ succeeded: 3, failed: 0, lostToCrash: 2, inFlight: 0 });
    expect(unaccounted(lb.stats)).toEqual([0, 0]);
    expect(lb.metrics()).toMatchObject({ requests: 6, inFlight: 0, lostToCrash: 2 });
  });
});

describe("LoadBalancer: bad options and misuse", () => {
  const sim = new Simulation({ seed: 1 });
  const a = new Backend(sim, "a");
  let made = 0;

  it.each([
    [{ backends: a }, 'option "backends" must be an array of entities or { backend, weight }'],
    [{ backends: ["a"] }, 'option "backends" must be an entity of this simulation; given "a"'],
    [{ backends: [a, a] }, 'option "backends" must be each backend once; given "a"'],
    [{ backends: [{ backend: a, weight: 0 }] }, 'option "weight" must be an integer >= 1; given 0'],
    [
      { backends: [{ backend: a, weight: 1.5 }] },
      'option "weight" must be an integer >= 1; given 1.5',
    ],
    [{ strategy: "random" }, 'option "strategy" must be a LoadBalancingStrategy'],
    [{ timeout: 0 }, 'option "timeout" must be a duration in seconds > 0; given 0'],
    [
      { responseTimeSmoothing: 0 },
      'option "responseTimeSmoothing" must be a number in (0, 1]; given 0',
    ],
    [{ responseTimeSmoothing: 1.5 }, 'option "responseTimeSmoothing" must be a number in (0, 1]'],
  ])("rejects %o", (options, message) => {
    let caught: unknown;
    try {
      new LoadBalancer(sim, `lb${made++}`, options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(/^LoadBalancer "lb\d+": /);
    expect((caught as Error).message).toContain(message);
  });

  it("a backend of another simulation, or the balancer itself, is refused", () => {
    const other = new Backend(new Simulation({ seed: 1 }), "elsewhere");
    expect(() => new LoadBalancer(sim, "lb-other", { backends: [other] })).toThrow(ConfigError);
    const lb = new LoadBalancer<string, string>(sim, "lb-self");
    expect(() => lb.addBackend(lb)).toThrow(
      'LoadBalancer "lb-self".addBackend: option "backend" must be an entity other than the balancer',
    );
    expect(() => lb.addBackend(a, { weight: -1 })).toThrow(ConfigError);
  });

  it("marking, removing or re-adding a backend it does not have is a SimulationError at a time", () => {
    const s = new Simulation({ seed: 1 });
    const known = new Backend(s, "known");
    const stranger = new Backend(s, "stranger");
    const lb = new LoadBalancer<string, string>(s, "lb", { backends: [known] });
    const errors: unknown[] = [];
    s.at(2.5, () => {
      for (const misuse of [
        () => lb.markUnhealthy(stranger),
        () => lb.markHealthy(stranger),
        () => lb.removeBackend(stranger),
        () => lb.addBackend(known),
      ]) {
        try {
          misuse();
        } catch (error) {
          errors.push(error);
        }
      }
    });
    s.run();
    expect(errors).toHaveLength(4);
    for (const error of errors) {
      expect(error).toBeInstanceOf(SimulationError);
      expect((error as SimulationError).entity).toBe("lb");
      expect((error as SimulationError).time).toBe(2.5);
    }
    expect((errors[0] as Error).message).toBe(
      'entity "lb" at t=2.5s: markUnhealthy: "stranger" is not a backend of this balancer',
    );
    expect((errors[3] as Error).message).toContain('"known" is already a backend');
  });

  it("a custom strategy that picks an unhealthy backend fails the run, naming it", () => {
    const s = new Simulation({ seed: 1 });
    const pool = [new Backend(s, "x"), new Backend(s, "y")];
    const alwaysFirst: LoadBalancingStrategy = {
      kind: "loadBalancingStrategy",
      description: "always first",
      selector: () => ({ select: () => 0 }),
    };
    const lb = new LoadBalancer<string, string>(s, "lb", { backends: pool, strategy: alwaysFirst });
    lb.markUnhealthy(pool[0]!);
    new RecordingCaller<string, string>(s, "caller").callAt(1, lb, "r");
    expect(() => s.run()).toThrow(
      'strategy "always first" chose 0, which is not the index of a healthy backend',
    );
  });

  it("a key function returning a non-string fails the run with the balancer and the time", () => {
    const s = new Simulation({ seed: 1 });
    const pool = [new Backend(s, "x"), new Backend(s, "y")];
    const lb = new LoadBalancer<string, string>(s, "lb", {
      backends: pool,
      strategy: consistentHash<string>({ key: (request) => request.payload.length as never }),
    });
    new RecordingCaller<string, string>(s, "caller").callAt(1.5, lb, "r", { kind: "get" });
    let thrown: unknown;
    try {
      s.run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SimulationError);
    expect(thrown).toMatchObject({ entity: "lb", time: 1.5 });
    expect((thrown as Error).message).toContain(
      'strategy "consistent hash (100 virtual nodes)" failed on a "get" request',
    );
  });
});

describe("LoadBalancer: determinism", () => {
  function build(strategy: () => LoadBalancingStrategy) {
    return (seed: number) => {
      const sim = new Simulation({ seed });
      const pool = Array.from(
        { length: 4 },
        (_, i) =>
          new Server<number, number>(sim, `s${i}`, { serviceTime: exponential(0.02 * (i + 1)) }),
      );
      const lb = new LoadBalancer<number, number>(sim, "lb", {
        backends: pool,
        strategy: strategy(),
      });
      const client = new Client<number, number>(sim, "client", { target: lb, timeout: 1 });
      new Source(sim, "users", { target: client, arrivals: poisson(40), stopAfter: { time: 20 } });
      return sim;
    };
  }

  it.each([
    ["random", random],
    ["least connections", leastConnections],
    ["power of two choices", powerOfTwoChoices],
  ])("%s: the same seed replays the same run", (_, strategy) => {
    const verdict = checkDeterminism(build(strategy), 42);
    expect(verdict.differences).toEqual([]);
    expect(verdict.first.eventsProcessed).toBeGreaterThan(1000);
  });

  it("different seeds give different runs", () => {
    const make = build(random);
    expect(make(1).run().traceHash).not.toBe(make(2).run().traceHash);
  });
});

describe("LoadBalancer: timeout as a profile", () => {
  it("reads the timeout when it forwards each request: 1 s until t=10, then 0.1 s", () => {
    const { sim, pool, caller, outcomes } = setup(1);
    pool[0]!.takes = 0.5;
    const lb = new LoadBalancer<string, string>(sim, "lb", {
      backends: pool,
      timeout: step(1, [{ at: 10, value: 0.1 }]),
    });
    caller.callAt(0, lb, "early", { id: "early" });
    caller.callAt(10, lb, "late", { id: "late" });
    sim.run();
    expect(outcomes).toEqual(["early:b0@0.5", "late:refused(timed out)@10.1"]);
    expect(lb.stats).toMatchObject({ succeeded: 1, timedOut: 1 });
  });

  it("refuses a timeout profile that is not > 0 at all times", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => new LoadBalancer(sim, "lb", { timeout: step(1, [{ at: 10, value: 0 }]) })).toThrow(
      'LoadBalancer "lb": option "timeout" must be a duration in seconds > 0 at all times; given "step from 1 (1 changes) (ranges over [0, 1])"',
    );
  });
});
