/**
 * Capacity planning: how many servers keep the p99 under 300 ms through the evening peak?
 *
 * The model of docs/guide.md, built step by step there. Users arrive at 300 requests/s, rising
 * to 450/s for the peak (t = 60-120 s). A client (timeout 500 ms, up to 3 attempts with
 * backoff and a 10% retry budget) calls a load balancer (power of two choices) over a
 * datacenter network; behind it, N servers of 8 workers each, with a lognormal service time
 * (median 40 ms, a long tail) and a queue of 100. One server is a slower older machine.
 * For N = 3..6 it prints what users saw, overall and in the peak: the answer is the
 * smallest N whose worst peak second meets the target, and the table shows what each step
 * buys. Past that, more servers buy almost nothing: the p99 is then the service time's own
 * tail, which no amount of capacity removes (only hedging or a faster service would).
 *
 * Run: npx tsx --conditions=distsim-source examples/guide/capacity-planning.ts
 */
import {
  arrivals,
  Client,
  conditions,
  dist,
  LoadBalancer,
  Network,
  NetworkLink,
  profile,
  retry,
  Server,
  Simulation,
  Source,
  strategy,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 2026;
const LOAD = profile.step(300, [
  { at: 60, value: 450 },
  { at: 120, value: 300 },
]);
const RUN_FOR_S = 180;
const TARGET_P99_S = 0.3;
const SERVICE = dist.lognormal({ median: 0.04, sigma: 0.6 });
const OLD_SERVER_SERVICE = dist.lognormal({ median: 0.06, sigma: 0.6 });

function model(servers: number) {
  const sim = new Simulation({ seed: SEED });
  new Network(sim, "dc", { defaultLink: new NetworkLink(sim, "dc-link", conditions.datacenter()) });
  const backends = Array.from(
    { length: servers },
    (_, i) =>
      new Server<number, number>(sim, `api-${i}`, {
        concurrency: 8,
        // The last server is an older machine: 50% slower.
        serviceTime: i === servers - 1 ? OLD_SERVER_SERVICE : SERVICE,
        queueCapacity: 100,
      }),
  );
  const lb = new LoadBalancer<number, number>(sim, "lb", {
    backends,
    strategy: strategy.powerOfTwoChoices(),
  });
  const client = new Client<number, number>(sim, "users", {
    target: lb,
    timeout: 0.5,
    retryPolicy: retry.exponentialBackoff({ maxAttempts: 3, initial: 0.05, jitter: "full" }),
    retryBudget: { ratio: 0.1 },
  });
  new Source(sim, "traffic", {
    target: client,
    arrivals: arrivals.poisson(LOAD),
    stopAfter: { time: RUN_FOR_S },
  });
  return { sim, client, backends };
}

const rows: string[][] = [];
let answer: number | null = null;
for (let servers = 3; servers <= 6; servers++) {
  const { sim, client, backends } = model(servers);
  sim.run();
  const stats = client.stats;
  // The peak's own p99: successful requests that completed in t = 60..120 s.
  const peak = client.latencySeries
    .windows()
    .filter((w) => w.start >= 60 && w.start < 120 && w.count > 0);
  const peakP99 = Math.max(...peak.map((w) => w.percentile(0.99)));
  const busiest = Math.max(...backends.map((b) => b.stats.utilization));
  if (answer === null && peakP99 <= TARGET_P99_S && stats.gaveUp === 0) answer = servers;
  rows.push([
    String(servers),
    `${(stats.p50Latency * 1000).toFixed(0)}`,
    `${(stats.p99Latency * 1000).toFixed(0)}`,
    `${(peakP99 * 1000).toFixed(0)}`,
    String(stats.gaveUp),
    `${((stats.retries / stats.requests) * 100).toFixed(1)}%`,
    `${(busiest * 100).toFixed(0)}%`,
  ]);
}

console.log(
  `Capacity planning: 300 requests/s, 450/s from 60 s to 120 s; servers of 8 workers, ` +
    `lognormal service (median 40 ms, one server 60 ms); target peak p99 <= ${TARGET_P99_S * 1000} ms (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "servers",
      "p50 ms",
      "p99 ms",
      "worst peak-second p99 ms",
      "failed requests",
      "retries",
      "busiest server",
    ],
    rows,
  ),
);
const ms = (seconds: number) => (seconds * 1000).toFixed(0);
console.log(
  answer === null
    ? "\nNo server count tried meets the target."
    : `\n${answer} servers is the smallest fleet whose worst peak second meets the target with no failed request.`,
);
console.log(
  `Beyond it the p99 barely moves: service time alone has a p99 of ${ms(SERVICE.percentile(0.99)!)} ms ` +
    `(${ms(OLD_SERVER_SERVICE.percentile(0.99)!)} ms on the old server), and capacity cannot remove it.`,
);
