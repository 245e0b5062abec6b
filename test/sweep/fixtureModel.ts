/**
 * A small model for the sweep tests, written as a model file (default-export builder,
 * `until`, `measure`) so every backend loads the same thing: a server of `servers` workers
 * under Poisson load at `rate`. It throws, on purpose, for the seed in `params.failSeed`, and
 * busy-waits `params.spinMs` of wall time per run when asked (the kill test needs runs that
 * last). It imports the sources by path, so worker threads load it under tsx with no build.
 */
import {
  arrivals,
  dist,
  type Measure,
  type ModelBuilder,
  Server,
  Simulation,
  Source,
} from "../../src/index.js";

export const until = 20;

const build: ModelBuilder = ({ seed, params }) => {
  if (params.failSeed === seed) throw new Error(`seed ${seed} is the bad one`);
  const spinMs = Number(params.spinMs ?? 0);
  if (spinMs > 0) {
    const end = performance.now() + spinMs;
    while (performance.now() < end) {
      // A run that takes wall time, as a long simulation does.
    }
  }
  const sim = new Simulation({ seed });
  const server = new Server<number, number>(sim, "server", {
    concurrency: Number(params.servers ?? 1),
    serviceTime: dist.exponential(0.05),
  });
  new Source(sim, "load", {
    target: server,
    arrivals: arrivals.poisson(Number(params.rate ?? 10)),
  });
  return sim;
};
export default build;

export const measure: Measure = ({ summary }) => {
  const server = summary.entities.find((entity) => entity.name === "server")!;
  return {
    completed: server.metrics.completed as number,
    utilization: server.metrics.utilization as number,
  };
};
