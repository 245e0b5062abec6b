/**
 * Power of two choices: two random probes do almost as well as asking every backend.
 *
 * Scenario: ten servers behind a load balancer, one worker each, exponential service times.
 * Seven are fast (10 ms on average: 100 requests/s each), three are slow (25 ms: 40/s each),
 * say an older instance type. Together they serve 820 requests/s; 600/s arrive (73% load).
 * Four strategies:
 *   - random and round robin ignore load, so every server gets 60/s. That is 60% load for a
 *     fast server and 150% for a slow one: the slow servers' queues grow for as long as the
 *     run lasts, and everyone unlucky enough to land there waits behind them.
 *   - least connections asks all ten for their requests in flight and picks the fewest: the
 *     slow servers, which hold on to requests longer, naturally get fewer.
 *   - power of two choices asks two servers at random and picks the less busy: two probes
 *     instead of ten, and a slow server with a queue loses almost every comparison.
 *
 * The balancer knows each backend's requests in flight because it forwarded them; "probed"
 * counts how many of those numbers a strategy reads per request (in a real, distributed
 * balancer each is a message or a stale cache entry).
 *
 * Run: npx tsx --conditions=distsim-source examples/loadBalancer/power-of-two-choices.ts
 */
import {
  arrivals,
  Client,
  dist,
  LoadBalancer,
  type LoadBalancingStrategy,
  Probe,
  Server,
  Simulation,
  Source,
  strategy,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 3;
const FAST_SERVERS = 7;
const SLOW_SERVERS = 3;
const FAST_SERVICE_S = 0.01;
const SLOW_SERVICE_S = 0.025;
const LOAD_PER_S = 600;
const RUN_FOR_S = 30;
const SAMPLE_EVERY_S = 0.1;

interface Setup {
  name: string;
  strategy: LoadBalancingStrategy<number>;
  probed: string;
}

function run(setup: Setup): string[] {
  const sim = new Simulation({ seed: SEED });
  const servers: Server<number, number>[] = [];
  for (let i = 0; i < FAST_SERVERS + SLOW_SERVERS; i++) {
    const slow = i >= FAST_SERVERS;
    servers.push(
      new Server<number, number>(sim, slow ? `slow-${i - FAST_SERVERS + 1}` : `fast-${i + 1}`, {
        serviceTime: dist.exponential(slow ? SLOW_SERVICE_S : FAST_SERVICE_S),
      }),
    );
  }
  const lb = new LoadBalancer<number, number>(sim, "lb", {
    backends: servers,
    strategy: setup.strategy,
  });
  const client = new Client<number, number>(sim, "client", { target: lb });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(LOAD_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  let longest = 0;
  new Probe(sim, "longest queue", {
    read: () => {
      for (const server of servers) longest = Math.max(longest, server.queued);
      return longest;
    },
    interval: SAMPLE_EVERY_S,
  });
  sim.run();
  const stats = lb.stats;
  const toSlow = stats.backends
    .filter((b) => b.name.startsWith("slow"))
    .reduce((sum, b) => sum + b.forwarded, 0);
  const c = client.stats;
  return [
    setup.name,
    setup.probed,
    (c.p50Latency * 1000).toFixed(0),
    (c.p99Latency * 1000).toFixed(0),
    String(longest),
    `${((100 * toSlow) / stats.forwarded).toFixed(1)}%`,
  ];
}

const rows = [
  { name: "random", strategy: strategy.random(), probed: "0" },
  { name: "round robin", strategy: strategy.roundRobin(), probed: "0" },
  { name: "least connections", strategy: strategy.leastConnections(), probed: "10" },
  { name: "power of two choices", strategy: strategy.powerOfTwoChoices(), probed: "2" },
].map(run);

const capacity = FAST_SERVERS / FAST_SERVICE_S + SLOW_SERVERS / SLOW_SERVICE_S;
console.log(
  `Power of two choices: ${FAST_SERVERS} fast servers (${FAST_SERVICE_S * 1000} ms) and ` +
    `${SLOW_SERVERS} slow ones (${SLOW_SERVICE_S * 1000} ms), ${LOAD_PER_S} requests/s ` +
    `against ${capacity}/s of capacity, ${RUN_FOR_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["strategy", "probed", "p50 ms", "p99 ms", "longest queue", "sent to slow servers"],
    rows,
  ),
);
const slowShare = (100 * SLOW_SERVERS) / SLOW_SERVICE_S / capacity;
const evenShare = (100 * SLOW_SERVERS) / (FAST_SERVERS + SLOW_SERVERS);
console.log(
  "\nprobed: backends whose load the strategy reads per request.\n" +
    `longest queue: most requests waiting at one server, sampled every ${SAMPLE_EVERY_S * 1000} ms.\n` +
    `The slow servers have ${slowShare.toFixed(1)}% of the capacity; an even split sends them ${evenShare}%,\n` +
    "more than they can serve, so under random and round robin their queues grow all run long.",
);
