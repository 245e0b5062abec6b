/**
 * Retry storm: a five-second overload that never ends.
 *
 * Scenario: a server with 10 workers (100 ms each: 100 requests/s) runs at 80% on 80 requests/s.
 * From t = 20 s to 25 s the load doubles. Clients time out after 500 ms and make up to 4
 * attempts. The server cannot tell that a caller gave up, so it keeps serving abandoned
 * requests. Once the queue holds more than half a second of work, every attempt times out,
 * every request becomes four attempts, and 80 requests/s turn into 320 attempts/s against a
 * capacity of 100: the overload sustains itself after its cause is gone (a metastable
 * failure). Three client set-ups:
 *   - immediate retries: never recovers;
 *   - exponential backoff with jitter: spreads the retries out but sends just as many, so
 *     here it does not recover either (backoff paces retries; it does not ration them);
 *   - the same backoff with a retry budget of 10% (each request earns a tenth of a retry):
 *     under overload the client adds at most 10% to the load instead of 300%, 88 attempts/s
 *     fit in 100/s of capacity, and the backlog drains: it recovers, but only some 30 s after
 *     the spike, because every abandoned request in the queue is still served first;
 *   - immediate retries through a circuit breaker: after 20 straight failures it stops
 *     sending for 2 s, the server works off its backlog, a probe succeeds, traffic resumes.
 *
 * It also writes reports/retry-storm.html: goodput, p99 latency and the server's queue over
 * time for the three set-ups, drawn offline in any browser.
 *
 * Run: npm run demo   (or: npx tsx --conditions=distsim-source examples/resilience/retry-storm.ts)
 */
import {
  arrivals,
  CircuitBreaker,
  Client,
  dist,
  type Entity,
  Probe,
  profile,
  type RetryPolicy,
  retry,
  Server,
  Simulation,
  Source,
} from "distsim";
import type { ReportSeries } from "distsim/report";
import { writeReport } from "distsim/report";
import { formatTable } from "../support/table.js";

const SEED = 5;
const LOAD = profile.spike({ base: 80, peak: 160, start: 20, duration: 5 });
const RUN_FOR_S = 80;
const WINDOW_S = 10;

interface Setup {
  name: string;
  retryPolicy: RetryPolicy;
  breaker: boolean;
  /** Retries allowed per request (a retry budget), if any. */
  retryBudget?: number;
}

interface Outcome {
  row: string[];
  goodput: ReportSeries;
  p99: ReportSeries;
  queue: ReportSeries;
}

function run(setup: Setup): Outcome {
  const sim = new Simulation({ seed: SEED });
  const server = new Server<number, number>(sim, "server", {
    concurrency: 10,
    serviceTime: dist.exponential(0.1),
  });
  let target: Entity<number, number> = server;
  if (setup.breaker) {
    target = new CircuitBreaker<number, number>(sim, "breaker", {
      target: server,
      timeout: 0.5,
      failureThreshold: 20,
      openDuration: 2,
    });
  }
  const client = new Client<number, number>(sim, "client", {
    target,
    timeout: 0.6,
    retryPolicy: setup.retryPolicy,
    ...(setup.retryBudget === undefined ? {} : { retryBudget: { ratio: setup.retryBudget } }),
  });
  const queue = new Probe(sim, "queue", { read: () => server.queued, interval: 0.5 });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(LOAD),
    stopAfter: { time: RUN_FOR_S },
  });
  const goodput: string[] = [];
  let succeededBefore = 0;
  for (let end = WINDOW_S; end <= RUN_FOR_S; end += WINDOW_S) {
    sim.run({ until: end });
    const succeeded = client.stats.succeeded;
    goodput.push(String(Math.round((succeeded - succeededBefore) / WINDOW_S)));
    succeededBefore = succeeded;
  }
  const series = Object.fromEntries(client.recordedSeries().map((s) => [s.name, s.points]));
  return {
    row: [setup.name, ...goodput, String(server.stats.queued)],
    goodput: { name: setup.name, points: series["client goodput"]! },
    p99: {
      name: setup.name,
      points: series["client p99 latency"]!.map(([t, v]) => [t, v * 1000] as const),
    },
    queue: { name: setup.name, points: queue.points },
  };
}

const outcomes = [
  run({
    name: "immediate retries",
    retryPolicy: retry.fixed({ maxAttempts: 4, delay: 0 }),
    breaker: false,
  }),
  run({
    name: "backoff + jitter",
    retryPolicy: retry.exponentialBackoff({ maxAttempts: 4, initial: 0.5, jitter: "full" }),
    breaker: false,
  }),
  run({
    name: "backoff + jitter, 10% budget",
    retryPolicy: retry.exponentialBackoff({ maxAttempts: 4, initial: 0.5, jitter: "full" }),
    breaker: false,
    retryBudget: 0.1,
  }),
  run({
    name: "retries + circuit breaker",
    retryPolicy: retry.fixed({ maxAttempts: 4, delay: 0 }),
    breaker: true,
  }),
];
const header = ["clients"];
for (let start = 0; start < RUN_FOR_S; start += WINDOW_S)
  header.push(`${start}-${start + WINDOW_S}s`);
header.push(`queue at ${RUN_FOR_S}s`);
console.log(
  "Retry storm: successful requests per second, by window. Load 80/s, 160/s from 20s to 25s; " +
    `capacity 100/s; 600 ms timeout, 4 attempts (seed ${SEED})\n`,
);
const rows = outcomes.map((o) => o.row);
console.log(formatTable(header, rows));

const reportPath = writeReport(
  {
    title: "Retry storm",
    subtitle:
      `Load 80/s with a spike to 160/s from 20s to 25s against 100/s of capacity; ` +
      `600 ms timeout, 4 attempts; seed ${SEED}.`,
    charts: [
      {
        title: "Goodput (successful requests per second)",
        yLabel: "per second",
        series: outcomes.map((o) => o.goodput),
      },
      {
        title: "p99 latency of successful requests, per second",
        yLabel: "ms",
        series: outcomes.map((o) => o.p99),
      },
      {
        title: "Requests waiting at the server",
        yLabel: "requests",
        series: outcomes.map((o) => o.queue),
      },
    ],
    tables: [{ title: "Successful requests per second, by window", columns: header, rows }],
  },
  "reports/retry-storm.html",
);
console.log(`\nReport: ${reportPath.slice(reportPath.indexOf("reports/"))}`);
