/**
 * Rate limiters side by side: a fixed window lets twice its limit through across a window
 * edge; the sliding windows do not; the buckets let a full bucket through, then the rate.
 *
 * Scenario: a limiter allows 100 requests per second (a window of 1 s with a limit of 100, or
 * a bucket of 100 at 100/s). A batch client sends its requests in pulses of 2,000/s lasting
 * 200 ms, each centred on a whole second (1.9-2.1 s, 3.9-4.1 s, ...), a common shape for cron
 * jobs and timers that fire on the second, and a trickle of 10/s in between.
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
 *   - Sliding window log: keeps the time of each admission of the last second and admits while
 *     fewer than 100 are there: exact, never more than 100 in any 1 s span, for a log of up to
 *     100 times (a ring buffer, allocated once).
 *   - Token bucket (same rate and burst): a full bucket, then the rate: 100 + 100/s x 0.2 s in
 *     the pulse, plus the trickle around it (1.36x at worst).
 *   - Leaky bucket as a meter (drains 100/s, capacity 100): the token bucket seen from the
 *     other side (its level is what the bucket's tokens are not), so it admits exactly the same.
 *   - Leaky bucket as a queue (100/s, at most 100 waiting): a request waits while there is
 *     room and everything leaves at one per 10 ms, so the worst second is the rate itself,
 *     paid for in waiting (up to a second).
 *
 * Columns: per policy over 20 s, the requests admitted, the most admitted in any 1 s span (and
 * where that span ends), and the longest an admitted request waited at the limiter.
 *
 * Run: npx tsx --conditions=distsim-source examples/resilience/window-limiters.ts
 */
import {
  arrivals,
  Entity,
  fixedWindow,
  leakyBucket,
  type Message,
  profile,
  RateLimiter,
  type RatePolicy,
  Simulation,
  Source,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 7;
const LIMIT_PER_S = 100;
const PULSE_RATE_PER_S = 2000;
const TRICKLE_RATE_PER_S = 10;
const PULSE_HALF_S = 0.1;
const PULSE_EVERY_S = 2;
const RUN_FOR_S = 20;

/** The backend: answers at once, noting when each request (its payload: when it was sent) reached it. */
class Backend extends Entity<number, number> {
  readonly reachedAt: number[] = [];
  longestWait = 0;
  override handle(request: Message<number>): void {
    this.reachedAt.push(this.now);
    this.longestWait = Math.max(this.longestWait, this.now - request.payload);
    this.reply(request, request.payload);
  }
}

/**
 * The most of `times` (sorted, seconds) in any span (t - 1 s, t], and the t it ends at. Counted
 * in whole nanoseconds, as the simulation keeps time: in float seconds, 2.991 - 1 falls short of
 * 1.991 and a span would take one request too many.
 */
function worstSecond(times: readonly number[]): { count: number; endsAt: number } {
  const ns = times.map((t) => Math.round(t * 1e9));
  let worst = { count: 0, endsAt: 0 };
  let first = 0;
  ns.forEach((t, last) => {
    while (ns[first]! <= t - 1e9) first++;
    if (last - first + 1 > worst.count) worst = { count: last - first + 1, endsAt: times[last]! };
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

const perSecond = { limit: LIMIT_PER_S, window: 1 };
const policies: [string, RatePolicy][] = [
  ["fixedWindow", fixedWindow(perSecond)],
  ["slidingWindowCounter", slidingWindowCounter(perSecond)],
  ["slidingWindowLog", slidingWindowLog(perSecond)],
  ["tokenBucket", tokenBucket({ rate: LIMIT_PER_S, burst: LIMIT_PER_S })],
  ["leakyBucket (meter)", leakyBucket({ rate: LIMIT_PER_S, capacity: LIMIT_PER_S })],
  ["leakyBucket (queue)", leakyBucket({ rate: LIMIT_PER_S, capacity: LIMIT_PER_S, mode: "queue" })],
];

function run([name, policy]: [string, RatePolicy]): string[] {
  const sim = new Simulation({ seed: SEED });
  const backend = new Backend(sim, "backend");
  const limiter = new RateLimiter<number, number>(sim, "limiter", { target: backend, policy });
  new Source(sim, "batch", {
    target: limiter,
    arrivals: arrivals.poisson(pulses),
    payload: (_, sentAt) => sentAt,
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run();
  const s = limiter.stats;
  const worst = worstSecond(backend.reachedAt);
  return [
    name,
    String(s.requests),
    String(s.admitted),
    String(worst.count),
    `${(worst.count / LIMIT_PER_S).toFixed(2)}x`,
    worst.endsAt.toFixed(3),
    (backend.longestWait * 1000).toFixed(0),
  ];
}

console.log(
  `Rate limiters: ${LIMIT_PER_S} requests per second; pulses of ${PULSE_RATE_PER_S}/s for ${2 * PULSE_HALF_S} s ` +
    `every ${PULSE_EVERY_S} s, centred on the window edge, ${TRICKLE_RATE_PER_S}/s between; ${RUN_FOR_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "policy",
      "requests",
      "admitted",
      "worst 1 s",
      "of the limit",
      "span ends at (s)",
      "longest wait (ms)",
    ],
    policies.map(run),
  ),
);
console.log(
  "\nThe fixed window resets at each edge, so a pulse straddling one gets two windows' worth; the sliding " +
    "counter still counts the previous window, fading, and keeps the worst second near the limit; the sliding " +
    "log never exceeds it. The buckets let a full bucket through, then the rate (the leaky meter is the token " +
    "bucket seen from the other side); the leaky queue turns each pulse into an even stream at the rate, and its " +
    "requests wait for it.",
);
