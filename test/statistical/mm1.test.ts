/**
 * Goal: the engine reproduces queueing theory. An M/M/1 queue with lambda = 8/s and mu = 10/s
 * (rho = 0.8) has mean response time W = 1 / (mu - lambda) = 0.5 s, mean number in system
 * L = rho / (1 - rho) = 4 and server utilisation rho; Little's law L = lambda * W holds on any
 * sample path.
 * Method: a single FIFO server built from a plain Entity (a generator handler serves the queue
 * while busy; exponential service from its own stream) fed by Poisson arrivals from a source
 * entity. 10 independent replications (seeds 1..10), each 3,000 simulated seconds (about 24,000
 * customers) with the first 200 s (about 1,600 customers) discarded as warm-up. The replication
 * means are independent and close to normal, so a Student t interval at 99% around their mean,
 * mean +- t * s / sqrt(10) with t(0.995, 9 df) = 3.250 (scipy.stats.t.ppf(0.995, 9)), must
 * contain the theoretical value. Little's law is checked per replication on the measured
 * quantities, to 1% (edge effects at the window boundaries are the only gap). The whole file
 * runs in well under a second.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import { confidenceInterval99 } from "../support/statistics.js";

const LAMBDA = 8;
const MU = 10;
const RHO = LAMBDA / MU;
const WARM_UP_S = 200;
const END_S = 3000;
const WINDOW_S = END_S - WARM_UP_S;
const REPLICATIONS = 10;

/**
 * A FIFO single server. It integrates the number in system and the busy time over the
 * measurement window, and records the response time of every customer that arrived in it.
 */
class Station extends Entity<number> {
  private readonly service = this.random("service");
  private readonly waiting: number[] = [];
  private busy = false;
  private inSystem = 0;
  private lastChange = WARM_UP_S;
  /** Integral of the number in system over the window (customer-seconds). */
  area = 0;
  /** Integral of the server's busy indicator over the window (seconds). */
  busyTime = 0;
  arrivalsInWindow = 0;
  readonly responses: number[] = [];

  /** Closes the integrals up to now; called before every change of state. */
  account(): void {
    if (this.now <= WARM_UP_S) return;
    const span = this.now - this.lastChange;
    this.area += this.inSystem * span;
    if (this.busy) this.busyTime += span;
    this.lastChange = this.now;
  }

  override *handle(arrival: Message<number>) {
    this.account();
    this.inSystem++;
    if (this.now >= WARM_UP_S) this.arrivalsInWindow++;
    this.waiting.push(arrival.payload);
    if (this.busy) return; // the process already serving will get to it
    this.busy = true;
    while (this.waiting.length > 0) {
      const arrivedAt = this.waiting.shift()!;
      yield this.service.exponential(1 / MU);
      this.account();
      this.inSystem--;
      if (arrivedAt >= WARM_UP_S) this.responses.push(this.now - arrivedAt);
    }
    this.account();
    this.busy = false;
  }
}

interface Replication {
  meanResponse: number;
  meanInSystem: number;
  utilisation: number;
  arrivalRate: number;
  customers: number;
}

function replicate(seed: number): Replication {
  const sim = new Simulation({ seed });
  const station = new Station(sim, "station");
  const source = new Entity(sim, "source");
  const gaps = source.random("arrivals");
  const arrive = () => {
    source.send(station, "arrival", source.now);
    source.after(gaps.exponential(1 / LAMBDA), arrive);
  };
  source.after(gaps.exponential(1 / LAMBDA), arrive);
  sim.run({ until: END_S });
  station.account(); // close the integrals at the horizon
  let total = 0;
  for (const response of station.responses) total += response;
  return {
    meanResponse: total / station.responses.length,
    meanInSystem: station.area / WINDOW_S,
    utilisation: station.busyTime / WINDOW_S,
    arrivalRate: station.arrivalsInWindow / WINDOW_S,
    customers: station.responses.length,
  };
}

describe("M/M/1 (lambda 8/s, mu 10/s) against theory", () => {
  let runs: Replication[] = [];
  beforeAll(() => {
    runs = Array.from({ length: REPLICATIONS }, (_, i) => replicate(i + 1));
  });

  it("each replication serves about 22,400 customers after the warm-up", () => {
    for (const run of runs) {
      expect(run.customers).toBeGreaterThan(20_000);
      expect(run.customers).toBeLessThan(25_000);
    }
  });

  it("mean response time: the 99% t interval over replications contains 1 / (mu - lambda) = 0.5 s", () => {
    const interval = confidenceInterval99(runs.map((r) => r.meanResponse));
    expect(interval.low).toBeLessThan(1 / (MU - LAMBDA));
    expect(interval.high).toBeGreaterThan(1 / (MU - LAMBDA));
    expect(interval.high - interval.low).toBeLessThan(0.1); // and it is informative
  });

  it("mean number in system: the 99% t interval contains rho / (1 - rho) = 4", () => {
    const interval = confidenceInterval99(runs.map((r) => r.meanInSystem));
    expect(interval.low).toBeLessThan(RHO / (1 - RHO));
    expect(interval.high).toBeGreaterThan(RHO / (1 - RHO));
  });

  it("utilisation: the 99% t interval contains rho = 0.8", () => {
    const interval = confidenceInterval99(runs.map((r) => r.utilisation));
    expect(interval.low).toBeLessThan(RHO);
    expect(interval.high).toBeGreaterThan(RHO);
  });

  it("Little's law L = lambda * W holds on every replication's sample path, to 1%", () => {
    for (const run of runs) {
      const predicted = run.arrivalRate * run.meanResponse;
      expect(Math.abs(run.meanInSystem / predicted - 1)).toBeLessThan(0.01);
    }
  });
});
