/**
 * A network partition, as a client sees it: not an error, just silence.
 *
 * Scenario: users send 10 requests/s through a `Client` (500 ms timeout per attempt) to a
 * `Server` across a datacenter network. From t = 10 s to t = 20 s the network partitions the
 * client from the server. Nothing fails loudly: requests and replies are dropped in flight, and
 * the client learns only through its timeouts, half a second late each time.
 *
 * Two clients, run separately: one gives up after its first timeout; one retries with
 * exponential backoff (4 attempts, 0.5 s doubling, full jitter). Retries cannot beat a 10 s
 * partition (every request issued early in it fails anyway, after 4x the load on a dead
 * path), but they rescue the requests issued in its last seconds: their later attempts land
 * after the heal. After the heal the next call succeeds at once: nothing was queued, nothing
 * is redelivered.
 *
 * Run: npx tsx --conditions=distsim-source examples/network/partition.ts
 */
import {
  arrivals,
  Client,
  conditions,
  dist,
  Network,
  NetworkLink,
  type RetryPolicy,
  retry,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 8;
const RATE_PER_S = 10;
const TIMEOUT_S = 0.5;
const PARTITION_FROM_S = 10;
const PARTITION_UNTIL_S = 20;
const RUN_FOR_S = 30;
const WINDOW_S = 5;

/** Per window: [requests that succeeded, requests that failed, attempts sent]. */
function run(retryPolicy: RetryPolicy): { windows: number[][]; dropped: number } {
  const sim = new Simulation({ seed: SEED });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
  });
  const server = new Server<number, number>(sim, "server", {
    concurrency: 8,
    serviceTime: dist.constant(0.005),
  });
  const client = new Client<number, number>(sim, "client", {
    target: server,
    timeout: TIMEOUT_S,
    retryPolicy,
  });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.constant(RATE_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.at(PARTITION_FROM_S, () => net.partition([client], [server]));
  sim.at(PARTITION_UNTIL_S, () => net.heal());
  const windows: number[][] = [];
  let before = client.stats;
  for (let end = WINDOW_S; end <= RUN_FOR_S; end += WINDOW_S) {
    sim.run({ until: end });
    const now = client.stats;
    windows.push([
      now.succeeded - before.succeeded,
      now.gaveUp - before.gaveUp,
      now.forwarded - before.forwarded,
    ]);
    before = now;
  }
  sim.run(); // let the last requests finish
  return { windows, dropped: net.messagesDroppedByPartition };
}

const once = run(retry.noRetry());
const retried = run(retry.exponentialBackoff({ maxAttempts: 4, initial: 0.5, jitter: "full" }));
const rows = once.windows.map((w, i) => {
  const start = i * WINDOW_S;
  const r = retried.windows[i]!;
  const partitioned = start >= PARTITION_FROM_S && start < PARTITION_UNTIL_S;
  return [
    `${start}-${start + WINDOW_S}s`,
    partitioned ? "partitioned" : "healthy",
    String(w[0]),
    String(w[1]),
    String(r[0]),
    String(r[1]),
    String(r[2]),
  ];
});
console.log(
  `Partition: ${RATE_PER_S} requests/s, ${TIMEOUT_S * 1000} ms timeout per attempt; ` +
    `partitioned from ${PARTITION_FROM_S}s to ${PARTITION_UNTIL_S}s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "finished in",
      "network",
      "no retry: ok",
      "failed",
      "backoff x4: ok",
      "failed",
      "attempts sent",
    ],
    rows,
  ),
);
const total = (windows: number[][], k: number) => windows.reduce((sum, w) => sum + w[k]!, 0);
console.log(
  `\nRequests lost to the partition: ${total(once.windows, 1)} without retries, ` +
    `${total(retried.windows, 1)} with backoff (which sent ${total(retried.windows, 2)} attempts ` +
    `for ${total(retried.windows, 0) + total(retried.windows, 1)} requests). ` +
    `Messages dropped by the partition: ${once.dropped} and ${retried.dropped}.`,
);
