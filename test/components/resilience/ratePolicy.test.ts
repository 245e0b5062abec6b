/**
 * Goal: the rate policies (`tokenBucket`, `leakyBucket` as a meter and as a queue,
 * `fixedWindow`, `slidingWindowCounter`, `slidingWindowLog`) keep exactly the bounds their docs
 * promise, answer "when will it fit?" truthfully where they answer it, and refuse bad options.
 * Method: meters consulted at scheduled simulated instants; fast-check draws arrival times,
 * costs and policy sizes and checks every interval between two admissions (the worst intervals
 * start and end on one) against the bound.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  fixedWindow,
  leakyBucket,
  profile,
  type RateMeter,
  type RatePolicy,
  Simulation,
  SimulationError,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from "../../../src/index.js";

interface Admission {
  readonly atNs: number;
  readonly cost: number;
}

/** Asks a fresh meter of `policy` for each `[atNs, cost]` (sorted) and returns what it admitted. */
function consult(
  policy: RatePolicy,
  asks: readonly (readonly [number, number])[],
): { admitted: Admission[]; meter: RateMeter } {
  const sim = new Simulation({ seed: 1 });
  const meter = policy.meter(sim);
  const admitted: Admission[] = [];
  for (const [atNs, cost] of asks) {
    sim.at(atNs / 1e9, () => {
      if (meter.tryTake(cost)) admitted.push({ atNs: sim.nowNs, cost });
    });
  }
  sim.run();
  return { admitted, meter };
}

/** Sorted asks: times in ms drawn as integers (many collide, as bursts do), costs from `costs`. */
const asksArb = (costs: fc.Arbitrary<number>) =>
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: 3000 }), costs), { minLength: 1, maxLength: 120 })
    .map((asks) =>
      asks.map(([ms, cost]) => [ms * 1_000_000, cost] as const).sort((a, b) => a[0] - b[0]),
    );

/** Cost admitted with time in [fromNs, toNs]. */
function admittedWithin(admitted: readonly Admission[], fromNs: number, toNs: number): number {
  let sum = 0;
  for (const a of admitted) if (a.atNs >= fromNs && a.atNs <= toNs) sum += a.cost;
  return sum;
}

describe("tokenBucket", () => {
  it("admits over ANY interval [a, b] at most burst + rate x (b - a) (property; a number or a profile rate)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.oneof(
          fc
            .integer({ min: 1, max: 40 })
            .map((rate) => rate as number | ReturnType<typeof profile.step>),
          fc
            .tuple(
              fc.integer({ min: 1, max: 40 }),
              fc.integer({ min: 1, max: 40 }),
              fc.integer({ min: 1, max: 2900 }),
            )
            .map(([from, to, atMs]) => profile.step(from, [{ at: atMs / 1000, value: to }])),
        ),
        asksArb(fc.constantFrom(1, 1, 2, 0.5)),
        (burst, rate, asks) => {
          const { admitted, meter } = consult(tokenBucket({ rate, burst }), asks);
          const earned = (fromNs: number, toNs: number) =>
            typeof rate === "number"
              ? (rate * (toNs - fromNs)) / 1e9
              : rate.integral(fromNs / 1e9, toNs / 1e9);
          for (const first of admitted) {
            for (const last of admitted) {
              if (last.atNs < first.atNs) continue;
              const count = admittedWithin(admitted, first.atNs, last.atNs);
              expect(count).toBeLessThanOrEqual(burst + earned(first.atNs, last.atNs) + 1e-9);
            }
          }
          expect(meter.admitted + meter.refused).toBe(asks.length);
        },
      ),
      { seed: 21, numRuns: 150 },
    );
  });

  it("is exact: from full, a 10/s bucket of 5 admits 5 at once and then one per 0.1 s", () => {
    const asks = Array.from({ length: 301 }, (_, i) => [i * 10_000_000, 1] as const); // every 10 ms
    const { admitted, meter } = consult(tokenBucket({ rate: 10, burst: 5 }), asks);
    expect(admitted.slice(0, 8).map((a) => a.atNs / 1e6)).toEqual([
      0, 10, 20, 30, 40, 100, 200, 300,
    ]);
    expect(meter.admitted).toBe(5 + 30); // the 5 saved, then every token of 3 s at 10/s
    expect(meter.refused).toBe(301 - meter.admitted);
  });

  it("says when a cost will fit, to the nanosecond, and takes nothing in saying it", () => {
    const sim = new Simulation({ seed: 1 });
    const meter = tokenBucket({ rate: 3, burst: 2 }).meter(sim);
    expect(meter.tryTake(2)).toBe(true);
    expect(meter.availableAt()).toBe(0.333333334); // the first nanosecond at or after 1/3 s
    expect(meter.availableAt(2)).toBe(0.666666667);
    expect(meter.availableAt(3)).toBe(Number.POSITIVE_INFINITY); // above burst: never
    expect(meter.available()).toBe(0);
    // The exact instant is 1/3 s: a nanosecond before the answer, the float slack that keeps
    // exact products whole may already count the token; two before, it is not there.
    sim.at(0.333333332, () => expect(meter.tryTake()).toBe(false));
    sim.at(0.333333334, () => expect(meter.tryTake()).toBe(true));
    sim.at(1, () => expect(meter.availableAt()).toBe(1));
    sim.run();
    expect({ admitted: meter.admitted, refused: meter.refused }).toEqual({
      admitted: 2,
      refused: 1,
    });
    meter.reset();
    expect({
      admitted: meter.admitted,
      refused: meter.refused,
      available: meter.available(),
    }).toEqual({
      admitted: 0,
      refused: 0,
      available: 2,
    });
  });

  it("keeps one policy's meters apart: each consumer has its own state", () => {
    const policy = tokenBucket({ rate: 1, burst: 1 });
    const sim = new Simulation({ seed: 1 });
    const a = policy.meter(sim);
    const b = policy.meter(new Simulation({ seed: 2 }));
    const c = policy.meter(sim);
    expect([a.tryTake(), a.tryTake(), b.tryTake(), c.tryTake()]).toEqual([true, false, true, true]);
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it("refuses bad options and costs", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => tokenBucket({ rate: 0, burst: 1 }), /tokenBucket: option "rate"/],
      [
        () => tokenBucket({ rate: profile.step(1, [{ at: 1, value: 0 }]), burst: 1 }),
        /"rate".*at all times/,
      ],
      [() => tokenBucket({ rate: 1, burst: 1.5 }), /"burst".*integer >= 1/],
      [() => tokenBucket({ rate: 1, burst: 0 }), /"burst"/],
      [() => tokenBucket(undefined as never), /"options"/],
      [() => tokenBucket({ rate: 1, burst: 1 }).meter({} as never), /"sim".*a Simulation/],
    ];
    for (const [make, message] of cases) {
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(message);
    }
    const meter = tokenBucket({ rate: 1, burst: 1 }).meter(new Simulation({ seed: 1 }));
    for (const cost of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => meter.tryTake(cost)).toThrow(SimulationError);
      expect(() => meter.availableAt(cost)).toThrow(/cost must be a finite number > 0/);
    }
    expect(meter.tryTake(2)).toBe(false); // above burst: refused, counted
    expect(meter.refused).toBe(1);
  });
});

describe("leakyBucket", () => {
  it("as a meter admits exactly what a token bucket of the same rate and capacity admits", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 40 }),
        asksArb(fc.constantFrom(1, 2, 0.5)),
        (capacity, rate, asks) => {
          const leaky = consult(leakyBucket({ rate, capacity }), asks).admitted;
          const bucket = consult(tokenBucket({ rate, burst: capacity }), asks).admitted;
          expect(leaky).toEqual(bucket);
        },
      ),
      { seed: 5, numRuns: 100 },
    );
  });

  it("as a meter: the level rises by each cost and drains at the rate", () => {
    const sim = new Simulation({ seed: 1 });
    const meter = leakyBucket({ rate: 2, capacity: 3 }).meter(sim);
    expect([meter.tryTake(2), meter.tryTake(), meter.tryTake()]).toEqual([true, true, false]);
    expect(meter.available()).toBe(0); // level 3 of 3
    expect(meter.availableAt(2)).toBe(1); // 2 drained at 2/s
    sim.at(0.25, () => expect(meter.available()).toBe(0.5));
    sim.run();
  });

  it("as a queue releases one per 1/rate seconds exactly, and refuses when capacity wait", () => {
    const sim = new Simulation({ seed: 1 });
    const meter = leakyBucket({ rate: 3, capacity: 4, mode: "queue" }).meter(sim);
    const releases = Array.from({ length: 7 }, () => meter.reserve());
    // One at once, four waiting on the 1/3 s grid (to the nanosecond), two refused.
    expect(releases).toEqual([0, 0.333333334, 0.666666667, 1, 1.333333334, null, null]);
    expect(meter.waiting).toBe(4);
    expect({ admitted: meter.admitted, refused: meter.refused }).toEqual({
      admitted: 5,
      refused: 2,
    });
    expect(meter.tryTake()).toBe(false); // four are waiting: no place at once
    sim.at(1, () => {
      expect(meter.waiting).toBe(1); // the one due at 1 s leaves now: it no longer waits
      expect(meter.reserve()).toBe(1.666666667);
    });
    sim.at(10, () => {
      expect(meter.waiting).toBe(0);
      expect(meter.reserve()).toBe(10); // idle long enough: at once
      expect(meter.availableAt()).toBe(10.333333334);
    });
    sim.run();
  });

  it("as a queue never releases two within 1/rate and never holds more than capacity (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 50 }),
        asksArb(fc.constant(1)),
        (capacity, rate, asks) => {
          const sim = new Simulation({ seed: 1 });
          const meter = leakyBucket({ rate, capacity, mode: "queue" }).meter(sim);
          const releasesNs: number[] = [];
          for (const [atNs] of asks) {
            sim.at(atNs / 1e9, () => {
              const before = meter.waiting;
              const at = meter.reserve();
              expect(meter.waiting).toBeLessThanOrEqual(capacity);
              if (at === null) expect(before).toBe(capacity);
              else {
                expect(at).toBeGreaterThanOrEqual(sim.now);
                releasesNs.push(Math.round(at * 1e9));
              }
            });
          }
          sim.run();
          const periodNs = 1e9 / rate;
          for (let i = 1; i < releasesNs.length; i++) {
            expect(releasesNs[i]! - releasesNs[i - 1]!).toBeGreaterThanOrEqual(
              Math.floor(periodNs),
            );
          }
          expect(meter.admitted).toBe(releasesNs.length);
        },
      ),
      { seed: 8, numRuns: 150 },
    );
  });

  it("refuses bad options", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => leakyBucket({ rate: -1, capacity: 1 }), /leakyBucket: option "rate"/],
      [() => leakyBucket({ rate: 1, capacity: 0 }), /"capacity".*integer >= 1/],
      [
        () => leakyBucket({ rate: 1, capacity: 2, mode: "drip" as never }),
        /"mode".*"meter" or "queue"/,
      ],
    ];
    for (const [make, message] of cases) {
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(message);
    }
    const queue = leakyBucket({ rate: 1, capacity: 2, mode: "queue" }).meter(
      new Simulation({ seed: 1 }),
    );
    expect(() => queue.tryTake(2)).toThrow(/cost must be 1/);
  });
});

describe("window policies", () => {
  it("slidingWindowLog never admits more than the limit in any window-long span (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 15 }),
        asksArb(fc.constantFrom(1, 1, 2, 1.5)),
        (limit, windowTenths, asks) => {
          const windowNs = windowTenths * 100_000_000;
          const { admitted } = consult(slidingWindowLog({ limit, window: windowNs / 1e9 }), asks);
          for (const last of admitted) {
            // (t - window, t]: any window-long span holds no more than the one ending at its last admission.
            expect(
              admittedWithin(admitted, last.atNs - windowNs + 1, last.atNs),
            ).toBeLessThanOrEqual(limit);
          }
        },
      ),
      { seed: 34, numRuns: 200 },
    );
  });

  it("slidingWindowLog admits as soon as the oldest entries leave, and says when", () => {
    const sim = new Simulation({ seed: 1 });
    const meter = slidingWindowLog({ limit: 3, window: 1 }).meter(sim);
    sim.at(0.2, () => expect(meter.tryTake(2)).toBe(true));
    sim.at(0.5, () => {
      expect([meter.tryTake(), meter.tryTake()]).toEqual([true, false]);
      expect(meter.availableAt()).toBe(1.2); // the entry of 0.2 s leaves at 1.2 s
      expect(meter.availableAt(3)).toBe(1.5);
    });
    sim.at(1.199999999, () => expect(meter.tryTake()).toBe(false));
    sim.at(1.2, () =>
      expect([meter.tryTake(), meter.tryTake(), meter.tryTake()]).toEqual([true, true, false]),
    );
    sim.run();
    expect(() => meter.tryTake(0.5)).toThrow(/cost must be a finite number >= 1/);
  });

  it("availableAt is the first instant the cost fits (windows exactly; buckets to the nanosecond)", () => {
    const policies = [
      tokenBucket({ rate: 7, burst: 3 }),
      tokenBucket({ rate: profile.step(2, [{ at: 0.7, value: 9 }]), burst: 3 }),
      leakyBucket({ rate: 7, capacity: 3 }),
      fixedWindow({ limit: 3, window: 0.3 }),
      slidingWindowLog({ limit: 3, window: 0.3 }),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...policies),
        asksArb(fc.constantFrom(1, 2)),
        fc.constantFrom(1, 2, 3),
        (policy, asks, cost) => {
          const { meter } = consult(policy, asks);
          // After the asks, at the last ask's instant: ask when `cost` fits, then try just before and at it.
          const sim = new Simulation({ seed: 1 });
          const probe = policy.meter(sim);
          for (const [atNs, c] of asks) sim.at(atNs / 1e9, () => probe.tryTake(c));
          const lastNs = asks.at(-1)![0];
          sim.at(lastNs / 1e9, () => {
            const at = probe.availableAt(cost)!;
            const atNs = Math.round(at * 1e9);
            expect(atNs).toBeGreaterThanOrEqual(lastNs);
            // A bucket's answer is the first nanosecond at or after the exact instant; the slack
            // that forgives float error may admit a nanosecond sooner.
            const earlyNs = policy.kind === "tokenBucket" || policy.kind === "leakyBucket" ? 2 : 1;
            if (atNs > lastNs) {
              expect(probe.tryTake(cost)).toBe(false);
              if (atNs - earlyNs > lastNs) {
                sim.at((atNs - earlyNs) / 1e9, () => expect(probe.tryTake(cost)).toBe(false));
              }
            }
            sim.at(at, () => expect(probe.tryTake(cost)).toBe(true));
          });
          sim.run();
          expect(meter.admitted).toBeGreaterThan(0);
        },
      ),
      { seed: 55, numRuns: 200 },
    );
  });

  it("fixedWindow admits twice its limit across an edge; sliding log and sliding counter do not", () => {
    // 10 per 1 s; 10 asks at 0.9 s, 10 at 1 s.
    const asks = [...Array(10).fill([900_000_000, 1]), ...Array(10).fill([1_000_000_000, 1])];
    const count = (policy: RatePolicy) => consult(policy, asks).admitted.length;
    expect(count(fixedWindow({ limit: 10, window: 1 }))).toBe(20);
    expect(count(slidingWindowCounter({ limit: 10, window: 1 }))).toBe(10);
    expect(count(slidingWindowLog({ limit: 10, window: 1 }))).toBe(10);
  });

  it("fixedWindow: at most the limit per window, at most twice it in any window-long span (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), asksArb(fc.constant(1)), (limit, asks) => {
        const windowNs = 500_000_000;
        const { admitted } = consult(fixedWindow({ limit, window: 0.5 }), asks);
        for (const last of admitted) {
          const start = Math.floor(last.atNs / windowNs) * windowNs;
          expect(admittedWithin(admitted, start, start + windowNs - 1)).toBeLessThanOrEqual(limit);
          expect(admittedWithin(admitted, last.atNs - windowNs + 1, last.atNs)).toBeLessThanOrEqual(
            2 * limit,
          );
        }
      }),
      { seed: 3, numRuns: 150 },
    );
  });

  it("slidingWindowCounter cannot say when (null); fixedWindow says the next edge", () => {
    const sim = new Simulation({ seed: 1 });
    const counter = slidingWindowCounter({ limit: 2, window: 1 }).meter(sim);
    const fixed = fixedWindow({ limit: 2, window: 1 }).meter(sim);
    sim.at(0.4, () => {
      expect([counter.tryTake(2), fixed.tryTake(2)]).toEqual([true, true]);
      expect(counter.availableAt()).toBeNull();
      expect(counter.availableAt(3)).toBe(Number.POSITIVE_INFINITY);
      expect(fixed.availableAt()).toBe(1);
    });
    sim.run();
    expect(slidingWindowCounter({ limit: 2, window: 1 }).canSchedule).toBe(false);
  });

  it("refuses bad window options, naming the factory", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => fixedWindow({ limit: 0, window: 1 }), /fixedWindow: option "limit"/],
      [
        () => slidingWindowCounter({ limit: 1.5, window: 1 }),
        /slidingWindowCounter: option "limit"/,
      ],
      [() => slidingWindowLog({ limit: 2, window: 0 }), /slidingWindowLog: option "window"/],
      [() => slidingWindowLog({ limit: 2, window: 1e-12 }), /"window".*from 1 ns/],
      [
        () => fixedWindow({ limit: 2, window: profile.constant(1) as never }),
        /"window".*a profile cannot be honoured/,
      ],
      [() => fixedWindow({ limit: 2, window: "1s" as never }), /"window"/],
      [() => slidingWindowLog(null as never), /"options"/],
      // Its log is allocated whole: a limit past what fits in memory is a bad option, not a
      // RangeError when the first meter is made.
      [
        () => slidingWindowLog({ limit: 2 ** 40, window: 1 }).meter(new Simulation({ seed: 1 })),
        /slidingWindowLog: option "limit" must be an integer in \[1, 16777216\]/,
      ],
      // Counted in millionths: past 2^53 / 10^6 whole tokens the arithmetic is no longer exact.
      [
        () => tokenBucket({ rate: 1, burst: 2 ** 40 }),
        /tokenBucket: option "burst" must be an integer in \[1, 9007199254\]/,
      ],
      [() => leakyBucket({ rate: 1, capacity: 2 ** 40 }), /leakyBucket: option "capacity"/],
      [() => fixedWindow({ limit: 2 ** 40, window: 1 }), /fixedWindow: option "limit"/],
    ];
    for (const [make, message] of cases) {
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(message);
    }
  });

  it("describes itself and reports its rate and burst", () => {
    const log = slidingWindowLog({ limit: 100, window: 60 });
    expect(log).toMatchObject({
      kind: "slidingWindowLog",
      mode: "meter",
      burst: 100,
      canSchedule: true,
    });
    expect(log.rate).toBeCloseTo(100 / 60, 12);
    expect(log.description).toBe("slidingWindowLog(limit 100, window 60 s)");
    expect(leakyBucket({ rate: 5, capacity: 20, mode: "queue" })).toMatchObject({
      kind: "leakyBucket",
      mode: "queue",
      burst: 1,
      capacity: 20,
      description: "leakyBucket(rate 5, capacity 20, queue)",
    });
  });
});
