/**
 * Goal: Little's law, L = lambda W, holds on the library's own stations, whatever their
 * service law: the time-average number in a `Server` (from its own time-weighted stats)
 * equals its throughput times the mean time a `Client` measured per request.
 * Method: sample-path Little's law on one long run per station (no theory needed, so no
 * confidence interval: the only error is the few requests in flight at the end), for an
 * M/M/1, an M/G/2 with a heavy lognormal tail, and an M/D/4 with a bounded queue that
 * rejects some arrivals (Little's law then holds for the admitted ones).
 */
import { describe, expect, it } from "vitest";
import { Client } from "../../src/components/client/client.js";
import { Source } from "../../src/components/load/source.js";
import { Server } from "../../src/components/server/server.js";
import { Simulation } from "../../src/core/simulation.js";
import { poisson } from "../../src/load/arrivals.js";
import {
  constant,
  type Distribution,
  exponential,
  lognormal,
} from "../../src/random/distributions/index.js";

const END_S = 5000;

function station(rate: number, concurrency: number, serviceTime: Distribution, capacity?: number) {
  const sim = new Simulation({ seed: 11 });
  const server = new Server<number, number>(sim, "station", {
    concurrency,
    serviceTime,
    ...(capacity === undefined ? {} : { queueCapacity: capacity }),
  });
  const client = new Client<number, number>(sim, "client", { target: server });
  new Source(sim, "arrivals", {
    target: client,
    arrivals: poisson(rate),
    stopAfter: { time: END_S },
  });
  sim.run({ until: END_S });
  const s = server.stats;
  const inSystem = s.meanQueued + s.utilization * concurrency;
  const throughput = client.stats.succeeded / END_S;
  return { inSystem, littles: throughput * client.stats.meanLatency, rejected: s.rejected };
}

describe("Little's law on library stations", () => {
  it("M/M/1 at 80%", () => {
    const r = station(8, 1, exponential(0.1));
    expect(r.inSystem).toBeGreaterThan(2);
    expect(Math.abs(r.inSystem - r.littles) / r.inSystem).toBeLessThan(0.01);
  });

  it("M/G/2 with a lognormal tail (sigma 1.2)", () => {
    const r = station(12, 2, lognormal({ median: 0.06, sigma: 1.2 }));
    expect(Math.abs(r.inSystem - r.littles) / r.inSystem).toBeLessThan(0.01);
  });

  it("M/D/4 with a queue of 3 that rejects the excess", () => {
    const r = station(40, 4, constant(0.1), 3);
    expect(r.rejected).toBeGreaterThan(1000);
    expect(Math.abs(r.inSystem - r.littles) / r.inSystem).toBeLessThan(0.01);
  });
});
