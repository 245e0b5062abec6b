/**
 * Retry policies: the same outage, three ways to retry.
 *
 * Scenario: 200 requests/s reach a server with 25 workers (10 ms each, lightly loaded) through
 * clients that time each attempt out after 200 ms and try up to 5 times. At t = 10 s the
 * server crashes for 2 seconds. The table shows what each policy did:
 *   - no retries: every request that met the outage is lost;
 *   - immediate retries spend all five attempts within one second (5 x 200 ms), so requests
 *     that arrive early in a 2 s outage still give up;
 *   - exponential backoff with full jitter stretches the same five attempts over about 2.5 s,
 *     so most requests outlive the outage and succeed, for about the same extra load.
 * Both retrying policies hit the recovering server with about five times its normal load in
 * the first second back: harmless here, and exactly what tips a server near capacity into a
 * retry storm (issue 6's flagship example takes that up with a circuit breaker).
 *
 * Run: npx tsx --conditions=distsim-source examples/client/retry-policies.ts
 */
import {
  arrivals,
  Client,
  dist,
  Entity,
  type Message,
  type RetryPolicy,
  retry,
  Server,
  Simulation,
  Source,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 31;
const RATE_PER_S = 200;
const OUTAGE_AT_S = 10;
const OUTAGE_FOR_S = 2;
const RUN_FOR_S = 30;

/** Counts the attempts reaching the server in each 100 ms after recovery. */
class Meter extends Entity<number, number> {
  readonly perSlot = new Map<number, number>();
  constructor(
    sim: Simulation,
    private readonly server: Server<number, number>,
  ) {
    super(sim, "meter");
  }
  override *handle(request: Message<number>) {
    const slot = Math.floor(this.now * 10);
    this.perSlot.set(slot, (this.perSlot.get(slot) ?? 0) + 1);
    const answer = yield* this.call(this.server, "get", request.payload);
    this.reply(request, answer);
  }
}

function run(name: string, retryPolicy: RetryPolicy): string[] {
  const sim = new Simulation({ seed: SEED });
  const server = new Server<number, number>(sim, "server", {
    concurrency: 25,
    serviceTime: dist.exponential(0.01),
  });
  const meter = new Meter(sim, server);
  const client = new Client<number, number>(sim, "client", {
    target: meter,
    timeout: 0.2,
    retryPolicy,
  });
  new Source(sim, "users", {
    target: client,
    arrivals: arrivals.poisson(RATE_PER_S),
    stopAfter: { time: RUN_FOR_S },
  });
  sim.at(OUTAGE_AT_S, () => server.crash());
  sim.at(OUTAGE_AT_S + OUTAGE_FOR_S, () => server.recover());
  sim.run();
  const recoverySlot = (OUTAGE_AT_S + OUTAGE_FOR_S) * 10;
  const peak = Math.max(
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => meter.perSlot.get(recoverySlot + i) ?? 0),
  );
  const s = client.stats;
  return [
    name,
    `${(peak * 10).toLocaleString("en-US")}/s`,
    (s.forwarded / s.requests).toFixed(2),
    String(s.gaveUp),
    String(s.succeeded),
  ];
}

const rows = [
  run("immediate retries", retry.fixed({ maxAttempts: 5, delay: 0 })),
  run(
    "backoff, full jitter",
    retry.exponentialBackoff({ maxAttempts: 5, initial: 0.1, jitter: "full" }),
  ),
  run("no retries", retry.noRetry()),
];
console.log(
  `Retry policies: ${RATE_PER_S} requests/s, 200 ms timeout per attempt, up to 5 attempts; ` +
    `server down from ${OUTAGE_AT_S}s to ${OUTAGE_AT_S + OUTAGE_FOR_S}s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "policy",
      "peak load after recovery (normal 200/s)",
      "attempts per request",
      "gave up",
      "succeeded",
    ],
    rows,
  ),
);
