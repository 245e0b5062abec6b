/**
 * Why phased work with a `Barrier` slows down as it grows: every step waits for the slowest
 * worker. Each of N workers computes 100 steps of exponential work (mean 10 ms) and meets the
 * others at a barrier after each step, as a bulk-synchronous job does. A step then takes the
 * maximum of N draws, about 10 ms x (1 + 1/2 + ... + 1/N): the more workers, the longer each
 * step and the more of every worker's time is spent waiting at the barrier. Without the
 * barrier, each worker would be busy all the time.
 *
 * Run: npx tsx --conditions=distsim-source examples/resource/barrier-stragglers.ts
 */
import { Barrier, Entity, Simulation } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 3;
const STEPS = 100;
const MEAN_WORK_S = 0.01;

function run(workers: number): { seconds: number; busy: number; theory: number } {
  const sim = new Simulation({ seed: SEED });
  const coordinator = new Entity(sim, "coordinator");
  const step = new Barrier(coordinator, { name: "step", parties: workers });
  let working = 0;
  for (let w = 0; w < workers; w++) {
    const worker = new Entity(sim, `worker-${w}`);
    const draws = worker.random("work");
    worker.start(function* () {
      for (let k = 0; k < STEPS; k++) {
        const work = draws.exponential(MEAN_WORK_S);
        working += work;
        yield work;
        yield* step.wait();
      }
    });
  }
  const summary = sim.run();
  let harmonic = 0;
  for (let i = 1; i <= workers; i++) harmonic += 1 / i;
  return {
    seconds: summary.time,
    busy: working / (summary.time * workers),
    theory: STEPS * MEAN_WORK_S * harmonic,
  };
}

const rows = [1, 2, 4, 8, 16, 32].map((workers) => {
  const r = run(workers);
  return [
    String(workers),
    r.seconds.toFixed(2),
    r.theory.toFixed(2),
    `${(100 * r.busy).toFixed(0)}%`,
  ];
});
console.log(
  `${STEPS} steps of exponential work (mean ${MEAN_WORK_S * 1000} ms) per worker, a barrier after each step (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["workers", "job time (s)", "expected: steps x mean x H(N) (s)", "workers busy"],
    rows,
  ),
);
