/**
 * AdaptiveRateLimiter: a limiter that finds its target's capacity, and finds it again when it
 * halves.
 *
 * Scenario: a backend of 10 workers (about 10 ms per request: 1,000 requests/s) with room for
 * 20 waiting requests, which it refuses beyond. At 60 s it loses half its workers (500/s). A
 * caller offers 1,300 requests/s throughout, more than the backend ever serves, through one of
 * two limiters:
 *
 *   - fixed: a token bucket of 1,000/s, the backend's capacity on the day it was configured.
 *     Before 60 s it is right. After, it admits twice what the backend serves: the backend's
 *     queue stays full, half of what is admitted is refused there, and every success waited
 *     behind a full queue.
 *   - adaptive (AIMD): starts at 600/s, adds 25/s after each 1 s window of successes in which
 *     it refused something, and multiplies its rate by 0.9 at the first refusal by the backend
 *     in a window. It climbs to the capacity, saw-tooths just under it, and after 60 s comes
 *     down to the new capacity within seconds: the backend stops refusing, and the latency of
 *     successes falls back to the service time.
 *
 * Columns (each 10 s span of the 120 s run): the backend's capacity; for each limiter the
 * requests it admitted per second (for the adaptive one also its rate at the end of the span),
 * the share of the requests settled in the span that the backend served (the rest it refused:
 * its queue was full), and the p99 latency of those served, as the caller saw it.
 *
 * Run: npx tsx --conditions=distsim-source examples/resilience/adaptive-rate-limiter.ts
 */
import {
  AdaptiveRateLimiter,
  arrivals,
  Client,
  concurrency,
  dist,
  type Entity,
  RateLimiter,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 3;
const WORKERS = 10;
const SERVICE_MEAN_S = 0.01;
const QUEUE_CAPACITY = 20;
const HALVED_AT_S = 60;
const OFFERED_PER_S = 1300;
const FIXED_RATE_PER_S = WORKERS / SERVICE_MEAN_S;
const INITIAL_RATE_PER_S = 600;
const INCREASE_PER_S = 25;
const SPAN_S = 10;
const RUN_FOR_S = 120;

interface Counts {
  admitted: number;
  succeeded: number;
  failed: number;
  timedOut: number;
}

interface Span {
  admittedPerS: number;
  servedShare: number;
  p99: number;
  rate: number;
}

function run(adaptive: boolean): Span[] {
  const sim = new Simulation({ seed: SEED });
  const workers = concurrency.dynamic({ initial: WORKERS, max: WORKERS });
  const backend = new Server<number, number>(sim, "backend", {
    concurrency: workers,
    serviceTime: dist.exponential(SERVICE_MEAN_S),
    queueCapacity: QUEUE_CAPACITY,
  });
  sim.at(HALVED_AT_S, () => workers.setLimit(WORKERS / 2));
  const limiter: Entity<number, number> & { stats: Counts } = adaptive
    ? new AdaptiveRateLimiter<number, number>(sim, "limiter", {
        target: backend,
        initialRate: INITIAL_RATE_PER_S,
        increase: INCREASE_PER_S,
        failureFactor: 0.9,
      })
    : new RateLimiter<number, number>(sim, "limiter", {
        target: backend,
        rate: FIXED_RATE_PER_S,
        burst: FIXED_RATE_PER_S / 10,
      });
  const caller = new Client<number, number>(sim, "caller", {
    target: limiter,
    timeout: 1,
    window: SPAN_S,
  });
  new Source(sim, "load", {
    target: caller,
    arrivals: arrivals.poisson(OFFERED_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  const spans: Span[] = [];
  let before: Counts = { admitted: 0, succeeded: 0, failed: 0, timedOut: 0 };
  for (let end = SPAN_S; end <= RUN_FOR_S; end += SPAN_S) {
    sim.at(end, () => {
      const { admitted, succeeded, failed, timedOut } = limiter.stats;
      const served = succeeded - before.succeeded;
      const settled = served + failed - before.failed + timedOut - before.timedOut;
      spans.push({
        admittedPerS: (admitted - before.admitted) / SPAN_S,
        servedShare: served / settled,
        p99: Number.NaN,
        rate: limiter instanceof AdaptiveRateLimiter ? limiter.rate : FIXED_RATE_PER_S,
      });
      before = { admitted, succeeded, failed, timedOut };
    });
  }
  sim.run({ until: RUN_FOR_S + 2 });
  const p99s = caller.latencySeries.series("p99");
  spans.forEach((span, i) => {
    span.p99 = p99s[i]?.[1] ?? Number.NaN;
  });
  return spans;
}

const fixed = run(false);
const adaptive = run(true);
const ms = (seconds: number) => `${(seconds * 1000).toFixed(0)} ms`;
const pct = (share: number) => `${(share * 100).toFixed(1)}%`;

console.log(
  `Adaptive vs fixed rate limiter: backend of ${WORKERS} workers x ${SERVICE_MEAN_S * 1000} ms (${FIXED_RATE_PER_S}/s), ` +
    `halved at ${HALVED_AT_S} s; ${OFFERED_PER_S}/s offered (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "span (s)",
      "capacity/s",
      "fixed adm/s",
      "fixed served",
      "fixed p99",
      "adaptive rate",
      "adaptive adm/s",
      "adaptive served",
      "adaptive p99",
    ],
    adaptive.map((a, i) => {
      const f = fixed[i]!;
      const end = (i + 1) * SPAN_S;
      return [
        `${end - SPAN_S}-${end}`,
        String(end <= HALVED_AT_S ? FIXED_RATE_PER_S : FIXED_RATE_PER_S / 2),
        f.admittedPerS.toFixed(0),
        pct(f.servedShare),
        ms(f.p99),
        a.rate.toFixed(0),
        a.admittedPerS.toFixed(0),
        pct(a.servedShare),
        ms(a.p99),
      ];
    }),
  ),
);
console.log(
  "\nThe fixed limiter keeps admitting the capacity it was set for: after 60 s the backend refuses half of it, " +
    "and every success waited behind a full queue. The adaptive one backs off at the backend's first refusals " +
    "and saw-tooths under whatever capacity there is.",
);
