/**
 * The benchmark's model: a server under Poisson load, run long enough to cost `until`'s worth
 * of events (about 0.2 s of one core per run at until = 60 on this machine when it is idle).
 * Plain JavaScript importing "distsim" (the build): a worker thread loads it with no tsx,
 * so the threads' start is Node's and distsim's, not tsx's (which, in this repository, would
 * also compile every file of dist/ in each thread: they are not under node_modules).
 */
import { arrivals, dist, Server, Simulation, Source } from "distsim";

export const until = 60;

/** @type {import("distsim").ModelBuilder} */
const build = ({ seed, params }) => {
  const sim = new Simulation({ seed });
  const server = new Server(sim, "server", {
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

/** @type {import("distsim").Measure} */
export const measure = ({ summary }) => ({
  events: summary.eventsProcessed,
  utilization: Number(summary.entities.find((e) => e.name === "server")?.metrics.utilization),
});
