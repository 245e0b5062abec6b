import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  fixedWindow,
  leakyBucket,
  profile,
  RateLimiter,
  type RateLimiterOptions,
  Simulation,
  SimulationError,
  Source,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { type Job, RecordingCaller, ScriptedTarget } from "../../support/targets.js";

type Options = Partial<RateLimiterOptions<Job, string>>;

function setup(options: Options = {}) {
  const sim = new Simulation({ seed: 1 });
  const target = new ScriptedTarget(sim, "target");
  const caller = new RecordingCaller(sim, "caller");
  const limiter = new RateLimiter<Job, string>(sim, "limiter", {
    target,
    rate: 10,
    burst: 1,
    ...options,
  });
  return { sim, target, caller, limiter };
}

/** Calls the limiter with instant jobs named `${prefix}${i}` at each of `times`. */
function callsAt(
  caller: RecordingCaller,
  limiter: RateLimiter<Job, string>,
  times: readonly number[],
  prefix = "",
) {
  times.forEach((at, i) => {
    caller.callAt(at, limiter, { id: `${prefix}${i}`, takes: 0 });
  });
}

/** The times (seconds) at which the target saw a request. */
const admittedAt = (target: ScriptedTarget) =>
  target.log.map((entry) => Number(entry.split(":")[0]));

describe("RateLimiter", () => {
  it("admits exactly burst + rate x time under a constant source: 1010 of 2001 over 10 s", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "target");
    const limiter = new RateLimiter<Job, string>(sim, "limiter", { target, rate: 100, burst: 10 });
    // 200/s from 0.005 s: 2001 arrivals, the last exactly 10 s after the first.
    new Source<Job>(sim, "source", {
      target: limiter,
      arrivals: arrivals.constant(200),
      payload: (i) => ({ id: String(i), takes: 0 }),
      stopAfter: { count: 2001 },
    });
    sim.run();
    // The full bucket (10) plus 10 s at 100/s; the first 19 arrivals drain it (each earns half
    // a token), then every other one finds a whole token.
    expect(limiter.stats).toMatchObject({
      requests: 2001,
      admitted: 1010,
      rejected: 991,
      forwarded: 1010,
      succeeded: 1010,
      queued: 0,
    });
    const times = admittedAt(target);
    expect(times.slice(0, 20)).toEqual([
      ...Array.from({ length: 19 }, (_, i) => (i + 1) / 200),
      21 / 200,
    ]);
    expect(times.at(-1)).toBe(2001 / 200);
  });

  it("records the admitted and refused rates per window, and restarts them with the statistics", () => {
    const { sim, caller, limiter } = setup({ rate: 10, burst: 5, window: 0.5 });
    // A burst of 20 at 0.1 s: 5 pass at once, 15 are refused; then 4 more at 0.7 s pass (6
    // tokens earned by then, the bucket holds at most 5).
    callsAt(caller, limiter, Array(20).fill(0.1), "a");
    callsAt(caller, limiter, Array(4).fill(0.7), "b");
    sim.run({ until: 1 });
    const [admitted, refused] = limiter.recordedSeries();
    expect(admitted!.name).toBe("limiter admitted");
    expect(admitted!.points).toEqual([
      [0, 10],
      [0.5, 8],
    ]);
    expect(refused!.points).toEqual([
      [0, 30],
      [0.5, 0],
    ]);
    sim.resetStats();
    sim.run({ until: 1.5 });
    expect(limiter.admittedSeries.windows().every((w) => w.count === 0)).toBe(true);
  });

  it("times waiters exactly at a rate whose period is not a whole number of nanoseconds", () => {
    const { sim, target, caller, limiter } = setup({ rate: 3, burst: 1, maxQueued: 30 });
    // 31 calls at once: the first takes the saved token, the k-th waiter gets the k-th token,
    // due at k/3 s: the first nanosecond at or after it, with no drift over 30 tokens.
    callsAt(caller, limiter, Array(31).fill(0));
    sim.run();
    expect(admittedAt(target).map((seconds) => Math.round(seconds * 1e9))).toEqual(
      Array.from({ length: 31 }, (_, k) => Math.ceil((k * 1e9) / 3)),
    );
    expect(admittedAt(target).at(-1)).toBe(10);
  });

  it("saves nothing beyond burst: a full bucket stops earning", () => {
    const { sim, target, caller, limiter } = setup({ rate: 3, burst: 1 });
    // A call every millisecond: each token is taken 0 to 1 ms after it is due, and the
    // fraction earned meanwhile is lost to the full bucket, so the 1/3 s grid slips.
    callsAt(
      caller,
      limiter,
      Array.from({ length: 10_001 }, (_, i) => i / 1000),
    );
    sim.run();
    expect(admittedAt(target).slice(0, 4)).toEqual([0, 0.334, 0.668, 1.002]);
    expect(limiter.stats.admitted).toBe(30);
  });

  it("lets a burst through at once, refuses the rest, and refills at the rate", () => {
    const { sim, caller, limiter } = setup({ rate: 10, burst: 5 });
    callsAt(caller, limiter, Array(8).fill(0), "a");
    sim.at(0.25, () => expect(limiter.stats.tokens).toBe(2.5));
    sim.at(0.5, () => expect(limiter.stats.tokens).toBe(5));
    sim.at(0.9, () => expect(limiter.stats.tokens).toBe(5)); // full: nothing more is saved
    callsAt(caller, limiter, Array(6).fill(1), "b");
    sim.run();
    expect(caller.log.filter((l) => l.includes("refused(rate limited)"))).toEqual([
      "a5:refused(rate limited)@0",
      "a6:refused(rate limited)@0",
      "a7:refused(rate limited)@0",
      "b5:refused(rate limited)@1",
    ]);
    expect(limiter.stats).toMatchObject({ requests: 14, admitted: 10, rejected: 4, tokens: 0 });
  });

  it("follows a rate profile exactly (its integral)", () => {
    // 10 tokens/s until 1 s, then 2/s; one token at most; a call every 10 ms for 3 s.
    const { sim, target, caller, limiter } = setup({
      rate: profile.step(10, [{ at: 1, value: 2 }]),
      burst: 1,
    });
    callsAt(
      caller,
      limiter,
      Array.from({ length: 301 }, (_, i) => i / 100),
    );
    sim.run();
    expect(admittedAt(target)).toEqual([
      0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.5, 2, 2.5, 3,
    ]);
    expect(limiter.stats).toMatchObject({ admitted: 15, rejected: 301 - 15 });
  });

  it("queues up to maxQueued in FIFO order, each until its tokens are due", () => {
    const { sim, target, caller, limiter } = setup({ rate: 10, burst: 1, maxQueued: 3 });
    callsAt(caller, limiter, [0, 0, 0, 0, 0], "q");
    sim.at(0.05, () => expect(limiter.stats).toMatchObject({ queued: 3, admitted: 1 }));
    sim.run();
    expect(target.log).toEqual(["0:q0", "0.1:q1", "0.2:q2", "0.3:q3"]);
    expect(caller.log).toContain("q4:refused(rate limited)@0");
    expect(limiter.stats).toMatchObject({ requests: 5, admitted: 4, rejected: 1, queued: 0 });
  });

  it("admits a waiter whose tokens are due at the instant its maxWait runs out, and refuses one whose are due later", () => {
    const { sim, target, caller, limiter } = setup({
      rate: 10,
      burst: 1,
      maxQueued: 5,
      maxWait: 0.1,
    });
    // w1's deadline timer (0.1 s) is set before the line's wake timer for the same instant:
    // tokens come with time, so it is admitted all the same. w2's are due at 0.2 s: refused.
    callsAt(caller, limiter, [0, 0, 0], "w");
    // An arrival at 0.15 s finds nobody waiting and half a token: it waits until 0.2 s.
    caller.callAt(0.15, limiter, { id: "late", takes: 0 });
    sim.run();
    expect(target.log).toEqual(["0:w0", "0.1:w1", "0.2:late"]);
    expect(caller.log).toContain("w2:refused(rate limit wait timed out)@0.1");
    expect(limiter.stats).toMatchObject({ requests: 4, admitted: 3, rejected: 1 });
  });

  it("takes tokens by cost: a cheap request behind an expensive one waits its turn", () => {
    const { sim, target, caller, limiter } = setup({
      rate: 10,
      burst: 4,
      maxQueued: 5,
      cost: (job: Job) => (job.id.startsWith("big") ? 3 : 0.5),
    });
    callsAt(caller, limiter, [0, 0], "big"); // 4 tokens: the first takes 3, the second waits
    caller.callAt(0, limiter, { id: "small", takes: 0 }); // behind it, though 1 token is there
    sim.run();
    // big1 needs 3 with 1 saved: due at 0.2 s; small then needs 0.5: due at 0.25 s.
    expect(target.log).toEqual(["0:big0", "0.2:big1", "0.25:small"]);
  });

  it("refuses at once a request costing more than the bucket holds", () => {
    const { sim, caller, limiter } = setup({ burst: 2, maxQueued: 5, cost: () => 3 });
    caller.callAt(0, limiter, { id: "huge", takes: 0 });
    sim.run();
    expect(caller.log).toEqual(["huge:refused(rate limited)@0"]);
    expect(limiter.stats).toMatchObject({ rejected: 1, queued: 0 });
  });

  it("fails loudly, with its name and the time, when cost returns no positive number", () => {
    const { sim, caller, limiter } = setup({ cost: () => Number.NaN });
    caller.callAt(0.5, limiter, { id: "x", takes: 0 });
    let thrown: unknown;
    try {
      sim.run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SimulationError);
    expect(String(thrown)).toMatch(/limiter.*cost\(request\).*NaN/);
    expect(String(thrown)).toContain("0.5");
  });

  it("passes the target's answer, refusal and silence on, with a forward timeout", () => {
    const { sim, caller, limiter } = setup({ rate: 100, burst: 5, timeout: 0.5 });
    caller.callAt(0, limiter, { id: "ok", takes: 0.1 });
    caller.callAt(0, limiter, { id: "no", takes: 0.1, rejects: "busy" });
    caller.callAt(0, limiter, { id: "slow", takes: 2 });
    sim.run();
    expect(caller.log).toEqual([
      "ok:target:ok@0.1",
      "no:refused(busy)@0.1",
      "slow:refused(timed out)@0.5",
    ]);
    expect(limiter.stats).toMatchObject({
      forwarded: 3,
      succeeded: 1,
      failed: 1,
      timedOut: 1,
      inFlight: 0,
    });
  });

  it("loses its waiters in a crash (counted) and comes back with a full bucket", () => {
    const { sim, target, caller, limiter } = setup({ rate: 1, burst: 2, maxQueued: 5 });
    callsAt(caller, limiter, [0, 0, 0, 0], "c"); // two admitted, two waiting
    sim.at(0.5, () => limiter.crash());
    sim.at(0.6, () => limiter.recover());
    callsAt(caller, limiter, [0.7, 0.7, 0.7], "r");
    sim.run({ until: 5 });
    expect(target.log.slice(0, 4)).toEqual(["0:c0", "0:c1", "0.7:r0", "0.7:r1"]);
    expect(limiter.stats).toMatchObject({ lostWaiting: 2, queued: 0, requests: 7 });
    const s = limiter.stats;
    expect(s.requests).toBe(s.rejected + s.queued + s.lostWaiting + s.forwarded);
  });

  it("forwards over ANY interval [a, b] at most burst + rate x (b - a + 1 ns), waiters included (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 100 }),
        (burst, rate, maxQueued, arrivalMs) => {
          const { sim, target, caller, limiter } = setup({ rate, burst, maxQueued });
          callsAt(
            caller,
            limiter,
            arrivalMs.map((ms) => ms / 1000),
          );
          sim.run();
          const ns = admittedAt(target).map((seconds) => Math.round(seconds * 1e9));
          for (let first = 0; first < ns.length; first++) {
            for (let last = first; last < ns.length; last++) {
              const within = ns.filter((t) => t >= ns[first]! && t <= ns[last]!).length;
              // A waiter goes at the first nanosecond at or after its exact instant, so two
              // admissions may be up to 1 ns closer than the exact grid: hence the + 1 ns.
              expect(within).toBeLessThanOrEqual(
                burst + (rate * (ns[last]! - ns[first]! + 1)) / 1e9,
              );
            }
          }
        },
      ),
      { seed: 17, numRuns: 100 },
    );
  });

  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "target");
    const make = (options: Options) =>
      new RateLimiter<Job, string>(sim, "limiter", { target, rate: 10, burst: 5, ...options });
    const cases: [Options, RegExp][] = [
      [{ rate: 0 }, /"rate"/],
      [{ rate: profile.step(5, [{ at: 1, value: 0 }]) }, /"rate".*at all times/],
      [{ burst: 2.5 }, /"burst"/],
      [{ cost: 6 }, /"cost"/],
      [{ maxWait: 1 }, /"maxWait".*unset when maxQueued is 0/],
      [{ maxQueued: -1 }, /"maxQueued"/],
      [{ timeout: -1 }, /"timeout"/],
    ];
    for (const [options, message] of cases) {
      expect(() => make(options)).toThrow(ConfigError);
      expect(() => make(options)).toThrow(message);
    }
    expect(make({}).burst).toBe(5); // nothing was left registered under the name
  });
});

describe("RateLimiter window policies", () => {
  /** Admission times in nanoseconds, for windows counted exactly. */
  const admittedNs = (target: ScriptedTarget) =>
    admittedAt(target).map((seconds) => Math.round(seconds * 1e9));

  it("fixedWindow admits twice the limit across an edge; slidingWindowCounter does not", () => {
    // 10 per 1 s window; 12 calls at 0.9 s and 12 at the edge, 1 s.
    const run = (policy: "fixedWindow" | "slidingWindowCounter") => {
      const { sim, target, caller, limiter } = setup({ policy, rate: 10, burst: 10 });
      callsAt(caller, limiter, [...Array(12).fill(0.9), ...Array(12).fill(1)]);
      callsAt(caller, limiter, Array(12).fill(1.5), "late");
      sim.run();
      return { times: admittedAt(target), stats: limiter.stats };
    };
    const fixed = run("fixedWindow");
    // 20 within 0.1 s, then the second window is spent.
    expect(fixed.times).toEqual([...Array(10).fill(0.9), ...Array(10).fill(1)]);
    expect(fixed.stats).toMatchObject({ requests: 36, admitted: 20, rejected: 16 });
    const sliding = run("slidingWindowCounter");
    // At 1 s the previous window weighs fully (10): nothing; at 1.5 s it weighs half: 5 more.
    expect(sliding.times).toEqual([...Array(10).fill(0.9), ...Array(5).fill(1.5)]);
    expect(sliding.stats).toMatchObject({ requests: 36, admitted: 15, rejected: 21 });
  });

  it("reports what still fits as tokens, and forgets its counts on recover", () => {
    const { sim, caller, limiter } = setup({ policy: "slidingWindowCounter", rate: 4, burst: 4 });
    callsAt(caller, limiter, [0, 0, 0, 0.5]); // window 1 s; 3 admitted, then one at 0.5 s
    sim.at(0.25, () => expect(limiter.stats.tokens).toBe(1));
    sim.at(1.25, () => expect(limiter.stats.tokens).toBe(1)); // 4 x 0.75 weighed: 1 left
    sim.at(1.3, () => limiter.crash());
    sim.at(1.4, () => limiter.recover());
    sim.at(1.45, () => expect(limiter.stats.tokens).toBe(4));
    sim.run();
    expect(limiter.stats).toMatchObject({ admitted: 4, rejected: 0 });
  });

  it("slidingWindowCounter: within each window at most the limit, over any window-long span ending a fraction f into its window at most limit + f x previous (< 2 x limit)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 150 }),
        (burst, windowTenths, arrivalMs) => {
          const windowNs = windowTenths * 100_000_000;
          const { sim, target, caller, limiter } = setup({
            policy: "slidingWindowCounter",
            burst,
            rate: burst / (windowTenths / 10),
          });
          callsAt(
            caller,
            limiter,
            arrivalMs.map((ms) => ms / 1000),
          );
          sim.run();
          const times = admittedNs(target);
          const inWindow = (index: number) =>
            times.filter((t) => Math.floor(t / windowNs) === index).length;
          for (const t of times) {
            const index = Math.floor(t / windowNs);
            expect(inWindow(index)).toBeLessThanOrEqual(burst);
            const f = (t - index * windowNs) / windowNs;
            const span = times.filter((u) => u > t - windowNs && u <= t).length;
            expect(span).toBeLessThanOrEqual(burst + f * inWindow(index - 1) + 1e-9);
            expect(span).toBeLessThan(2 * burst);
          }
        },
      ),
      { seed: 13, numRuns: 200 },
    );
  });

  it("refuses bad window options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "target");
    const make = (options: Options) =>
      new RateLimiter<Job, string>(sim, "limiter", {
        target,
        policy: "fixedWindow",
        rate: 10,
        burst: 5,
        ...options,
      });
    const cases: [Options, RegExp][] = [
      [{ policy: "leaky" as never }, /"policy".*tokenBucket, fixedWindow, slidingWindowCounter/],
      [{ maxQueued: 2 }, /"maxQueued".*0 with policy "fixedWindow"/],
      [{ policy: "slidingWindowCounter", maxQueued: 1 }, /"maxQueued"/],
      [{ maxWait: 1 }, /"maxWait".*unset when maxQueued is 0/],
      [{ rate: profile.constant(10) }, /"rate".*a number with policy "fixedWindow"/],
      [{ rate: 1e10, burst: 1 }, /"rate".*windows \(burst \/ rate\) of 1 ns/],
      [{ burst: 0 }, /"burst"/],
      [{ cost: 6 }, /"cost"/],
    ];
    for (const [options, message] of cases) {
      expect(() => make(options)).toThrow(ConfigError);
      expect(() => make(options)).toThrow(message);
    }
    expect(make({}).burst).toBe(5); // nothing was left registered under the name
  });
});

componentLaws<RateLimiter<Job, string>>({
  type: RateLimiter,
  options: (sim) => ({
    target: new ScriptedTarget(sim, "target"),
    policy: "tokenBucket",
    rate: 100,
    burst: 10,
    cost: () => 1,
    maxQueued: 5,
    maxWait: 0.1,
    timeout: 1,
    window: 2,
  }),
  construct: (sim, name, options) =>
    new RateLimiter<Job, string>(sim, name, options as unknown as RateLimiterOptions<Job, string>),
  invalid: [
    { target: undefined },
    { target: {} },
    { window: 0 },
    { window: "1s" },
    { rate: 0 },
    { rate: Number.NaN },
    { rate: "fast" },
    { burst: 0 },
    { burst: 1.5 },
    { burst: 2 ** 40 },
    { cost: 0 },
    { cost: 11 },
    { cost: "one" },
    { maxQueued: -1 },
    { maxQueued: 0 },
    { maxWait: 0 },
    { timeout: 0 },
    { policy: "leakyBucket" },
    { policy: "fixedWindow" }, // with maxQueued 5
    { policy: "slidingWindowCounter", maxQueued: 0, maxWait: undefined, rate: profile.constant(5) },
  ],
  scenario: (sim) => {
    const target = new ScriptedTarget(sim, "target");
    const subject = new RateLimiter<Job, string>(sim, SUBJECT, {
      target,
      rate: profile.step(200, [{ at: 0.5, value: 80 }]),
      burst: 10,
      cost: (job) => (Number(job.id) % 5 === 0 ? 2 : 1),
      maxQueued: 5,
      maxWait: 0.05,
      timeout: 0.03,
    });
    new Source<Job>(sim, "load", {
      target: subject,
      arrivals: arrivals.poisson(300),
      // Every seventh job takes longer than the forward timeout.
      payload: (i) => ({ id: String(i), takes: i % 7 === 0 ? 0.05 : 0.01 }),
      stopAfter: { count: 400 },
    });
    return subject;
  },
  crashAt: 0.6,
  recoverAt: 0.8,
  identities: (limiter) => {
    const s = limiter.stats;
    return [
      [
        "requests = rejected + queued + lostWaiting + forwarded",
        s.requests,
        s.rejected + s.queued + s.lostWaiting + s.forwarded,
      ],
      ["admitted = forwarded", s.admitted, s.forwarded],
    ];
  },
});

// The same laws with a window policy deciding (it never queues: maxQueued 0, no maxWait).
componentLaws<RateLimiter<Job, string>>({
  type: RateLimiter,
  options: (sim) => ({
    target: new ScriptedTarget(sim, "target"),
    policy: "slidingWindowCounter",
    rate: 100,
    burst: 10,
    cost: () => 1,
    maxQueued: 0,
    maxWait: undefined,
    timeout: 1,
    window: 2,
  }),
  construct: (sim, name, options) =>
    new RateLimiter<Job, string>(sim, name, options as unknown as RateLimiterOptions<Job, string>),
  invalid: [{ maxQueued: 1 }, { rate: profile.constant(100) }, { policy: "fixedWindow", burst: 0 }],
  scenario: (sim) => {
    const target = new ScriptedTarget(sim, "target");
    const subject = new RateLimiter<Job, string>(sim, SUBJECT, {
      target,
      policy: "slidingWindowCounter",
      rate: 200,
      burst: 20,
      cost: (job) => (Number(job.id) % 5 === 0 ? 2 : 1),
      timeout: 0.03,
    });
    new Source<Job>(sim, "load", {
      target: subject,
      arrivals: arrivals.poisson(300),
      payload: (i) => ({ id: String(i), takes: i % 7 === 0 ? 0.05 : 0.01 }),
      stopAfter: { count: 400 },
    });
    return subject;
  },
  crashAt: 0.6,
  recoverAt: 0.8,
  identities: (limiter) => {
    const s = limiter.stats;
    return [
      [
        "requests = rejected + lostWaiting + forwarded",
        s.requests,
        s.rejected + s.lostWaiting + s.forwarded,
      ],
      ["admitted = forwarded", s.admitted, s.forwarded],
    ];
  },
});

describe("RateLimiter with a rate policy value", () => {
  /** A limiter whose `rate` and `burst` come from `policy`. */
  function withPolicy(policy: RateLimiterOptions<Job, string>["policy"], options: Options = {}) {
    return setup({ rate: undefined, burst: undefined, policy, ...options });
  }

  it("admits exactly as the named policy it stands for (token bucket, both windows)", () => {
    const times = Array.from({ length: 400 }, (_, i) => (i * 7) / 1000);
    const run = (options: Options) => {
      const { sim, target, caller, limiter } = setup(options);
      callsAt(caller, limiter, times);
      sim.run();
      return { log: target.log, stats: limiter.stats };
    };
    const pairs: [Options, Options][] = [
      [
        { rate: 20, burst: 4 },
        { rate: undefined, burst: undefined, policy: tokenBucket({ rate: 20, burst: 4 }) },
      ],
      [
        { rate: 20, burst: 4, policy: "fixedWindow" },
        { rate: undefined, burst: undefined, policy: fixedWindow({ limit: 4, window: 0.2 }) },
      ],
      [
        { rate: 20, burst: 4, policy: "slidingWindowCounter" },
        {
          rate: undefined,
          burst: undefined,
          policy: slidingWindowCounter({ limit: 4, window: 0.2 }),
        },
      ],
    ];
    for (const [named, value] of pairs) expect(run(value)).toEqual(run(named));
  });

  it("a leaky bucket meter admits what a token bucket of its capacity admits, and queues the same way", () => {
    const times = [0, 0, 0, 0, 0, 0.05, 0.3, 0.3, 0.3, 0.31];
    const run = (options: Options) => {
      const { sim, target, caller, limiter } = setup({ maxQueued: 2, ...options });
      callsAt(caller, limiter, times);
      sim.run();
      return { log: target.log, stats: limiter.stats };
    };
    expect(
      run({ rate: undefined, burst: undefined, policy: leakyBucket({ rate: 10, capacity: 3 }) }),
    ).toEqual(run({ rate: 10, burst: 3 }));
  });

  it("a leaky bucket queue releases a burst at exactly one per 1/rate seconds, refusing beyond capacity", () => {
    const { sim, target, caller, limiter } = withPolicy(
      leakyBucket({ rate: 5, capacity: 6, mode: "queue" }),
    );
    callsAt(caller, limiter, Array(10).fill(0));
    sim.at(0.5, () => expect(limiter.stats).toMatchObject({ queued: 4, admitted: 3 }));
    sim.run();
    expect(admittedAt(target)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1, 1.2]);
    expect(caller.log.filter((line) => line.includes("refused"))).toEqual([
      "7:refused(rate limited)@0",
      "8:refused(rate limited)@0",
      "9:refused(rate limited)@0",
    ]);
    expect(limiter).toMatchObject({ rate: 5, burst: 1, maxQueued: 6 });
    expect(limiter.stats).toMatchObject({ requests: 10, admitted: 7, rejected: 3, queued: 0 });
  });

  it("a leaky bucket queue in a limiter releases when its meter's reservations say", () => {
    const policy = leakyBucket({ rate: 3, capacity: 4, mode: "queue" });
    const times = [0, 0, 0, 0.1, 0.2, 0.2, 0.2, 0.9, 2, 2.1, 2.1];
    const { sim, target, caller, limiter } = withPolicy(policy);
    callsAt(caller, limiter, times);
    const meterSim = new Simulation({ seed: 1 });
    const meter = policy.meter(meterSim);
    const reserved: number[] = [];
    for (const at of times) {
      meterSim.at(at, () => {
        const release = meter.reserve();
        if (release !== null) reserved.push(release);
      });
    }
    sim.run();
    meterSim.run();
    expect(admittedAt(target)).toEqual(reserved);
    expect(limiter.stats.rejected).toBe(meter.refused);
  });

  it("a sliding window log admits at most its limit in any window-long span, and refuses at once", () => {
    const { sim, target, caller, limiter } = withPolicy(slidingWindowLog({ limit: 3, window: 1 }));
    callsAt(caller, limiter, [0.5, 0.5, 0.9, 0.95, 1.4, 1.5, 1.5, 1.9, 2.5]);
    sim.run();
    // 0.5, 0.5, 0.9 fill it; the entries of 0.5 s leave at 1.5 s, that of 0.9 s at 1.9 s.
    expect(admittedAt(target)).toEqual([0.5, 0.5, 0.9, 1.5, 1.5, 1.9, 2.5]);
    expect(limiter.stats).toMatchObject({ requests: 9, admitted: 7, rejected: 2 });
  });

  it("one policy value serves many limiters, each with its own state", () => {
    const policy = tokenBucket({ rate: 1, burst: 2 });
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "target");
    const caller = new RecordingCaller(sim, "caller");
    const a = new RateLimiter<Job, string>(sim, "a", { target, policy });
    const b = new RateLimiter<Job, string>(sim, "b", { target, policy });
    callsAt(caller, a, [0, 0, 0], "a");
    callsAt(caller, b, [0, 0], "b");
    sim.run();
    expect([a.stats.admitted, b.stats.admitted]).toEqual([2, 2]);
  });

  it("refuses options that do not go with a policy value, naming them", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "target");
    const make = (options: Options) =>
      new RateLimiter<Job, string>(sim, "limiter", { target, ...options });
    const queue = leakyBucket({ rate: 5, capacity: 3, mode: "queue" });
    const log = slidingWindowLog({ limit: 4, window: 1 });
    const cases: [Options, RegExp][] = [
      [
        { policy: tokenBucket({ rate: 5, burst: 2 }), rate: 5 },
        /"rate".*unset with a rate policy value \(tokenBucket\(rate 5, burst 2\)/,
      ],
      [{ policy: log, burst: 4 }, /"burst".*unset with a rate policy value/],
      [{ policy: queue, cost: 1 }, /"cost".*unset with a leaky bucket queue/],
      [{ policy: queue, maxQueued: 3 }, /"maxQueued".*its capacity, 3, is the line's length/],
      [{ policy: log, maxQueued: 1 }, /"maxQueued".*0 with policy "slidingWindowLog"/],
      [
        { policy: fixedWindow({ limit: 2, window: 1 }), maxQueued: 1 },
        /"maxQueued".*"fixedWindow"/,
      ],
      [{ policy: log, cost: 0.5 }, /"cost".*in \[1, burst = 4\]/],
      [{ policy: log, cost: 5 }, /"cost"/],
      [
        { policy: { kind: "tokenBucket", rate: 5, burst: 2 } as never },
        /"policy".*or a rate policy value/,
      ],
    ];
    for (const [options, message] of cases) {
      expect(() => make(options)).toThrow(ConfigError);
      expect(() => make(options)).toThrow(message);
    }
    expect(make({ policy: log }).burst).toBe(4); // nothing was left registered under the name
  });

  it("fails loudly when a cost function returns less than 1 for a sliding window log", () => {
    const { sim, caller, limiter } = withPolicy(slidingWindowLog({ limit: 4, window: 1 }), {
      cost: () => 0.5,
    });
    caller.callAt(0.25, limiter, { id: "x", takes: 0 });
    expect(() => sim.run()).toThrow(/cost\(request\).*>= 1.*0\.5/);
  });
});

// The laws with a leaky bucket queue deciding (its line is the limiter's waiting line).
componentLaws<RateLimiter<Job, string>>({
  type: RateLimiter,
  options: (sim) => ({
    target: new ScriptedTarget(sim, "target"),
    policy: leakyBucket({ rate: 150, capacity: 8, mode: "queue" }),
    rate: undefined,
    burst: undefined,
    cost: undefined,
    maxQueued: undefined,
    maxWait: 0.04,
    timeout: 1,
    window: 2,
  }),
  construct: (sim, name, options) =>
    new RateLimiter<Job, string>(sim, name, options as unknown as RateLimiterOptions<Job, string>),
  invalid: [{ rate: 150 }, { cost: 1 }, { maxQueued: 8 }, { maxWait: 0 }],
  scenario: (sim) => {
    const target = new ScriptedTarget(sim, "target");
    const subject = new RateLimiter<Job, string>(sim, SUBJECT, {
      target,
      policy: leakyBucket({
        rate: profile.step(250, [{ at: 0.5, value: 120 }]),
        capacity: 8,
        mode: "queue",
      }),
      maxWait: 0.04,
      timeout: 0.03,
    });
    new Source<Job>(sim, "load", {
      target: subject,
      arrivals: arrivals.poisson(300),
      payload: (i) => ({ id: String(i), takes: i % 7 === 0 ? 0.05 : 0.01 }),
      stopAfter: { count: 400 },
    });
    return subject;
  },
  crashAt: 0.6,
  recoverAt: 0.8,
  identities: (limiter) => {
    const s = limiter.stats;
    return [
      [
        "requests = rejected + queued + lostWaiting + forwarded",
        s.requests,
        s.rejected + s.queued + s.lostWaiting + s.forwarded,
      ],
      ["admitted = forwarded", s.admitted, s.forwarded],
      ["queued <= capacity", Math.min(s.queued, 8), s.queued],
    ];
  },
});

// The laws with a sliding window log deciding (it never queues).
componentLaws<RateLimiter<Job, string>>({
  type: RateLimiter,
  options: (sim) => ({
    target: new ScriptedTarget(sim, "target"),
    policy: slidingWindowLog({ limit: 20, window: 0.1 }),
    rate: undefined,
    burst: undefined,
    cost: () => 1,
    maxQueued: 0,
    maxWait: undefined,
    timeout: 1,
    window: 2,
  }),
  construct: (sim, name, options) =>
    new RateLimiter<Job, string>(sim, name, options as unknown as RateLimiterOptions<Job, string>),
  invalid: [{ maxQueued: 1 }, { burst: 20 }, { cost: 0.5 }, { policy: "slidingWindowLog" }],
  scenario: (sim) => {
    const target = new ScriptedTarget(sim, "target");
    const subject = new RateLimiter<Job, string>(sim, SUBJECT, {
      target,
      policy: slidingWindowLog({ limit: 20, window: 0.1 }),
      cost: (job) => (Number(job.id) % 5 === 0 ? 2 : 1),
      timeout: 0.03,
    });
    new Source<Job>(sim, "load", {
      target: subject,
      arrivals: arrivals.poisson(300),
      payload: (i) => ({ id: String(i), takes: i % 7 === 0 ? 0.05 : 0.01 }),
      stopAfter: { count: 400 },
    });
    return subject;
  },
  crashAt: 0.6,
  recoverAt: 0.8,
  identities: (limiter) => {
    const s = limiter.stats;
    return [
      [
        "requests = rejected + lostWaiting + forwarded",
        s.requests,
        s.rejected + s.lostWaiting + s.forwarded,
      ],
      ["admitted = forwarded", s.admitted, s.forwarded],
    ];
  },
});
