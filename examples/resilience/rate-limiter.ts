/**
 * RateLimiter: one client's burst should not be every client's outage.
 *
 * Scenario: two clients share one backend (10 workers, ~10 ms per request: about 1,000
 * requests/s at most). Each normally sends 300 requests/s, and users give up after 1 s. Then
 * the "noisy" client misbehaves (a batch job, a retry loop gone wrong): for 2 s it sends
 * 3,000 requests/s.
 *
 *   - No limiter: the backend's queue grows by about 2,300 requests every second of the burst,
 *     and the backend works the backlog of about 4,600 off at the 400/s it has spare: over
 *     11 s, mostly serving requests whose users gave up long ago. The well-behaved client's
 *     requests wait behind it: its p99 sits at the 1 s timeout and more than half of its
 *     requests fail, though it sent nothing unusual.
 *   - A limiter per client (a token bucket of 400 requests/s with bursts of 40): the noisy
 *     client's excess is refused at its own limiter at once ("rate limited"), the backend
 *     stays below its capacity, and the well-behaved client never notices. Its own limiter
 *     never refuses it: it stays under its rate.
 *
 * Columns: what each client saw over 20 s. "ok" is the share of requests answered within 1 s;
 * p99 is over every finished request, failures at the time they were given up, so a collapse
 * shows as a p99 at the timeout rather than as the healthy p99 of the few that succeeded.
 *
 * Run: npx tsx --conditions=distsim-source examples/resilience/rate-limiter.ts
 */
import {
  arrivals,
  Client,
  dist,
  type Entity,
  profile,
  RateLimiter,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 11;
const WORKERS = 10;
const SERVICE = dist.exponential(0.01);
const USER_TIMEOUT_S = 1;
const NORMAL_RATE_PER_S = 300;
const BURST_RATE_PER_S = 3000;
const BURST_FROM_S = 5;
const BURST_FOR_S = 2;
const LIMIT_PER_S = 400;
const LIMIT_BURST = 40;
const RUN_FOR_S = 20;

function run(limited: boolean): string[][] {
  const sim = new Simulation({ seed: SEED });
  const backend = new Server<number, number>(sim, "backend", {
    concurrency: WORKERS,
    serviceTime: SERVICE,
  });
  const limiters: RateLimiter<number, number>[] = [];
  const client = (name: string, rate: number | ReturnType<typeof profile.step>) => {
    let path: Entity<number, number> = backend;
    if (limited) {
      const limiter = new RateLimiter<number, number>(sim, `${name}-limiter`, {
        target: backend,
        rate: LIMIT_PER_S,
        burst: LIMIT_BURST,
      });
      limiters.push(limiter);
      path = limiter;
    }
    const users = new Client<number, number>(sim, name, { target: path, timeout: USER_TIMEOUT_S });
    new Source(sim, `${name}-load`, {
      target: users,
      arrivals: arrivals.poisson(rate),
      stopAfter: { time: RUN_FOR_S },
    });
    return users;
  };
  const polite = client("polite", NORMAL_RATE_PER_S);
  const noisy = client(
    "noisy",
    profile.step(NORMAL_RATE_PER_S, [
      { at: BURST_FROM_S, value: BURST_RATE_PER_S },
      { at: BURST_FROM_S + BURST_FOR_S, value: NORMAL_RATE_PER_S },
    ]),
  );
  sim.run({ until: RUN_FOR_S + 2 });
  const row = (users: Client<number, number>, index: number) => {
    const s = users.stats;
    return [
      limited ? "limiter per client" : "no limiter",
      users.name,
      String(s.requests),
      `${((100 * s.succeeded) / s.requests).toFixed(1)}%`,
      (users.finishedLatency.percentile(0.99) * 1000).toFixed(1),
      limited ? String(limiters[index]!.stats.rejected) : "-",
    ];
  };
  return [row(polite, 0), row(noisy, 1)];
}

console.log(
  `RateLimiter: two clients share a backend of ${WORKERS} workers (~10 ms each); each sends ${NORMAL_RATE_PER_S}/s, ` +
    `the noisy one ${BURST_RATE_PER_S}/s for ${BURST_FOR_S} s from ${BURST_FROM_S} s; users wait ${USER_TIMEOUT_S} s; ` +
    `${RUN_FOR_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["setup", "client", "requests", "ok", "p99 (ms)", "refused by its limiter"],
    [...run(false), ...run(true)],
  ),
);
console.log(
  `\nEach limiter admits ${LIMIT_PER_S} requests/s with bursts of ${LIMIT_BURST}: the noisy client's excess is refused ` +
    "at once, at its own door, instead of queueing in front of everyone else's requests.",
);
