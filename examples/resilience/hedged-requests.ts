/**
 * Hedged requests: cut the tail with a second copy, and see when the copies cost too much.
 *
 * Scenario: a service with 8 workers behind one queue. Almost every request takes about
 * 10 ms (lognormal, median 10 ms), but 1.5% of attempts hit a 500 ms stall (a GC pause, a
 * cold cache, a slow disk): bad luck of the attempt, not of the request. Without hedging,
 * those stalls *are* the p99. A `Hedge` in front of the service waits `hedgeAfter` for an
 * answer, then sends one more copy; the first answer wins and the other copy is abandoned
 * (the server still does its work: it cannot tell that nobody waits for it). `hedgeAfter` is
 * set to the p95 measured without hedging, so only the slowest 5% or so cost a second copy.
 *
 * Three loads, with and without hedging, each hedging after its own p95:
 *   - at 30% utilization a copy finds an idle worker, so it adds a few percent of load and
 *     the p99 drops from a stall to an ordinary request;
 *   - at 50% a burst of stalls makes requests wait longer than `hedgeAfter`; then every
 *     request that arrives during the burst is hedged, which adds load exactly when there is
 *     none to spare (doubled, 50% is 100%), so the queue grows and hedges more requests: the
 *     tail gets worse, not better;
 *   - at 70% the same feedback runs away: most requests are hedged, the service is saturated
 *     by copies nobody will wait for, and every percentile is in seconds.
 * Hedging is safe only while the load, doubled, still fits, unless the copies are capped: the
 * third row of each load gives the Hedge a budget of 5% (each request earns 0.05 of a copy, at
 * most 10 saved), as real systems do. A burst of stalls then spends the budget on its first
 * few requests instead of doubling the load, and hedging helps at every load.
 *
 * Columns: latency percentiles as the client sees them (first answer); "extra copies" is
 * hedges sent per request, the extra load hedging puts on the service; "server busy" is the
 * fraction of worker time spent serving, over the whole run (backlog included).
 *
 * Run: npx tsx --conditions=distsim-source examples/resilience/hedged-requests.ts
 */
import { arrivals, Client, dist, Hedge, Server, Simulation, Source } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 11;
const WORKERS = 8;
const FAST = dist.lognormal({ median: 0.01, sigma: 0.3 });
const STALL_S = 0.5;
const STALL_PROBABILITY = 0.015;
const SERVICE_TIME = dist.bimodal(FAST, dist.constant(STALL_S), STALL_PROBABILITY);
/** Mean work per attempt, seconds: the fast path plus the stalls' share. */
const MEAN_SERVICE_S = SERVICE_TIME.mean()!;
const CAPACITY_PER_S = WORKERS / MEAN_SERVICE_S;
const RUN_FOR_S = 40;
/** Offered load as a fraction of capacity, one pair of rows each. */
const LOADS = [0.3, 0.5, 0.7];

interface Outcome {
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  requests: number;
  hedges: number;
  utilization: number;
}

/** Copies allowed per request in the budgeted rows (5%, saved up to 10). */
const BUDGET = { ratio: 0.05, burst: 10 };

function run(utilization: number, hedgeAfter: number | null, budgeted = false): Outcome {
  const sim = new Simulation({ seed: SEED });
  const server = new Server<number, number>(sim, "service", {
    concurrency: WORKERS,
    serviceTime: SERVICE_TIME,
  });
  const hedge =
    hedgeAfter === null
      ? null
      : new Hedge<number, number>(sim, "hedge", {
          target: server,
          hedgeAfter,
          ...(budgeted ? { budget: BUDGET } : {}),
        });
  const client = new Client<number, number>(sim, "client", { target: hedge ?? server });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(utilization * CAPACITY_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run();
  const latency = client.latency;
  return {
    p50: latency.p50,
    p95: latency.percentile(0.95),
    p99: latency.p99,
    p999: latency.p999,
    requests: client.stats.requests,
    hedges: hedge?.stats.hedgesSent ?? 0,
    utilization: server.stats.utilization,
  };
}

const ms = (seconds: number) => (seconds * 1000).toFixed(1);
const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

const rows: string[][] = [];
const verdicts: string[] = [];
for (const load of LOADS) {
  const plain = run(load, null);
  // Hedge after the p95 this load has without hedging, rounded to the millisecond.
  const hedgeAfter = Math.round(plain.p95 * 1000) / 1000;
  const hedged = run(load, hedgeAfter);
  const budgeted = run(load, hedgeAfter, true);
  const extra = percent(hedged.hedges / hedged.requests);
  verdicts.push(
    hedged.p99 < plain.p99
      ? `At ${percent(load)}: hedging cuts p99 from ${ms(plain.p99)} to ${ms(hedged.p99)} ms for ${extra} extra copies.`
      : `At ${percent(load)}: hedging backfires: ${extra} extra copies, p50 ${ms(plain.p50)} -> ${ms(hedged.p50)} ms, p99 ${ms(plain.p99)} -> ${ms(hedged.p99)} ms; ` +
          `with a ${percent(BUDGET.ratio)} budget, p99 ${ms(budgeted.p99)} ms for ${percent(budgeted.hedges / budgeted.requests)} extra copies.`,
  );
  for (const [label, o] of [
    ["no hedging", plain],
    [`hedge after ${ms(hedgeAfter)} ms`, hedged],
    [`  same, budget ${percent(BUDGET.ratio)}`, budgeted],
  ] as const) {
    rows.push([
      percent(load),
      label,
      ms(o.p50),
      ms(o.p99),
      ms(o.p999),
      percent(o.hedges / o.requests),
      percent(o.utilization),
    ]);
  }
}

console.log(
  `Hedged requests: ${WORKERS} workers, service ~10 ms but ${percent(STALL_PROBABILITY)} of attempts ` +
    `stall ${STALL_S * 1000} ms (capacity ${Math.round(CAPACITY_PER_S)}/s); ${RUN_FOR_S} s of Poisson ` +
    `arrivals per row (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["offered load", "client", "p50 (ms)", "p99 (ms)", "p99.9 (ms)", "extra copies", "server busy"],
    rows,
  ),
);
console.log(`\n${verdicts.join("\n")}`);
