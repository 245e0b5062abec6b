/**
 * Goal: the engine reproduces queueing theory. An M/M/1 queue (lambda = 8/s, mu = 10/s,
 * rho = 0.8) has mean response time W = 1 / (mu - lambda) = 0.5 s and mean number in system
 * L = rho / (1 - rho) = 4; and Little's law L = lambda * W holds on any sample path.
 * Method: 10 independent replications (seeds 1..10), each 3,000 simulated seconds (~24,000
 * customers) with the first 200 s discarded as warm-up. The replication means are independent,
 * so a Student t interval at 99% (t = 3.250, 9 degrees of freedom) around their mean must
 * contain the theoretical value. Little's law is checked per replication on the measured
 * quantities, to 3% (edge effects at the window boundaries are the only gap).
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import { confidenceInterval99 } from "../support/statistics.js";

const LAMBDA = 8;
const MU = 10;
const WARM_UP_S = 200;
const END_S = 3000;

/** A FIFO single server that integrates the number in system over time. */
class Station extends Entity<number> {
  private readonly service = this.random("service");
  private readonly queue: number[] = [];
  private busy = false;
  inSystem = 0;
  private lastChange = WARM_UP_S;
  area = 0;
  arrivalsInWindow = 0;
  readonly responses: number[] = [];

  /** Adds the time since the last change, weighted by the number in system (after warm-up). */
  account(): void {
    if (this.now > WARM_UP_S) {
      this.area += this.inSystem * (this.now - this.lastChange);
      this.lastChange = this.now;
    }
  }

  override *handle(arrival: Message<number>) {
    this.account();
    this.inSystem++;
    if (this.now >= WARM_UP_S) this.arrivalsInWindow++;
    this.queue.push(arrival.payload);
    if (this.busy) return;
    this.busy = true;
    while (this.queue.length > 0) {
      const arrivedAt = this.queue.shift()!;
      yield this.service.exponential(1 / MU);
      this.account();
      this.inSystem--;
      if (arrivedAt >= WARM_UP_S) this.responses.push(this.now - arrivedAt);
    }
    this.busy = false;
  }
}

function replicate(seed: number) {
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
  station.account(); // close the time integral at the horizon
  const window = END_S - WARM_UP_S;
  const meanResponse = station.responses.reduce((a, b) => a + b, 0) / station.responses.length;
  return {
    meanResponse,
    meanInSystem: station.area / window,
    arrivalRate: station.arrivalsInWindow / window,
  };
}

describe("M/M/1 against theory", () => {
  const runs = Array.from({ length: 10 }, (_, i) => replicate(i + 1));

  it("mean response time: the 99% interval over replications contains 1 / (mu - lambda)", () => {
    const interval = confidenceInterval99(runs.map((r) => r.meanResponse));
    expect(interval.low).toBeLessThan(0.5);
    expect(interval.high).toBeGreaterThan(0.5);
    expect(interval.high - interval.low).toBeLessThan(0.1); // and it is a tight interval
  });

  it("mean number in system: the 99% interval contains rho / (1 - rho)", () => {
    const interval = confidenceInterval99(runs.map((r) => r.meanInSystem));
    expect(interval.low).toBeLessThan(4);
    expect(interval.high).toBeGreaterThan(4);
  });

  it("Little's law holds on every replication's sample path", () => {
    for (const run of runs) {
      const predicted = run.arrivalRate * run.meanResponse;
      expect(Math.abs(run.meanInSystem / predicted - 1)).toBeLessThan(0.03);
    }
  });
});
