/**
 * A leaky bucket queue smooths bursts into an even stream; a token bucket of the same rate
 * passes them through.
 *
 * Scenario: a batch job sends 40 requests at once every 2 s (a cron tick, a flushed buffer) to
 * a downstream that wants them at 20/s, evenly: say a payment provider that counts requests per
 * 100 ms, or a disk that stalls on bursts. Three ways in front of it:
 *
 *   - no limiter: each burst of 40 lands within the same instant;
 *   - a token bucket (20/s, burst 40): the bucket is full again after each 2 s, so every burst
 *     still goes through at once: it bounds the average, not the shape;
 *   - a token bucket of one (20/s, burst 1): even, but by refusing: one of each burst gets
 *     through, the other 39 are refused at once;
 *   - a leaky bucket queue (20/s, 40 waiting at most): the burst waits in a FIFO and leaves at
 *     exactly one per 50 ms, so the downstream sees an even 20/s, never more than 2 per 100 ms.
 *     The price is waiting: the last of each burst leaves 1.95 s after it came. Nothing is
 *     refused while the line has room (a burst of 41 would refuse one).
 *
 * Columns: over 20 s, the requests sent and passed on, the most passed on in any 100 ms, the
 * shortest and longest gap between two requests passed on within a burst's stream, and the
 * longest a request waited. Below, the first burst (2.0-3.0 s) passed on per 100 ms.
 *
 * Run: npx tsx --conditions=distsim-source examples/resilience/leaky-bucket.ts
 */
import {
  arrivals,
  Entity,
  leakyBucket,
  type Message,
  RateLimiter,
  type RatePolicy,
  Simulation,
  Source,
  tokenBucket,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 3;
const BURST_SIZE = 40;
const BURST_EVERY_S = 2;
const RATE_PER_S = 20;
const RUN_FOR_S = 20;
const SLOT_NS = 100_000_000;

/** The downstream: answers at once, noting when each request (its payload: when it was sent) came. */
class Downstream extends Entity<number, number> {
  readonly reachedNs: number[] = [];
  longestWait = 0;
  override handle(request: Message<number>): void {
    this.reachedNs.push(Math.round(this.now * 1e9));
    this.longestWait = Math.max(this.longestWait, this.now - request.payload);
    this.reply(request, request.payload);
  }
}

/** The most of `timesNs` (sorted) in any span (t - 100 ms, t]. */
function worstSlot(timesNs: readonly number[]): number {
  let worst = 0;
  let first = 0;
  timesNs.forEach((t, last) => {
    while (timesNs[first]! <= t - SLOT_NS) first++;
    worst = Math.max(worst, last - first + 1);
  });
  return worst;
}

function run(policy: RatePolicy | null) {
  const sim = new Simulation({ seed: SEED });
  const downstream = new Downstream(sim, "downstream");
  const limiter =
    policy === null
      ? null
      : new RateLimiter<number, number>(sim, "limiter", { target: downstream, policy });
  const source = new Source(sim, "batch", {
    target: limiter ?? downstream,
    arrivals: arrivals.bursts({ size: BURST_SIZE, every: BURST_EVERY_S }),
    payload: (_, sentAt) => sentAt,
    stopAfter: { time: RUN_FOR_S },
  });
  sim.run();
  const times = downstream.reachedNs;
  // Gaps within a burst's stream: between requests less than a burst period apart.
  const gaps = times
    .slice(1)
    .map((t, i) => t - times[i]!)
    .filter((gap) => gap < (BURST_EVERY_S * 1e9) / 2);
  const firstBurst = Array.from({ length: 10 }, (_, slot) => {
    const fromNs = BURST_EVERY_S * 1e9 + slot * SLOT_NS;
    return times.filter((t) => t >= fromNs && t < fromNs + SLOT_NS).length;
  });
  return {
    sent: source.generated,
    passed: times.length,
    worst: worstSlot(times),
    minGapMs: Math.min(...gaps) / 1e6,
    maxGapMs: Math.max(...gaps) / 1e6,
    longestWaitMs: downstream.longestWait * 1000,
    firstBurst,
  };
}

const setups: [string, RatePolicy | null][] = [
  ["no limiter", null],
  ["tokenBucket (20/s, burst 40)", tokenBucket({ rate: RATE_PER_S, burst: BURST_SIZE })],
  ["tokenBucket (20/s, burst 1)", tokenBucket({ rate: RATE_PER_S, burst: 1 })],
  [
    "leakyBucket queue (20/s, 40 waiting)",
    leakyBucket({ rate: RATE_PER_S, capacity: BURST_SIZE, mode: "queue" }),
  ],
];
const results = setups.map(([name, policy]) => [name, run(policy)] as const);

console.log(
  `Leaky bucket: bursts of ${BURST_SIZE} every ${BURST_EVERY_S} s into a downstream that wants ${RATE_PER_S}/s; ${RUN_FOR_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    ["in front", "sent", "passed on", "most per 100 ms", "gaps (ms)", "longest wait (ms)"],
    results.map(([name, r]) => [
      name,
      String(r.sent),
      String(r.passed),
      String(r.worst),
      r.minGapMs === Number.POSITIVE_INFINITY
        ? "-"
        : `${r.minGapMs.toFixed(0)}-${r.maxGapMs.toFixed(0)}`,
      r.longestWaitMs.toFixed(0),
    ]),
  ),
);
console.log("\nThe first burst (sent at 2 s), passed on per 100 ms from 2.0 s to 3.0 s:\n");
console.log(
  formatTable(
    ["in front", ...Array.from({ length: 10 }, (_, slot) => `${(2 + slot / 10).toFixed(1)}`)],
    results.map(([name, r]) => [name, ...r.firstBurst.map(String)]),
  ),
);
console.log(
  "\nThe token bucket bounds the average (at most 40 + 20/s x t over any t) but refills in the quiet " +
    "between bursts and lets each one through whole; a bucket of one is even only by refusing; the leaky " +
    "queue releases one per 50 ms whatever arrives, so the downstream sees the rate and the burst waits at " +
    "the limiter instead.",
);
