/**
 * The benchmark's model: a server under Poisson load, run long enough to cost `until`'s worth
 * of events (about 0.2 s of one core per run at until = 60 on this machine when it is idle).
 */
import {
  arrivals,
  dist,
  type Measure,
  type ModelBuilder,
  Server,
  Simulation,
  Source,
} from "../src/index.js";

export const until = 60;

const build: ModelBuilder = ({ seed, params }) => {
  const sim = new Simulation({ seed });
  const server = new Server<number, number>(sim, "server", {
    concurrency: Number(params.servers ?? 4),
    serviceTime: dist.exponential(0.01),
  });
  new Source(sim, "load", {
    target: server,
    arrivals: arrivals.poisson(Number(params.rate ?? 2000)),
  });
  return sim;
};
export default build;

export const measure: Measure = ({ summary }) => ({
  events: summary.eventsProcessed,
  utilization: summary.entities.find((e) => e.name === "server")!.metrics.utilization as number,
});
