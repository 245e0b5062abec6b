/**
 * Window rate limiters: a fixed window lets twice its limit through across a window edge; a
 * sliding window counter does not.
 *
 * Scenario: a limiter allows 100 requests per second (`rate: 100, burst: 100`: a window of
 * 1 s). A batch client sends its requests in pulses of 2,000/s lasting 200 ms, each centred on
 * a whole second (1.9-2.1 s, 3.9-4.1 s, ...), a common shape for cron jobs and timers that
 * fire on the second, and a trickle of 10/s in between.
 *
 *   - Fixed window: each pulse finds what is left of one window's 100 in its first half and a
 *     fresh 100 in its second: 200 requests reach the backend within 0.2 s, twice the limit
 *     in one second.
 *   - Sliding window counter: after the edge the previous window's count still weighs in
 *     (fully at the edge, fading over the window), so the pulse's second half gets only what
 *     has faded: the worst second stays near the limit (1.13x here; the counter assumes the
 *     previous window's admissions were spread evenly, which a pulse's were not, so it is an
 *     estimate, not a hard cap: at most limit + f x previous over a second ending a fraction f
 *     into its window).
 *   - Token bucket (for reference, same rate and burst): a full bucket, then the rate: 100 +
 *     100/s x 0.2 s in the pulse, plus the trickle around it (1.36x at worst).
 *
 * Columns: per policy over 20 s, the requests admitted and the most admitted in any 1 s span
 * (and where that span ends).
 *
 * Run: npx tsx examples/resilience/window-limiters.ts
 */
import {
  arrivals,
  Entity,
  type Message,
  profile,
  RateLimiter,
  type RateLimitPolicy,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 7;
const LIMIT_PER_S = 100;
const PULSE_RATE_PER_S = 2000;
const TRICKLE_RATE_PER_S = 10;
const PULSE_HALF_S = 0.1;
const PULSE_EVERY_S = 2;
const RUN_FOR_S = 20;

/** The backend: answers at once and notes when each request reached it. */
class Backend extends Entity<number, number> {
  readonly reachedAt: number[] = [];
  override handle(request: Message<number>): void {
    this.reachedAt.push(this.now);
    this.reply(request, request.payload);
  }
}

/** The most of `times` (sorted) in any span (t - 1 s, t], and the t it ends at. */
function worstSecond(times: readonly number[]): { count: number; endsAt: number } {
  let worst = { count: 0, endsAt: 0 };
  let first = 0;
  times.forEach((t, last) => {
    while (times[first]! <= t - 1) first++;
    if (last - first + 1 > worst.count) worst = { count: last - first + 1, endsAt: t };
  });
  return worst;
}

const pulses = profile.step(
  TRICKLE_RATE_PER_S,
  Array.from({ length: RUN_FOR_S / PULSE_EVERY_S - 1 }, (_, i) => (i + 1) * PULSE_EVERY_S).flatMap(
    (edge) => [
      { at: edge - PULSE_HALF_S, value: PULSE_RATE_PER_S },
      { at: edge + PULSE_HALF_S, value: TRICKLE_RATE_PER_S },
    ],
  ),
);

function run(policy: RateLimitPolicy): string[] {
  const sim = new Simulation({ seed: SEED });
  const backend = new Backend(sim, "backend");
  const limiter = new RateLimiter<number, number>(sim, "limiter", {
    target: backend,
    policy,
    rate: LIMIT_PER_S,
    burst: LIMIT_PER_S,
  });
  new Source(sim, "batch", {
    target: limiter,
    arrivals: arrivals.poisson(pulses),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run();
  const s = limiter.stats;
  const worst = worstSecond(backend.reachedAt);
  return [
    policy,
    String(s.requests),
    String(s.admitted),
    String(worst.count),
    `${(worst.count / LIMIT_PER_S).toFixed(2)}x`,
    worst.endsAt.toFixed(3),
  ];
}

console.log(
  `Window limiters: ${LIMIT_PER_S} requests per 1 s window; pulses of ${PULSE_RATE_PER_S}/s for ${2 * PULSE_HALF_S} s ` +
    `every ${PULSE_EVERY_S} s, centred on the window edge, ${TRICKLE_RATE_PER_S}/s between; ${RUN_FOR_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["policy", "requests", "admitted", "worst 1 s", "of the limit", "span ends at (s)"],
    (["fixedWindow", "slidingWindowCounter", "tokenBucket"] as const).map(run),
  ),
);
console.log(
  "\nThe fixed window resets at each edge, so a pulse straddling one gets two windows' worth; " +
    "the sliding counter still counts the previous window, fading, and keeps the worst second near the limit.",
);
