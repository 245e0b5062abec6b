/**
 * Goal: the AdaptiveRateLimiter moves its rate by AIMD exactly as documented (an increase per
 * window of successes in which the limit was binding, a decrease at the first failure or
 * timeout of a window, outcomes from before the last decrease ignored, [minRate, maxRate]),
 * admits by a token bucket at that rate, and against a target of fixed capacity settles into a
 * saw-tooth under the capacity, within a band derived below.
 * Method: scripted targets whose answers, refusals and silences are chosen per request, read
 * at chosen instants; a seeded queueing target for the band; the component laws.
 */
import { describe, expect, it } from "vitest";
import {
  AdaptiveRateLimiter,
  type AdaptiveRateLimiterOptions,
  arrivals,
  ConfigError,
  dist,
  profile,
  Server,
  Simulation,
  Source,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { type Job, RecordingCaller, ScriptedTarget } from "../../support/targets.js";

type Options = Partial<AdaptiveRateLimiterOptions<Job, string>>;

function setup(options: Options = {}) {
  const sim = new Simulation({ seed: 1 });
  const target = new ScriptedTarget(sim, "target");
  const caller = new RecordingCaller(sim, "caller");
  const limiter = new AdaptiveRateLimiter<Job, string>(sim, "limiter", {
    target,
    initialRate: 10,
    burstTime: 0,
    ...options,
  });
  return { sim, target, caller, limiter };
}

/** Calls every `every` seconds from `from` (inclusive) to `to` (exclusive), jobs made by `job`. */
function callEvery(
  caller: RecordingCaller,
  limiter: AdaptiveRateLimiter<Job, string>,
  from: number,
  to: number,
  every: number,
  job: (i: number) => Omit<Job, "id"> = () => ({ takes: 0 }),
) {
  const count = Math.round((to - from) / every);
  for (let i = 0; i < count; i++) {
    caller.callAt(from + i * every, limiter, { id: String(i), ...job(i) });
  }
}

describe("AdaptiveRateLimiter", () => {
  it("adds `increase` after each window of successes in which it refused something", () => {
    const { sim, caller, limiter } = setup({ initialRate: 10, increase: 5 });
    // 100 calls a second: far more than the rate, so every window refuses some.
    callEvery(caller, limiter, 0, 3.5, 0.01);
    const rates: number[] = [];
    for (const at of [0.5, 1, 2, 3, 3.4]) sim.at(at, () => rates.push(limiter.rate));
    sim.run();
    expect(rates).toEqual([10, 15, 20, 25, 25]);
    expect(limiter.stats).toMatchObject({ increases: 3, decreasesOnFailure: 0 });
    const s = limiter.stats;
    expect(s.requests).toBe(s.rejected + s.forwarded);
    // A bucket of one token at 10/s, then 15/s, 20/s, 25/s: each second admits about its rate
    // (a little less: a token due between two calls 10 ms apart waits for the next call).
    expect(s.admitted).toBeGreaterThanOrEqual(0.9 * (10 + 15 + 20 + 12.5));
    expect(s.admitted).toBeLessThanOrEqual(1 + 10 + 15 + 20 + 12.5);
  });

  it("does not raise a rate that does not bind, nor past maxRate", () => {
    const quiet = setup({ initialRate: 10, increase: 5 });
    callEvery(quiet.caller, quiet.limiter, 0, 5, 0.2); // 5 a second, under 10: never refused
    quiet.sim.run();
    expect(quiet.limiter.stats).toMatchObject({ rate: 10, increases: 0, rejected: 0 });

    const capped = setup({ initialRate: 10, increase: 5, maxRate: 17 });
    callEvery(capped.caller, capped.limiter, 0, 4, 0.01);
    capped.sim.run();
    expect(capped.limiter.stats).toMatchObject({ rate: 17, increases: 2 });
  });

  it("reads a maxRate profile at each window edge: stepped down mid-run, it caps the rate from the next edge on", () => {
    // maxRate 100 until 2.5 s, then 12; the rate climbs 10, 15, 20 and would go on.
    const { sim, caller, limiter } = setup({
      initialRate: 10,
      increase: 5,
      maxRate: profile.step(100, [{ at: 2.5, value: 12 }]),
    });
    callEvery(caller, limiter, 0, 6, 0.01);
    const rates: [number, number][] = [];
    for (const at of [1.5, 2.6, 3, 4, 5, 5.9]) sim.at(at, () => rates.push([at, limiter.rate]));
    sim.run();
    expect(rates).toEqual([
      [1.5, 15],
      [2.6, 20],
      [3, 12],
      [4, 12],
      [5, 12],
      [5.9, 12],
    ]);
    expect(limiter.stats.increases).toBe(2);
  });

  it("reads increase and burstTime profiles when used", () => {
    const { sim, caller, limiter } = setup({
      initialRate: 10,
      increase: profile.step(5, [{ at: 1.5, value: 1 }]),
      burstTime: profile.step(0, [{ at: 3, value: 1 }]),
    });
    callEvery(caller, limiter, 0, 3, 0.01);
    const rates: number[] = [];
    for (const at of [1.5, 2.5]) sim.at(at, () => rates.push(limiter.rate));
    // 17/s from the edge at 3 s, when the bucket starts saving a second of it: full by 4.5 s.
    sim.at(4.5, () => expect(limiter.stats.tokens).toBeCloseTo(17, 9));
    sim.run();
    expect(rates).toEqual([15, 16]);
  });

  it("cuts the rate at once at the first refusal of a window, and only once in it", () => {
    const { sim, caller, limiter } = setup({ initialRate: 40, failureFactor: 0.5 });
    // Every request is refused by the target, after 10 ms.
    callEvery(caller, limiter, 0, 2.5, 0.01, () => ({ takes: 0.01, rejects: "busy" }));
    const rates: [number, number][] = [];
    for (const at of [0.005, 0.015, 0.5, 1.005, 1.5, 2.5]) {
      sim.at(at, () => rates.push([at, limiter.rate]));
    }
    sim.run();
    // The first answer comes at 10 ms: 40 -> 20, and nothing more in [0, 1); at 1 s, the
    // first refusal of [1, 2) (of a request admitted after the cut): 20 -> 10; in [2, 3): 5.
    expect(rates).toEqual([
      [0.005, 40],
      [0.015, 20],
      [0.5, 20],
      [1.005, 10],
      [1.5, 10],
      [2.5, 5],
    ]);
    expect(limiter.stats).toMatchObject({ decreasesOnFailure: 3, increases: 0 });
  });

  it("cuts by timeoutFactor on a timeout, and never below minRate", () => {
    const { sim, caller, limiter } = setup({
      initialRate: 40,
      minRate: 12,
      failureFactor: 0.9,
      timeoutFactor: 0.25,
      timeout: 0.05,
    });
    callEvery(caller, limiter, 0, 2.5, 0.02, () => ({ takes: 1 }));
    const rates: number[] = [];
    for (const at of [0.04, 0.06, 1.5, 2.5]) sim.at(at, () => rates.push(limiter.rate));
    sim.run();
    expect(rates).toEqual([40, 12, 12, 12]);
    // A cut held at minRate still counts: one per window, [0, 1), [1, 2) and [2, 3).
    expect(limiter.stats).toMatchObject({ decreasesOnTimeout: 3, decreasesOnFailure: 0 });
    expect(limiter.metrics()).toMatchObject({ lowestRate: 12, highestRate: 40 });
  });

  it("ignores the outcomes of requests admitted before the last cut", () => {
    const { sim, caller, limiter } = setup({ initialRate: 100, failureFactor: 0.5, burstTime: 1 });
    // Three admitted at 0: one refused at 0.1 s (the cut), two refused later, in the next
    // window, but they were admitted at the old rate: they say nothing about the new one.
    caller.callAt(0, limiter, { id: "a", takes: 0.1, rejects: "busy" });
    caller.callAt(0, limiter, { id: "b", takes: 1.2, rejects: "busy" });
    caller.callAt(0, limiter, { id: "c", takes: 1.4, rejects: "busy" });
    // Admitted after the cut, at 1.5 s: refused at 1.6 s, in the second window: cut again.
    caller.callAt(1.5, limiter, { id: "d", takes: 0.1, rejects: "busy" });
    const rates: number[] = [];
    for (const at of [0.05, 0.15, 1.45, 1.65]) sim.at(at, () => rates.push(limiter.rate));
    sim.run();
    expect(rates).toEqual([100, 50, 50, 25]);
    expect(limiter.stats).toMatchObject({ failed: 4, decreasesOnFailure: 2 });
  });

  it("a window with a failure does not raise the rate, even after its successes", () => {
    const { sim, target, caller, limiter } = setup({
      initialRate: 50,
      failureFactor: 1,
      increase: 10,
    });
    // A factor of 1: failures cut nothing, but still mark their window as not all successes.
    callEvery(caller, limiter, 0, 3, 0.005);
    sim.at(1.2, () => {
      target.healthy = false;
    });
    sim.at(1.3, () => {
      target.healthy = true;
    });
    const rates: number[] = [];
    for (const at of [0.99, 1.01, 2.01, 3.01]) sim.at(at, () => rates.push(limiter.rate));
    sim.run();
    // The target refuses from 1.2 s to 1.3 s: [1, 2) raises nothing; [0, 1) and [2, 3) do.
    expect(rates).toEqual([50, 60, 60, 70]);
  });

  it("admits by a bucket of max(1, rate x burstTime) tokens, refusing at once", () => {
    const { sim, caller, limiter } = setup({ initialRate: 100, burstTime: 0.05 });
    callEvery(caller, limiter, 0, 0.001, 0.0001); // 10 at once: 5 tokens
    sim.run();
    expect(limiter.stats).toMatchObject({ admitted: 5, rejected: 5 });
    expect(caller.log.filter((l) => l.includes("refused(rate limited)"))).toHaveLength(5);
  });

  it("reports its mean rate and a rate series per window, restarted by a statistics reset", () => {
    const { sim, caller, limiter } = setup({ initialRate: 10, increase: 10 });
    callEvery(caller, limiter, 0, 4, 0.01);
    sim.at(2, () => {
      expect(limiter.metrics()).toMatchObject({ rate: 30, meanRate: 15 });
      sim.resetStats();
    });
    sim.at(4, () => {
      // 30/s over [2, 3), 40/s over [3, 4).
      expect(limiter.metrics()).toMatchObject({ rate: 50, meanRate: 35, lowestRate: 30 });
      expect(limiter.recordedSeries()[0]).toEqual({
        name: "limiter rate",
        unit: "per second",
        points: [
          [2, 30],
          [3, 40],
        ],
      });
    });
    sim.run();
  });

  it("records the admitted and refused rates per evaluation window, restarted by a statistics reset", () => {
    const { sim, caller, limiter } = setup({ initialRate: 10, increase: 10, window: 0.5 });
    callEvery(caller, limiter, 0, 2, 0.01); // 100 per second
    sim.at(1, () => sim.resetStats());
    sim.run({ until: 2 });
    const [, admitted, refused] = limiter.recordedSeries();
    expect(admitted!.name).toBe("limiter admitted");
    expect(refused!.name).toBe("limiter refused");
    expect(admitted!.unit).toBe("per second");
    // Windows of `window` seconds from the reset; every window saw its 100 per second.
    expect(admitted!.points.map(([start]) => start)).toEqual([1, 1.5]);
    for (let i = 0; i < admitted!.points.length; i++) {
      expect(admitted!.points[i]![1] + refused!.points[i]![1]).toBeCloseTo(100, 9);
    }
    const sum = (points: readonly (readonly [number, number])[]) =>
      points.reduce((total, [, rate]) => total + rate * 0.5, 0);
    const stats = limiter.stats;
    expect(sum(admitted!.points)).toBeCloseTo(stats.admitted - stats.inFlight, 9);
    expect(sum(refused!.points)).toBeCloseTo(stats.rejected, 9);
    // The rate rose each window, and the admitted rate with it.
    expect(admitted!.points[1]![1]).toBeGreaterThan(admitted!.points[0]![1]);
  });

  it("reads a window profile when each window starts", () => {
    // Windows of 1 s until 2 s, then 0.5 s.
    const { sim, caller, limiter } = setup({
      initialRate: 10,
      increase: 1,
      window: profile.step(1, [{ at: 2, value: 0.5 }]),
    });
    callEvery(caller, limiter, 0, 4, 0.005);
    // 2 windows of 1 s, then 4 of 0.5 s, the last closed at 4 s.
    sim.at(4, () => expect(limiter.stats).toMatchObject({ rate: 16, increases: 6 }));
    sim.run();
  });

  it("comes back from a crash at initialRate, in a new window", () => {
    const { sim, caller, limiter } = setup({ initialRate: 10, increase: 10 });
    callEvery(caller, limiter, 0, 2.5, 0.01);
    sim.at(2.2, () => limiter.crash());
    sim.at(2.3, () => limiter.recover());
    callEvery(caller, limiter, 2.4, 4, 0.01);
    const rates: number[] = [];
    for (const at of [2.1, 2.35, 3.29, 3.31]) sim.at(at, () => rates.push(limiter.rate));
    sim.run();
    expect(rates).toEqual([30, 10, 10, 20]);
  });

  it("refuses bad options with a ConfigError naming the option, expected and given", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new ScriptedTarget(sim, "target");
    const make = (options: Options) =>
      new AdaptiveRateLimiter<Job, string>(sim, "limiter", {
        target,
        initialRate: 10,
        ...options,
      });
    const cases: [Options, RegExp][] = [
      [{ target: {} as never }, /"target" must be an entity/],
      [{ initialRate: 0 }, /"initialRate" must be requests per second > 0; given 0/],
      [{ initialRate: undefined as never }, /"initialRate"/],
      [
        { initialRate: 0.5 },
        /"initialRate" must be requests per second in \[minRate, maxRate\] = \[1, Infinity\]; given 0.5/,
      ],
      [{ initialRate: 20, maxRate: 15 }, /"initialRate".*\[1, 15\]/],
      [{ minRate: 5, maxRate: 4 }, /"maxRate" must be requests per second >= minRate \(5\)/],
      [{ minRate: Number.POSITIVE_INFINITY }, /"minRate"/],
      [{ maxRate: Number.NaN }, /"maxRate"/],
      [{ increase: -1 }, /"increase"/],
      [{ failureFactor: 0 }, /"failureFactor" must be a factor in \(0, 1\]; given 0/],
      [{ timeoutFactor: 1.5 }, /"timeoutFactor"/],
      [{ window: 0 }, /"window"/],
      [{ window: profile.step(1, [{ at: 5, value: 0 }]) }, /"window"/],
      [{ burstTime: -0.1 }, /"burstTime"/],
      [{ burstTime: profile.step(0.1, [{ at: 5, value: -1 }]) }, /"burstTime".*at all times/],
      [{ minRate: profile.step(1, [{ at: 5, value: 0 }]) }, /"minRate".*> 0 at all times/],
      [{ increase: profile.step(1, [{ at: 5, value: 0 }]) }, /"increase".*> 0 at all times/],
      [{ maxRate: profile.step(20, [{ at: 5, value: -1 }]) }, /"maxRate".*at all times/],
      [
        { minRate: profile.step(1, [{ at: 5, value: 30 }]), maxRate: 20 },
        /"maxRate" must be requests per second >= minRate \(30\) at all times; given 20/,
      ],
      [{ increase: "fast" as never }, /"increase".*a number or a Profile/],
      [{ timeout: 0 }, /"timeout"/],
    ];
    for (const [options, message] of cases) {
      expect(() => make(options)).toThrow(ConfigError);
      expect(() => make(options)).toThrow(message);
    }
    expect(make({}).initialRate).toBe(10); // nothing was left registered under the name
  });
});

/**
 * The band. A target of fixed capacity C (one worker, 5 ms a request: C = 200/s, a queue of
 * 5) behind the limiter, offered 2C, so the admitted rate is the limiter's rate. AIMD with
 * increase a per window and factor b makes a saw-tooth:
 * - top: an increase needs a whole window without a refusal by the target. Above C its queue
 *   fills at (r - C)/s at least, on top of Poisson bursts that overflow it by chance near C, so
 *   the rate gets at most about one or two increments above C: top <= C + 2a.
 * - bottom: after a cut the backlog drains at (C - r)/s; a request admitted after the cut can
 *   still find the queue full in the next window, so two cuts in a row happen (not three: by
 *   then the queue has drained at >= (1 - b) C/s for a window): bottom >= b^2 x top, and tops
 *   are >= C (below it overflow takes more than a window, on average).
 * - mean: the rate climbs linearly from bottom to top, so its mean is (bottom + top) / 2, in
 *   [(1 + b^2) / 2 x C, (1 + b^2) / 2 x (C + 2a)] = [181, 199.1] for b = 0.9, a = 10.
 * Every window's mean rate lies in [b^2 x C, C + 2a] = [162, 220]. Measured over seeds 1-8 (300 s
 * after a 100 s warm-up): mean admitted 192.1-192.7/s, windows 166-204/s, a cut every ~3 s.
 * A limiter that stopped adapting (stuck at its initial 100, or climbing past C) fails it.
 */
describe("AdaptiveRateLimiter against a fixed capacity", () => {
  const CAPACITY = 200;
  const INCREASE = 10;
  const FACTOR = 0.9;
  const WARMUP = 100;
  const UNTIL = 400;

  function run(seed: number) {
    const sim = new Simulation({ seed });
    const target = new Server<number, number>(sim, "target", {
      concurrency: 1,
      serviceTime: dist.constant(1 / CAPACITY),
      queueCapacity: 5,
    });
    const limiter = new AdaptiveRateLimiter<number, number>(sim, "limiter", {
      target,
      initialRate: 100,
      increase: INCREASE,
      failureFactor: FACTOR,
      burstTime: 0.05,
    });
    new Source(sim, "load", {
      target: limiter,
      arrivals: arrivals.poisson(2 * CAPACITY),
      stopAfter: { time: UNTIL },
    });
    sim.run({ until: WARMUP, warmup: WARMUP });
    sim.run({ until: UNTIL });
    const m = limiter.metrics();
    const windows = limiter.recordedSeries()[0]!.points.map(([, rate]) => rate);
    return {
      admittedPerS: (m.admitted as number) / (UNTIL - WARMUP),
      meanRate: m.meanRate as number,
      windows,
      decreases: m.decreasesOnFailure as number,
    };
  }

  it.each([1, 2, 3, 4, 5])("seed %i: the admitted rate saw-tooths under the capacity", (seed) => {
    const r = run(seed);
    const b2 = FACTOR * FACTOR;
    expect(r.admittedPerS).toBeGreaterThanOrEqual(((1 + b2) / 2) * CAPACITY);
    expect(r.admittedPerS).toBeLessThanOrEqual(((1 + b2) / 2) * (CAPACITY + 2 * INCREASE));
    expect(r.meanRate).toBeCloseTo(r.admittedPerS, -1);
    expect(Math.min(...r.windows)).toBeGreaterThanOrEqual(b2 * CAPACITY);
    expect(Math.max(...r.windows)).toBeLessThanOrEqual(CAPACITY + 2 * INCREASE);
    // It keeps probing: a tooth every few windows, not a flat line.
    expect(r.decreases).toBeGreaterThan((UNTIL - WARMUP) / 20);
  });
});

componentLaws<AdaptiveRateLimiter<Job, string>>({
  type: AdaptiveRateLimiter,
  options: (sim) => ({
    target: new ScriptedTarget(sim, "target"),
    initialRate: 100,
    minRate: 10,
    maxRate: 1000,
    increase: 20,
    failureFactor: 0.8,
    timeoutFactor: 0.5,
    window: 0.1,
    burstTime: 0.02,
    timeout: 1,
  }),
  construct: (sim, name, options) =>
    new AdaptiveRateLimiter<Job, string>(
      sim,
      name,
      options as unknown as AdaptiveRateLimiterOptions<Job, string>,
    ),
  invalid: [
    { target: undefined },
    { target: {} },
    { initialRate: undefined },
    { initialRate: 5 },
    { initialRate: 2000 },
    { minRate: 0 },
    { minRate: profile.step(10, [{ at: 1, value: 0 }]) },
    { maxRate: 5 },
    { maxRate: profile.step(1000, [{ at: 1, value: 5 }]) },
    { increase: 0 },
    { increase: "fast" },
    { failureFactor: 0 },
    { failureFactor: 1.1 },
    { timeoutFactor: -1 },
    { window: 0 },
    { window: "1s" },
    { burstTime: Number.NaN },
    { timeout: 0 },
  ],
  scenario: (sim) => {
    const target = new ScriptedTarget(sim, "target");
    const subject = new AdaptiveRateLimiter<Job, string>(sim, SUBJECT, {
      target,
      initialRate: 150,
      increase: 30,
      window: 0.1,
      timeout: 0.03,
    });
    new Source<Job>(sim, "load", {
      target: subject,
      arrivals: arrivals.poisson(300),
      // Every seventh job outlasts the forward timeout; every eleventh is refused.
      payload: (i) => ({
        id: String(i),
        takes: i % 7 === 0 ? 0.05 : 0.01,
        ...(i % 11 === 0 ? { rejects: "busy" } : {}),
      }),
      stopAfter: { count: 400 },
    });
    return subject;
  },
  crashAt: 0.6,
  recoverAt: 0.8,
  identities: (limiter) => {
    const s = limiter.stats;
    return [
      ["requests = rejected + forwarded", s.requests, s.rejected + s.forwarded],
      ["admitted = forwarded", s.admitted, s.forwarded],
    ];
  },
});
