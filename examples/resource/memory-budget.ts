/**
 * Container: a level that work draws from and gives back, here a memory budget.
 *
 * Scenario: a worker host with 1,024 MB for jobs runs image conversions that arrive at 16/s
 * (Poisson), need 50-150 MB each (uniform) and run ~0.5 s (exponential). On average they use
 * 800 MB, well under the budget, yet random peaks go over it.
 *
 *   - No budget: every job starts at once; memory in use peaks at twice the budget and is over
 *     it almost a quarter of the time, which on a real host means swapping or the OOM killer.
 *   - A Container of 1,024 MB that each job draws its size from before it starts and gives
 *     back when it ends: memory in use never passes the budget; the peaks turn into a wait to
 *     start (about 0.2 s on average, 2.3 s at worst) (the Container serves waiters in order, so a big job is not starved by
 *     small ones).
 *
 * Columns over 300 s: jobs finished, the peak memory in use, the share of time over the
 * budget, and the mean and longest wait to start.
 *
 * Run: npx tsx --conditions=distsim-source examples/resource/memory-budget.ts
 */
import { Container, Entity, Simulation } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 11;
const JOBS_PER_S = 16;
const BUDGET_MB = 1024;
const RUN_S = 300;

function run(budgeted: boolean): string[] {
  const sim = new Simulation({ seed: SEED });
  const host = new Entity(sim, "host");
  const memory = new Container(host, { name: "memory", capacity: BUDGET_MB, initial: BUDGET_MB });
  const arrivals = host.random("arrivals");
  const sizes = host.random("sizes");
  const durations = host.random("durations");
  let inUse = 0;
  let peak = 0;
  let overSinceNs = -1;
  let overNs = 0;
  let finished = 0;
  let waits = 0;
  let waitSum = 0;
  let longestWait = 0;
  const use = (mb: number) => {
    inUse += mb;
    peak = Math.max(peak, inUse);
    const over = inUse > BUDGET_MB;
    if (over && overSinceNs < 0) overSinceNs = sim.nowNs;
    if (!over && overSinceNs >= 0) {
      overNs += sim.nowNs - overSinceNs;
      overSinceNs = -1;
    }
  };

  host.start(function* () {
    for (;;) {
      yield arrivals.exponential(1 / JOBS_PER_S);
      if (host.now >= RUN_S) return;
      const size = Math.round(sizes.uniform(50, 150));
      const duration = durations.exponential(0.5);
      host.start(function* () {
        const asked = host.now;
        if (budgeted) yield* memory.get(size);
        const waited = host.now - asked;
        waits++;
        waitSum += waited;
        longestWait = Math.max(longestWait, waited);
        use(size);
        yield duration;
        use(-size);
        if (budgeted) yield* memory.put(size);
        finished++;
      });
    }
  });
  sim.run();
  return [
    budgeted ? `Container of ${BUDGET_MB} MB` : "no budget",
    String(finished),
    `${peak} MB`,
    `${((overNs / 1e9 / sim.now) * 100).toFixed(1)}%`,
    `${((waitSum / waits) * 1000).toFixed(1)} ms`,
    `${(longestWait * 1000).toFixed(0)} ms`,
  ];
}

console.log(
  `Jobs of 50-150 MB at ${JOBS_PER_S}/s, ~0.5 s each, on a host with ${BUDGET_MB} MB, ${RUN_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["memory", "jobs", "peak in use", "time over budget", "mean wait", "longest wait"],
    [run(false), run(true)],
  ),
);
