/**
 * Goal: a Server's own statistics agree with queueing theory and cover its own lifetime.
 * (1) Regression: a server created at t = 100 s and kept busy until t = 200 s reports a
 * utilization near 1 (it divided by the time since t = 0 and reported about 0.5 before).
 * (2) M/M/c after `sim.resetStats()` at the end of a warm-up: the probability of waiting
 * (Erlang C), the mean wait (C / (c mu - lambda)) and the time-average number in the system
 * (L = lambda W) must fall in the 99% Student t interval of 10 seeded replications.
 * (3) A tandem of two M/M/1 stations (`next`): by Jackson's theorem each station's mean sojourn
 * is 1 / (mu_i - lambda), and the caller's latency is their sum.
 * Method: Poisson sources, exponential service; replications with seeds 1..10, 2,000 s after
 * a 200 s warm-up.
 */
import { describe, expect, it } from "vitest";
import { Client } from "../../src/components/client/client.js";
import { Source } from "../../src/components/load/source.js";
import { Server } from "../../src/components/server/server.js";
import { Simulation } from "../../src/core/simulation.js";
import { poisson } from "../../src/load/arrivals.js";
import { constant, exponential } from "../../src/random/distributions/index.js";
import { confidenceInterval99, erlangC } from "../support/statistics.js";

const WARM_UP_S = 200;
const END_S = 2200;

describe("Server statistics", () => {
  it("time averages cover the server's lifetime, not the time since t = 0", () => {
    const sim = new Simulation({ seed: 1 });
    let server: Server<number, number> | null = null;
    sim.at(100, () => {
      server = new Server<number, number>(sim, "late", { serviceTime: constant(1) });
      new Source(sim, "load", {
        target: server,
        arrivals: poisson(5),
        stopAfter: { time: 200 },
      });
    });
    sim.run({ until: 200 });
    const s = server!.stats;
    expect(s.utilization).toBeGreaterThan(0.98);
    expect(s.meanInSystem).toBeGreaterThan(1);
  });

  it("M/M/3 at rho 0.8: P(wait) = Erlang C, mean wait and L match theory", () => {
    const servers = 3;
    const mu = 10;
    const lambda = 24;
    const runs = Array.from({ length: 10 }, (_, i) => {
      const sim = new Simulation({ seed: i + 1 });
      const server = new Server<number, number>(sim, "station", {
        concurrency: servers,
        serviceTime: exponential(1 / mu),
      });
      new Source(sim, "arrivals", { target: server, arrivals: poisson(lambda) });
      sim.run({ until: WARM_UP_S });
      sim.resetStats();
      sim.run({ until: END_S });
      return server.stats;
    });
    const c = erlangC(servers, lambda / mu);
    const meanWait = c / (servers * mu - lambda);
    const inSystem = lambda * (meanWait + 1 / mu);
    const pWait = confidenceInterval99(runs.map((s) => s.probabilityOfWaiting));
    const wait = confidenceInterval99(runs.map((s) => s.meanWait));
    const l = confidenceInterval99(runs.map((s) => s.meanInSystem));
    const sojourn = confidenceInterval99(runs.map((s) => s.meanSojourn));
    for (const [name, interval, theory] of [
      ["P(wait)", pWait, c],
      ["mean wait", wait, meanWait],
      ["L", l, inSystem],
      ["mean sojourn", sojourn, meanWait + 1 / mu],
    ] as const) {
      expect(interval.low, name).toBeLessThan(theory);
      expect(interval.high, name).toBeGreaterThan(theory);
    }
    // The identity holds after the reset too.
    for (const s of runs) {
      expect(s.requests).toBe(s.completed + s.rejected + s.lostToCrash + s.active + s.queued);
    }
  });

  it("a tandem of two M/M/1 stations: each sojourn 1/(mu - lambda), the total their sum", () => {
    const lambda = 5;
    const mu = [8, 10];
    const runs = Array.from({ length: 10 }, (_, i) => {
      const sim = new Simulation({ seed: i + 1 });
      const second = new Server<number, number>(sim, "second", {
        serviceTime: exponential(1 / mu[1]!),
      });
      const first = new Server<number, number>(sim, "first", {
        serviceTime: exponential(1 / mu[0]!),
        next: second,
      });
      const client = new Client<number, number>(sim, "client", { target: first });
      new Source(sim, "arrivals", { target: client, arrivals: poisson(lambda) });
      sim.run({ until: WARM_UP_S });
      sim.resetStats();
      sim.run({ until: END_S });
      return {
        first: first.stats.meanSojourn,
        second: second.stats.meanSojourn,
        total: client.stats.meanLatency,
      };
    });
    const theory = mu.map((m) => 1 / (m - lambda));
    const checks = [
      ["first", confidenceInterval99(runs.map((r) => r.first)), theory[0]!],
      ["second", confidenceInterval99(runs.map((r) => r.second)), theory[1]!],
      ["total", confidenceInterval99(runs.map((r) => r.total)), theory[0]! + theory[1]!],
    ] as const;
    for (const [name, interval, value] of checks) {
      expect(interval.low, name).toBeLessThan(value);
      expect(interval.high, name).toBeGreaterThan(value);
    }
  });
});
