/**
 * Pooled client: when the pool, not the server, is the bottleneck.
 *
 * Scenario: 600 requests/s go through a PooledClient to an API server with 32 workers and
 * about 10 ms of work per request, so about 6 requests are in flight at any moment and the
 * server is a fifth busy. Every request holds a pooled connection while it is in flight. With
 * 16 connections that costs nothing. With 8 the pool is 75% busy and requests start queueing
 * for a connection; with 7 (87%) p99 is half as long again; with 6 the pool is as busy as the
 * load (102%) and the wait for a connection is 96% of the latency; with 5 it cannot carry the
 * load and one request in six gives up after the 1 s acquire timeout. The server is as idle
 * in every row (a little idler in the last): its dashboards look fine, because the queue is
 * in the client. Latency has to be measured where the caller waits.
 *
 *   Source -> PooledClient -> ConnectionPool (max N) -> Server (32 workers)
 *
 * Run: npx tsx --conditions=distsim-source examples/client/pool-too-small.ts
 */
import { arrivals, ConnectionPool, dist, PooledClient, Server, Simulation, Source } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 8;
const RATE_PER_S = 600;
const WORK_MEDIAN_S = 0.009;
const RUN_FOR_S = 30;
const ACQUIRE_TIMEOUT_S = 1;

function run(maxConnections: number): string[] {
  const sim = new Simulation({ seed: SEED });
  const api = new Server<number, number>(sim, "api", {
    concurrency: 32,
    serviceTime: dist.lognormal({ median: WORK_MEDIAN_S, sigma: 0.5 }),
  });
  const pool = new ConnectionPool<number, number>(sim, "pool", {
    target: api,
    minConnections: maxConnections,
    maxConnections,
    connectLatency: dist.constant(0.03),
    acquireTimeout: ACQUIRE_TIMEOUT_S,
  });
  const client = new PooledClient<number, number>(sim, "client", { pool, timeout: 2 });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(RATE_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run();
  const s = client.stats;
  const ms = (seconds: number) => (seconds * 1000).toFixed(1);
  return [
    String(maxConnections),
    `${(100 * api.stats.utilization).toFixed(0)}%`,
    ms(s.p50Latency),
    ms(s.p99Latency),
    ms(s.meanConnectionWait),
    ms(s.meanLatency - s.meanConnectionWait),
    `${((100 * s.gaveUp) / s.requests).toFixed(1)}%`,
  ];
}

console.log(
  `Pooled client: ${RATE_PER_S} requests/s for ${RUN_FOR_S} s, ~10 ms of server work each ` +
    `(32 workers), ${ACQUIRE_TIMEOUT_S} s acquire timeout (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "max connections",
      "server busy",
      "p50 latency (ms)",
      "p99 latency (ms)",
      "mean wait for a connection (ms)",
      "mean time holding it (ms)",
      "gave up",
    ],
    [16, 8, 7, 6, 5].map(run),
  ),
);
