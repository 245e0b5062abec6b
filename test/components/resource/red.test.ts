/**
 * Goal: `red` refuses arrivals as Floyd & Jacobson's RED does (the paper's Figure 2): never
 * below minThreshold, always from maxThreshold, and in between with pa = pb / (1 - count * pb),
 * count restarting at 0 after a refusal and counting the arrival itself, so that at a steady
 * average the gaps between refusals are uniform on 1..(1/pb - 1) when 1/pb is an integer, and
 * the refusal rate is 1 / E[gap] from that schedule; its average is the EWMA of the length, decayed over idle time; its draws
 * are seeded; bad options are ConfigErrors naming red and the option.
 * Method: a queue held at a constant length with weight 1 (so the average is the length),
 * 200,000 arrivals, compared with the formula within 4.5 standard errors; scripted averages.
 */
import { describe, expect, it } from "vitest";
import type { DropSink } from "../../../src/components/resource/queueDiscipline.js";
import { red } from "../../../src/components/resource/red.js";
import { Resource, type ResourceRequest } from "../../../src/components/resource/resource.js";
import { Server } from "../../../src/components/server/server.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, type RemoteError } from "../../../src/errors/errors.js";
import { constant } from "../../../src/random/distributions/closedForm.js";
import { ramp } from "../../../src/random/profile.js";

const noDrops: DropSink<unknown> = { dropped() {} };
const stream = (seed = 1) => new Simulation({ seed }).random("red");

/**
 * The refusal rate at a steady pb, from the schedule itself: the nth arrival after a refusal
 * is refused with probability pb / (1 - n * pb) (1 once that is >= 1 or undefined).
 */
function expectedRate(pb: number): number {
  let survive = 1;
  let meanGap = 0;
  for (let n = 1; survive > 0; n++) {
    const spread = 1 - n * pb;
    const pa = spread <= 0 ? 1 : Math.min(1, pb / spread);
    meanGap += n * survive * pa;
    survive -= survive * pa;
  }
  return 1 / meanGap;
}

/** Arrivals at a queue held at `length` items; returns the refusal flags. */
function atSteadyLength(length: number, arrivals: number, seed = 1) {
  const line = red<number>({
    minThreshold: 2,
    maxThreshold: 12,
    maxProbability: 0.5,
    weight: 1,
    typicalServiceTime: 0.01,
    random: stream(seed),
  });
  let next = 0;
  while (line.length < length) line.enqueue(next++, 0, undefined);
  const refused: boolean[] = [];
  for (let i = 0; i < arrivals; i++) {
    const reason = line.enqueue(next++, 0, undefined);
    if (reason === null) line.dequeue(0, noDrops);
    else expect(reason).toBe("red");
    refused.push(reason !== null);
  }
  return refused;
}

describe("red", () => {
  it("refuses evenly: at a steady pb of 1/4, gaps of 1, 2 or 3 arrivals, equally likely", () => {
    // Length 7: pb = 0.5 * (7 - 2) / (12 - 2) = 0.25: pa = 1/3, 1/2, 1 for n = 1, 2, 3.
    const n = 200_000;
    const refused = atSteadyLength(7, n);
    const rate = refused.filter(Boolean).length / n;
    const expected = 0.5;
    expect(expectedRate(0.25)).toBeCloseTo(expected, 12);
    // Gaps are independent, so the count of refusals is a renewal count: bounded error.
    expect(Math.abs(rate - expected)).toBeLessThan(
      4.5 * Math.sqrt((expected * (1 - expected)) / n),
    );
    const gaps = [0, 0, 0, 0, 0, 0];
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (!refused[i]) continue;
      if (last >= 0) gaps[i - last]!++;
      last = i;
    }
    const total = gaps.reduce((a, b) => a + b, 0);
    for (let gap = 1; gap <= 3; gap++) {
      expect(Math.abs(gaps[gap]! / total - 1 / 3)).toBeLessThan(4.5 * Math.sqrt(2 / 9 / total));
    }
    expect(gaps[0]! + gaps[4]! + gaps[5]!).toBe(0);
  });

  it("follows the curve: never below minThreshold, pb rising linearly, always from maxThreshold", () => {
    expect(atSteadyLength(1, 10_000).some(Boolean)).toBe(false);
    expect(atSteadyLength(12, 1000).every(Boolean)).toBe(true);
    let previous = 0;
    for (const length of [3, 5, 8, 11]) {
      const n = 50_000;
      const rate = atSteadyLength(length, n, length).filter(Boolean).length / n;
      const pb = (0.5 * (length - 2)) / 10;
      const expected = expectedRate(pb);
      expect(Math.abs(rate - expected)).toBeLessThan(
        4.5 * Math.sqrt((expected * (1 - expected)) / n),
      );
      expect(rate).toBeGreaterThan(previous);
      previous = rate;
    }
  });

  it("averages the length (EWMA at arrivals) and decays the average over idle time", () => {
    const line = red<number>({
      minThreshold: 100,
      maxThreshold: 200,
      weight: 0.5,
      typicalServiceTime: 0.01,
      random: stream(),
    });
    for (let i = 0; i < 5; i++) line.enqueue(i, 0, undefined);
    // Lengths seen: 0 (empty at t=0, no idle time), 1, 2, 3, 4.
    expect(line.averageLength).toBeCloseTo(0.5 * 4 + 0.25 * 3 + 0.125 * 2 + 0.0625 * 1, 12);
    const before = line.averageLength;
    for (let i = 0; i < 5; i++) line.dequeue(1e9, noDrops);
    // Empty since t=1 s; at t=1.03 s, three service times later: (1 - 0.5)^3.
    line.enqueue(9, 1.03e9, undefined);
    expect(line.averageLength).toBeCloseTo(before / 8, 12);
  });

  it("starts the idle time when the last item leaves, by removal or a clear as by service", () => {
    for (const leave of ["remove", "clear"] as const) {
      const line = red<number>({
        minThreshold: 100,
        maxThreshold: 200,
        weight: 0.5,
        typicalServiceTime: 0.01,
        random: stream(),
      });
      for (let i = 0; i < 5; i++) line.enqueue(i, 0, undefined);
      const before = line.averageLength;
      for (let i = 0; i < 4; i++) line.dequeue(1e9, noDrops);
      // The last one leaves at 1.02 s without service; the next arrival, at 1.03 s, finds the
      // queue idle for one service time: (1 - 0.5)^1, not 103 service times since t=0.
      if (leave === "remove") expect(line.remove(4, 1.02e9)).toBe(true);
      else expect(line.clear(1.02e9)).toEqual([4]);
      line.enqueue(9, 1.03e9, undefined);
      expect(line.averageLength).toBeCloseTo(before / 2, 12);
    }
  });

  it("in a Resource, decays the average only over the idle time after the last waiter timed out", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Entity(sim, "owner");
    const users = new Entity(sim, "users");
    const policy = red<ResourceRequest>({
      minThreshold: 100,
      maxThreshold: 200,
      weight: 0.5,
      typicalServiceTime: 0.01,
      random: sim.random("red"),
    });
    const cpu = new Resource(owner, { name: "cpu", capacity: 1, queuePolicy: policy });
    const timedOut: number[] = [];
    const user = (at: number, maxWait: number) =>
      sim.at(at, () =>
        users.start(function* () {
          try {
            const grant = yield* cpu.acquire({ maxWait });
            yield 10;
            cpu.release(grant);
          } catch {
            timedOut.push(sim.now);
          }
        }),
      );
    user(0, 100); // holds the capacity for 10 s
    for (let i = 0; i < 4; i++) user(0, 1); // wait, seeing lengths 0, 1, 2, 3; give up at 1 s
    user(1.03, 1);
    let average = Number.NaN;
    sim.at(1.04, () => {
      average = policy.averageLength;
    });
    sim.run({ until: 2 });
    expect(timedOut).toEqual([1, 1, 1, 1]);
    // 0.5 x 1, then + 0.5 x (2 - 0.5), then + 0.5 x (3 - 1.25): 2.125, then idle from 1 s to
    // 1.03 s, three service times: (1 - 0.5)^3.
    expect(average).toBeCloseTo(2.125 / 8, 12);
  });

  it("draws from its stream: the same seed refuses the same arrivals", () => {
    expect(atSteadyLength(7, 1000, 3)).toEqual(atSteadyLength(7, 1000, 3));
    expect(atSteadyLength(7, 1000, 3)).not.toEqual(atSteadyLength(7, 1000, 4));
  });

  it("refuses bad options, naming red and the option", () => {
    const base = { minThreshold: 2, maxThreshold: 10, typicalServiceTime: 0.01, random: stream() };
    expect(() => red({ ...base, minThreshold: -1 })).toThrow(
      /red: option "minThreshold" must be a finite number >= 0; given -1/,
    );
    expect(() => red({ ...base, maxThreshold: 2 })).toThrow(
      /option "maxThreshold" must be a finite number > minThreshold \(2\); given 2/,
    );
    expect(() => red({ ...base, maxProbability: 0 })).toThrow(
      /option "maxProbability" must be a number in \(0, 1\]/,
    );
    expect(() => red({ ...base, maxProbability: 1.5 })).toThrow(ConfigError);
    expect(() => red({ ...base, weight: Number.NaN })).toThrow(/option "weight"/);
    expect(() => red({ ...base, typicalServiceTime: 0 })).toThrow(/option "typicalServiceTime"/);
    expect(() =>
      red({ ...base, typicalServiceTime: ramp({ from: 1, to: 0, start: 0, end: 1 }) }),
    ).toThrow(ConfigError);
    expect(() => red({ ...base, random: Math.random as never })).toThrow(
      /option "random" must be a RandomStream/,
    );
    expect(() => red(undefined as never)).toThrow(ConfigError);
  });
});

describe("red as a Server's queue policy", () => {
  it("refuses arrivals at the door with reason red, counted in drops, before the queue is long", () => {
    const sim = new Simulation({ seed: 2 });
    const server = new Server<number, number>(sim, "api", {
      concurrency: 1,
      serviceTime: constant(0.01),
      queuePolicy: red({
        minThreshold: 2,
        maxThreshold: 6,
        weight: 0.2,
        typicalServiceTime: 0.01,
        random: sim.random("red"),
      }),
    });
    const client = new Entity<never, unknown>(sim, "client");
    const reasons: string[] = [];
    let longest = 0;
    // 150/s at a server of 100/s, for 10 s.
    for (let i = 0; i < 1500; i++) {
      sim.at(i / 150, () =>
        client.start(function* () {
          longest = Math.max(longest, server.queued);
          try {
            yield* client.call(server, "get", i);
          } catch (error) {
            reasons.push((error as RemoteError).reason);
          }
        }),
      );
    }
    sim.run();
    expect(new Set(reasons)).toEqual(new Set(["red"]));
    expect(server.drops).toEqual({ red: reasons.length });
    expect(server.stats.rejected).toBe(reasons.length);
    // The excess is a third of the arrivals; the queue never holds more than a few.
    expect(reasons.length).toBeGreaterThan(450);
    expect(longest).toBeLessThan(15);
  });
});
