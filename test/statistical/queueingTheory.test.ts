/**
 * Goal: the engine reproduces queueing theory beyond M/M/1: M/D/1 against the
 * Pollaczek-Khinchine formula and M/M/c against Erlang C, each with Little's law on the queue.
 * Method: a FIFO station with c servers and any service-time distribution, fed by a Poisson
 * `Source`; 10 replications (seeds 1..10) of 3,000 simulated seconds after a 200 s warm-up.
 * The 99% Student t interval of the replication means (t = 3.250, 9 degrees of freedom) must
 * contain the theoretical mean response time.
 */
import { describe, expect, it } from "vitest";
import { Source } from "../../src/components/load/source.js";
import { Entity } from "../../src/core/entity.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import { poisson } from "../../src/load/arrivals.js";
import { constant, type Distribution, exponential } from "../../src/random/distributions/index.js";
import { confidenceInterval99, erlangC } from "../support/statistics.js";

const WARM_UP_S = 200;
const END_S = 3200;

/** FIFO queue in front of `servers` identical servers; records response times after warm-up. */
class Station extends Entity<number> {
  private readonly draws = this.random("service");
  private readonly waiting: number[] = [];
  private busy = 0;
  readonly responses: number[] = [];
  waitArea = 0;
  private lastChange = WARM_UP_S;

  constructor(
    sim: Simulation,
    private readonly servers: number,
    private readonly service: Distribution,
  ) {
    super(sim, "station");
  }

  /** Time-integral of the number waiting (not in service), after warm-up. */
  private account(): void {
    if (this.now > WARM_UP_S) {
      this.waitArea += this.waiting.length * (this.now - this.lastChange);
      this.lastChange = this.now;
    }
  }

  override *handle(_arrival: Message<number>) {
    this.account();
    this.waiting.push(this.now);
    if (this.busy === this.servers) return;
    this.busy++;
    while (this.waiting.length > 0) {
      this.account();
      const arrivedAt = this.waiting.shift()!;
      yield this.service.sample(this.draws, this.now);
      if (arrivedAt >= WARM_UP_S) this.responses.push(this.now - arrivedAt);
    }
    this.busy--;
  }
}

function replicate(seed: number, rate: number, servers: number, service: Distribution) {
  const sim = new Simulation({ seed });
  const station = new Station(sim, servers, service);
  new Source(sim, "arrivals", { target: station, arrivals: poisson(rate) });
  sim.run({ until: END_S });
  const meanResponse = station.responses.reduce((a, b) => a + b, 0) / station.responses.length;
  const meanWaiting = station.waitArea / (END_S - WARM_UP_S);
  return { meanResponse, meanWaiting, served: station.responses.length };
}

function expectInterval(values: number[], theory: number) {
  const interval = confidenceInterval99(values);
  expect(interval.low).toBeLessThan(theory);
  expect(interval.high).toBeGreaterThan(theory);
}

describe("queueing theory", () => {
  it("M/D/1 (lambda 8/s, D = 0.1 s): W = D + rho D / (2 (1 - rho)) = 0.3 s", () => {
    const runs = Array.from({ length: 10 }, (_, i) => replicate(i + 1, 8, 1, constant(0.1)));
    const theory = 0.1 + (0.8 * 0.1) / (2 * 0.2);
    expectInterval(
      runs.map((r) => r.meanResponse),
      theory,
    );
    // Little's law on the queue: Lq = lambda Wq.
    expectInterval(
      runs.map((r) => r.meanWaiting),
      8 * (theory - 0.1),
    );
  });

  it("M/M/3 (lambda 24/s, mu 10/s): W = C(3, 2.4) / (c mu - lambda) + 1 / mu", () => {
    const runs = Array.from({ length: 10 }, (_, i) => replicate(i + 1, 24, 3, exponential(0.1)));
    const waitProbability = erlangC(3, 2.4);
    const theory = waitProbability / (30 - 24) + 0.1;
    expect(waitProbability).toBeCloseTo(0.6472, 4);
    expectInterval(
      runs.map((r) => r.meanResponse),
      theory,
    );
  });
});
